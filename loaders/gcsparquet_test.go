package loaders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v15/parquet"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
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

// A Parquet file on gs:// is decoded from ranged reads (io.ReaderAt over
// NewRangeReader): the footer and the chunks of the columns the table
// uses, not the column the loader ignores, which here is most of the file.
// (The file's digest still reads it once from start to end, in one
// request.)
func TestParquetGCSRangeReads(t *testing.T) {
	rows := [][]string{append(append([]string(nil), modelRows[0]...), "notes")}
	for i := 0; i < 300; i++ {
		rows = append(rows, []string{fmt.Sprintf("m%05d", i), "xa-1", "one_plus_one", "2024-03-08", "", noise(i, 2048)})
	}
	content := parquetFileWith(t, rows, parquet.WithStats(false)) // min and max of the notes would fill the footer
	srv := storagetest.NewServer(t, "exports")
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.Proxy.URL, "http://"))
	for name, data := range map[string][]byte{"snapshot.yaml": []byte(manifest("units: units.csv\nmodels: models.parquet")), "units.csv": []byte(unitsCSV), "models.parquet": content} {
		srv.Fake.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/" + name}, Content: data})
	}
	srv.Proxy.SetPlan(nil)
	snap, err := Load(context.Background(), "gs://exports/tb", WithAllocator(checked(t)))
	if err != nil {
		t.Fatal(err)
	}
	if n := snap.Table(snapshot.Models).NumRows(); n != 300 {
		t.Errorf("%d models, want 300", n)
	}
	snap.Release()
	var ranged, whole int
	var rangedBytes, wholeBytes int64
	for _, s := range srv.Proxy.Served() {
		if !strings.HasSuffix(s.Path, "/models.parquet") || s.Method != http.MethodGet || s.Bytes == 0 {
			continue
		}
		if s.Range == "" || strings.HasPrefix(s.Range, "bytes=0-") {
			whole++
			wholeBytes += s.Bytes
			continue
		}
		ranged++
		rangedBytes += s.Bytes
	}
	t.Logf("models.parquet (%d bytes): %d ranged reads of %d bytes, %d reads from the start of %d bytes", len(content), ranged, rangedBytes, whole, wholeBytes)
	if ranged < 2 || rangedBytes*4 > int64(len(content)) || wholeBytes < int64(len(content)) {
		t.Errorf("models.parquet (%d bytes): %d ranged reads of %d bytes in all, %d reads from the start of %d bytes; want the footer and the used columns' chunks (under a quarter of the file) and the whole file once for the digest",
			len(content), ranged, rangedBytes, whole, wholeBytes)
	}
}

// noise returns n hexadecimal digits that depend on seed: text that does
// not compress.
func noise(seed, n int) string {
	h := sha256.Sum256([]byte(fmt.Sprint(seed)))
	var b strings.Builder
	for b.Len() < n {
		h = sha256.Sum256(h[:])
		b.WriteString(hex.EncodeToString(h[:]))
	}
	return b.String()[:n]
}
