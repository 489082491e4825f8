package storage

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDirRefusesSymlinks: a symbolic link inside the folder (to a folder
// or a file elsewhere) is not followed by any operation: ErrSymlink, and
// nothing is written or read outside the folder.
func TestDirRefusesSymlinks(t *testing.T) {
	ctx := context.Background()
	root, outside := t.TempDir(), t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "thai-binh")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(root, "real", "latest.json")); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]func() error{
		"create below a linked folder": func() error { return d.Create(ctx, "thai-binh/runs/x/report.json", []byte("x"), false) },
		"swap below a linked folder":   func() error { return d.Swap(ctx, "thai-binh/latest.json", []byte("x"), 0) },
		"read through a linked folder": func() error { _, err := d.Read(ctx, "thai-binh/secret.txt"); return err },
		"read a linked file":           func() error { _, err := d.Read(ctx, "real/latest.json"); return err },
		"read-gen a linked file":       func() error { _, _, err := d.ReadGen(ctx, "real/latest.json"); return err },
		"lock a linked folder":         func() error { _, err := d.LockFolder(ctx, "thai-binh/runs"); return err },
		"list a linked folder":         func() error { _, err := d.Dirs(ctx, "thai-binh/"); return err },
	} {
		t.Run(name, func(t *testing.T) {
			if err := op(); !errors.Is(err, ErrSymlink) {
				t.Errorf("err = %v, want ErrSymlink", err)
			}
		})
	}
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the folder the link points at holds %d entries, want only secret.txt", len(entries))
	}
}

// TestClassifyPermission: a refusal of the file system is ErrPermission
// (a setting to fix), other errors are left as they are. (Tests run as
// root here, where no permission is refused, so the refusal is made up.)
func TestClassifyPermission(t *testing.T) {
	denied := &fs.PathError{Op: "open", Path: "/out/thai-binh/.tmp-1", Err: syscall.EACCES}
	if err := classify(denied); !errors.Is(err, ErrPermission) || !errors.Is(err, syscall.EACCES) {
		t.Errorf("classify(EACCES) = %v, want ErrPermission wrapping it", err)
	}
	if err := classify(classify(denied)); err.Error() != classify(denied).Error() {
		t.Errorf("classify twice = %v", err)
	}
	other := &fs.PathError{Op: "open", Path: "/out/x", Err: syscall.ENOSPC}
	if err := classify(other); errors.Is(err, ErrPermission) {
		t.Errorf("classify(ENOSPC) = %v, want no ErrPermission", err)
	}
}
