package app

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
	"github.com/vungmanh/vungmanh/policies"
)

// TestPoliciesFolderOnGCS: --policies (and check's folder) may be a
// gs:// folder of .rego files, read through the real client from
// fake-gcs-server; a folder without any is a setting error.
func TestPoliciesFolderOnGCS(t *testing.T) {
	srv := storagetest.NewServer(t, "pols")
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.Proxy.URL, "http://"))
	n := 0
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		data, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		srv.Fake.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "pols", Name: path.Join("pack", p)}, Content: data})
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("upload the pack: %v (%d files)", err, n)
	}
	srv.Fake.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "pols", Name: "empty/README.md"}, Content: []byte("no policies here")})

	// A layer in a bucket: its layer.yaml is read with its .rego files.
	for name, src := range map[string]string{"layer.yaml": "name: hung-yen\n", "hy01_enough_branches.rego": hy01} {
		srv.Fake.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "pols", Name: "layer/" + name}, Content: []byte(src)})
	}
	code, stdout, stderr := runMain(t, nil, "check", "gs://pols/layer")
	if code != ExitOK || !strings.Contains(stdout, "ok: 12 target(s)") || !strings.Contains(stdout, "pack hung-yen") {
		t.Errorf("check gs://pols/layer: exit %d\n%s\n%s", code, stdout, stderr)
	}

	code, stdout, stderr = runMain(t, nil, "check", "gs://pols/pack/")
	if code != ExitOK || !strings.Contains(stdout, "ok: 11 target(s)") {
		t.Errorf("check gs://pols/pack/: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = runMain(t, nil, "test", "gs://pols/pack")
	if code != ExitOK {
		t.Errorf("test gs://pols/pack: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runMain(t, nil, "run", "--snapshot", smallSample, "--out", t.TempDir(), "--formats", "json", "--policies", "gs://pols/pack")
	if code != ExitOK {
		t.Errorf("run --policies gs://pols/pack: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runMain(t, nil, "run", "--snapshot", smallSample, "--out", t.TempDir(), "--formats", "json", "--policies", "gs://pols/empty")
	if code != ExitConfig || !strings.Contains(stderr, "no .rego file") {
		t.Errorf("run --policies gs://pols/empty: exit %d, want %d naming the problem\n%s", code, ExitConfig, stderr)
	}
}

// TestOutBucketMissing: --out in a bucket that does not exist is a setting
// to fix (exit code 2), named as such, not a fault to retry.
func TestOutBucketMissing(t *testing.T) {
	srv := storagetest.NewServer(t, "reports")
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.Proxy.URL, "http://"))
	code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample, "--out", "gs://nosuch/vm", "--formats", "json")
	if code != ExitConfig || !strings.Contains(stderr, "gs://nosuch: the bucket does not exist") {
		t.Errorf("exit %d, want %d naming the missing bucket:\n%s", code, ExitConfig, stderr)
	}
}
