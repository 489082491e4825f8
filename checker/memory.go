package checker

import (
	"context"
	"fmt"
	"math/big"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// What bounds the memory of one evaluation. OPA v1 has no memory limit of
// its own: topdown and regovm stop at the deadline (topdown.Cancel), and a
// builtin that builds a large value checks that deadline at best, so
// numbers.range(1, 1e9) fills gigabytes before its deadline comes. Two
// bounds apply here:
//
//   - MaxRangeNumbers: numbers.range and numbers.range_step refuse, before
//     they build anything, a range of more numbers (an error result for
//     the target and subject, naming the limit). Both engines call the
//     same builtins (regovm calls topdown's), so both are bounded.
//   - WithHeapAbort: a watchdog stops the whole evaluation with a
//     *MemoryError once the Go heap stays above a size after a collection
//     (the run exits with a clear message instead of the pod being killed
//     for memory). It cannot tell which evaluation grew the heap, so it
//     stops them all.
//
// Other ways for Rego to build large values (comprehensions over large
// inputs, sprintf widths, array.concat doubling through many rules) are
// bounded by the deadline and the watchdog only.

// MaxRangeNumbers is the most numbers one call of numbers.range or
// numbers.range_step may make (about 100 MB of terms).
const MaxRangeNumbers = 1_000_000

func init() { boundRanges() }

var rangeOnce sync.Once

// boundRanges replaces topdown's numbers.range and numbers.range_step
// with versions that refuse more than MaxRangeNumbers numbers. The
// replacement is process-wide (OPA keeps one table of builtins): every
// evaluation of this binary, run, eval and test alike, is bounded.
func boundRanges() {
	rangeOnce.Do(func() {
		for _, name := range []string{ast.NumbersRange.Name, ast.NumbersRangeStep.Name} {
			orig := topdown.GetBuiltin(name)
			if orig == nil {
				continue
			}
			// The operands may end with the term the result goes to.
			arity := ast.BuiltinMap[name].Decl.Arity()
			topdown.RegisterBuiltinFunc(name, func(bctx topdown.BuiltinContext, operands []*ast.Term, iter func(*ast.Term) error) error {
				if n, ok := rangeSize(operands[:min(len(operands), arity)]); ok && n.Cmp(big.NewInt(MaxRangeNumbers)) > 0 {
					return &topdown.Error{Code: topdown.BuiltinErr, Location: bctx.Location,
						Message: fmt.Sprintf("%s: the range has %s numbers, more than the %d a call may make (a bound on a policy's memory)", name, n, MaxRangeNumbers)}
				}
				return orig(bctx, operands, iter)
			})
		}
	})
}

// rangeSize is the count of numbers a range call of these arguments (a, b
// and maybe the step) would make; false when they are not integers (the
// builtin then says why).
func rangeSize(operands []*ast.Term) (*big.Int, bool) {
	if len(operands) < 2 || len(operands) > 3 {
		return nil, false
	}
	var v [3]*big.Int
	for i, op := range operands {
		n, ok := op.Value.(ast.Number)
		if !ok {
			return nil, false
		}
		r, ok := new(big.Rat).SetString(string(n))
		if !ok || !r.IsInt() {
			return nil, false
		}
		v[i] = r.Num()
	}
	step := big.NewInt(1)
	if v[2] != nil {
		if v[2].Sign() <= 0 {
			return nil, false
		}
		step = v[2]
	}
	d := new(big.Int).Sub(v[1], v[0])
	d.Abs(d)
	d.Quo(d, step)
	return d.Add(d, big.NewInt(1)), true
}

// MemoryError says that evaluation was stopped because the Go heap went
// past the abort size of WithHeapAbort.
type MemoryError struct {
	Heap, Limit uint64 // bytes
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("evaluation stopped: the heap reached %d MiB after a collection, over the %d MiB allowed (a policy builds values too large for the pod's memory: fix the policy, or give the pod more memory)",
		e.Heap>>20, e.Limit>>20)
}

// WithHeapAbort stops Evaluate with a *MemoryError once the Go heap holds
// more than limit bytes after a collection (0: never). It is checked every
// heapCheckEvery.
func WithHeapAbort(limit uint64) Option { return func(c *Checker) { c.heapAbort = limit } }

const heapCheckEvery = 50 * time.Millisecond

// watchHeap calls stop with the heap's size once the heap is above limit
// after a collection; it returns when ctx is done or stop was called.
func watchHeap(ctx context.Context, limit uint64, stop func(heap uint64)) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	t := time.NewTicker(heapCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if heap() <= limit {
			continue
		}
		runtime.GC() // garbage is not a reason to stop
		if h := heap(); h > limit {
			stop(h)
			return
		}
	}
}
