package regovm

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
)

func local(l ir.Local) ir.Operand     { return ir.Operand{Value: l} }
func str(i ir.StringIndex) ir.Operand { return ir.Operand{Value: i} }

// aliasPolicy is a plan that fills an object through a second local:
//
//	L2 = {}; L3 = L2; L3["k"] = "v"; L5 = {}; result [L2, L5]
//
// L2 is never filled by name, so only the sharing rule (a filled local,
// L3, set by anything but a Make statement) keeps it from being the
// shared empty object, which the insertion would then fill for L5 too.
func aliasPolicy() *ir.Policy {
	return &ir.Policy{
		Static: &ir.Static{Strings: []*ir.StringConst{{Value: "k"}, {Value: "v"}, {Value: "result"}}},
		Plans: &ir.Plans{Plans: []*ir.Plan{{Name: "t/p", Blocks: []*ir.Block{{Stmts: []ir.Stmt{
			&ir.MakeObjectStmt{Target: 2},
			&ir.AssignVarStmt{Source: local(2), Target: 3},
			&ir.ObjectInsertStmt{Key: str(0), Value: str(1), Object: 3},
			&ir.MakeObjectStmt{Target: 5},
			&ir.MakeArrayStmt{Capacity: 2, Target: 6},
			&ir.ArrayAppendStmt{Value: local(2), Array: 6},
			&ir.ArrayAppendStmt{Value: local(5), Array: 6},
			&ir.MakeObjectStmt{Target: 4},
			&ir.ObjectInsertStmt{Key: str(2), Value: local(6), Object: 4},
			&ir.ResultSetAddStmt{Value: 4},
		}}}}}},
		Funcs: &ir.Funcs{},
	}
}

func TestSharedEmptyAlias(t *testing.T) {
	p, err := FromPolicy(aliasPolicy(), []string{"t/p"})
	if err != nil {
		t.Fatal(err)
	}
	want := ast.MustParseTerm(`[{"k": "v"}, {}]`).Value
	for i := range 3 { // a shared value, once filled, would show in every later evaluation
		got, err := p.EvalPlan(context.Background(), nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Compare(want) != 0 {
			t.Fatalf("evaluation %d: %v, want %v", i, got, want)
		}
	}
}

// otherStmt is a statement type filledLocals does not know.
type otherStmt struct{ ir.Location }

func TestFilledLocals(t *testing.T) {
	makeObj := func(l ir.Local) ir.Stmt { return &ir.MakeObjectStmt{Target: l} }
	insert := func(l ir.Local) ir.Stmt { return &ir.ObjectInsertStmt{Key: str(0), Value: str(0), Object: l} }
	for _, c := range []struct {
		name   string
		stmts  []ir.Stmt
		params []ir.Local
		shares map[ir.Local]bool
	}{
		{"made and filled", []ir.Stmt{makeObj(2), insert(2), makeObj(3)}, nil, map[ir.Local]bool{2: false, 3: true}},
		{"filled in a nested block", []ir.Stmt{makeObj(2), &ir.BlockStmt{Blocks: []*ir.Block{{Stmts: []ir.Stmt{
			&ir.ScanStmt{Source: 0, Key: 5, Value: 6, Block: &ir.Block{Stmts: []ir.Stmt{
				&ir.NotStmt{Block: &ir.Block{Stmts: []ir.Stmt{&ir.SetAddStmt{Value: local(6), Set: 2}}}}}}}}}}}, makeObj(3)},
			nil, map[ir.Local]bool{2: false, 3: true}},
		{"filled through a copy", []ir.Stmt{makeObj(2), &ir.AssignVarStmt{Source: local(2), Target: 3}, insert(3)}, nil, map[ir.Local]bool{2: false}},
		{"filled call result", []ir.Stmt{makeObj(2), &ir.CallStmt{Func: "f", Result: 3}, insert(3)}, nil, map[ir.Local]bool{2: false}},
		{"filled lookup", []ir.Stmt{makeObj(2), &ir.DotStmt{Source: local(0), Key: str(0), Target: 3}, insert(3)}, nil, map[ir.Local]bool{2: false}},
		{"filled parameter", []ir.Stmt{makeObj(2), insert(1)}, []ir.Local{0, 1}, map[ir.Local]bool{2: false}},
		{"with", []ir.Stmt{makeObj(2), &ir.WithStmt{Local: 0, Block: &ir.Block{Stmts: []ir.Stmt{insert(0)}}}}, nil, map[ir.Local]bool{2: false}},
		{"unknown statement", []ir.Stmt{makeObj(2), &otherStmt{}}, nil, map[ir.Local]bool{2: false}},
	} {
		f := filledLocals([]*ir.Block{{Stmts: c.stmts}}, c.params)
		for l, want := range c.shares {
			if got := f.shares(l); got != want {
				t.Errorf("%s: shares(%d) = %v, want %v", c.name, l, got, want)
			}
		}
	}
}

// TestSharedEmptyFeature checks that the feature of empty literals
// (features_test.go, compared there with topdown) has shared ones.
func TestSharedEmptyFeature(t *testing.T) {
	src := "package t\nf(x) := {} if x == 1\np := [object.get(input.obj, \"none\", {}), f(1), {}, [], set(), {k: 1 | some k in []}]"
	m := ast.MustParseModuleWithOpts(src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	p, err := Plan(context.Background(), map[string]*ast.Module{"x.rego": m}, []string{"t/p"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.shared < 4 {
		t.Errorf("%d shared empty collections, want at least 4 ({} twice, [], set())", p.shared)
	}
}
