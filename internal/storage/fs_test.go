package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

// blob returns n bytes that differ from one offset to the next.
func blob(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// The files of a gs:// file system read by range: ReadAt asks for exactly
// the bytes it returns, and a Read after a Seek starts at the offset; every
// fault on the first request of a ranged read is retried.
func TestGCSFSRangeReads(t *testing.T) {
	ctx := context.Background()
	srv := storagetest.NewServer(t, "exports")
	data := blob(1 << 20)
	srv.Fake.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/big.bin"}, Content: data})
	fsys, err := storage.OpenFS(ctx, storage.Location{Bucket: "exports", Prefix: "tb"}, storage.WithGCSOptions(srv.GCSOptions(4)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Open("absent.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent: %v, want fs.ErrNotExist", err)
	}
	if _, err := fsys.Open("../x"); err == nil {
		t.Error("opened ../x")
	}
	f, err := fsys.Open("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() != int64(len(data)) || st.Name() != "big.bin" {
		t.Fatalf("Stat = %v, %v", st, err)
	}
	ra := f.(io.ReaderAt)

	srv.Proxy.SetPlan(nil)
	buf := make([]byte, 10)
	if n, err := ra.ReadAt(buf, 500_000); n != 10 || err != nil || !bytes.Equal(buf, data[500_000:500_010]) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	served := srv.Proxy.Served()
	if len(served) != 1 || served[0].Range != "bytes=500000-500009" || served[0].Bytes != 10 {
		t.Errorf("ReadAt of 10 bytes served %+v, want one request for bytes=500000-500009 of 10 bytes", served)
	}

	// The last bytes: ReadAt past the end returns what there is and io.EOF.
	tail := make([]byte, 100)
	if n, err := ra.ReadAt(tail, int64(len(data)-40)); n != 40 || err != io.EOF || !bytes.Equal(tail[:40], data[len(data)-40:]) {
		t.Errorf("ReadAt at the end = %d, %v", n, err)
	}

	// Seek then Read: the reads start at the offset.
	srv.Proxy.SetPlan(nil)
	if _, err := f.(io.Seeker).Seek(-1000, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(rest, data[len(data)-1000:]) {
		t.Errorf("Read after Seek: %d bytes, %v", len(rest), err)
	}
	var got int64
	for _, s := range srv.Proxy.Served() {
		got += s.Bytes
	}
	if got != 1000 {
		t.Errorf("Read after Seek served %d bytes, want 1000: %+v", got, srv.Proxy.Served())
	}

	for _, fault := range storagetest.Faults() {
		t.Run(fault.String(), func(t *testing.T) {
			srv.Proxy.SetPlan(storagetest.FailAt(0, fault, false))
			defer srv.Proxy.SetPlan(nil)
			buf := make([]byte, 4096)
			if n, err := ra.ReadAt(buf, 123_456); n != len(buf) || err != nil || !bytes.Equal(buf, data[123_456:123_456+4096]) {
				t.Errorf("ReadAt through %v = %d, %v", fault, n, err)
			}
		})
	}
}

// Reports, the snapshot, and policies, params and waivers go through one
// client configuration: the same Retry, by default DefaultRetry, and the
// same number of attempts against a fault that does not go away.
func TestOneRetryForEveryUse(t *testing.T) {
	ctx := context.Background()
	srv := storagetest.NewServer(t, "b")
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.Proxy.URL, "http://"))
	srv.Fake.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "b", Name: "p/x.yaml"}, Content: []byte("x: 1\n")})

	// The defaults: a Bucket (reports; policies, params and waivers read
	// through one too) and a snapshot's file system.
	b, err := storage.Open(ctx, "gs://b/p")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	fsys, err := storage.OpenFS(ctx, storage.Location{Bucket: "b", Prefix: "p"})
	if err != nil {
		t.Fatal(err)
	}
	want := storage.DefaultRetry()
	if got := b.(*storage.GCS).Retry(); got != want {
		t.Errorf("bucket retry %+v, want %+v", got, want)
	}
	if got := fsys.(*storage.GCSFS).Retry(); got != want {
		t.Errorf("file system retry %+v, want %+v", got, want)
	}
	if got := (storage.GCSOptions{}).Retry(); got != want {
		t.Errorf("zero options retry %+v, want %+v", got, want)
	}

	// The attempts, counted at the proxy, with quick test options.
	const attempts = 3
	opt := storage.WithGCSOptions(srv.GCSOptions(attempts))
	qb, err := storage.OpenLocation(ctx, storage.Location{Bucket: "b", Prefix: "p"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer qb.Close()
	qfs, err := storage.OpenFS(ctx, storage.Location{Bucket: "b", Prefix: "p"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	f, err := qfs.Open("x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	uses := map[string]func() error{
		"bucket read": func() error { _, err := qb.Read(ctx, "x.yaml"); return err },
		"bucket list": func() error { _, err := qb.List(ctx, ""); return err },
		"read file": func() error {
			_, err := storage.ReadFile(ctx, storage.Location{Bucket: "b", Prefix: "p/x.yaml"}, opt)
			return err
		},
		"fs open":    func() error { _, err := qfs.Open("x.yaml"); return err },
		"fs read at": func() error { _, err := f.(io.ReaderAt).ReadAt(make([]byte, 2), 1); return err },
	}
	for name, use := range uses {
		t.Run(name, func(t *testing.T) {
			srv.Proxy.SetPlan(storagetest.FailAt(0, storagetest.Fault503, true))
			defer srv.Proxy.SetPlan(nil)
			err := use()
			if n := len(srv.Proxy.Requests()); err == nil || n != attempts {
				t.Errorf("%d requests (err %v), want %d attempts and an error", n, err, attempts)
			}
		})
	}
}
