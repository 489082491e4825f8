package storagetest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// Fault is what the proxy does to one request.
type Fault int

// The faults.
const (
	FaultNone         Fault = iota
	Fault503                // answer 503 without forwarding
	FaultReset              // reset the connection without forwarding
	FaultHang               // hold the request, then close the connection unanswered (a timeout)
	FaultLostResponse       // forward the request, then reset instead of answering
)

func (f Fault) String() string {
	return [...]string{"none", "503", "reset", "hang", "lost-response"}[f]
}

// Faults returns every fault but FaultNone, a new slice at each call.
func Faults() []Fault { return []Fault{Fault503, FaultReset, FaultHang, FaultLostResponse} }

// Plan decides the fault of the i-th request (0-based) since the last SetPlan.
type Plan func(i int, r *http.Request) Fault

// FailAt fails request n with f; with persistent, every request from n on.
func FailAt(n int, f Fault, persistent bool) Plan {
	return func(i int, _ *http.Request) Fault {
		if i == n || (persistent && i > n) {
			return f
		}
		return FaultNone
	}
}

// Proxy is a reverse proxy that injects faults.
type Proxy struct {
	URL  string
	Hold time.Duration // how long FaultHang holds a request (default 20ms)

	mu       sync.Mutex
	n        int
	plan     Plan
	requests []string
	served   []Served
	next     http.RoundTripper
}

// Served is one request the proxy forwarded and answered: its object
// path, its Range header ("" for none) and the bytes of the answer's body.
type Served struct {
	Method, Path, Range string
	Bytes               int64
}

// Served returns the requests forwarded and answered since the last
// SetPlan, in the order their answers ended.
func (p *Proxy) Served() []Served {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Served(nil), p.served...)
}

// SetPlan installs plan (nil: no faults) and restarts the request count.
func (p *Proxy) SetPlan(plan Plan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan, p.n, p.requests, p.served = plan, 0, nil, nil
}

// Requests returns "METHOD path" of every request since the last SetPlan.
func (p *Proxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	i := p.n
	p.n++
	p.requests = append(p.requests, r.Method+" "+r.URL.Path)
	f := FaultNone
	if p.plan != nil {
		f = p.plan(i, r)
	}
	hold := p.Hold
	p.mu.Unlock()
	if hold == 0 {
		hold = 20 * time.Millisecond
	}
	switch f {
	case Fault503:
		http.Error(w, "injected fault", http.StatusServiceUnavailable)
		return
	case FaultReset:
		reset(w)
		return
	case FaultHang:
		select {
		case <-time.After(hold):
		case <-r.Context().Done():
		}
		reset(w)
		return
	case FaultLostResponse:
		rec := httptest.NewRecorder()
		p.forward(rec, r)
		reset(w)
		return
	}
	cw := &countingWriter{ResponseWriter: w}
	p.forward(cw, r)
	p.mu.Lock()
	p.served = append(p.served, Served{Method: r.Method, Path: r.URL.Path, Range: r.Header.Get("Range"), Bytes: cw.n})
	p.mu.Unlock()
}

// countingWriter counts the body bytes written through it.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

// Flush lets the reverse proxy flush through the counter.
func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "fake-gcs" },
		Transport: p.next,
	}
	rp.ServeHTTP(w, r)
}

func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("storagetest: response writer cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST instead of FIN
	}
	_ = conn.Close()
}

// Server is fake-gcs-server behind a Proxy.
type Server struct {
	Fake   *fakestorage.Server
	Proxy  *Proxy
	Bucket string
	http   *httptest.Server
}

// NewServer starts fake-gcs-server with one bucket and the proxy in front;
// both stop when the test ends.
func NewServer(t testing.TB, bucket string) *Server {
	t.Helper()
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true})
	if err != nil {
		t.Fatalf("start fake-gcs-server: %v", err)
	}
	fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket, VersioningEnabled: false})
	p := &Proxy{next: fake.HTTPClient().Transport}
	hs := httptest.NewServer(p)
	p.URL = hs.URL
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		fake.Stop()
	})
	return &Server{Fake: fake, Proxy: p, Bucket: bucket, http: hs}
}

// ClientOptions point a storage client at the proxy without credentials.
func (s *Server) ClientOptions() []option.ClientOption {
	u, _ := url.Parse(s.Proxy.URL)
	u.Path = "/storage/v1/"
	return []option.ClientOption{option.WithEndpoint(u.String()), option.WithoutAuthentication()}
}

// GCSOptions are quick-retry options for tests: 1ms-5ms backoff, attempts tries.
func (s *Server) GCSOptions(attempts int) storage.GCSOptions {
	return storage.GCSOptions{
		ClientOptions: s.ClientOptions(),
		Backoff:       gax.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond, Multiplier: 2},
		MaxAttempts:   attempts,
	}
}

// Open opens gs://<bucket>/<prefix> through the proxy with 4 attempts per call.
func (s *Server) Open(t testing.TB, prefix string) *storage.GCS {
	t.Helper()
	b, err := storage.OpenGCS(context.Background(), s.Bucket, prefix, s.GCSOptions(4))
	if err != nil {
		t.Fatalf("open gcs: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// URL returns gs://bucket/prefix.
func (s *Server) URL(prefix string) string { return fmt.Sprintf("gs://%s/%s", s.Bucket, prefix) }

// SilentServer accepts connections on loopback and never answers: a
// storage endpoint that hangs (the request timeouts' tests). It returns its
// address; the listener and the connections close with the test.
func SilentServer(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read or answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}
