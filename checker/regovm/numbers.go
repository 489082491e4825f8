package regovm

import (
	"cmp"
	"hash/maphash"
	"math/big"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
)

// Numbers that are not integers cost OPA a big.Float or big.Rat each time:
// a division of two integers that does not come out even builds two
// big.Floats, divides, and writes the quotient's shortest decimal text
// (topdown/arithmetic.go); comparing two numbers that are not both int64
// parses them into big.Rats or big.Floats (ast.NumberCompare). Targets
// compute the same shares over and over (n / total for every branch, floor
// of t / 10 for every percentage shown): in a national profile the two took
// 1.4 CPU-s (topdown's arithmetic 0.73, NumberCompare 0.64), and the tables
// took 7.3 million allocations and 290 MB off the run (bench/RESULTS.md,
// session 6). regovm remembers the latest answers
// in two small tables, each slot overwritten by the next pair that hashes
// to it. A slot's answer is the one topdown's code gives (it is computed by
// that code on a miss), so the tables change how fast, never what.

// memoSlots is the number of slots of each table: 16,384 pointers (128
// KiB), about what the shares of a national snapshot need.
const (
	memoBits  = 14
	memoSlots = 1 << memoBits
)

// quotient is the remembered division x / y.
type quotient struct {
	x, y int64
	t    *ast.Term
}

// comparison is the remembered ast.NumberCompare(a, b).
type comparison struct {
	a, b ast.Number
	c    int
}

var (
	quotients   [memoSlots]atomic.Pointer[quotient]
	comparisons [memoSlots]atomic.Pointer[comparison]
	memoSeed    = maphash.MakeSeed()
)

// smallInt is topdown's: an int in the int32 window, where topdown divides
// as int64s.
func smallInt(n ast.Number) (int64, bool) {
	i, ok := n.Int64()
	return i, ok && -1<<31 <= i && i <= 1<<31-1
}

// nativeDivide is topdown's div (arithOp.eval with opDivide) for two
// numbers in the int32 window, neither of them zero: their quotient when it
// is an integer, else the quotient of the two as big.Floats in its shortest
// text, remembered (quotients). Other operands are topdown's: big integers,
// decimals, zero divided, a zero divisor (an error), a value that is not a
// number (an error).
func nativeDivide(ops []*ast.Term) (*ast.Term, bool) {
	n1, ok1 := ops[0].Value.(ast.Number)
	n2, ok2 := ops[1].Value.(ast.Number)
	if !ok1 || !ok2 {
		return nil, false
	}
	x, ok1 := smallInt(n1)
	y, ok2 := smallInt(n2)
	if !ok1 || !ok2 || y == 0 || x == 0 {
		// Zero divided is topdown's: "-0" / 1 is "-0", whose sign the
		// table's key would lose.
		return nil, false
	}
	if x%y == 0 {
		return ast.IntNumberTerm(int(x / y)), true
	}
	slot := &quotients[uint64(x<<31+y)*0x9E3779B97F4A7C15>>(64-memoBits)]
	if q := slot.Load(); q != nil && q.x == x && q.y == y {
		return q.t, true
	}
	z := new(big.Float).Quo(builtins.NumberToFloat(n1), builtins.NumberToFloat(n2))
	t := ast.NewTerm(builtins.FloatToNumber(z))
	slot.Store(&quotient{x, y, t})
	return t, true
}

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
	h := maphash.String(memoSeed, string(x))*31 ^ maphash.String(memoSeed, string(y))
	slot := &comparisons[h>>(64-memoBits)]
	if c := slot.Load(); c != nil && c.a == x && c.b == y {
		return c.c
	}
	c := ast.NumberCompare(x, y)
	slot.Store(&comparison{x, y, c})
	return c
}
