package regovm

import (
	"context"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
)

// state is the working memory of one Eval: the stack of locals, the memo of
// functions without arguments, the builtin context. Pooled by Program.
type state struct {
	p       *Program
	ctx     context.Context
	cancel  topdown.Cancel
	stack   []*ast.Term
	sp      int
	memo    []*ast.Term
	err     error
	ret     *ast.Term
	results []*ast.Term
	ticks   uint32

	// builtin calls
	bctx       topdown.BuiltinContext
	iter       func(*ast.Term) error
	res        *ast.Term
	collecting bool
	collected  []*ast.Term
}

// undefinedMemo marks a memoized function result that is undefined.
var undefinedMemo = &ast.Term{Value: ast.Null{}}

func newState(p *Program) *state {
	s := &state{p: p, stack: make([]*ast.Term, max(256, 8*p.maxLocals)), memo: make([]*ast.Term, p.nmemo)}
	s.iter = s.onResult
	return s
}

func (s *state) onResult(t *ast.Term) error {
	if s.collecting {
		s.collected = append(s.collected, t)
		return nil
	}
	if s.res == nil {
		s.res = t
	}
	return nil
}

func (s *state) reset(ctx context.Context, cancel topdown.Cancel) {
	if ctx == nil {
		ctx = context.Background()
	}
	s.ctx, s.cancel = ctx, cancel
	s.bctx = topdown.BuiltinContext{Context: ctx, Cancel: cancel, Cache: builtins.Cache{}}
	s.err, s.ret, s.res, s.sp, s.ticks = nil, nil, nil, 0, 0
}

// release drops every reference into the evaluation's values, so that the
// pooled state keeps none alive.
func (s *state) release() {
	clear(s.stack)
	clear(s.memo)
	clear(s.results)
	s.results = s.results[:0]
	s.ctx, s.cancel, s.err, s.ret, s.res, s.collected = nil, nil, nil, nil, nil, nil
	s.bctx = topdown.BuiltinContext{}
}

// fail records err and returns the statement result that unwinds the
// evaluation.
func (s *state) fail(err error) int {
	if s.err == nil {
		s.err = err
	}
	return unwind
}

var cancelErr = &topdown.Error{Code: topdown.CancelErr, Message: "caller cancelled query execution"}

// tick counts work and, every 128 steps, checks for cancellation. It
// returns true (with s.err set) when the evaluation must stop.
func (s *state) tick() bool {
	s.ticks++
	if s.ticks&127 != 0 {
		return false
	}
	if s.cancel != nil && s.cancel.Cancelled() {
		s.fail(cancelErr)
		return true
	}
	if err := s.ctx.Err(); err != nil {
		s.fail(&topdown.Error{Code: topdown.CancelErr, Message: "caller cancelled query execution: " + err.Error()})
		return true
	}
	return false
}

// operands reads the arguments of a builtin call into a fresh slice (a
// builtin may keep it).
func (s *state) operands(l []*ast.Term, args []opnd) ([]*ast.Term, bool) {
	ops := make([]*ast.Term, len(args))
	for i, a := range args {
		v := a.get(l)
		if v == nil {
			return nil, false
		}
		ops[i] = v
	}
	return ops, true
}

// frame takes n locals off the stack, all undefined.
func (s *state) frame(n int) ([]*ast.Term, int) {
	base := s.sp
	if base+n > len(s.stack) {
		// Frames already handed out keep the old array.
		s.stack = make([]*ast.Term, max(2*len(s.stack), base+n))
	}
	l := s.stack[base : base+n : base+n]
	clear(l)
	s.sp = base + n
	return l, base
}

// call calls fn with args read from the caller's locals l; nil when the
// result is undefined or an error occurred (s.err).
func (s *state) call(fn *function, l []*ast.Term, args []opnd) *ast.Term {
	if fn.memo >= 0 {
		if v := s.memo[fn.memo]; v != nil {
			if v == undefinedMemo {
				return nil
			}
			return v
		}
	}
	if s.tick() {
		return nil
	}
	fl, base := s.frame(fn.nlocals)
	for i, a := range args {
		fl[fn.params[i]] = a.get(l)
	}
	var res *ast.Term
	for _, b := range fn.blocks {
		if r := run(b, s, fl); r > 1 {
			if s.err == nil && r >= unwind {
				res, s.ret = s.ret, nil
			}
			break
		}
	}
	s.sp = base
	if s.err != nil {
		return nil
	}
	if fn.memo >= 0 {
		if res == nil {
			s.memo[fn.memo] = undefinedMemo
		} else {
			s.memo[fn.memo] = res
		}
	}
	return res
}

// runPlan runs an entrypoint's plan and returns the value of its result
// (nil: undefined).
func (s *state) runPlan(pl *function, input, data *ast.Term) (*ast.Term, error) {
	fl, base := s.frame(pl.nlocals)
	fl[0], fl[1] = input, data
	s.results = s.results[:0]
	for _, b := range pl.blocks {
		if r := run(b, s, fl); r > 1 {
			break
		}
	}
	s.sp = base
	if s.err != nil {
		return nil, s.err
	}
	var out *ast.Term
	for _, r := range s.results {
		obj, ok := r.Value.(ast.Object)
		if !ok {
			continue
		}
		if v := obj.Get(resultKey); v != nil {
			out = v
			break
		}
	}
	return out, nil
}

var resultKey = ast.StringTerm("result")
