package bench

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/loaders"
)

// BenchmarkPrepareFolder indexes the snapshot folder named by
// VUNGMANH_BENCH_SNAPSHOT (for example bench/cache/national-1.0-parquet)
// with checker.Prepare, the "indexed" phase of a run; the folder is loaded
// once, outside the timing. Skipped when the variable is not set. cpu-s/op
// is the CPU of the whole process per Prepare (its goroutines and the
// garbage collector): on a shared machine, compare it, not ns/op.
func BenchmarkPrepareFolder(b *testing.B) {
	dir := os.Getenv("VUNGMANH_BENCH_SNAPSHOT")
	if dir == "" {
		b.Skip("VUNGMANH_BENCH_SNAPSHOT is not set")
	}
	snap, err := loaders.Load(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	defer snap.Release()
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		c0 := processCPU()
		b.StartTimer()
		idx, err := checker.Prepare(snap)
		b.StopTimer()
		cpu += processCPU() - c0
		if err != nil {
			b.Fatal(err)
		}
		runtime.KeepAlive(idx)
		b.StartTimer()
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// processCPU is the user and system CPU of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
