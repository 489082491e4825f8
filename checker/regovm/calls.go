package regovm

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// The statements that call: a function of the plan, a builtin (topdown's
// own implementation), or a function found by its path at run time.

// refusedBuiltins are builtins that topdown implements with more than the
// operands: printing, or state of the evaluation that regovm does not have.
// internal.print, what the compiler makes of print() when print statements
// are enabled, is run by compilePrint.
var refusedBuiltins = map[string]string{
	"print":       "print needs the compiler's rewriting into internal.print",
	"opa.runtime": "needs topdown's runtime",
	"time.now_ns": "needs topdown's evaluation time",
	"http.send":   "needs topdown's inter-query cache",
}

func (c *compiler) checkBuiltin(bf *ir.BuiltinFunc) {
	if why, ok := refusedBuiltins[bf.Name]; ok {
		c.unsup.add("builtin %s (%s)", bf.Name, why)
		return
	}
	if topdown.GetBuiltin(bf.Name) == nil {
		c.unsup.add("builtin %s (no topdown implementation)", bf.Name)
		return
	}
	b := ast.BuiltinMap[bf.Name]
	if b == nil {
		c.unsup.add("builtin %s (unknown to ast)", bf.Name)
		return
	}
	if b.Nondeterministic {
		c.unsup.add("builtin %s (non-deterministic: topdown caches it per query)", bf.Name)
	}
	// internal.print, the one void builtin regovm runs (compilePrint): the
	// planner continues after a void call whatever its result.
	if bf.Decl != nil && bf.Decl.Result() == nil && bf.Name != ast.InternalPrint.Name {
		c.unsup.add("builtin %s (void)", bf.Name)
	}
}

func (c *compiler) call(x *ir.CallStmt) stmt {
	t := c.local(x.Result)
	args := make([]opnd, len(x.Args))
	for i, a := range x.Args {
		args[i] = c.opnd(a)
	}
	if fn := c.funcs[x.Func]; fn != nil {
		if len(args) != len(fn.params) {
			c.unsup.add("call of %s with %d arguments, want %d", x.Func, len(args), len(fn.params))
			return nil
		}
		return func(s *state, l []*ast.Term) int {
			r := s.call(fn, l, args)
			if s.err != nil {
				return unwind
			}
			if r == nil {
				return 1
			}
			l[t] = r
			return 0
		}
	}
	bi := topdown.GetBuiltin(x.Func)
	decl := ast.BuiltinMap[x.Func]
	if bi == nil || decl == nil {
		c.unsup.add("call of unknown function %s", x.Func)
		return nil
	}
	if _, refused := refusedBuiltins[x.Func]; refused || decl.Nondeterministic {
		return nil // reported by checkBuiltin
	}
	loc := c.loc(x)
	if x.Func == ast.InternalPrint.Name {
		return compilePrint(bi, loc, args, t)
	}
	c.maxArgs = max(c.maxArgs, len(args))
	if decl.Relation {
		return func(s *state, l []*ast.Term) int {
			ops, ok := s.operands(l, args)
			if !ok {
				return 1
			}
			s.collecting, s.collected = true, nil
			s.bctx.Location = loc
			err := bi(s.bctx, ops, s.iter)
			s.collecting = false
			if err != nil {
				return s.fail(err)
			}
			l[t] = ast.NewTerm(ast.NewArray(s.collected...))
			s.collected = nil
			return 0
		}
	}
	if fast := native[x.Func]; fast != nil {
		return func(s *state, l []*ast.Term) int {
			ops, ok := s.operands(l, args)
			if !ok {
				return 1
			}
			if r, ok := fast(ops); ok {
				l[t] = r
				return 0
			}
			return s.builtin(bi, loc, ops, l, t)
		}
	}
	return func(s *state, l []*ast.Term) int {
		ops, ok := s.operands(l, args)
		if !ok {
			return 1
		}
		return s.builtin(bi, loc, ops, l, t)
	}
}

// compilePrint runs internal.print (a print() call) as topdown does: with
// the evaluation's print hook (PrintHook), topdown's builtin prints its
// operands; without one, nothing is printed. Either way the call is true and
// the body goes on, as in topdown.
func compilePrint(bi topdown.BuiltinFunc, loc *ast.Location, args []opnd, t int32) stmt {
	return func(s *state, l []*ast.Term) int {
		if s.bctx.PrintHook != nil {
			ops, ok := s.operands(l, args)
			if !ok {
				return 1
			}
			s.bctx.Location = loc
			if err := bi(s.bctx, ops, func(*ast.Term) error { return nil }); err != nil {
				return s.fail(err)
			}
		}
		l[t] = ast.InternedTerm(true)
		return 0
	}
}

// builtin calls topdown's builtin bi on ops and puts its result in local
// t: 0, or 1 when it is undefined, or the error's unwinding.
func (s *state) builtin(bi topdown.BuiltinFunc, loc *ast.Location, ops, l []*ast.Term, t int32) int {
	s.res = nil
	s.bctx.Location = loc
	if err := bi(s.bctx, ops, s.iter); err != nil {
		return s.fail(err)
	}
	r := s.res
	if r == nil {
		return 1
	}
	s.res = nil
	l[t] = r
	return 0
}

func (c *compiler) callDynamic(x *ir.CallDynamicStmt) stmt {
	// Wasm: a path that maps to no function leaves the block (the plan then
	// reads the base document); a function whose result is undefined leaves
	// four blocks (BrIf 3, see compileCallDynamicStmt).
	c.checkBreak(3, "undefined dynamic call")
	t := c.local(x.Result)
	flag := c.dynResult(x.Result)
	args := make([]opnd, len(x.Args))
	for i, a := range x.Args {
		args[i] = opnd{i: c.local(a)}
	}
	path := make([]opnd, len(x.Path))
	for i, p := range x.Path {
		path[i] = c.opnd(p)
	}
	root := c.root
	return func(s *state, l []*ast.Term) int {
		n := root
		for _, p := range path {
			v := p.get(l)
			if v == nil {
				return 1
			}
			str, ok := v.Value.(ast.String)
			if !ok {
				return 1
			}
			n = n.children[string(str)]
			if n == nil {
				return 1
			}
		}
		if n.fn == nil {
			return 1
		}
		if len(n.fn.params) != len(args) {
			return s.fail(fmt.Errorf("%w: dynamic call of %s with %d arguments, want %d", ErrUnsupported, n.fn.name, len(args), len(n.fn.params)))
		}
		r := s.call(n.fn, l, args)
		if s.err != nil {
			return unwind
		}
		if r == nil {
			return 4
		}
		l[t], l[*flag] = r, nil // a rule's value (basedoc.go)
		return 0
	}
}
