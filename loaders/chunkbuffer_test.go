package loaders

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// withChunkBuffer sets config.chunkBuffer: the bytes of the buffer Parquet
// column chunks are read through (0: whole chunks).
func withChunkBuffer(n int) Option { return func(c *config) { c.chunkBuffer = n } }

// TestParquetChunkBufferSameAsWholeChunks loads Parquet files with their
// column chunks read whole (what Cloud Storage files still do) and through
// buffers of several sizes (the default, and buffers smaller than a page
// header or a page, which the page reader grows): records, findings, stats
// and errors must be the same. The files are dictionary and plain encoded,
// with pages of a few values, version 2 pages, nulls, Snappy pages and
// several row groups; and 400 corrupt copies of them (bytes changed as
// TestParquetMutations changes them), whose DQ001 findings must not change
// either.
func TestParquetChunkBufferSameAsWholeChunks(t *testing.T) {
	bases := mutationBases(t)
	names := slices.Sorted(maps.Keys(bases))
	man := []byte(manifest("units: u.csv\nmodels: m.parquet"))
	outcomeWith := func(data []byte, chunkBuffer int) string {
		fsys := fstest.MapFS{"snapshot.yaml": {Data: man}, "m.parquet": {Data: data}, "u.csv": {Data: []byte(unitsCSV)}}
		snap, err := LoadFS(context.Background(), fsys, WithAllocator(memory.NewGoAllocator()), WithMaxBadRows(Limit{Share: 1, IsShare: true}),
			withChunkBuffer(chunkBuffer), withParquetBatch(16))
		defer func() {
			if snap != nil {
				snap.Release()
			}
		}()
		return outcome(snap, err)
	}
	check := func(t *testing.T, data []byte) {
		t.Helper()
		whole := outcomeWith(data, 0)
		for _, n := range []int{defaultChunkBuffer, 64, 1} {
			if got := outcomeWith(data, n); got != whole {
				t.Fatalf("through a buffer of %d bytes:\n%s\nwhole chunks:\n%s\nthe file: %q", n, got, whole, data)
			}
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) { check(t, bases[name]) })
	}
	// The members file of TestParquetBulkSameAsCells: two rows a row
	// group, Snappy pages, nulls in every column.
	members := membersParquet(t, bulkMembers, nil)
	t.Run("members", func(t *testing.T) {
		fsys := func(n int) string {
			f := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.parquet"), "u.csv": unitsCSV})
			f["m.parquet"] = mapFile(members)
			// load's checked allocator: every page buffer let go
			snap, err := load(t, f, WithMaxBadRows(Limit{Share: 1, IsShare: true}), withChunkBuffer(n))
			return outcome(snap, err)
		}
		whole := fsys(0)
		for _, n := range []int{defaultChunkBuffer, 64, 1} {
			if got := fsys(n); got != whole {
				t.Fatalf("through a buffer of %d bytes:\n%s\nwhole chunks:\n%s", n, got, whole)
			}
		}
	})
	rng := rand.New(rand.NewPCG(2026, 1207))
	for i := range 400 {
		name := names[i%len(names)]
		data := mutateParquet(rng, bases[name])
		if !t.Run(fmt.Sprintf("%s %d", name, i), func(t *testing.T) { check(t, data) }) {
			break
		}
	}
}
