package loaders

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
)

// OpenFS opens the snapshot folder named by url as a read-only fs.FS
// through internal/storage (storage.ParseURL, storage.OpenFS):
//   - a local folder ("exports/2024-09-30") or a file:// URL: the folder is
//     opened with os.OpenRoot, so no name, "..", or symbolic link can reach
//     outside it;
//   - gs://bucket/prefix: objects under prefix, read with the program's one
//     Cloud Storage client configuration (Application Default Credentials;
//     when STORAGE_EMULATOR_HOST is set, the emulator without
//     authentication).
//
// Names must be valid fs paths (fs.ValidPath): no "..", no leading "/".
// The gs:// file system uses ctx for every request it makes, so ctx must
// outlive the use of the returned fs.FS. Its files implement io.ReaderAt and
// io.Seeker (ranged reads), which lets Parquet stream by row group.
func OpenFS(ctx context.Context, url string) (fs.FS, error) {
	return openFS(ctx, url, storage.GCSOptions{})
}

// openFS is OpenFS with the options of a gs:// client.
func openFS(ctx context.Context, url string, o storage.GCSOptions) (fs.FS, error) {
	loc, err := storage.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("open snapshot %q: %w", url, err)
	}
	fsys, err := storage.OpenFS(ctx, loc, storage.WithGCSOptions(o))
	if errors.Is(err, fs.ErrNotExist) && !loc.IsGCS() {
		// As a folder without snapshot.yaml: the snapshot is missing.
		return nil, &FatalError{Findings: []snapshot.Finding{{Code: snapshot.DQManifest, Severity: snapshot.SeverityFatal, File: ManifestFile,
			Message: fmt.Sprintf("The snapshot folder %s does not exist: check the folder path.", loc.Dir)}}, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("open snapshot %q: %w", url, err)
	}
	return fsys, nil
}

// gcsFS is the file system of a gs:// snapshot: its failures are the
// storage's (transient), not the export's.
type gcsFS = storage.GCSFS

// openFile opens name in fsys. A gs:// file system makes the requests for
// the file with ctx.
func openFile(ctx context.Context, fsys fs.FS, name string) (fs.File, error) {
	if g, ok := fsys.(*gcsFS); ok {
		return g.OpenContext(ctx, name)
	}
	return fsys.Open(name)
}
