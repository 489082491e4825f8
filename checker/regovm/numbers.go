package regovm

import (
	"cmp"
	"hash/maphash"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Numbers that are not integers cost OPA a big.Float or big.Rat each time:
// a division of two integers that does not come out even builds two
// big.Floats, divides, and writes the quotient's shortest decimal text
// (topdown/arithmetic.go); so do a product, round and floor of a decimal;
// comparing two numbers that are not both int64 parses them into big.Rats
// or big.Floats (ast.NumberCompare). Targets compute the same shares over
// and over (n / total for every branch; round(share * 1000) and floor(t /
// 10) for every percentage shown): in a national profile division and
// comparison took 1.4 CPU-s (topdown's arithmetic 0.73, NumberCompare
// 0.64). regovm remembers the latest answers in small tables (pairMemo), each
// slot overwritten by the next pair that hashes to it: those of division
// and comparison took 7.3 million allocations and 290 MB off a national
// run, those of mul, round and floor 2.9 million and 138 MB more
// (bench/RESULTS.md, session 6). A slot's answer is the one topdown's code
// gives (topdown's builtin, or NumberCompare, computes it on a miss), so
// the tables change how fast, never what.

// memoSlots is the number of slots of each table: 16,384 pointers (128
// KiB), about what the shares of a national snapshot need.
const (
	memoBits  = 14
	memoSlots = 1 << memoBits
)

var memoSeed = maphash.MakeSeed()

// pairMemo remembers an answer per pair of numbers, keyed by their texts (""
// for the second of a function of one number). Each slot is an atomic
// pointer to an immutable entry: workers share a pairMemo.
type pairMemo[V any] struct {
	slots [memoSlots]atomic.Pointer[pairEntry[V]]
}

type pairEntry[V any] struct {
	a, b ast.Number
	v    V
}

// get returns the answer for a and b: the remembered one, or compute's,
// remembered when ok.
func (m *pairMemo[V]) get(a, b ast.Number, compute func() (V, bool)) (V, bool) {
	h := maphash.String(memoSeed, string(a))*31 ^ maphash.String(memoSeed, string(b))
	slot := &m.slots[h>>(64-memoBits)]
	if e := slot.Load(); e != nil && e.a == a && e.b == b {
		return e.v, true
	}
	v, ok := compute()
	if ok {
		slot.Store(&pairEntry[V]{a, b, v})
	}
	return v, ok
}

// smallInt is topdown's: an int in the int32 window, where topdown
// computes with int64s.
func smallInt(n ast.Number) (int64, bool) {
	i, ok := n.Int64()
	return i, ok && -1<<31 <= i && i <= 1<<31-1
}

// arith runs topdown's arithmetic builtin name on one or two numbers: ints
// of the int32 window by small when it gives an int (topdown's own
// arithOp.small), any other numbers by the builtin itself, remembered. An
// operand that is not a number, or numbers the builtin refuses (a zero
// divisor), are left to topdown, whose error it is (nil, false).
func arith(name string, small func(x, y int64) (int64, bool)) func(ops []*ast.Term) (*ast.Term, bool) {
	bi := topdown.GetBuiltin(name)
	answers := new(pairMemo[*ast.Term])
	return func(ops []*ast.Term) (*ast.Term, bool) {
		var n [2]ast.Number
		var xs [2]int64
		ints := true
		for i, o := range ops {
			x, ok := o.Value.(ast.Number)
			if !ok {
				return nil, false
			}
			n[i] = x
			if ints {
				xs[i], ints = smallInt(x)
			}
		}
		if ints {
			if r, ok := small(xs[0], xs[1]); ok {
				return ast.IntNumberTerm(int(r)), true
			}
		}
		return answers.get(n[0], n[1], func() (*ast.Term, bool) {
			var out *ast.Term
			err := bi(topdown.BuiltinContext{}, ops, func(t *ast.Term) error { out = t; return nil })
			return out, err == nil && out != nil
		})
	}
}

// The arithmetic regovm runs natively: topdown's small cases
// (topdown/arithmetic.go). A quotient that does not come out even, and
// zero divided ("-0" / 1 is "-0"), are the builtin's.
var (
	nativeDivide = arith(ast.Divide.Name, func(x, y int64) (int64, bool) {
		if y == 0 || x == 0 || x%y != 0 {
			return 0, false
		}
		return x / y, true
	})
	nativeMultiply = arith(ast.Multiply.Name, func(x, y int64) (int64, bool) { return x * y, true })
	nativeRound    = arith(ast.Round.Name, func(x, _ int64) (int64, bool) { return x, true })
	nativeFloor    = arith(ast.Floor.Name, func(x, _ int64) (int64, bool) { return x, true })
)

// comparisons remembers ast.NumberCompare.
var comparisons pairMemo[int]

// compareValues is a.Compare(b), with the comparison of two numbers that
// are not both plain integers remembered (comparisons).
func compareValues(a, b ast.Value) int {
	x, ok1 := a.(ast.Number)
	y, ok2 := b.(ast.Number)
	if !ok1 || !ok2 {
		return a.Compare(b)
	}
	if x == y {
		return 0
	}
	if xi, ok := x.Int64(); ok {
		if yi, ok := y.Int64(); ok {
			return cmp.Compare(xi, yi)
		}
	}
	c, _ := comparisons.get(x, y, func() (int, bool) { return ast.NumberCompare(x, y), true })
	return c
}
