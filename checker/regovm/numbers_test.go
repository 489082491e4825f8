package regovm_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/vungmanh/vungmanh/checker/regovm"
)

// topdownDiv is topdown's div builtin on two values: its term, or its
// error.
func topdownDiv(a, b ast.Value) (*ast.Term, error) { return topdownCall(ast.Divide.Name, a, b) }

// topdownCall is topdown's builtin name on values: its term, or its error.
func topdownCall(name string, vals ...ast.Value) (*ast.Term, error) {
	ops := make([]*ast.Term, len(vals))
	for i, v := range vals {
		ops[i] = ast.NewTerm(v)
	}
	var out *ast.Term
	err := topdown.GetBuiltin(name)(topdown.BuiltinContext{}, ops, func(t *ast.Term) error { out = t; return nil })
	return out, err
}

// testOperands is how many numbers the tests divide and compare, pairwise:
// 400 (160,000 pairs), 300 under the race detector.
func testOperands() int {
	if raceEnabled {
		return 300
	}
	return 400
}

// numberOperands are the numbers the tests divide and compare: integers
// about the int32 window's edges and zero, decimals, exponents, big
// integers, and shares as OPA writes them.
func numberOperands(rng *rand.Rand, n int) []ast.Value {
	fixed := []string{"0", "1", "-1", "2", "3", "7", "10", "12", "-12", "100", "1000",
		"2147483647", "-2147483648", "2147483648", "-2147483649", "12345678901234567890",
		"1.0", "1.00", "0.5", "-0.5", "1e2", "1E3", "1e-7", "0.1", "0.10000000000000001",
		"0.857142857142857143", "0.9", "0.6666666666666666667", "2.5", "-0"}
	var out []ast.Value
	for _, s := range fixed {
		out = append(out, ast.Number(s))
	}
	for len(out) < n {
		switch rng.IntN(4) {
		case 0:
			out = append(out, ast.Number(fmt.Sprint(rng.IntN(400))))
		case 1:
			out = append(out, ast.Number(fmt.Sprint(rng.Int64N(1<<33)-1<<32)))
		case 2:
			t, _ := topdownDiv(ast.Number(fmt.Sprint(rng.IntN(300))), ast.Number(fmt.Sprint(1+rng.IntN(300))))
			out = append(out, t.Value)
		default:
			out = append(out, ast.Number(fmt.Sprintf("%.3f", rng.Float64()*10-5)))
		}
	}
	return out
}

// nativeCall is regovm's native builtin name on values: its term, or
// false when it leaves them to topdown.
func nativeCall(name string, vals ...ast.Value) (*ast.Term, bool) {
	ops := make([]*ast.Term, len(vals))
	for i, v := range vals {
		ops[i] = ast.NewTerm(v)
	}
	return regovm.Native[name](ops)
}

// checkNative fails t unless regovm's native builtin name gives topdown's
// answer, as text, on vals, or leaves to topdown exactly what topdown
// refuses. It reports whether the native builtin answered.
func checkNative(t *testing.T, name string, vals ...ast.Value) bool {
	t.Helper()
	got, ok := nativeCall(name, vals...)
	want, err := topdownCall(name, vals...)
	switch {
	case !ok && err == nil:
		t.Fatalf("%s%v: left to topdown, which gives %v", name, vals, want)
	case ok && err != nil:
		t.Fatalf("%s%v = %v, topdown fails: %v", name, vals, got, err)
	case ok && got.Value.(ast.Number) != want.Value.(ast.Number):
		t.Fatalf("%s%v = %v, topdown %v", name, vals, got, want)
	}
	return ok
}

// TestNativeDivide: div run natively gives topdown's quotient, as text, for
// every pair of numbers, its table remembering or not (every pair is
// divided twice, and there are more pairs than slots), and leaves to
// topdown exactly the pairs topdown refuses (a zero divisor) and operands
// that are not numbers.
func TestNativeDivide(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	nums := numberOperands(rng, testOperands())
	taken := 0
	for range 2 {
		for _, a := range nums {
			for _, b := range nums {
				if checkNative(t, ast.Divide.Name, a, b) {
					taken++
				}
			}
		}
	}
	if taken < regovm.MemoSlots {
		t.Errorf("%d divisions taken: want more than the %d slots", taken, regovm.MemoSlots)
	}
	// Shares: many divisors of each dividend and many dividends of each
	// divisor, more pairs than slots, so that pairs of one dividend (or
	// divisor) meet in a slot.
	for range 2 {
		for x := 1; x <= 40; x++ {
			for y := 1; y <= 25*testOperands()/10; y++ {
				checkNative(t, ast.Divide.Name, ast.IntNumberTerm(x).Value, ast.IntNumberTerm(y).Value)
				checkNative(t, ast.Divide.Name, ast.IntNumberTerm(y).Value, ast.IntNumberTerm(x).Value)
			}
		}
	}
	for _, v := range []ast.Value{ast.String("1"), ast.Null{}, ast.NewArray()} {
		if _, ok := nativeCall(ast.Divide.Name, ast.IntNumberTerm(1).Value, v); ok {
			t.Errorf("1 / %v: taken, want topdown's error", v)
		}
	}
}

