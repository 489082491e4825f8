package loaders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// OpenFS opens the snapshot folder named by url as a read-only fs.FS:
//   - a local folder ("exports/2024-09-30") or a file:// URL: the folder is
//     opened with os.OpenRoot, so no name, "..", or symbolic link can reach
//     outside it;
//   - gs://bucket/prefix: objects under prefix, read with the Google Cloud
//     Storage client (Application Default Credentials; when
//     STORAGE_EMULATOR_HOST is set, the emulator without authentication).
//
// Names must be valid fs paths (fs.ValidPath): no "..", no leading "/".
// The gs:// file system uses ctx for every request it makes, so ctx must
// outlive the use of the returned fs.FS. Its files implement io.ReaderAt and
// io.Seeker (ranged reads), which lets Parquet stream by row group.
func OpenFS(ctx context.Context, url string) (fs.FS, error) {
	return openFS(ctx, url, nil)
}

// openFS is OpenFS with more options for a gs:// client.
func openFS(ctx context.Context, url string, gcsOpts []option.ClientOption) (fs.FS, error) {
	switch {
	case strings.HasPrefix(url, "gs://"):
		return openGCS(ctx, url, gcsOpts)
	case strings.HasPrefix(url, "file://"):
		dir, err := fileURLPath(url)
		if err != nil {
			return nil, err
		}
		return openLocal(dir, url)
	case strings.Contains(url, "://"):
		return nil, fmt.Errorf("open snapshot %q: unsupported scheme (want a folder, file:// or gs://)", url)
	}
	return openLocal(url, url)
}

// openFile opens name in fsys. A gs:// file system makes the requests for
// the file with ctx.
func openFile(ctx context.Context, fsys fs.FS, name string) (fs.File, error) {
	if g, ok := fsys.(*gcsFS); ok {
		return g.openContext(ctx, name)
	}
	return fsys.Open(name)
}

func fileURLPath(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("open snapshot %q: %w", raw, err)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("open snapshot %q: file URL with a remote host", raw)
	}
	if u.Path == "" {
		return "", fmt.Errorf("open snapshot %q: file URL without a path", raw)
	}
	return u.Path, nil
}

func openLocal(dir, url string) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// As a folder without snapshot.yaml: the snapshot is missing.
		return nil, &FatalError{Findings: []snapshot.Finding{{Code: snapshot.DQManifest, Severity: snapshot.SeverityFatal, File: ManifestFile,
			Message: fmt.Sprintf("The snapshot folder %s does not exist: check the folder path.", dir)}}, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("open snapshot %q: %w", url, err)
	}
	// The root's descriptor lives as long as the returned file system; it is
	// closed by the garbage collector (os.Root has a finalizer).
	return root.FS(), nil
}

func openGCS(ctx context.Context, raw string, more []option.ClientOption) (fs.FS, error) {
	rest := strings.TrimPrefix(raw, "gs://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return nil, fmt.Errorf("open snapshot %q: %w: no bucket", raw, ErrBadURL)
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" && !fs.ValidPath(prefix) {
		return nil, fmt.Errorf("open snapshot %q: %w: the prefix has a \"..\", \".\" or empty element", raw, ErrBadURL)
	}
	// JSON reads (alt=media) work the same on Cloud Storage and on the
	// emulators, so the tested path is the production path.
	opts := []option.ClientOption{storage.WithJSONReads()}
	if os.Getenv("STORAGE_EMULATOR_HOST") != "" {
		opts = append(opts, option.WithoutAuthentication())
	}
	opts = append(opts, more...)
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("open snapshot %q: %w: %w", raw, ErrCredentials, err)
	}
	// The client's own default retries a failing read until the context
	// ends, which for a run without --timeout is never: a bucket that keeps
	// failing (or a host that does not answer) must end the run with exit
	// code 1, for the CronJob to retry later. The bounds are
	// internal/storage's (OpenGCS).
	client.SetRetry(storage.WithBackoff(gax.Backoff{Initial: 200 * time.Millisecond, Max: 10 * time.Second, Multiplier: 2}),
		storage.WithMaxAttempts(gcsAttempts))
	return &gcsFS{ctx: ctx, bucket: client.Bucket(bucket), prefix: prefix}, nil
}

// gcsAttempts is how many times a request to Cloud Storage is made before
// its error is the run's.
const gcsAttempts = 6

// gcsFS is an fs.FS over the objects under a prefix. fs.FS has no context
// parameter, so the context of OpenFS is kept for the requests of Open; the
// loader opens its table files with openContext and the table's context.
// The storage client is safe for concurrent use: files may be read from
// several goroutines at once (one goroutine per file).
type gcsFS struct {
	ctx    context.Context
	bucket *storage.BucketHandle
	prefix string
}

func (g *gcsFS) Open(name string) (fs.File, error) { return g.openContext(g.ctx, name) }

// openContext is Open with the requests for the file made with ctx, so that
// one file's reads can be stopped without stopping the others'.
func (g *gcsFS) openContext(ctx context.Context, name string) (fs.File, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	obj := g.bucket.Object(path.Join(g.prefix, name))
	attrs, err := obj.Attrs(ctx)
	if err != nil {
		if errors.Is(err, storage.ErrObjectNotExist) || errors.Is(err, storage.ErrBucketNotExist) {
			err = fs.ErrNotExist
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &gcsFile{ctx: ctx, obj: obj.Generation(attrs.Generation), name: name, size: attrs.Size, mod: attrs.Updated}, nil
}

type gcsFile struct {
	ctx  context.Context
	obj  *storage.ObjectHandle
	name string
	size int64
	mod  time.Time
	off  int64
	r    *storage.Reader // sequential reader from roff, nil until Read
	roff int64
}

func (f *gcsFile) Stat() (fs.FileInfo, error) { return gcsInfo{f}, nil }

func (f *gcsFile) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	if f.r == nil || f.roff != f.off {
		if f.r != nil {
			_ = f.r.Close()
		}
		r, err := f.obj.NewRangeReader(f.ctx, f.off, -1)
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.name, Err: err}
		}
		f.r, f.roff = r, f.off
	}
	n, err := f.r.Read(p)
	f.off += int64(n)
	f.roff += int64(n)
	return n, err
}

func (f *gcsFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= f.size {
		return 0, io.EOF
	}
	n := int64(len(p))
	if off+n > f.size {
		n = f.size - off
	}
	r, err := f.obj.NewRangeReader(f.ctx, off, n)
	if err != nil {
		return 0, &fs.PathError{Op: "readat", Path: f.name, Err: err}
	}
	defer r.Close()
	got, err := io.ReadFull(r, p[:n])
	if err == nil && got < len(p) {
		err = io.EOF
	}
	return got, err
}

func (f *gcsFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.size
	default:
		return 0, &fs.PathError{Op: "seek", Path: f.name, Err: fs.ErrInvalid}
	}
	if offset < 0 {
		return 0, &fs.PathError{Op: "seek", Path: f.name, Err: fs.ErrInvalid}
	}
	f.off = offset
	return offset, nil
}

func (f *gcsFile) Close() error {
	if f.r != nil {
		return f.r.Close()
	}
	return nil
}

type gcsInfo struct{ f *gcsFile }

func (i gcsInfo) Name() string       { return path.Base(i.f.name) }
func (i gcsInfo) Size() int64        { return i.f.size }
func (i gcsInfo) Mode() fs.FileMode  { return 0o444 }
func (i gcsInfo) ModTime() time.Time { return i.f.mod }
func (i gcsInfo) IsDir() bool        { return false }
func (i gcsInfo) Sys() any           { return nil }
