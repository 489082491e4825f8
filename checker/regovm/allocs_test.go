package regovm_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/checker/regovm"
)

// evalRuns is how many evaluations evalAllocs averages over. The race
// detector makes sync.Pool drop a random quarter of what is put back, so a
// -race build allocates a varying few more objects per evaluation: over
// 5,000 evaluations the difference of two programs' means varies by about
// a tenth around its true value plus a quarter (allocSlack).
const evalRuns = 5000

// evalAllocs is the mean number of allocations of one Eval of rule t/p of
// src on input. Unlike testing.AllocsPerRun it keeps the fraction, which
// AllocsPerRun's integer division turns into a difference of one between
// two runs of the same program under -race.
func evalAllocs(t *testing.T, src string, input ast.Value) float64 {
	t.Helper()
	ctx := context.Background()
	m, err := ast.ParseModuleWithOpts("a.rego", "package t\n"+src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := regovm.Plan(ctx, map[string]*ast.Module{"a.rego": m}, []string{"t/p"}, checker.Capabilities())
	if err != nil {
		t.Fatal(err)
	}
	eval := func() {
		vs, err := prog.Eval(ctx, input, nil, nil)
		if err != nil || len(vs) != 1 || vs[0] == nil {
			t.Fatalf("%s: %v, %v", src, vs, err)
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	eval()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range evalRuns {
		eval()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / evalRuns
}

// TestLiteralAllocs: an array literal is made at once (arrayLiteral), so
// that seven more elements cost no more allocations than one (appended one
// at a time, each cost one or two): the change it guards is worth seven.
func TestLiteralAllocs(t *testing.T) {
	input := ast.MustParseTerm(`{"a": "x", "s": "` + strings.Repeat("y", 200) + `"}`).Value
	one := evalAllocs(t, `p := [input.a]`, input)
	eight := evalAllocs(t, `p := [input.a, input.s, input.a, input.s, input.a, input.s, input.a, input.s]`, input)
	t.Logf("%.3f allocations with one element, %.3f with eight", one, eight)
	if eight > one+allocSlack {
		t.Errorf("%v allocations with eight elements, %v with one", eight, one)
	}
}

// TestConcatAllocs: concat's string is made in one allocation
// (nativeConcat): joining an array costs the string, its ast.String and
// its term over making the array (topdown's builtin also makes a buffer and
// copies it); topdown's builtin costs five (six under -race).
func TestConcatAllocs(t *testing.T) {
	input := ast.MustParseTerm(`{"a": "x", "s": "` + strings.Repeat("y", 200) + `"}`).Value
	array := evalAllocs(t, `p := [input.a, input.s, "z"]`, input)
	joined := evalAllocs(t, `p := concat(", ", [input.a, input.s, "z"])`, input)
	t.Logf("%.3f allocations for the array, %.3f joined", array, joined)
	if joined-array > 3+allocSlack {
		t.Errorf("concat: %v allocations, %v for its array alone: want at most 3 more", joined, array)
	}
}
