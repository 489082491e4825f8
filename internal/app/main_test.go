package app

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strings"
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

// TestHeapCeilingWithMembersMapped: under a soft limit, the evaluation's
// heap ceiling (9/8 of the limit) is the run's, although the limit is
// lowered while the members are mapped; and so is the merge's, which the
// last shard of a sharded run does with its members still mapped.
func TestHeapCeilingWithMembersMapped(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	const limit = 4 << 30
	want := uint64(limit) / 8 * 9
	out := t.TempDir()
	ceilings := func(stderr, msg string) (seen []uint64, mapped bool) {
		for _, line := range strings.Split(stderr, "\n") {
			var l struct {
				Message string `json:"message"`
				Ceiling uint64 `json:"heap_ceiling_bytes"`
				Mapped  int64  `json:"members_mapped_bytes"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Message == msg {
				seen = append(seen, l.Ceiling)
				mapped = mapped || l.Mapped > 0
			}
		}
		return seen, mapped
	}
	args := []string{"run", "--snapshot", "sample://thai-binh-2024", "--out", out, "--memory-limit", "4GiB", "--log-level", "debug"}
	code, _, stderr := runMain(t, nil, args...)
	if code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	if seen, mapped := ceilings(stderr, "evaluating"); len(seen) != 1 || seen[0] != want || !mapped {
		t.Errorf("run: heap ceilings %v with members mapped %v, want [%d] with members mapped", seen, mapped, want)
	}
	for i := range 2 {
		code, _, stderr = runMain(t, nil, append(args, "--run-id", "sharded", "--shard-count", "2", "--shard-index", fmt.Sprint(i))...)
		if code != ExitOK {
			t.Fatalf("shard %d: exit code %d; stderr:\n%s", i, code, stderr)
		}
	}
	if seen, _ := ceilings(stderr, "merging"); len(seen) != 1 || seen[0] != want {
		t.Errorf("merge in the last shard: heap ceilings %v, want [%d]", seen, want)
	}
}
