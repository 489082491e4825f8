package regovm

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
)

// The statements that test values: equality, and whether a local is
// defined or holds a collection of a kind. Each is undefined (leaves its
// block) when the test fails.

func (c *compiler) equalStmt(x *ir.EqualStmt) stmt {
	a, b := c.opnd(x.A), c.opnd(x.B)
	if key, other, flag, ok := c.baseKeyEqual(x, a, b); ok {
		return func(s *state, l []*ast.Term) int {
			k, v := key.get(l), other.get(l)
			if k == nil || v == nil {
				return 1
			}
			if flag == nil || l[*flag] != nil {
				if !baseKeyMatches(k, v) {
					return 1
				}
			} else if !equal(k, v) { // a key of a rule's value
				return 1
			}
			return 0
		}
	}
	return func(s *state, l []*ast.Term) int {
		va, vb := a.get(l), b.get(l)
		if va == nil || vb == nil || !equal(va, vb) {
			return 1
		}
		return 0
	}
}

func (c *compiler) notEqual(x *ir.NotEqualStmt) stmt {
	a, b := c.opnd(x.A), c.opnd(x.B)
	if b.c == falseTerm && a.c == nil {
		ai := a.i
		return func(s *state, l []*ast.Term) int {
			v := l[ai]
			if v == nil {
				return 1
			}
			if bv, ok := v.Value.(ast.Boolean); ok && !bool(bv) {
				return 1
			}
			return 0
		}
	}
	return func(s *state, l []*ast.Term) int {
		va, vb := a.get(l), b.get(l)
		if va == nil || vb == nil || equal(va, vb) {
			return 1
		}
		return 0
	}
}

// equal is topdown's equality of two values (unification of ground terms,
// and the == builtin).
func equal(a, b *ast.Term) bool {
	return a == b || ast.ValueEqual(a.Value, b.Value)
}

func (c *compiler) isType(o ir.Operand, is func(ast.Value) bool) stmt {
	lo, ok := localOf(o)
	if !ok {
		return func(*state, []*ast.Term) int { return 1 }
	}
	src := c.local(lo)
	return func(s *state, l []*ast.Term) int {
		v := l[src]
		if v == nil || !is(v.Value) {
			return 1
		}
		return 0
	}
}

func isArray(v ast.Value) bool  { _, ok := v.(*ast.Array); return ok }
func isObject(v ast.Value) bool { _, ok := v.(ast.Object); return ok }
func isSet(v ast.Value) bool    { _, ok := v.(ast.Set); return ok }

// isDefined is IsDefinedStmt (want true) and IsUndefinedStmt (want false).
func (c *compiler) isDefined(source ir.Local, want bool) stmt {
	src := c.local(source)
	if want {
		return func(s *state, l []*ast.Term) int {
			if l[src] == nil {
				return 1
			}
			return 0
		}
	}
	return func(s *state, l []*ast.Term) int {
		if l[src] != nil {
			return 1
		}
		return 0
	}
}
