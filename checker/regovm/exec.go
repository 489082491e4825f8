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
	results []planResult
	ticks   uint32

	// functions with arguments, memoized by their values: fmemo maps the
	// hash of a call to the index+1 of its last entry.
	fmemo    map[int]int32
	fentries []memoEntry
	fargs    []*ast.Term // the arguments of the entries
	argBuf   []*ast.Term

	// builtin calls
	ops        []*ast.Term // operands, reused from call to call
	bctx       topdown.BuiltinContext
	iter       func(*ast.Term) error
	res        *ast.Term
	collecting bool
	collected  []*ast.Term
}

// undefinedMemo marks a memoized function result that is undefined.
var undefinedMemo = &ast.Term{Value: ast.Null{}}

func newState(p *Program) *state {
	s := &state{p: p, stack: make([]*ast.Term, max(256, 8*p.maxLocals)), memo: make([]*ast.Term, p.nmemo), ops: make([]*ast.Term, p.maxArgs)}
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
	clear(s.fmemo)
	clear(s.fentries)
	s.fentries = s.fentries[:0]
	clear(s.fargs)
	s.fargs = s.fargs[:0]
	clear(s.argBuf)
	clear(s.ops)
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

// operands reads the arguments of a builtin call into s.ops, which the
// next call overwrites: no builtin that regovm runs keeps its operands
// slice (topdown's builtins read their operands, and may return one of the
// terms, never the slice), and no builtin call starts before the previous
// one has returned (a builtin's iter only records its result).
func (s *state) operands(l []*ast.Term, args []opnd) ([]*ast.Term, bool) {
	ops := s.ops[:len(args)]
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
		v := s.memo[fn.memo]
		if v == nil && fn.cslot >= 0 {
			if v = s.p.consts[fn.cslot].Load(); v != nil {
				s.memo[fn.memo] = v
			}
		}
		if v != nil {
			if v == undefinedMemo {
				return nil
			}
			return v
		}
	}
	var h int
	if fn.memo < 0 {
		// Topdown caches a function's value by its arguments.
		s.argBuf = s.argBuf[:0]
		for _, a := range args {
			v := a.get(l)
			s.argBuf = append(s.argBuf, v)
			h = h*31 + hashArg(v)
		}
		if v, ok := s.memoGet(fn, h, s.argBuf); ok {
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
	memoRes := res
	if memoRes == nil {
		memoRes = undefinedMemo
	}
	if fn.memo >= 0 {
		s.memo[fn.memo] = memoRes
		if fn.cslot >= 0 {
			s.p.consts[fn.cslot].CompareAndSwap(nil, memoRes)
		}
	} else {
		s.memoPut(fn, h, l, args, memoRes)
	}
	return res
}

// hashArg is the hash of an argument of a function call: input and data,
// the first two, are nil when undefined (Eval allows either).
func hashArg(v *ast.Term) int {
	if v == nil {
		return 0
	}
	return v.Hash()
}

// memoEntry is the value of a function for some arguments.
type memoEntry struct {
	fn   int32
	next int32 // index+1 of the previous entry with the same hash, 0: none
	args int32 // offset of the arguments in state.fargs
	res  *ast.Term
}

// memoGet returns the memoized value of fn for args (undefinedMemo:
// undefined), h being the hash of args.
func (s *state) memoGet(fn *function, h int, args []*ast.Term) (*ast.Term, bool) {
	i := s.fmemo[h]
	for i > 0 {
		e := &s.fentries[i-1]
		if e.fn == fn.id {
			stored := s.fargs[e.args : int(e.args)+len(args)]
			same := true
			for j, a := range args {
				if !stored[j].Equal(a) { // nil (undefined input or data) equals only nil
					same = false
					break
				}
			}
			if same {
				return e.res, true
			}
		}
		i = e.next
	}
	return nil, false
}

// memoPut records res as the value of fn for args read from the caller's
// locals l, h being their hash.
func (s *state) memoPut(fn *function, h int, l []*ast.Term, args []opnd, res *ast.Term) {
	if s.fmemo == nil {
		s.fmemo = map[int]int32{}
	}
	off := int32(len(s.fargs))
	for _, a := range args {
		s.fargs = append(s.fargs, a.get(l))
	}
	s.fentries = append(s.fentries, memoEntry{fn: fn.id, next: s.fmemo[h], args: off, res: res})
	s.fmemo[h] = int32(len(s.fentries))
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
		if r.direct {
			out = r.t
			break
		}
		obj, ok := r.t.Value.(ast.Object)
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

// planResult is a term added to the result set of a plan, or (direct) the
// value of the "result" key of one.
type planResult struct {
	t      *ast.Term
	direct bool
}
