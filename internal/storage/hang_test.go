package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"

	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

// TestGCSRequestTimeout: against an endpoint that accepts connections and
// never answers, every call of the GCS driver ends with an error once each
// of its attempts has waited RequestTimeout, well before the watchdog
// context (without the timeout a call waits as long as its context).
func TestGCSRequestTimeout(t *testing.T) {
	addr := storagetest.SilentServer(t)
	b, err := storage.OpenGCS(context.Background(), "reports", "p", storage.GCSOptions{
		ClientOptions:  []option.ClientOption{option.WithEndpoint("http://" + addr + "/storage/v1/"), option.WithoutAuthentication()},
		Backoff:        gax.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond},
		MaxAttempts:    2,
		RequestTimeout: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for name, call := range map[string]func(ctx context.Context) error{
		"read":   func(ctx context.Context) error { _, err := b.Read(ctx, "latest.json"); return err },
		"create": func(ctx context.Context) error { return b.Create(ctx, "a.json", []byte("{}"), false) },
		"swap":   func(ctx context.Context) error { return b.Swap(ctx, "latest.json", []byte("{}"), 0) },
		"list":   func(ctx context.Context) error { _, err := b.List(ctx, "runs/"); return err },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a watchdog, not a measure
			defer cancel()
			err := call(ctx)
			if err == nil || ctx.Err() != nil ||
				!strings.Contains(err.Error(), "timeout awaiting response headers") {
				t.Errorf("err = %v, want the request timeout before the context's deadline", err)
			}
		})
	}
}
