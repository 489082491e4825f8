package app

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/vungmanh/vungmanh/internal/offheap"
)

// membersAllocators are the allocators the runs of the package's tests
// made (newMembersAllocator), in the order made.
var membersAllocators struct {
	sync.Mutex
	made []*offheap.Allocator
}

func TestMain(m *testing.M) {
	// Every run of the package's tests puts its members record in poisoned
	// mappings: a read of that memory after its release faults (and fails
	// the package) instead of passing unseen, and a record never released
	// is a mapping left at the end.
	newMembersAllocator = func() *offheap.Allocator {
		a := offheap.NewPoisoned()
		membersAllocators.Lock()
		membersAllocators.made = append(membersAllocators.made, a)
		membersAllocators.Unlock()
		return a
	}
	code := m.Run()
	leaked := 0
	made := membersAllocators.made
	for _, a := range made {
		if a.Mapped() != 0 {
			leaked++
		}
	}
	if leaked > 0 {
		fmt.Fprintf(os.Stderr, "%d of %d runs left their members record mapped (never released)\n", leaked, len(made))
		code = 1
	}
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// TestMembersOffHeap runs thai-binh: its members record is mapped (some
// megabytes of columns), and given back whole by the end of the run.
func TestMembersOffHeap(t *testing.T) {
	membersAllocators.Lock()
	n0 := len(membersAllocators.made)
	membersAllocators.Unlock()
	code, _, stderr := runMain(t, nil, "run", "--snapshot", "sample://thai-binh-2024", "--out", t.TempDir())
	if code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	membersAllocators.Lock()
	made := membersAllocators.made[n0:]
	membersAllocators.Unlock()
	found := false
	for _, a := range made {
		// The member ids alone are 357,293 texts: megabytes.
		if a.Peak() >= 4*offheap.MinMapped && a.Mapped() == 0 {
			found = true
		}
	}
	if !found {
		for _, a := range made {
			t.Logf("allocator: peak %d, mapped %d", a.Peak(), a.Mapped())
		}
		t.Fatalf("no run mapped its members and gave them back (%d allocators made)", len(made))
	}
}

// TestLimitBeside: while members are mapped, the soft limit leaves them
// room; it comes back once they are freed, and after the run.
func TestLimitBeside(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	// No limit: nothing is changed.
	debug.SetMemoryLimit(math.MaxInt64)
	a := offheap.New()
	limitBeside(a)()
	b := a.Allocate(2 * offheap.MinMapped)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("limit %d without a soft limit set", got)
	}
	a.Free(b)

	const limit = 512 << 20
	debug.SetMemoryLimit(limit)
	a = offheap.New()
	restore := limitBeside(a)
	b = a.Allocate(8 * offheap.MinMapped)
	if got, want := debug.SetMemoryLimit(-1), int64(limit-a.Mapped()); a.Mapped() > 0 && got != want {
		t.Errorf("limit %d with %d bytes mapped, want %d", got, a.Mapped(), want)
	}
	huge := a.Allocate(480 << 20)
	if got := debug.SetMemoryLimit(-1); a.Mapped() > 0 && got != limit/4 {
		t.Errorf("limit %d with %d bytes mapped, want the floor %d", got, a.Mapped(), limit/4)
	}
	a.Free(huge)
	a.Free(b)
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("limit %d once nothing is mapped, want %d", got, limit)
	}
	debug.SetMemoryLimit(limit / 2)
	restore()
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("limit %d after restore, want %d", got, limit)
	}
}
