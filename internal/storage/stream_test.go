package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

// streamer is what the report publisher asks of a bucket to write a large
// file as it is rendered (storage.Dir and storage.GCS).
type streamer interface {
	CreateFrom(ctx context.Context, key string, write func(io.Writer) error, overwrite bool) error
}

// chunks writes data in pieces of 4 KiB, as a renderer does; failAt > 0
// returns errRender once that many bytes are written.
func chunks(data []byte, failAt int, calls *int) func(io.Writer) error {
	return func(w io.Writer) error {
		*calls++
		for off := 0; off < len(data); off += 4096 {
			if failAt > 0 && off >= failAt {
				return errRender
			}
			if _, err := w.Write(data[off:min(off+4096, len(data))]); err != nil {
				return err
			}
		}
		return nil
	}
}

var errRender = errors.New("render failed")

// payload is n bytes that differ from one offset to the next, so a
// shifted, repeated or short object does not compare equal.
func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ byte(i>>12) ^ seed
	}
	return b
}

// CreateFrom keeps Create's contract (whole objects, the does-not-exist
// precondition, overwrite) for bytes made while written, and a write that
// fails leaves no object and no change to an existing one.
func TestCreateFromContract(t *testing.T) {
	for name, open := range drivers() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			s, ok := b.(streamer)
			if !ok {
				t.Fatalf("%T cannot write from a function", b)
			}
			one, two := payload(3<<20+123, 1), payload(2<<20+5, 2)
			calls := 0
			if err := s.CreateFrom(ctx, "r/report.json", chunks(one, 0, &calls), false); err != nil {
				t.Fatal(err)
			}
			if d, err := b.Read(ctx, "r/report.json"); err != nil || !bytes.Equal(d, one) {
				t.Fatalf("Read: %d bytes (want %d), equal %v, %v", len(d), len(one), bytes.Equal(d, one), err)
			}
			if err := s.CreateFrom(ctx, "r/report.json", chunks(two, 0, &calls), false); !errors.Is(err, storage.ErrPrecondition) {
				t.Fatalf("CreateFrom existing: %v, want ErrPrecondition", err)
			}
			if d, _ := b.Read(ctx, "r/report.json"); !bytes.Equal(d, one) {
				t.Fatal("a refused CreateFrom changed the object")
			}
			// A render that fails half-way: no object, and an existing
			// one left as it was, even with overwrite.
			if err := s.CreateFrom(ctx, "r/findings.csv", chunks(two, 1<<20, &calls), false); !errors.Is(err, errRender) {
				t.Fatalf("CreateFrom failing write: %v, want the render's error", err)
			}
			if _, err := b.Read(ctx, "r/findings.csv"); !errors.Is(err, storage.ErrNotExist) {
				t.Fatalf("a failed CreateFrom left an object: %v", err)
			}
			if err := s.CreateFrom(ctx, "r/report.json", chunks(two, 1<<20, &calls), true); !errors.Is(err, errRender) {
				t.Fatalf("CreateFrom failing overwrite: %v, want the render's error", err)
			}
			if d, _ := b.Read(ctx, "r/report.json"); !bytes.Equal(d, one) {
				t.Fatal("a failed overwrite changed the object")
			}
			if err := s.CreateFrom(ctx, "r/report.json", chunks(two, 0, &calls), true); err != nil {
				t.Fatalf("CreateFrom overwrite: %v", err)
			}
			if d, _ := b.Read(ctx, "r/report.json"); !bytes.Equal(d, two) {
				t.Fatal("overwrite did not replace the object")
			}
			if err := s.CreateFrom(ctx, "../x", chunks(one, 0, &calls), true); err == nil {
				t.Fatal("CreateFrom accepted an invalid key")
			}
		})
	}
}

// A failed write leaves no temporary file in a local folder.
func TestDirCreateFromLeavesNoTempFiles(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, err := storage.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	_ = d.CreateFrom(ctx, "r/a", chunks(payload(1<<20, 3), 4096*10, &calls), false)
	_ = d.CreateFromUnsynced(ctx, "r/b", chunks(payload(1<<20, 3), 4096*10, &calls), false)
	ents, _ := os.ReadDir(filepath.Join(root, "r"))
	if len(ents) != 0 {
		t.Fatalf("files left after failed writes: %v", ents)
	}
}

// A transient fault on the upload is retried by calling write again from
// the start: the object holds the bytes once, not a retry's bytes after
// a first attempt's.
func TestGCSCreateFromRetriesFromTheStart(t *testing.T) {
	ctx := context.Background()
	srv := storagetest.NewServer(t, "b")
	g := srv.Open(t, "p")
	data := payload(1<<20+17, 4)
	for i, f := range storagetest.Faults() {
		t.Run(f.String(), func(t *testing.T) {
			key := fmt.Sprintf("k%d", i)
			calls := 0
			srv.Proxy.SetPlan(storagetest.FailAt(0, f, false))
			defer srv.Proxy.SetPlan(nil)
			if err := g.CreateFrom(ctx, key, chunks(data, 0, &calls), false); err != nil {
				t.Fatalf("CreateFrom: %v", err)
			}
			srv.Proxy.SetPlan(nil)
			if calls < 2 {
				t.Errorf("write called %d times through a fault, want a retry", calls)
			}
			if d, err := g.Read(ctx, key); err != nil || !bytes.Equal(d, data) {
				t.Fatalf("Read: %d bytes (want %d), %v", len(d), len(data), err)
			}
		})
	}
}
