package loaders

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
)

// Default limits.
const (
	// DefaultMaxDecompressed is the most bytes read from one table file
	// after decompression (and the most of a whole file held in memory)
	// when WithMaxDecompressed does not set a cap: 4 GiB. Below it the
	// default cap of a file follows its stored size (DefaultMaxExpansion).
	DefaultMaxDecompressed int64 = 4 << 30
	// DefaultMaxExpansion is how many times its stored size a file may grow
	// once decompressed (gzip; the parts of an XLSX) under the default cap:
	// real exports grow 3-20x, a file of zeros or a crafted archive 1000x
	// and more. The cap of a file is DefaultMaxExpansion times its stored
	// size, at least MinDecompressed and at most DefaultMaxDecompressed.
	DefaultMaxExpansion = 100
	// MinDecompressed is the least the default cap allows a file: 64 MiB.
	MinDecompressed int64 = 64 << 20
	// DefaultMaxLineBytes caps one physical line of a CSV/TSV/NDJSON file and
	// one XLSX cell: 1 MiB.
	DefaultMaxLineBytes = 1 << 20
	// DefaultMaxManifestBytes caps snapshot.yaml: 1 MiB.
	DefaultMaxManifestBytes = 1 << 20
)

// Limit is the --max-bad-rows threshold: either a share of a table's rows
// (ParseLimit("1%")) or a count (ParseLimit("250")).
type Limit struct {
	Share   float64 // 0..1, used when IsShare
	Count   int
	IsShare bool
}

// DefaultLimit returns the default --max-bad-rows limit: 1% of the rows of
// each table.
func DefaultLimit() Limit { return Limit{Share: 0.01, IsShare: true} }

// ParseLimit parses "1%", "0.5%" or "250".
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
			return Limit{}, fmt.Errorf("parse bad-rows limit %q: want a share between 0%% and 100%% or a count", s)
		}
		return Limit{Share: v / 100, IsShare: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return Limit{}, fmt.Errorf("parse bad-rows limit %q: want a share like 1%% or a count like 250", s)
	}
	return Limit{Count: n}, nil
}

// String renders the limit the way ParseLimit reads it, with the fewest
// decimals that give the same limit back ("52.9%", not the
// "52.900000000000006%" of Share*100).
func (l Limit) String() string {
	if !l.IsShare {
		return strconv.Itoa(l.Count)
	}
	pct := l.Share * 100
	for prec := 0; prec <= 17; prec++ {
		s := strconv.FormatFloat(pct, 'f', prec, 64)
		if v, err := strconv.ParseFloat(s, 64); err == nil && v/100 == l.Share {
			return s + "%"
		}
	}
	return strconv.FormatFloat(pct, 'g', -1, 64) + "%"
}

// Exceeded reports whether excluded of rows is over the limit.
func (l Limit) Exceeded(excluded, rows int) bool {
	if excluded == 0 {
		return false
	}
	if l.IsShare {
		return float64(excluded) > l.Share*float64(rows)
	}
	return excluded > l.Count
}

type config struct {
	mem             memory.Allocator
	membersMem      memory.Allocator // the members record's; mem when nil
	maxBad          Limit
	maxDecompressed int64 // set by WithMaxDecompressed; 0: the default, by stored size
	maxLine         int
	progress        func(snapshot.Table, int)
	now             func() time.Time // the run's clock (asOf may not be after its next day)
	gcs             storage.GCSOptions
	readers         int // files read at a time; runtime.GOMAXPROCS(0) when 0 (tests set it)

	// Tuning: fixed in a run, set by the tests (through options of their
	// own) to reach every path with small files.
	aheadRows    int // rows of a CSV/TSV file read before the rest is split ahead (ahead.go)
	prefetchRows int // Parquet files of more rows decode a batch ahead (parquet.go)
	parquetBatch int // Parquet rows decoded at a time
	chunkBuffer  int // bytes of the buffer a local Parquet file's column chunks are read through (0: whole chunks)
}

func newConfig(opts []Option) config {
	c := config{mem: memory.DefaultAllocator, maxBad: DefaultLimit(), maxLine: DefaultMaxLineBytes, now: time.Now,
		aheadRows: defaultAheadRows, prefetchRows: defaultPrefetchRows, parquetBatch: defaultParquetBatch,
		chunkBuffer: defaultChunkBuffer}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Option configures Load and LoadFS.
type Option func(*config)

// WithAllocator sets the Arrow allocator of the records (default
// memory.DefaultAllocator).
func WithAllocator(mem memory.Allocator) Option { return func(c *config) { c.mem = mem } }

// WithMembersAllocator sets the Arrow allocator of the members table's
// record alone (default: WithAllocator's), for example an
// offheap.Allocator: the members are most of a snapshot's bytes. The
// members file itself is decoded with the other allocator, and once Load
// returns nothing of the loader refers to the record's buffers, so they
// may be given back the moment the record is released.
func WithMembersAllocator(mem memory.Allocator) Option { return func(c *config) { c.membersMem = mem } }

// tableMem is the allocator of table t's record.
func (c *config) tableMem(t snapshot.Table) memory.Allocator {
	if t == snapshot.Members && c.membersMem != nil {
		return c.membersMem
	}
	return c.mem
}

// WithMaxBadRows sets the --max-bad-rows limit (default 1%).
func WithMaxBadRows(l Limit) Option { return func(c *config) { c.maxBad = l } }

// decompressedLimit returns the cap of a file of stored bytes (0 or less:
// unknown): the one WithMaxDecompressed set, or else DefaultMaxExpansion
// times stored, between MinDecompressed and DefaultMaxDecompressed.
func (c config) decompressedLimit(stored int64) int64 {
	if c.maxDecompressed > 0 {
		return c.maxDecompressed
	}
	if stored <= 0 || stored > DefaultMaxDecompressed/DefaultMaxExpansion {
		return DefaultMaxDecompressed
	}
	return max(MinDecompressed, stored*DefaultMaxExpansion)
}

// WithMaxDecompressed caps the bytes read from every table file after
// decompression, whatever its stored size; reaching it is DQ001. Values <=
// 0 keep the default (DefaultMaxExpansion times the file's stored size,
// between MinDecompressed and DefaultMaxDecompressed).
func WithMaxDecompressed(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxDecompressed = n
		}
	}
}

// WithGCSOptions sets the options of the Cloud Storage client of a gs://
// snapshot (Load only; the zero value, the default, is production's).
func WithGCSOptions(o storage.GCSOptions) Option {
	return func(c *config) { c.gcs = o }
}

// WithClock sets the clock a snapshot's asOf is checked against (default
// time.Now): an asOf after the clock's next day (UTC) is DQ001.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithMaxLineBytes caps one physical line (CSV/TSV/NDJSON) or one cell
// (XLSX); reaching it is DQ001. Values <= 0 keep the default.
func WithMaxLineBytes(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxLine = n
		}
	}
}

// WithProgress calls fn with the number of data rows of a table read so far
// (at least once per table, when it is read, and every 65,536 rows). Tables
// are read concurrently, so fn is called from several goroutines and the
// calls of different tables interleave; LoadFS serialises them: two calls of
// fn never overlap, and fn need not be safe for concurrent use.
func WithProgress(fn func(table snapshot.Table, rows int)) Option {
	return func(c *config) { c.progress = fn }
}
