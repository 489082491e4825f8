package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	gcs "cloud.google.com/go/storage"
)

// OpenFS opens the folder at loc as a read-only fs.FS, for reading a
// snapshot:
//   - a local folder is opened with os.OpenRoot, so no name, "..", or
//     symbolic link can reach outside it (a missing folder is an error
//     that errors.Is fs.ErrNotExist);
//   - gs://bucket/prefix is a *GCSFS over the objects under prefix, through
//     the client of OpenGCS (the same configuration and Retry).
//
// Names must be valid fs paths (fs.ValidPath): no "..", no leading "/".
// The gs:// file system uses ctx for the requests of Open, so ctx must
// outlive the use of the returned fs.FS.
func OpenFS(ctx context.Context, loc Location, opts ...Option) (fs.FS, error) {
	if !loc.IsGCS() {
		root, err := os.OpenRoot(loc.Dir)
		if err != nil {
			return nil, err
		}
		// The root's descriptor lives as long as the returned file system;
		// it is closed by the garbage collector (os.Root has a finalizer).
		return root.FS(), nil
	}
	c, r, err := newClient(ctx, newOptions(opts).gcs)
	if err != nil {
		return nil, err
	}
	return &GCSFS{ctx: ctx, bucket: c.Bucket(loc.Bucket), prefix: loc.Prefix, retry: r}, nil
}

// GCSFS is an fs.FS over the objects under a prefix of a bucket. fs.FS has
// no context parameter, so the context of OpenFS is kept for the requests
// of Open; OpenContext makes one file's requests with a context of its own.
// The client is safe for concurrent use: files may be read from several
// goroutines at once (one goroutine per file).
//
// Its files implement io.ReaderAt and io.Seeker with ranged reads
// (NewRangeReader): a Parquet reader reads the footer and the column chunks
// it needs without downloading the whole object. A file reads the
// generation it opened: a rewrite of the object fails the reads.
type GCSFS struct {
	ctx    context.Context
	bucket *gcs.BucketHandle
	prefix string
	retry  Retry
}

// Retry returns the retry of every request of g.
func (g *GCSFS) Retry() Retry { return g.retry }

// Open implements fs.FS with the context of OpenFS.
func (g *GCSFS) Open(name string) (fs.File, error) { return g.OpenContext(g.ctx, name) }

// OpenContext is Open with the requests for the file made with ctx, so that
// one file's reads can be stopped without stopping the others'.
func (g *GCSFS) OpenContext(ctx context.Context, name string) (fs.File, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	obj := g.bucket.Object(path.Join(g.prefix, name))
	attrs, err := obj.Attrs(ctx)
	if err != nil {
		if errors.Is(err, gcs.ErrObjectNotExist) || errors.Is(err, gcs.ErrBucketNotExist) {
			err = fs.ErrNotExist
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &gcsFile{ctx: ctx, obj: obj.Generation(attrs.Generation), name: name, size: attrs.Size, mod: attrs.Updated}, nil
}

type gcsFile struct {
	ctx  context.Context
	obj  *gcs.ObjectHandle
	name string
	size int64
	mod  time.Time
	off  int64
	r    *gcs.Reader // sequential reader from roff, nil until Read
	roff int64
}

func (f *gcsFile) Stat() (fs.FileInfo, error) { return gcsInfo{f}, nil }

// Read reads on from the offset with one ranged request to the end of the
// object, made again only after a Seek elsewhere.
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

// ReadAt reads len(p) bytes at off with one ranged request for them.
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
