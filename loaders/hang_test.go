package loaders

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"

	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

// TestGCSSnapshotRequestTimeout: a gs:// snapshot on an endpoint that
// accepts connections and never answers ends the load with a transient
// error (not DQ001) once the requests have waited as long as the HTTP
// options given by WithGCSOptions allow, well before the watchdog context
// (without a request timeout the load would wait as long as its context).
func TestGCSSnapshotRequestTimeout(t *testing.T) {
	addr := storagetest.SilentServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a watchdog, not a measure
	defer cancel()
	_, err := Load(ctx, "gs://exports/thai-binh", WithGCSOptions(storage.GCSOptions{
		ClientOptions:  []option.ClientOption{option.WithEndpoint("http://" + addr + "/storage/v1/"), option.WithoutAuthentication()},
		Backoff:        gax.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond},
		MaxAttempts:    2,
		RequestTimeout: 20 * time.Millisecond,
	}))
	var fe *FatalError
	if err == nil || errors.As(err, &fe) || ctx.Err() != nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Errorf("err = %v, want a transient error from the request timeout, before the watchdog", err)
	}
}
