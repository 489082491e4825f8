package loaders

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/vungmanh/vungmanh/internal/offheap"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

const benchRows = 1_000_000

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

// benchSnapshot writes, once per process, a snapshot with 1,011 units and
// 1,000,000 members as members.csv and members.parquet.
func benchSnapshot(b *testing.B) string {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "vungmanh-bench-")
		if benchErr == nil {
			benchErr = writeBenchSnapshot(benchDir)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		_ = os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func writeBenchSnapshot(dir string) error {
	units := "unit_id,parent_id,level,name\ntinh,,province,Tỉnh\n"
	for c := 0; c < 10; c++ {
		units += fmt.Sprintf("xa-%d,tinh,commune,Xã %d\n", c, c)
		for br := 0; br < 100; br++ {
			units += fmt.Sprintf("chi-%d-%d,xa-%d,branch,Chi hội %d\n", c, br, c, br)
		}
	}
	for _, f := range []struct{ name, data string }{
		{"units.csv", units},
		{"csv.yaml", manifest("units: units.csv\nmembers: members.csv")},
		{"parquet.yaml", manifest("units: units.csv\nmembers: members.parquet")},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.data), 0o644); err != nil {
			return err
		}
	}
	groups := []string{"", "worker", "religious", "ethnic_minority", "migrant", "trader"}
	unit := func(i int) string { return fmt.Sprintf("chi-%d-%d", i%10, (i/10)%100) }
	date := func(i int) int32 { return int32(10000 + i%5000) }
	// CSV
	f, err := os.Create(filepath.Join(dir, "members.csv"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "member_id,unit_id,joined_on,honorary,party_member,pioneer,hardship,needs,special_group")
	for i := 0; i < benchRows; i++ {
		needs := ""
		if i%7 == 0 {
			needs = "vay vốn"
		}
		hardship := ""
		if i%3 != 0 {
			hardship = fmt.Sprint(i%2 == 0)
		}
		fmt.Fprintf(w, "m%07d,%s,%s,%d,%d,%d,%s,%s,%s\n", i, unit(i), formatDate(int64(date(i))), i%50/49, i%9/8, i%4/3, hardship, needs, groups[i%len(groups)])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// Parquet, written by pqarrow with typed columns.
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "member_id", Type: arrow.BinaryTypes.String}, {Name: "unit_id", Type: arrow.BinaryTypes.String},
		{Name: "joined_on", Type: arrow.FixedWidthTypes.Date32, Nullable: true}, {Name: "honorary", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "party_member", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}, {Name: "pioneer", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "hardship", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}, {Name: "needs", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "special_group", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	pf, err := os.Create(filepath.Join(dir, "members.parquet"))
	if err != nil {
		return err
	}
	pw, err := pqarrow.NewFileWriter(schema, pf, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(128<<10)), pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for start := 0; start < benchRows; start += 64 << 10 {
		for i := start; i < min(start+64<<10, benchRows); i++ {
			rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("m%07d", i))
			rb.Field(1).(*array.StringBuilder).Append(unit(i))
			rb.Field(2).(*array.Date32Builder).Append(arrow.Date32(date(i)))
			rb.Field(3).(*array.BooleanBuilder).Append(i%50 == 49)
			rb.Field(4).(*array.BooleanBuilder).Append(i%9 == 8)
			rb.Field(5).(*array.BooleanBuilder).Append(i%4 == 3)
			if i%3 != 0 {
				rb.Field(6).(*array.BooleanBuilder).Append(i%2 == 0)
			} else {
				rb.Field(6).AppendNull()
			}
			if i%7 == 0 {
				rb.Field(7).(*array.StringBuilder).Append("vay vốn")
			} else {
				rb.Field(7).AppendNull()
			}
			if g := groups[i%len(groups)]; g != "" {
				rb.Field(8).(*array.StringBuilder).Append(g)
			} else {
				rb.Field(8).AppendNull()
			}
		}
		rec := rb.NewRecord()
		err := pw.WriteBuffered(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	if err := pw.Close(); err != nil {
		return err
	}
	return nil
}

// peakAllocator tracks the bytes Arrow holds and their peak.
type peakAllocator struct {
	memory.Allocator
	cur, peak atomic.Int64
}

func (p *peakAllocator) add(n int64) {
	c := p.cur.Add(n)
	for {
		old := p.peak.Load()
		if c <= old || p.peak.CompareAndSwap(old, c) {
			return
		}
	}
}
func (p *peakAllocator) Allocate(n int) []byte { p.add(int64(n)); return p.Allocator.Allocate(n) }
func (p *peakAllocator) Reallocate(n int, b []byte) []byte {
	p.add(int64(n - len(b)))
	return p.Allocator.Reallocate(n, b)
}
func (p *peakAllocator) Free(b []byte) { p.add(-int64(len(b))); p.Allocator.Free(b) }

// heapSampler records, while it runs, the peak of heap objects (live and
// garbage not yet collected) and the peak of the heap marked live by a GC.
func heapSampler() (stop func() (objects, live int64)) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	var peak, peakLive atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := int64(sample[0].Value.Uint64()); v > peak.Load() {
				peak.Store(v)
			}
			if v := int64(sample[1].Value.Uint64()); v > peakLive.Load() {
				peakLive.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (int64, int64) { close(done); <-finished; return peak.Load(), peakLive.Load() }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchLoad(b *testing.B, manifestName string, offHeap bool) {
	dir := benchSnapshot(b)
	// Serve the chosen manifest as snapshot.yaml.
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		b.Fatal(err)
	}
	sub := b.TempDir()
	for _, name := range []string{"units.csv", "members.csv", "members.parquet"} {
		if err := os.Symlink(filepath.Join(dir, name), filepath.Join(sub, name)); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(sub, "snapshot.yaml"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	// Symbolic links out of the folder are refused by OpenFS; serve the
	// folder through os.DirFS for the benchmark.
	fsys := os.DirFS(sub)
	ctx := context.Background()
	var arrowBytes, peakHeap, peakLive, base, baseLive int64
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		base, baseLive = heapBaseline()
		mem := &peakAllocator{Allocator: memory.NewGoAllocator()}
		opts := []Option{WithAllocator(mem)}
		members := mem
		if offHeap {
			// The members record in mappings, as `run` loads it: arrow-MB
			// counts them, peak-heap-MB not.
			members = &peakAllocator{Allocator: offheap.New()}
			opts = append(opts, WithMembersAllocator(members))
		}
		stop := heapSampler()
		cpu0 := cpuTime()
		b.StartTimer()
		snap, err := LoadFS(ctx, fsys, opts...)
		b.StopTimer()
		cpu += cpuTime() - cpu0
		peakHeap, peakLive = stop()
		peakHeap -= base
		peakLive -= baseLive
		if err != nil {
			b.Fatal(err)
		}
		if n := snap.Table(snapshot.Members).NumRows(); n != benchRows {
			b.Fatalf("rows = %d", n)
		}
		arrowBytes = mem.cur.Load()
		if members != mem {
			arrowBytes += members.cur.Load()
		}
		snap.Release()
		b.StartTimer()
	}
	b.StopTimer()
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(benchRows)/sec, "rows/s")
	// The machine may be shared: rows per second of CPU time used by the
	// process (all threads, GC included) is the per-core figure.
	b.ReportMetric(float64(benchRows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	b.ReportMetric(float64(arrowBytes)/(1<<20), "arrow-MB")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakHeap)/float64(arrowBytes), "peak/arrow")
	b.ReportMetric(float64(peakLive)/float64(arrowBytes), "live-peak/arrow")
}

func BenchmarkLoadMembersCSV(b *testing.B)     { benchLoad(b, "csv.yaml", false) }
func BenchmarkLoadMembersParquet(b *testing.B) { benchLoad(b, "parquet.yaml", false) }

// BenchmarkLoadMembersParquetOffHeap is BenchmarkLoadMembersParquet with
// the members record in an offheap.Allocator.
func BenchmarkLoadMembersParquetOffHeap(b *testing.B) { benchLoad(b, "parquet.yaml", true) }

// BenchmarkLoadFolder loads the snapshot folder named by
// VUNGMANH_BENCH_SNAPSHOT (for example bench/cache/national-0.3-parquet),
// every table of it; skipped when the variable is not set. cpu/wall above 1
// is the parallelism of the load.
func BenchmarkLoadFolder(b *testing.B) {
	dir := os.Getenv("VUNGMANH_BENCH_SNAPSHOT")
	if dir == "" {
		b.Skip("VUNGMANH_BENCH_SNAPSHOT is not set")
	}
	ctx := context.Background()
	var rows int
	var peakHeap, peakLive int64
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		base, baseLive := heapBaseline()
		stop := heapSampler()
		cpu0 := cpuTime()
		b.StartTimer()
		snap, err := Load(ctx, dir)
		b.StopTimer()
		cpu += cpuTime() - cpu0
		peak, live := stop()
		if err != nil {
			b.Fatal(err)
		}
		peakHeap, peakLive = max(peakHeap, peak-base), max(peakLive, live-baseLive)
		rows = 0
		for _, st := range snap.Stats {
			rows += st.Rows
		}
		snap.Release()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(cpu.Seconds()/b.Elapsed().Seconds(), "cpu/wall")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakLive)/(1<<20), "live-peak-MB")
}

// heapBaseline collects garbage and returns the heap's object bytes and live
// bytes: the zero of a benchmark's peak figures.
func heapBaseline() (objects, live int64) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
}
