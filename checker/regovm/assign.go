package regovm

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// The statements that set a local: assignments, and the lookups (a key of
// a collection, its length) whose result goes into one.

func (c *compiler) assignVar(x *ir.AssignVarStmt) stmt {
	src, t := c.opnd(x.Source), c.local(x.Target)
	if flag := c.assignDoc(x); flag != nil {
		// The base document where no rule matched a dynamic lookup.
		si := src.i
		return func(s *state, l []*ast.Term) int {
			l[t], l[*flag] = l[si], trueTerm
			return 0
		}
	}
	if src.c != nil {
		return c.setConst(x.Target, src.c)
	}
	si := src.i
	return func(s *state, l []*ast.Term) int { l[t] = l[si]; return 0 }
}

func (c *compiler) assignVarOnce(x *ir.AssignVarOnceStmt) stmt {
	src, t := c.opnd(x.Source), c.local(x.Target)
	loc, msg := c.loc(x), c.conflictMessage()
	return func(s *state, l []*ast.Term) int {
		v := src.get(l)
		if cur := l[t]; cur != nil && v != nil {
			if !equal(cur, v) {
				return s.fail(&topdown.Error{Code: topdown.ConflictErr, Message: msg, Location: loc})
			}
			return 0 // the first of equal values stays (Wasm, topdown)
		}
		l[t] = v
		return 0
	}
}

func (c *compiler) conflictMessage() string {
	if c.inFunc != nil && len(c.inFunc.Params) > 2 {
		return "functions must not produce multiple outputs for same inputs"
	}
	return "complete rules must not produce multiple outputs"
}

// setConst is a statement that puts the constant v in local target
// (AssignIntStmt, MakeNullStmt, MakeNumber*Stmt, AssignVarStmt of a
// constant).
func (c *compiler) setConst(target ir.Local, v *ast.Term) stmt {
	t := c.local(target)
	return func(s *state, l []*ast.Term) int { l[t] = v; return 0 }
}

func (c *compiler) resetLocal(x *ir.ResetLocalStmt) stmt {
	t := c.local(x.Target)
	return func(s *state, l []*ast.Term) int { l[t] = nil; return 0 }
}

func (c *compiler) dot(x *ir.DotStmt) stmt {
	srcLocal, ok := localOf(x.Source)
	if !ok { // Wasm: a constant source is never a collection
		return func(*state, []*ast.Term) int { return 1 }
	}
	src, key, t := c.local(srcLocal), c.opnd(x.Key), c.local(x.Target)
	if flag, ok := c.baseDot(x, srcLocal, key); ok {
		return func(s *state, l []*ast.Term) int {
			v, k := l[src], key.get(l)
			if v == nil || k == nil {
				return 1
			}
			var r *ast.Term
			if flag == nil || l[*flag] != nil {
				r = baseGet(v, k)
			} else {
				r = v.Get(k) // a rule's value
			}
			if r == nil {
				return 1
			}
			l[t] = r
			return 0
		}
	}
	if key.c != nil {
		k := key.c
		return func(s *state, l []*ast.Term) int {
			v := l[src]
			if v == nil {
				return 1
			}
			r := v.Get(k)
			if r == nil {
				return 1
			}
			l[t] = r
			return 0
		}
	}
	ki := key.i
	return func(s *state, l []*ast.Term) int {
		v, k := l[src], l[ki]
		if v == nil || k == nil {
			return 1
		}
		r := v.Get(k)
		if r == nil {
			return 1
		}
		l[t] = r
		return 0
	}
}

func (c *compiler) length(x *ir.LenStmt) stmt {
	src, t := c.opnd(x.Source), c.local(x.Target)
	return func(s *state, l []*ast.Term) int {
		v := src.get(l)
		if v == nil {
			return 1
		}
		var n int
		switch x := v.Value.(type) {
		case *ast.Array:
			n = x.Len()
		case ast.Object:
			n = x.Len()
		case ast.Set:
			n = x.Len()
		default:
			return 1
		}
		l[t] = ast.InternedTerm(n)
		return 0
	}
}
