package loaders

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// withPrefetchRows sets config.prefetchRows: Parquet files of more rows
// decode a batch ahead in a goroutine (a test-only option).
func withPrefetchRows(n int) Option { return func(c *config) { c.prefetchRows = n } }

// withParquetBatch sets config.parquetBatch: the Parquet rows decoded at a
// time (a test-only option).
func withParquetBatch(n int) Option { return func(c *config) { c.parquetBatch = n } }

// TestParquetPrefetch loads Parquet files with batches decoded one ahead in
// a goroutine (prefetch, forced on for every file) and without it, in
// batches of the default size and of one row, and wants the same snapshot,
// findings and errors: on a good file of many row groups
// and batches, a file with bad rows, a truncated file and the fuzz crasher
// that once killed the process.
func TestParquetPrefetch(t *testing.T) {
	many := [][]string{modelRows[0]}
	for i := 0; i < 600; i++ {
		status := ""
		if i%7 == 0 {
			status = "paused" // not an enum value: a DQ finding on that row
		}
		many = append(many, []string{fmt.Sprintf("m%05d", i), "xa-1", "one_plus_one", "2024-03-08", status})
	}
	good := parquetFile(t, many)
	crasher, err := os.ReadFile("testdata/fuzz/FuzzParquet/9bcc4dfccc38e134")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"good":      good,
		"truncated": good[:len(good)/2],
		"crasher":   fuzzCorpusBytes(t, crasher),
	}
	load := func(t *testing.T, data []byte, rows, batch int) (string, error) {
		t.Helper()
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		snap, err := LoadFS(context.Background(), fstest.MapFS{
			"snapshot.yaml": {Data: []byte(manifest("units: u.csv\nmodels: m.parquet"))},
			"u.csv":         {Data: []byte(unitsCSV)},
			"m.parquet":     {Data: data},
		}, withPrefetchRows(rows), withParquetBatch(batch), WithAllocator(mem), WithMaxBadRows(Limit{Share: 1, IsShare: true}))
		if err != nil {
			return "", err
		}
		defer snap.Release()
		return fmt.Sprint(snap.Records[snapshot.Models], snap.Stats, snap.Findings), nil
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			want, wantErr := load(t, data, 1<<62, defaultParquetBatch)
			for _, batch := range []int{defaultParquetBatch, 1} {
				got, gotErr := load(t, data, 0, batch)
				if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
					t.Fatalf("error with prefetch in batches of %d %v, without %v", batch, gotErr, wantErr)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("snapshot with prefetch in batches of %d differs (-without +with):\n%s", batch, diff)
				}
			}
			var fe *FatalError
			switch name {
			case "good":
				if wantErr != nil {
					t.Fatalf("good file: %v", wantErr)
				}
			default:
				if !errors.As(wantErr, &fe) {
					t.Errorf("%s: want a fatal data-quality error, got %v", name, wantErr)
				}
			}
		})
	}
}

// TestParquetPrefetchCancel stops a prefetching load with its context: no
// goroutine is left holding a batch (the checked allocator sees every
// buffer released).
func TestParquetPrefetchCancel(t *testing.T) {
	many := [][]string{modelRows[0]}
	for i := 0; i < 400; i++ {
		many = append(many, []string{fmt.Sprintf("m%05d", i), "xa-1", "one_plus_one", "2024-03-08", ""})
	}
	ctx, cancel := context.WithCancel(context.Background())
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	n := 0
	_, err := LoadFS(ctx, fstest.MapFS{
		"snapshot.yaml": {Data: []byte(manifest("units: u.csv\nmodels: m.parquet"))},
		"u.csv":         {Data: []byte(unitsCSV)},
		"m.parquet":     {Data: parquetFile(t, many)},
	}, withPrefetchRows(0), WithAllocator(mem), WithProgress(func(tb snapshot.Table, _ int) {
		if tb == snapshot.Models {
			if n++; n == 3 {
				cancel()
			}
		}
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

// fuzzCorpusBytes decodes a one-value []byte file of the fuzz corpus
// ("go test fuzz v1" then []byte("...")).
func fuzzCorpusBytes(t *testing.T, file []byte) []byte {
	t.Helper()
	s := strings.TrimSpace(strings.TrimPrefix(string(file), "go test fuzz v1\n"))
	s, ok := strings.CutPrefix(s, "[]byte(")
	s, ok2 := strings.CutSuffix(s, ")")
	if !ok || !ok2 {
		t.Fatalf("not a []byte corpus entry: %.40q", file)
	}
	v, err := strconv.Unquote(s)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(v)
}
