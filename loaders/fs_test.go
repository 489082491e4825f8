package loaders

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
)

func TestOpenFSLocalRefusesEscapes(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.csv"), []byte(unitsCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeDir(t, map[string][]byte{"units.csv": []byte(unitsCSV)})
	if err := os.Symlink(filepath.Join(outside, "secret.csv"), filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("units.csv", filepath.Join(dir, "inside.csv")); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{dir, "file://" + dir} {
		fsys, err := OpenFS(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			ok   bool
		}{{"units.csv", true}, {"inside.csv", true}, {"link.csv", false}, {"../" + filepath.Base(outside) + "/secret.csv", false}, {filepath.Join(outside, "secret.csv"), false}}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := fs.ReadFile(fsys, c.name)
				if (err == nil) != c.ok {
					t.Errorf("read %s via %s: err = %v, want ok=%v", c.name, u, err, c.ok)
				}
			})
		}
	}
	// Through the loader: the escaping link is DQ001.
	if err := os.WriteFile(filepath.Join(dir, "snapshot.yaml"), []byte(manifest("units: link.csv")), 0o644); err != nil {
		t.Fatal(err)
	}
	mem := checked(t)
	_, err := Load(context.Background(), dir, WithAllocator(mem))
	var fe *FatalError
	if !errors.As(err, &fe) || fe.Findings[0].Code != snapshot.DQManifest {
		t.Fatalf("err = %v, want DQ001", err)
	}
}

func TestOpenFSBadURLs(t *testing.T) {
	for _, u := range []string{"s3://bucket/x", "gs://", "file://remote/x", filepath.Join(t.TempDir(), "absent")} {
		if _, err := OpenFS(context.Background(), u); err == nil {
			t.Errorf("OpenFS(%q): no error", u)
		}
	}
}

func TestLoadGCS(t *testing.T) {
	objects := []fakestorage.Object{
		{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/2024-09-30/snapshot.yaml"}, Content: []byte(manifest("units: units.csv.gz\nmodels: m.parquet"))},
		{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/2024-09-30/units.csv.gz"}, Content: gz(t, []byte(csvText(unitRows, ",")))},
		{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/2024-09-30/m.parquet"}, Content: parquetFile(t, modelRows)},
	}
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{InitialObjects: objects, Scheme: "http", Host: "127.0.0.1", Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	u, _ := url.Parse(srv.URL())
	t.Setenv("STORAGE_EMULATOR_HOST", u.Host)

	ctx := context.Background()
	mem := checked(t)
	snap, err := Load(ctx, "gs://exports/tb/2024-09-30", WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	if d := cmp.Diff(wantUnits, dump(snap.Table(snapshot.Units))); d != "" {
		t.Errorf("units (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantModels, dump(snap.Table(snapshot.Models))); d != "" {
		t.Errorf("models (-want +got):\n%s", d)
	}
	// The same bytes from a folder give the same digest.
	dir := writeDir(t, map[string][]byte{"snapshot.yaml": objects[0].Content, "units.csv.gz": objects[1].Content, "m.parquet": objects[2].Content})
	local, err := Load(ctx, dir, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Release()
	if local.SHA256 != snap.SHA256 {
		t.Errorf("sha256 differs: gs %s, dir %s", snap.SHA256, local.SHA256)
	}

	fsys, err := OpenFS(ctx, "gs://exports/tb/2024-09-30")
	if err != nil {
		t.Fatal(err)
	}
	// The snapshot's client is internal/storage's, with its one Retry.
	if g, ok := fsys.(*storage.GCSFS); !ok || g.Retry() != storage.DefaultRetry() {
		t.Errorf("gs: file system %T, want a *storage.GCSFS with storage.DefaultRetry", fsys)
	}
	if _, err := fsys.Open("../x"); err == nil {
		t.Error("gs: opened ../x")
	}
	if _, err := fsys.Open("absent.csv"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("gs: absent: %v", err)
	}
	f, err := fsys.Open("m.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ra := f.(io.ReaderAt)
	buf := make([]byte, 4)
	if _, err := ra.ReadAt(buf, 0); err != nil || !bytes.Equal(buf, []byte("PAR1")) {
		t.Errorf("ReadAt = %q, %v", buf, err)
	}
	seq, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(seq, objects[2].Content) {
		t.Errorf("Read: %d bytes, %v", len(seq), err)
	}
	if !strings.HasPrefix(snap.Manifest.Name, "test") {
		t.Errorf("manifest %+v", snap.Manifest)
	}
}

// TestLoadGCSGivesUp: when Cloud Storage does not answer, loading ends
// with an error of its own after a bounded number of attempts, not when
// the caller's context ends (a nightly run has no deadline by default).
func TestLoadGCSGivesUp(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more: every request is refused
	t.Setenv("STORAGE_EMULATOR_HOST", addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // far beyond 6 attempts and their backoff
	defer cancel()
	_, err = Load(ctx, "gs://exports/tb/2024-09-30")
	if err == nil {
		t.Fatal("loaded a snapshot from nowhere")
	}
	if ctx.Err() != nil {
		t.Fatalf("loading stopped only when the context ended: %v", err)
	}
	// Storage failed, not the export: no data-quality finding (exit code 1
	// for the CronJob to retry, not 3).
	var fe *FatalError
	if errors.As(err, &fe) {
		t.Errorf("a storage failure reported as unusable data: %v", err)
	}
}
