package regovm

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// The statements that make values: new arrays, objects and sets, and the
// insertions and merges that fill them.

func (c *compiler) makeArray(x *ir.MakeArrayStmt) stmt {
	if c.fills.shares(x.Target) {
		c.shared++
		return c.setConst(x.Target, c.empty.array)
	}
	t := c.local(x.Target)
	capacity := int(x.Capacity)
	return func(s *state, l []*ast.Term) int {
		l[t] = ast.NewTerm(ast.NewArrayWithCapacity(capacity))
		return 0
	}
}

func (c *compiler) makeObject(x *ir.MakeObjectStmt) stmt {
	if c.fills.shares(x.Target) {
		c.shared++
		return c.setConst(x.Target, c.empty.object)
	}
	t := c.local(x.Target)
	return func(s *state, l []*ast.Term) int { l[t] = ast.NewTerm(ast.NewObject()); return 0 }
}

func (c *compiler) makeSet(x *ir.MakeSetStmt) stmt {
	if c.fills.shares(x.Target) {
		c.shared++
		return c.setConst(x.Target, c.empty.set)
	}
	t := c.local(x.Target)
	return func(s *state, l []*ast.Term) int { l[t] = ast.NewTerm(ast.NewSet()); return 0 }
}

func (c *compiler) numberRef(x *ir.MakeNumberRefStmt) *ast.Term {
	return ast.NewTerm(ast.Number(string(c.str(x.Index).Value.(ast.String))))
}

// arrayLiteral compiles the statements that begin stmts, if they are
// MakeArrayStmt{N, T} then N ArrayAppendStmt{T, V_i}: the planner's way of
// making an array of N elements ([a, b] in a policy, or the operands of a
// call). The fused statement makes the array at once, one allocation for
// its elements, where each append copies the array. An undefined V_i leaves
// T holding the elements before it, and fails, as the append would. It
// returns the statement and the number of statements it stands for, or nil.
func (c *compiler) arrayLiteral(stmts []ir.Stmt) (stmt, int) {
	ma, ok := stmts[0].(*ir.MakeArrayStmt)
	if !ok {
		return nil, 0
	}
	n := int(ma.Capacity)
	if n <= 0 || 1+n > len(stmts) {
		return nil, 0
	}
	vals := make([]opnd, n)
	for i := range n {
		aa, ok := stmts[1+i].(*ir.ArrayAppendStmt)
		if !ok || aa.Array != ma.Target {
			return nil, 0
		}
		vals[i] = c.opnd(aa.Value)
	}
	t := c.local(ma.Target)
	return func(s *state, l []*ast.Term) int {
		elems := make([]*ast.Term, n)
		for i, v := range vals {
			e := v.get(l)
			if e == nil {
				l[t] = ast.NewTerm(ast.NewArray(elems[:i:i]...))
				return 1
			}
			elems[i] = e
		}
		l[t] = ast.NewTerm(ast.NewArray(elems...))
		return 0
	}, 1 + n
}

func (c *compiler) arrayAppend(x *ir.ArrayAppendStmt) stmt {
	v, a := c.opnd(x.Value), c.local(x.Array)
	return func(s *state, l []*ast.Term) int {
		arr, ok := l[a].Value.(*ast.Array)
		val := v.get(l)
		if !ok || val == nil {
			return 1
		}
		l[a].Value = arr.Append(val)
		return 0
	}
}

func (c *compiler) objectInsert(x *ir.ObjectInsertStmt) stmt {
	k, v, o := c.opnd(x.Key), c.opnd(x.Value), c.local(x.Object)
	return func(s *state, l []*ast.Term) int {
		obj, ok := l[o].Value.(ast.Object)
		kt, vt := k.get(l), v.get(l)
		if !ok || kt == nil || vt == nil {
			return 1
		}
		obj.Insert(kt, vt)
		return 0
	}
}

func (c *compiler) objectInsertOnce(x *ir.ObjectInsertOnceStmt) stmt {
	k, v, o := c.opnd(x.Key), c.opnd(x.Value), c.local(x.Object)
	loc := c.loc(x)
	replace := c.compObjs[x.Object] > 0
	return func(s *state, l []*ast.Term) int {
		obj, ok := l[o].Value.(ast.Object)
		kt, vt := k.get(l), v.get(l)
		if !ok || kt == nil || vt == nil {
			return 1
		}
		if cur := obj.Get(kt); cur != nil {
			if !equal(cur, vt) {
				return s.fail(&topdown.Error{Code: topdown.ConflictErr, Message: "object keys must be unique", Location: loc})
			}
			if !replace {
				return 0
			}
		}
		obj.Insert(kt, vt)
		return 0
	}
}

func (c *compiler) setAdd(x *ir.SetAddStmt) stmt {
	v, st := c.opnd(x.Value), c.local(x.Set)
	return func(s *state, l []*ast.Term) int {
		set, ok := l[st].Value.(ast.Set)
		val := v.get(l)
		if !ok || val == nil {
			return 1
		}
		set.Add(val)
		return 0
	}
}

// objectMerge is the extent of a path with both base documents (A) and
// rules (B): topdown's evalTree.extent merges them with merge (eval.go).
func (c *compiler) objectMerge(x *ir.ObjectMergeStmt) stmt {
	a, b, t := c.local(x.A), c.local(x.B), c.local(x.Target)
	return func(s *state, l []*ast.Term) int {
		va, vb := l[a], l[b]
		if va == nil || vb == nil {
			return 1
		}
		l[t] = ast.NewTerm(merge(va.Value, vb.Value))
		return 0
	}
}

// merge is topdown's merge of a base document (a) with the virtual document
// (b) at the same path: objects merge recursively, otherwise a wins.
func merge(a, b ast.Value) ast.Value {
	oa, ok1 := a.(ast.Object)
	ob, ok2 := b.(ast.Object)
	if !ok1 || !ok2 {
		return a
	}
	result := ast.NewObjectWithCapacity(oa.Len() + ob.Len())
	oa.Foreach(func(k, v *ast.Term) {
		v2 := ob.Get(k)
		if v2 == nil {
			result.Insert(k, v)
			return
		}
		o1, ok1 := v.Value.(ast.Object)
		o2, ok2 := v2.Value.(ast.Object)
		if !ok1 || !ok2 {
			result.Insert(k, v)
			return
		}
		result.Insert(k, ast.NewTerm(merge(o1, o2)))
	})
	ob.Foreach(func(k, v *ast.Term) {
		if oa.Get(k) == nil {
			result.Insert(k, v)
		}
	})
	return result
}
