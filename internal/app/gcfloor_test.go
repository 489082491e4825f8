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

func TestParseHeapFloor(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{defaultHeapFloor, 128 << 20, true},
		{"256MiB", 256 << 20, true},
		{"off", 0, true},
		{"0", 0, true},
		{"auto", 0, false},
		{"-1MiB", 0, false},
		{"lots", 0, false},
	} {
		got, err := parseHeapFloor(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseHeapFloor(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// --gc-heap-floor off leaves GOGC alone.
func TestHeapFloorOff(t *testing.T) {
	before := gcPercent()
	stop := startHeapFloor(func(string) string { return "" }, 0)
	if got := gcPercent(); got != before {
		t.Errorf("floor off: GOGC changed from %d to %d", before, got)
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
