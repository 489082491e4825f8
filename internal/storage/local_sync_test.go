package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// CreateUnsynced writes as Create does (whole objects, the does-not-exist
// precondition, overwrite, no temporary file left), and SyncFolder syncs
// a folder, or a missing one, without an error.
func TestDirCreateUnsyncedThenSync(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CreateUnsynced(ctx, "run/units/a.html", []byte("a"), false); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateUnsynced(ctx, "run/units/a.html", []byte("b"), false); !errors.Is(err, ErrPrecondition) {
		t.Errorf("second create: %v, want ErrPrecondition", err)
	}
	if err := d.CreateUnsynced(ctx, "run/units/a.html", []byte("c"), true); err != nil {
		t.Fatal(err)
	}
	if err := d.SyncFolder(ctx, "run"); err != nil {
		t.Fatalf("SyncFolder: %v", err)
	}
	if err := d.SyncFolder(ctx, "missing"); err != nil {
		t.Errorf("SyncFolder of a missing folder: %v", err)
	}
	if err := d.SyncFolder(ctx, "../up"); err == nil {
		t.Error("SyncFolder of a key outside the folder: no error")
	}
	got, err := d.Read(ctx, "run/units/a.html")
	if err != nil || string(got) != "c" {
		t.Errorf("read: %q, %v; want c", got, err)
	}
	ents, err := os.ReadDir(filepath.Join(root, "run", "units"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "a.html" {
		t.Errorf("files in the folder: %v, want a.html alone", ents)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := d.SyncFolder(cctx, "run"); !errors.Is(err, context.Canceled) {
		t.Errorf("SyncFolder after cancel: %v", err)
	}
}
