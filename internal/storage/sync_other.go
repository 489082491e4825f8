//go:build !linux

package storage

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// syncTree makes everything written below folder dir durable: each file
// and folder is fsynced (syncfs is Linux's). A missing dir has nothing to
// sync.
func syncTree(dir string) error {
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return syncDir(p)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
