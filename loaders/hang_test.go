package loaders

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

// TestGCSSnapshotRequestTimeout: a gs:// snapshot on an endpoint that
// accepts connections and never answers ends the load with a transient
// error (not DQ001) once the requests have waited as long as the HTTP
// client given by WithGCSClientOptions allows, well before the watchdog
// context (without it the load waits as long as its context).
func TestGCSSnapshotRequestTimeout(t *testing.T) {
	addr := storagetest.SilentServer(t)
	hc := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 20 * time.Millisecond}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a watchdog, not a measure
	defer cancel()
	_, err := Load(ctx, "gs://exports/thai-binh", WithGCSClientOptions(
		option.WithEndpoint("http://"+addr+"/storage/v1/"), option.WithoutAuthentication(), option.WithHTTPClient(hc)))
	var fe *FatalError
	if err == nil || errors.As(err, &fe) || ctx.Err() != nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Errorf("err = %v, want a transient error from the request timeout, before the watchdog", err)
	}
}
