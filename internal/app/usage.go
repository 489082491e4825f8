package app

import (
	"runtime/metrics"

	"github.com/rs/zerolog"
)

// usageSamples are the runtime's counts that logUsage reports.
var usageSamples = []struct{ metric, field string }{
	{"/gc/heap/allocs:bytes", "alloc_bytes"},
	{"/gc/heap/allocs:objects", "alloc_objects"},
	{"/gc/cycles/total:gc-cycles", "gc_cycles"},
	{"/cpu/classes/gc/total:cpu-seconds", "gc_cpu_seconds"},
}

// logUsage logs what the process has allocated and what its garbage
// collector cost so far: the heap's allocations (bytes and objects), the
// collections and their CPU time (an estimate of the runtime's). On a busy
// machine wall and CPU times vary by several percent from one run to the
// next, the allocations by much less: bench/run.sh prints them per case, to
// judge a change to the allocations of a run at national scale.
func logUsage(log zerolog.Logger) {
	s := make([]metrics.Sample, len(usageSamples))
	for i, u := range usageSamples {
		s[i].Name = u.metric
	}
	metrics.Read(s)
	ev := log.Info()
	for i, u := range usageSamples {
		switch s[i].Value.Kind() {
		case metrics.KindUint64:
			ev = ev.Uint64(u.field, s[i].Value.Uint64())
		case metrics.KindFloat64:
			ev = ev.Float64(u.field, s[i].Value.Float64())
		}
	}
	ev.Msg("resources used")
}
