//go:build !linux

package storage

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// syncTree makes everything written below folder dir durable: each file
// and folder is fsynced (syncfs is Linux's). A missing dir has nothing to
// sync.
func syncTree(dir string) error {
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return syncDir(p) // a file or a folder
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
