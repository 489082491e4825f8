package checker

import (
	"context"
	"errors"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// TestRangeBound: numbers.range and numbers.range_step refuse a range of
// more than MaxRangeNumbers numbers before they build it: an error result
// naming the bound, with either engine (regovm calls topdown's builtins),
// where the range would otherwise be built whole (3 million numbers, some
// 300 MB) and the target pass.
func TestRangeBound(t *testing.T) {
	for _, tt := range []struct{ name, call string }{
		{"numbers.range", "numbers.range(1, 1500000)"},
		{"numbers.range_step", "numbers.range_step(0, 3000000, 2)"},
		{"numbers.range downwards", "numbers.range(1500000, 1)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			snap := smallSnap(checkedAlloc(t))
			t.Cleanup(snap.Release)
			pols := loadTargets(t, `violation contains {"msg": "short"} if count(`+tt.call+`) < 10`)
			_, got, want := evaluateBoth(t, pols, snap, WithWorkers(1), WithEvalTimeout(time.Minute))
			for _, out := range []*Outcome{got, want} {
				n := 0
				for _, r := range out.Results {
					if r.Status == StatusNotEvaluated {
						continue
					}
					n++
					if r.Status != StatusError || r.Error == nil || !strings.Contains(*r.Error, "more than the 1000000 a call may make") {
						t.Errorf("%s: %s %v, want an error naming the bound", r.Subject, r.Status, deref(r.Error))
					}
				}
				if n == 0 {
					t.Fatal("no subject evaluated")
				}
			}
		})
	}
	// A range within the bound is untouched.
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	pols := loadTargets(t, `violation contains {"msg": "wrong"} if count(numbers.range_step(1, 2000, 2)) != 1000`)
	_, got, _ := evaluateBoth(t, pols, snap)
	for _, r := range got.Results {
		if r.Status != StatusPass && r.Status != StatusNotEvaluated {
			t.Errorf("%s: %s %v, want pass", r.Subject, r.Status, r.Error)
		}
	}
}

// TestHeapAbort: a policy whose values outgrow the heap allowed (a set of
// 900,000 numbers, within MaxRangeNumbers, per subject) stops the
// evaluation with a *MemoryError, with either engine, rather than growing
// until the pod is killed; without WithHeapAbort it completes.
func TestHeapAbort(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	pols := loadTargets(t, `violation contains {"msg": "big"} if count({x | some x in numbers.range(1, 900000)}) > 10`)
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	limit := sample[0].Value.Uint64() + 32<<20
	for _, engine := range []Engine{EngineRegovm, EngineTopdown} {
		t.Run(engine.String(), func(t *testing.T) {
			_, err := mustNew(t, pols, WithEngine(engine), WithWorkers(2), WithEvalTimeout(5*time.Minute), WithHeapAbort(limit)).Evaluate(context.Background(), snap)
			var me *MemoryError
			if !errors.As(err, &me) || me.Limit != limit || me.Heap <= limit {
				t.Fatalf("err = %v, want a MemoryError over %d bytes", err, limit)
			}
			if !strings.Contains(err.Error(), "give the pod more memory") {
				t.Errorf("error %q does not say what to do", err)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
