package regovm

import (
	"cmp"
	"hash/maphash"
	"math/big"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
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
// 0.64). regovm remembers the latest answers in small tables, each slot
// overwritten by the next pair that hashes to it: those of division and
// comparison took 7.3 million allocations and 290 MB off a national run,
// those of mul, round and floor (arithTable) 2.9 million and 138 MB more
// (bench/RESULTS.md, session 6). A slot's answer is the one topdown's code
// gives (it is computed by that code on a miss), so the tables change how
// fast, never what.

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

// arithTable remembers the answers of one of topdown's arithmetic
// builtins on numbers that are not both int32-window integers, keyed by
// their texts: a share times 1000 and its round and floor for every
// percentage a message shows (lib.percent_text). A miss asks topdown's own
// builtin; an operand it refuses is left to it (nil, false).
type arithTable struct {
	bi    topdown.BuiltinFunc
	slots [memoSlots]atomic.Pointer[arithAnswer]
}

type arithAnswer struct {
	a, b ast.Number
	t    *ast.Term
}

func newArithTable(name string) *arithTable { return &arithTable{bi: topdown.GetBuiltin(name)} }

// answer is the builtin's answer for the number operands x and y (y empty
// for a function of one operand).
func (tb *arithTable) answer(ops []*ast.Term, x, y ast.Number) (*ast.Term, bool) {
	h := maphash.String(memoSeed, string(x))*31 ^ maphash.String(memoSeed, string(y))
	slot := &tb.slots[h>>(64-memoBits)]
	if e := slot.Load(); e != nil && e.a == x && e.b == y {
		return e.t, true
	}
	var out *ast.Term
	if err := tb.bi(topdown.BuiltinContext{}, ops, func(t *ast.Term) error { out = t; return nil }); err != nil || out == nil {
		return nil, false
	}
	slot.Store(&arithAnswer{x, y, out})
	return out, true
}

var (
	products = newArithTable(ast.Multiply.Name)
	rounds   = newArithTable(ast.Round.Name)
	floors   = newArithTable(ast.Floor.Name)
)

// nativeMultiply is topdown's mul: the product of two int32-window
// integers at once (it fits an int64), any other pair of numbers through
// products.
func nativeMultiply(ops []*ast.Term) (*ast.Term, bool) {
	x, ok1 := ops[0].Value.(ast.Number)
	y, ok2 := ops[1].Value.(ast.Number)
	if !ok1 || !ok2 {
		return nil, false
	}
	if xi, ok := smallInt(x); ok {
		if yi, ok := smallInt(y); ok {
			return ast.IntNumberTerm(int(xi * yi)), true
		}
	}
	return products.answer(ops, x, y)
}

// nativeUnary is topdown's round or floor (arithUnary): an int32-window
// integer is its own answer, any other number goes through tb.
func nativeUnary(tb *arithTable) func(ops []*ast.Term) (*ast.Term, bool) {
	return func(ops []*ast.Term) (*ast.Term, bool) {
		x, ok := ops[0].Value.(ast.Number)
		if !ok {
			return nil, false
		}
		if xi, ok := smallInt(x); ok {
			return ast.IntNumberTerm(int(xi)), true
		}
		return tb.answer(ops, x, "")
	}
}
