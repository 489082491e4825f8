package loaders

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// A Cloud Storage read that fails while a Parquet file is decoded (the
// reader's reads by offset: the footer, then the column chunks, also from
// the prefetch goroutine) is a transient error naming the file, which the
// job retries (exit code 1), not a DQ001 "broken file" finding (exit code
// 3, no retry). The file itself is sound: the same load without the failure
// succeeds.
func TestParquetGCSFailureWhileDecoding(t *testing.T) {
	rows := [][]string{modelRows[0]}
	for i := 0; i < 200; i++ {
		rows = append(rows, []string{fmt.Sprintf("m%05d", i), "xa-1", "one_plus_one", "2024-03-08", ""})
	}
	content := parquetFile(t, rows)
	objects := []fakestorage.Object{
		{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/snapshot.yaml"}, Content: []byte(manifest("units: units.csv\nmodels: models.parquet"))},
		{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/units.csv"}, Content: []byte(unitsCSV)},
		{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/models.parquet"}, Content: content},
	}
	var mu sync.Mutex
	allowed, reads := -1, 0 // reads by offset of models.parquet allowed (-1: all), made
	gcsFront(t, objects, func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		rng := r.Header.Get("Range")
		if r.URL.Query().Get("alt") != "media" || !strings.HasSuffix(r.URL.Path, "models.parquet") ||
			rng == "" || strings.HasPrefix(rng, "bytes=0-") {
			return false
		}
		mu.Lock()
		reads++
		fail := allowed >= 0 && reads > allowed
		mu.Unlock()
		if fail { // the object went away, or the storage is down
			http.Error(w, "unavailable", http.StatusNotFound)
		}
		return fail
	})

	for _, prefetch := range []int{defaultPrefetchRows, 0} {
		mu.Lock()
		allowed, reads = -1, 0
		mu.Unlock()
		snap, err := Load(context.Background(), "gs://exports/tb", withPrefetchRows(prefetch), WithAllocator(checked(t)))
		if err != nil {
			t.Fatalf("prefetch %d, no failure: %v", prefetch, err)
		}
		snap.Release()
		mu.Lock()
		total := reads
		mu.Unlock()
		if total < 2 {
			t.Fatalf("prefetch %d: %d reads by offset, want the footer and the column chunks", prefetch, total)
		}
		// Fail the footer read, then the first column chunk, then the last read.
		for _, ok := range []int{0, 1, total - 1} {
			mu.Lock()
			allowed, reads = ok, 0
			mu.Unlock()
			_, err := Load(context.Background(), "gs://exports/tb", withPrefetchRows(prefetch), WithAllocator(checked(t)))
			var fe *FatalError
			if err == nil || errors.As(err, &fe) || !strings.Contains(err.Error(), "read models.parquet") {
				t.Errorf("prefetch %d, reads allowed %d of %d: err = %v, want the storage error of models.parquet", prefetch, ok, total, err)
			}
		}
	}
}