// TestCompareValues: compareValues is Compare on every pair of numbers
// (twice, more pairs than slots), and on values of other types.
func TestCompareValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	vals := numberOperands(rng, testOperands())
	vals = append(vals, ast.String("1"), ast.Null{}, ast.Boolean(true), ast.NewArray(ast.IntNumberTerm(1)))
	for round := range 2 {
		for _, a := range vals {
			for _, b := range vals {
				if got, want := regovm.CompareValues(a, b), a.Compare(b); got != want {
					t.Fatalf("round %d: regovm.CompareValues(%v, %v) = %d, Compare %d", round, a, b, got, want)
				}
			}
		}
	}
}

// TestNumberTablesConcurrent: workers share the tables; under -race this
// shows that a slot is read and written only whole.
func TestNumberTablesConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range testOperands() * 50 {
				a, b := ast.IntNumberTerm(rng.IntN(200)), ast.IntNumberTerm(1+rng.IntN(200))
				got, ok := regovm.Native[ast.Divide.Name]([]*ast.Term{a, b})
				want, _ := topdownDiv(a.Value, b.Value)
				if !ok || got.Value.(ast.Number) != want.Value.(ast.Number) {
					t.Errorf("%v / %v = %v, topdown %v", a, b, got, want)
					return
				}
				x, y := got.Value, ast.Number(fmt.Sprintf("0.%03d", rng.IntN(1000)))
				if regovm.CompareValues(x, y) != x.Compare(y) {
					t.Errorf("regovm.CompareValues(%v, %v) differs", x, y)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCompareValuesDecimals: numbers written as decimals compare as
// ast.NumberCompare orders them, with leading and trailing zeros, signed
// zeros, and pairs that differ only far beyond a float64's precision
// (which NumberCompare may call equal: an exact comparison of the digits
// would not match it).
func TestCompareValuesDecimals(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	decimal := func() string {
		s := ""
		if rng.IntN(3) == 0 {
			s = "-"
		}
		s += strings.Repeat("0", rng.IntN(3)) + digits(rng.IntN(25))
		if s == "" || s == "-" {
			s += "0"
		}
		if rng.IntN(4) != 0 {
			s += "." + digits(1+rng.IntN(25)) + strings.Repeat("0", rng.IntN(3))
		}
		return s
	}
	var nums []ast.Value
	for _, s := range []string{"0", "-0", "0.0", "-0.000", "00", "007.50", "7.5", "0.1", "0.10000000000000000000001",
		"0.09999999999999999999999", "123456789012345678901234567890.5", "123456789012345678901234567890.50001", "1e2", "100", "-1E-2"} {
		nums = append(nums, ast.Number(s))
	}
	for len(nums) < testOperands() {
		a := decimal()
		nums = append(nums, ast.Number(a))
		if rng.IntN(3) == 0 { // a neighbour: the same digits, one changed far down
			b := []byte(a)
			i := rng.IntN(len(b))
			if b[i] >= '0' && b[i] <= '9' {
				b[i] = byte('0' + rng.IntN(10))
			}
			nums = append(nums, ast.Number(b))
		}
	}
	for _, a := range nums {
		for _, b := range nums {
			if got, want := regovm.CompareValues(a, b), ast.NumberCompare(a.(ast.Number), b.(ast.Number)); got != want {
				t.Fatalf("CompareValues(%v, %v) = %d, NumberCompare %d", a, b, got, want)
			}
		}
	}
}

// TestNativeArith: mul, round and floor run natively give topdown's
// answer, as text, for every number operand (twice: the tables remember);
// an operand topdown refuses is left to it.
func TestNativeArith(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	nums := numberOperands(rng, testOperands()/2)
	for _, v := range []string{"857.142857142857142857", "85.7", "-2.5", "2.5", "0.5", "-0.5", "1e400", "0.0005"} {
		nums = append(nums, ast.Number(v))
	}
	for range 2 {
		for _, a := range nums {
			checkNative(t, ast.Round.Name, a)
			checkNative(t, ast.Floor.Name, a)
			for _, b := range nums {
				checkNative(t, ast.Multiply.Name, a, b)
			}
		}
	}
	for _, v := range []ast.Value{ast.String("1"), ast.Null{}, ast.NewArray()} {
		for _, c := range []struct {
			name string
			ops  []ast.Value
		}{{ast.Multiply.Name, []ast.Value{v, ast.IntNumberTerm(2).Value}}, {ast.Round.Name, []ast.Value{v}}, {ast.Floor.Name, []ast.Value{v}}} {
			if _, ok := nativeCall(c.name, c.ops...); ok {
				t.Errorf("%s(%v): taken, want topdown's error", c.name, v)
			}
		}
	}
}
