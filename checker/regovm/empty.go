package regovm

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
)

// Empty collections that stay empty. A plan makes a new array, object or
// set for every literal `[]`, `{}` or `set()` of a policy, each time it is
// reached: object.get's default in `object.get(m, "field", {})`, an empty
// violation detail. Where no statement of the function ever fills the
// local that holds it, the compiled statement hands out one shared empty
// value instead, made once per Program.
//
// Sharing is safe when nothing can fill the shared value, so the compiler
// checks, for each function and plan, the planner's way of filling values:
// every local that a statement fills (ObjectInsertStmt, ObjectInsertOnceStmt,
// ArrayAppendStmt, SetAddStmt) is set only by statements that make a new
// collection (MakeArrayStmt, MakeObjectStmt, MakeSetStmt) and is not a
// parameter. Then a filled value is always one that the function made
// itself, never one it received or looked up, and never a shared empty. A
// function that breaks the rule (no plan of OPA's planner does, but the
// check does not rely on that) makes every collection anew, as before.

// emptyValues are a Program's shared empties (its own, not OPA's interned
// ones: a fault here cannot reach other users of OPA in the process).
type emptyValues struct {
	array, object, set *ast.Term
}

func newEmptyValues() emptyValues {
	return emptyValues{array: ast.NewTerm(ast.NewArray()), object: ast.NewTerm(ast.NewObject()), set: ast.NewTerm(ast.NewSet())}
}

// fillPlan is what filledLocals found in a function: the locals that its
// statements fill, and whether the sharing rule holds.
type fillPlan struct {
	filled map[ir.Local]bool
	ok     bool
}

// shares reports whether the collection made in local l may be a shared
// empty one.
func (f fillPlan) shares(l ir.Local) bool { return f.ok && !f.filled[l] }

// filledLocals walks the blocks of a function (params: its parameters)
// and returns its fillPlan.
func filledLocals(blocks []*ir.Block, params []ir.Local) fillPlan {
	var stmts stmtList
	for _, b := range blocks {
		_ = ir.Walk(&stmts, b) // stmtList.Visit returns no error
	}
	f := fillPlan{filled: map[ir.Local]bool{}, ok: true}
	for _, st := range stmts {
		switch x := st.(type) {
		case *ir.ObjectInsertStmt:
			f.filled[x.Object] = true
		case *ir.ObjectInsertOnceStmt:
			f.filled[x.Object] = true
		case *ir.ArrayAppendStmt:
			f.filled[x.Array] = true
		case *ir.SetAddStmt:
			f.filled[x.Set] = true
		}
	}
	for _, p := range params {
		if f.filled[p] {
			f.ok = false
		}
	}
	for _, st := range stmts {
		set, known := setLocals(st)
		if !known {
			f.ok = false
		}
		for _, l := range set {
			if !f.filled[l] {
				continue
			}
			switch st.(type) {
			case *ir.MakeArrayStmt, *ir.MakeObjectStmt, *ir.MakeSetStmt:
			default:
				f.ok = false
			}
		}
	}
	return f
}

// stmtList is every statement ir.Walk visits: a block's, and those of the
// blocks nested in them (BlockStmt, ScanStmt, NotStmt, WithStmt).
type stmtList []ir.Stmt

func (*stmtList) Before(any) {}
func (*stmtList) After(any)  {}

func (l *stmtList) Visit(x any) (ir.Visitor, error) {
	if st, ok := x.(ir.Stmt); ok {
		*l = append(*l, st)
	}
	return l, nil
}

// setLocals are the locals a statement sets (nil for a statement that
// sets none), and false for a statement type it does not know (the
// function then shares nothing; the compiler refuses such a plan anyway).
func setLocals(st ir.Stmt) ([]ir.Local, bool) {
	switch x := st.(type) {
	case *ir.AssignVarStmt:
		return []ir.Local{x.Target}, true
	case *ir.AssignVarOnceStmt:
		return []ir.Local{x.Target}, true
	case *ir.AssignIntStmt:
		return []ir.Local{x.Target}, true
	case *ir.CallStmt:
		return []ir.Local{x.Result}, true
	case *ir.CallDynamicStmt:
		return []ir.Local{x.Result}, true
	case *ir.DotStmt:
		return []ir.Local{x.Target}, true
	case *ir.LenStmt:
		return []ir.Local{x.Target}, true
	case *ir.ScanStmt:
		return []ir.Local{x.Key, x.Value}, true
	case *ir.ResetLocalStmt:
		return []ir.Local{x.Target}, true
	case *ir.MakeNullStmt:
		return []ir.Local{x.Target}, true
	case *ir.MakeNumberIntStmt:
		return []ir.Local{x.Target}, true
	case *ir.MakeNumberRefStmt:
		return []ir.Local{x.Target}, true
	case *ir.MakeArrayStmt:
		return []ir.Local{x.Target}, true
	case *ir.MakeObjectStmt:
		return []ir.Local{x.Target}, true
	case *ir.MakeSetStmt:
		return []ir.Local{x.Target}, true
	case *ir.ObjectMergeStmt:
		return []ir.Local{x.Target}, true
	case *ir.WithStmt:
		return []ir.Local{x.Local}, true
	case *ir.ReturnLocalStmt, *ir.ResultSetAddStmt, *ir.BlockStmt, *ir.BreakStmt, *ir.NotStmt,
		*ir.EqualStmt, *ir.NotEqualStmt, *ir.IsArrayStmt, *ir.IsObjectStmt, *ir.IsSetStmt,
		*ir.IsDefinedStmt, *ir.IsUndefinedStmt, *ir.ArrayAppendStmt, *ir.ObjectInsertStmt,
		*ir.ObjectInsertOnceStmt, *ir.SetAddStmt, *ir.NopStmt:
		return nil, true
	}
	return nil, false
}
