package app

import (
	"runtime/debug"
	"testing"
)

func TestFloorGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tt := range []struct {
		live, floor uint64
		want        int
	}{
		{0, 256 * mib, maxFloorGCPercent},
		{1 * mib, 256 * mib, maxFloorGCPercent}, // capped
		{64 * mib, 256 * mib, 300},              // 64 MiB + 300% = 256 MiB
		{100 * mib, 256 * mib, 156},
		{128 * mib, 256 * mib, 100}, // the default already reaches the floor
		{3 << 30, 256 * mib, 100},
	} {
		if got := floorGCPercent(tt.live, tt.floor); got != tt.want {
			t.Errorf("floorGCPercent(%d MiB, %d MiB) = %d, want %d", tt.live/mib, tt.floor/mib, got, tt.want)
		}
	}
}

// gcPercent reads GOGC without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestHeapFloorLeavesAnExplicitGOGC(t *testing.T) {
	before := gcPercent()
	stop := startHeapFloor(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	}, 1<<40)
	if got := gcPercent(); got != before {
		t.Errorf("GOGC set in the environment: the floor changed GOGC from %d to %d", before, got)
	}
	stop()
	if got := gcPercent(); got != before {
		t.Errorf("stop changed GOGC from %d to %d", before, got)
	}
}

func TestHeapFloorRaisesAndRestoresGOGC(t *testing.T) {
	defer debug.SetGCPercent(gcPercent())
	// A floor far above any test's live heap: GOGC goes to the cap.
	stop := startHeapFloor(func(string) string { return "" }, 1<<40)
	if got := gcPercent(); got != maxFloorGCPercent {
		t.Errorf("GOGC with a 1 TiB floor = %d, want %d", got, maxFloorGCPercent)
	}
	stop()
	if got := gcPercent(); got != 100 {
		t.Errorf("GOGC after stop = %d, want 100", got)
	}
}
