package storage

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	gcs "cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"
)

// GCSOptions tunes the Cloud Storage client of a Bucket (OpenGCS) and of a
// read-only file system (OpenFS). The zero value is the production setting.
type GCSOptions struct {
	// ClientOptions are passed to storage.NewClient (tests set an endpoint
	// and option.WithoutAuthentication here). STORAGE_EMULATOR_HOST is
	// honoured by the client itself.
	ClientOptions []option.ClientOption
	// Backoff bounds the retry waits; zero fields take DefaultRetry's.
	Backoff gax.Backoff
	// MaxAttempts is the number of tries of one call (first try included);
	// 0 means DefaultRetry's.
	MaxAttempts int
	// RequestTimeout is how long one request may wait for its answer to
	// begin (the response headers; the body then flows without limit): a
	// request past it fails and is retried like a reset connection, so an
	// endpoint that accepts connections and never answers ends the call
	// after MaxAttempts. 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// DefaultRequestTimeout is how long a request to Cloud Storage waits for
// its answer to begin unless GCSOptions says otherwise.
const DefaultRequestTimeout = time.Minute

// Retry is how a Cloud Storage call retries transient failures (408, 429,
// 5xx, connection resets, EOF, a request past its RequestTimeout): at most
// MaxAttempts tries, waiting as Backoff says between them. Reports, the
// snapshot, policies, params and waivers all use the one Retry their
// GCSOptions resolve to (DefaultRetry in production): reads and lists
// through the client's retry under storage.RetryAlways, writes through the
// Bucket's own loop (see GCS).
type Retry struct {
	Backoff     gax.Backoff
	MaxAttempts int
}

// DefaultRetry is the production retry: 6 attempts, 200 ms doubling up to
// 10 s between them (about 6 s of waiting in all). Without a bound the
// client would retry a failing read until the context ends, which for a run
// without --timeout is never: a bucket that keeps failing must end the run
// (exit code 1) for the CronJob to retry later.
func DefaultRetry() Retry {
	return Retry{Backoff: gax.Backoff{Initial: 200 * time.Millisecond, Max: 10 * time.Second, Multiplier: 2}, MaxAttempts: 6}
}

// Retry returns the retry o resolves to: its fields, DefaultRetry's where
// they are zero.
func (o GCSOptions) Retry() Retry {
	r := DefaultRetry()
	if o.Backoff.Initial != 0 {
		r.Backoff.Initial = o.Backoff.Initial
	}
	if o.Backoff.Max != 0 {
		r.Backoff.Max = o.Backoff.Max
	}
	if o.Backoff.Multiplier != 0 {
		r.Backoff.Multiplier = o.Backoff.Multiplier
	}
	if o.MaxAttempts > 0 {
		r.MaxAttempts = o.MaxAttempts
	}
	return r
}

// newClient is the program's one Cloud Storage client configuration: JSON
// reads (they return the generation with the data in one request, go
// through the same endpoint as every other call, and work the same on the
// emulators, so the tested path is the production path), the HTTP client
// of httpClient, and o's Retry for every call. A client that cannot be made
// (no credentials, an unreadable key file) is ErrCredentials.
func newClient(ctx context.Context, o GCSOptions) (*gcs.Client, Retry, error) {
	timeout := o.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	hc, err := httpClient(ctx, timeout, o.ClientOptions...)
	if err != nil {
		return nil, Retry{}, fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	copts := append([]option.ClientOption{gcs.WithJSONReads()}, o.ClientOptions...)
	copts = append(copts, option.WithHTTPClient(hc))
	c, err := gcs.NewClient(ctx, copts...)
	if err != nil {
		return nil, Retry{}, fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	r := o.Retry()
	c.SetRetry(gcs.WithPolicy(gcs.RetryAlways), gcs.WithBackoff(r.Backoff), gcs.WithMaxAttempts(r.MaxAttempts))
	return c, r, nil
}

// httpClient returns an HTTP client for Cloud Storage: the client
// library's authenticated transport (honouring opts and, as the library
// does, STORAGE_EMULATOR_HOST) over a copy of http.DefaultTransport whose
// requests wait at most timeout for their response headers.
func httpClient(ctx context.Context, timeout time.Duration, opts ...option.ClientOption) (*http.Client, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = timeout
	base.MaxIdleConnsPerHost = 100
	topts := append([]option.ClientOption{option.WithScopes(gcs.ScopeFullControl)}, opts...)
	if os.Getenv("STORAGE_EMULATOR_HOST") != "" {
		topts = append(topts, option.WithoutAuthentication())
	}
	t, err := htransport.NewTransport(ctx, base, topts...)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t}, nil
}

// GCS is a Bucket on gs://bucket/prefix through cloud.google.com/go/storage.
//
// Every call retries transient failures (408, 429, 5xx, resets, EOFs):
// reads and lists through the client's retry under storage.RetryAlways,
// writes through the driver's own bounded loop (see write). Retrying writes
// is safe because each is made idempotent by a precondition (does-not-exist,
// or a generation match) or rewrites the same object on purpose (Create with
// overwrite, the same run id retried). When a retried conditional write gets
// 412 because an earlier attempt did land and only its answer was lost, the
// driver recognises its own write by a random id in the object's metadata
// and reports success.
type GCS struct {
	client *gcs.Client
	retry  Retry
	bucket *gcs.BucketHandle
	name   string
	prefix string // "" or ends with "/"
}

// OpenGCS opens gs://bucket/prefix.
func OpenGCS(ctx context.Context, bucket, prefix string, o GCSOptions) (*GCS, error) {
	c, r, err := newClient(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("open bucket %q: %w", "gs://"+bucket, err)
	}
	p := strings.Trim(prefix, "/")
	if p != "" {
		p += "/"
	}
	return &GCS{client: c, retry: r, bucket: c.Bucket(bucket), name: bucket, prefix: p}, nil
}

// Retry returns the retry of every call of g.
func (g *GCS) Retry() Retry { return g.retry }

func (g *GCS) obj(key string) (*gcs.ObjectHandle, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	return g.bucket.Object(g.prefix + key), nil
}

// Read implements Bucket.
func (g *GCS) Read(ctx context.Context, key string) ([]byte, error) {
	b, gen, err := g.ReadGen(ctx, key)
	if err != nil {
		return nil, err
	}
	if gen == 0 {
		return nil, fmt.Errorf("read %q: %w", key, ErrNotExist)
	}
	return b, nil
}

// ReadGen implements Bucket.
func (g *GCS) ReadGen(ctx context.Context, key string) ([]byte, int64, error) {
	o, err := g.obj(key)
	if err != nil {
		return nil, 0, fmt.Errorf("read %q: %w", key, err)
	}
	r, err := o.NewReader(ctx)
	if errors.Is(err, gcs.ErrObjectNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read %q: %w", key, err)
	}
	b, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read %q: %w", key, err)
	}
	return b, r.Attrs.Generation, nil
}

// Create implements Bucket.
func (g *GCS) Create(ctx context.Context, key string, data []byte, overwrite bool) error {
	return g.CreateFrom(ctx, key, writeBytes(data), overwrite)
}

// CreateFrom is Create with the object's bytes written by write instead
// of held whole: the upload streams them as write makes them. write's
// error is CreateFrom's and aborts the upload (no object). Each attempt
// of a retried write calls write again, from the start.
func (g *GCS) CreateFrom(ctx context.Context, key string, write func(io.Writer) error, overwrite bool) error {
	o, err := g.obj(key)
	if err != nil {
		return fmt.Errorf("create %q: %w", key, err)
	}
	var cond *gcs.Conditions
	if !overwrite {
		cond = &gcs.Conditions{DoesNotExist: true}
	}
	if err := g.write(ctx, o, cond, key, write); err != nil {
		if isPrecondition(err) {
			return fmt.Errorf("create %q: %w", key, ErrPrecondition)
		}
		return fmt.Errorf("create %q: %w", key, err)
	}
	return nil
}

// Swap implements Bucket.
func (g *GCS) Swap(ctx context.Context, key string, data []byte, ifGen int64) error {
	o, err := g.obj(key)
	if err != nil {
		return fmt.Errorf("swap %q: %w", key, err)
	}
	cond := &gcs.Conditions{DoesNotExist: true}
	if ifGen != 0 {
		cond = &gcs.Conditions{GenerationMatch: ifGen}
	}
	if err := g.write(ctx, o, cond, key, writeBytes(data)); err != nil {
		if isPrecondition(err) {
			return fmt.Errorf("swap %q: %w", key, ErrPrecondition)
		}
		return fmt.Errorf("swap %q: %w", key, err)
	}
	return nil
}

// holds reports whether the object now carries the write id token: an
// earlier attempt of this very call landed and only its answer was lost.
func (g *GCS) holds(ctx context.Context, o *gcs.ObjectHandle, token string) bool {
	a, err := o.Attrs(ctx)
	return err == nil && a.Metadata[writeIDKey] == token
}

const writeIDKey = "vungmanh-write-id"

// write uploads the bytes write makes in one request per attempt. The client's own retry of
// single-request uploads is bounded only by the context, so the driver
// retries writes itself: up to MaxAttempts tries, on the errors
// storage.ShouldRetry accepts, with the configured backoff. Each logical
// write carries a random id in its metadata so that a 412 after a lost
// answer can be told from a real conflict (see holds).
func (g *GCS) write(ctx context.Context, o *gcs.ObjectHandle, cond *gcs.Conditions, key string, write func(io.Writer) error) error {
	w := o
	if cond != nil {
		w = o.If(*cond)
	}
	token := rand.Text()
	bo := g.retry.Backoff // a copy: gax.Backoff keeps state
	var err error
	for attempt := 1; ; attempt++ {
		err = g.writeOnce(ctx, w, key, write, token)
		if err == nil {
			return nil
		}
		if isPrecondition(err) {
			if attempt > 1 && g.holds(ctx, o, token) {
				return nil
			}
			return err
		}
		if isNotFound(err) {
			// Writing an object can only be "not found" for its bucket.
			return fmt.Errorf("write %q: gs://%s: %w (%v)", key, g.name, ErrNoBucket, err)
		}
		if attempt >= g.retry.MaxAttempts || !gcs.ShouldRetry(err) {
			return err
		}
		t := time.NewTimer(bo.Pause())
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

func (g *GCS) writeOnce(ctx context.Context, o *gcs.ObjectHandle, key string, write func(io.Writer) error, token string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // aborts the upload when Write fails
	w := o.NewWriter(ctx)
	w.ChunkSize = 0 // one request, no internal retry: write retries
	w.ContentType = contentType(key)
	w.Metadata = map[string]string{writeIDKey: token}
	if err := write(w); err != nil {
		cancel() // before Close: the object is not made
		_ = w.Close()
		return err
	}
	return w.Close()
}

// List implements Bucket.
func (g *GCS) List(ctx context.Context, prefix string) ([]string, error) {
	it := g.bucket.Objects(ctx, &gcs.Query{Prefix: g.prefix + prefix})
	var keys []string
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", prefix, err)
		}
		keys = append(keys, strings.TrimPrefix(a.Name, g.prefix))
	}
	sort.Strings(keys)
	return keys, nil
}

// Close implements Bucket.
func (g *GCS) Close() error { return g.client.Close() }

// String returns the bucket's URL.
func (g *GCS) String() string { return "gs://" + g.name + "/" + g.prefix }

func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.Is(err, gcs.ErrBucketNotExist) || errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

func isPrecondition(err error) bool {
	var e *googleapi.Error
	return errors.As(err, &e) && e.Code == http.StatusPreconditionFailed
}

func contentType(key string) string {
	switch path.Ext(key) {
	case ".json":
		return "application/json"
	case ".html":
		return "text/html; charset=utf-8"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".parquet":
		return "application/vnd.apache.parquet"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Dirs returns the names of the "folders" right below prefix (a prefix
// ending in "/", or ""), sorted: one listing with a "/" delimiter, which
// does not enumerate the objects below them.
func (g *GCS) Dirs(ctx context.Context, prefix string) ([]string, error) {
	it := g.bucket.Objects(ctx, &gcs.Query{Prefix: g.prefix + prefix, Delimiter: "/"})
	var out []string
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", prefix, err)
		}
		if a.Prefix != "" {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(a.Prefix, g.prefix+prefix), "/"))
		}
	}
	sort.Strings(out)
	return out, nil
}
