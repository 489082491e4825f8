package app

import (
	"errors"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// defaultHeapFloor is the default of --gc-heap-floor, the smallest heap
// goal `run` lets the garbage collector aim for. With the default GOGC=100
// the goal is twice the live heap, so a province-sized run (a live heap of
// 15–40 MB) collects while the policies are evaluated, and every worker
// pays the collector's write barriers and assists; letting the heap grow
// to 128 MiB first saves about a tenth of the run's CPU on thai-binh-2024
// and hung-yen-2026 for 55–60 MiB more peak memory (bench/RESULTS.md,
// 2026-12-06 evening). (256 MiB saved no more CPU, for 180 MiB: every page
// touched also costs a page fault and its share of the process's exit,
// about 10 ms per 100 MB here.) At national scale the live heap is
// gigabytes, far above the floor, and GOGC stays 100: the floor changes
// nothing there (nor under a soft memory limit, which the runtime enforces
// whatever GOGC is).
const defaultHeapFloor = "128MiB"

// parseHeapFloor reads --gc-heap-floor: "off" or "0" (Go's default GOGC,
// no floor), or a size as --memory-limit takes it.
func parseHeapFloor(v string) (uint64, error) {
	n, err := parseMemoryLimit(v)
	if err != nil || n < 0 {
		return 0, errors.New("want off, or a size such as 128MiB")
	}
	return uint64(n), nil
}

// maxFloorGCPercent caps the GOGC the floor sets while the live heap is
// tiny (a few MB at start-up), so a burst of allocation right after a
// small live heap cannot grow the heap without bound.
const maxFloorGCPercent = 1000

// heapFloor raises GOGC while the live heap is small so that the heap goal
// is at least floor bytes, and lowers it back to 100 as the live heap
// grows. It adjusts after every collection (a finalizer runs once per GC
// cycle) from the live heap the runtime measured in that cycle.
type heapFloor struct {
	floor   uint64
	stopped atomic.Bool
	sample  []metrics.Sample
	percent int // last GOGC set
}

// startHeapFloor starts a floor of floor bytes (--gc-heap-floor) unless
// floor is 0 or GOGC is set in the environment (an operator's explicit
// choice wins). stop restores GOGC=100. The floor is the run's, not the
// package's: nothing starts it but `run`, and stop ends it.
func startHeapFloor(getenv func(string) string, floor uint64) (stop func()) {
	if v, ok := lookupEnv(getenv, "GOGC"); floor == 0 || ok && v != "" {
		return func() {}
	}
	h := &heapFloor{floor: floor, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, percent: 100}
	h.adjust()
	h.arm()
	return func() {
		h.stopped.Store(true)
		debug.SetGCPercent(100)
	}
}

// gcSentinel is the object whose finalizer marks the end of a GC cycle.
type gcSentinel struct{ h *heapFloor }

// arm registers a finalizer on a fresh object: it runs after the next
// collection, adjusts GOGC and arms itself again.
func (h *heapFloor) arm() {
	// A pointer-holding object: never batched by the tiny allocator, whose
	// blocks may outlive any one of their objects.
	sentinel := &gcSentinel{h: h}
	runtime.SetFinalizer(sentinel, func(*gcSentinel) {
		if h.stopped.Load() {
			return
		}
		h.adjust()
		h.arm()
	})
}

// adjust sets GOGC from the live heap: the goal live*(1+GOGC/100) reaches
// the floor, never below 100.
func (h *heapFloor) adjust() {
	metrics.Read(h.sample)
	live := uint64(0)
	if h.sample[0].Value.Kind() == metrics.KindUint64 {
		live = h.sample[0].Value.Uint64()
	}
	p := floorGCPercent(live, h.floor)
	// Small changes are not worth telling the runtime about.
	if p != h.percent && (p == 100 || p*10 < h.percent*9 || p*10 > h.percent*11) {
		debug.SetGCPercent(p)
		h.percent = p
	}
}

// floorGCPercent is the GOGC that makes a live heap of live bytes grow to
// floor bytes before the next collection: 100 at least, maxFloorGCPercent
// at most.
func floorGCPercent(live, floor uint64) int {
	if live == 0 {
		return maxFloorGCPercent
	}
	if live*2 >= floor {
		return 100
	}
	p := (floor - live) * 100 / live
	return int(min(max(p, 100), maxFloorGCPercent))
}
