package regovm

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
)

// The statements that steer the flow of a plan: blocks, breaks,
// negation, iteration, results and returns.

func (c *compiler) resultSetAdd(x *ir.ResultSetAddStmt) stmt {
	v := c.local(x.Value)
	return func(s *state, l []*ast.Term) int {
		if t := l[v]; t != nil {
			s.results = append(s.results, planResult{t: t})
		}
		return 0
	}
}

func (c *compiler) returnLocal(x *ir.ReturnLocalStmt) stmt {
	src := c.local(x.Source)
	return func(s *state, l []*ast.Term) int {
		s.ret = l[src]
		return brkAll
	}
}

func (c *compiler) blockStmt(x *ir.BlockStmt) stmt {
	bs := make([]block, len(x.Blocks))
	for i, b := range x.Blocks {
		bs[i] = c.block(b, kindPlain)
	}
	if len(bs) == 1 {
		b := bs[0]
		return func(s *state, l []*ast.Term) int {
			if r := run(b, s, l); r > 1 {
				return r - 1
			}
			return 0
		}
	}
	return func(s *state, l []*ast.Term) int {
		for _, b := range bs {
			if r := run(b, s, l); r > 1 {
				return r - 1
			}
		}
		return 0
	}
}

func (c *compiler) breakStmt(x *ir.BreakStmt) stmt {
	n := int(x.Index)
	c.checkBreak(n, "break")
	r := n + 1
	return func(*state, []*ast.Term) int { return r }
}

// checkBreak refuses a jump out of n+1 blocks that would leave a scan body
// before the last block left (Wasm counts a scan as two blocks, the IR as
// one: the planner never does this) or leave the function.
func (c *compiler) checkBreak(n int, what string) {
	if n >= len(c.kinds) {
		c.unsup.add("%s leaves the function", what)
		return
	}
	for j := 0; j < n; j++ {
		switch c.kinds[len(c.kinds)-1-j] {
		case kindScan:
			c.unsup.add("%s leaves a scan", what)
			return
		case kindTop:
			c.unsup.add("%s leaves the function", what)
			return
		}
	}
}

func (c *compiler) not(x *ir.NotStmt) stmt {
	b := c.block(x.Block, kindPlain)
	return func(s *state, l []*ast.Term) int {
		switch r := run(b, s, l); {
		case r == 0:
			return 1 // the negated block is defined
		case r == 1:
			return 0
		default:
			return r - 1
		}
	}
}

func (c *compiler) scan(x *ir.ScanStmt) stmt {
	src, k, v := c.local(x.Source), c.local(x.Key), c.local(x.Value)
	c.scanDoc(x)
	body := c.block(x.Block, kindScan)
	return func(s *state, l []*ast.Term) int {
		t := l[src]
		if t == nil {
			return 0
		}
		switch coll := t.Value.(type) {
		case *ast.Array:
			for i := 0; i < coll.Len(); i++ {
				if s.tick() {
					return unwind
				}
				l[k] = ast.InternedTerm(i)
				l[v] = coll.Elem(i)
				if r := run(body, s, l); r > 1 {
					return r - 1
				}
			}
		case ast.Object:
			it := coll.KeysIterator()
			for key, more := it.Next(); more; key, more = it.Next() {
				if s.tick() {
					return unwind
				}
				l[k] = key
				l[v] = coll.Get(key)
				if r := run(body, s, l); r > 1 {
					return r - 1
				}
			}
		case ast.Set:
			for _, e := range coll.Slice() {
				if s.tick() {
					return unwind
				}
				l[k] = e
				l[v] = e
				if r := run(body, s, l); r > 1 {
					return r - 1
				}
			}
		}
		return 0
	}
}
