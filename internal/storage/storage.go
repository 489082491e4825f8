package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
)

// ErrNotExist is returned (wrapped) when an object does not exist.
var ErrNotExist = errors.New("object does not exist")

// ErrNoBucket is returned (wrapped) when a write finds no bucket: a
// setting to fix, not a fault to retry.
var ErrNoBucket = errors.New("the bucket does not exist")

// ErrBadURL is returned (wrapped) by Open for a URL that names no usable
// place: a gs:// URL without a bucket, or whose prefix has "..", "." or
// empty ("//") elements, which Cloud Storage would take as part of object
// names. A setting to fix.
var ErrBadURL = errors.New("not a usable storage URL")

// ErrCredentials is returned (wrapped) when no Cloud Storage client can be
// made: no credentials found (no Workload Identity, no
// GOOGLE_APPLICATION_CREDENTIALS), or a key file that cannot be read. A
// setting to fix, not a fault to retry.
var ErrCredentials = errors.New("no usable Cloud Storage credentials")

// ErrPrecondition is returned (wrapped) when a write's precondition failed:
// Create found the object already there, or Swap found another generation.
var ErrPrecondition = errors.New("precondition failed")

// Bucket is a flat key space of small objects: a folder on disk or a GCS
// bucket with a prefix. Keys are slash-separated relative paths.
type Bucket interface {
	// Read returns the object's bytes; ErrNotExist when absent.
	Read(ctx context.Context, key string) ([]byte, error)
	// ReadGen returns the object's bytes and generation. An absent object
	// gives (nil, 0, nil): generation 0 means "does not exist".
	ReadGen(ctx context.Context, key string) (data []byte, gen int64, err error)
	// Create writes an object. Unless overwrite is true the object must not
	// exist yet (ErrPrecondition otherwise). The object appears whole or not
	// at all.
	Create(ctx context.Context, key string, data []byte, overwrite bool) error
	// Swap replaces an object only if its generation is still ifGen (0: the
	// object must not exist); ErrPrecondition otherwise.
	Swap(ctx context.Context, key string, data []byte, ifGen int64) error
	// List returns the keys that start with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Close releases the bucket's resources.
	Close() error
}

// Open opens a bucket from a URL: a local folder path, a file:// URL or
// gs://bucket/prefix (see ParseURL). A local folder is created when
// missing.
func Open(ctx context.Context, rawURL string, opts ...Option) (Bucket, error) {
	loc, err := ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open bucket %q: %w", rawURL, err)
	}
	return OpenLocation(ctx, loc, opts...)
}

// OpenLocation opens the bucket at loc (see Open).
func OpenLocation(ctx context.Context, loc Location, opts ...Option) (Bucket, error) {
	if loc.IsGCS() {
		b, err := OpenGCS(ctx, loc.Bucket, loc.Prefix, newOptions(opts).gcs)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return OpenDir(loc.Dir)
}

// ReadFile reads the file named by a URL: a local path, file:///path or
// gs://bucket/path/name (read through a Bucket on gs://bucket/path).
func ReadFile(ctx context.Context, loc Location, opts ...Option) ([]byte, error) {
	if !loc.IsGCS() {
		return os.ReadFile(loc.Dir)
	}
	dir, name := loc.Split()
	if name == "" {
		return nil, fmt.Errorf("read %q: %w: no object name", loc, ErrBadURL)
	}
	b, err := OpenLocation(ctx, dir, opts...)
	if err != nil {
		return nil, err
	}
	data, err := b.Read(ctx, name)
	if cerr := b.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return data, err
}

// Option configures Open.
type Option func(*options)

type options struct{ gcs GCSOptions }

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithGCSOptions sets the options used when the URL is gs://.
func WithGCSOptions(g GCSOptions) Option { return func(o *options) { o.gcs = g } }

// CheckKey reports whether key is a valid object key: a clean relative
// slash path without empty, "." or ".." elements and no element starting
// with "." (the local driver keeps its own files under such names).
func CheckKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || path.Clean(key) != key {
		return fmt.Errorf("invalid key %q", key)
	}
	for _, el := range strings.Split(key, "/") {
		if el == "" || strings.HasPrefix(el, ".") || strings.ContainsAny(el, "\\\x00") {
			return fmt.Errorf("invalid key %q", key)
		}
	}
	return nil
}
