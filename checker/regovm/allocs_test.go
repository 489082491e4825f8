package regovm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/checker/regovm"
)

// evalAllocs is the number of allocations of one Eval of rule t/p of src
// on input.
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
	eval()
	return testing.AllocsPerRun(50, eval)
}

// TestLiteralAllocs: an array literal is made at once (arrayLiteral), so
// that seven more elements cost no more allocations than one (appended one
// at a time, each cost one or two).
func TestLiteralAllocs(t *testing.T) {
	input := ast.MustParseTerm(`{"a": "x", "s": "` + strings.Repeat("y", 200) + `"}`).Value
	one := evalAllocs(t, `p := [input.a]`, input)
	eight := evalAllocs(t, `p := [input.a, input.s, input.a, input.s, input.a, input.s, input.a, input.s]`, input)
	if eight > one {
		t.Errorf("%v allocations with eight elements, %v with one", eight, one)
	}
}

// TestConcatAllocs: concat's string is made in one allocation
// (nativeConcat): joining an array costs the string, its ast.String and
// its term over making the array (topdown's builtin also makes a buffer and
// copies it).
func TestConcatAllocs(t *testing.T) {
	input := ast.MustParseTerm(`{"a": "x", "s": "` + strings.Repeat("y", 200) + `"}`).Value
	array := evalAllocs(t, `p := [input.a, input.s, "z"]`, input)
	joined := evalAllocs(t, `p := concat(", ", [input.a, input.s, "z"])`, input)
	if joined-array > 3 {
		t.Errorf("concat: %v allocations, %v for its array alone: want at most 3 more", joined, array)
	}
}
