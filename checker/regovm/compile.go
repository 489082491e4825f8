package regovm

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// stmt is one compiled statement. It returns 0 to go on with the next
// statement of its block, or the number of blocks to leave: 1 when the
// statement is undefined (or BreakStmt{Index: 0}), n+1 for
// BreakStmt{Index: n}, and at least unwind for an error or a return.
type stmt func(s *state, l []*ast.Term) int

type block []stmt

// unwind is the least return value of a statement that leaves its function
// (an error, or ReturnLocalStmt): every enclosing construct passes it on.
const (
	unwind = 1 << 20
	brkAll = 1 << 29
)

// run runs the statements of b and returns 0 when all of them ran, or the
// value of the statement that left b.
func run(b block, s *state, l []*ast.Term) int {
	for _, f := range b {
		if r := f(s, l); r != 0 {
			return r
		}
	}
	return 0
}

// function is a compiled ir.Func, or an entrypoint's ir.Plan (params: input
// and data, ret -1).
type function struct {
	name    string
	params  []int32
	nlocals int
	blocks  []block
	memo    int // memo slot when the only parameters are input and data, else -1
	id      int32
	cslot   int // slot of Program.consts for a constant function, else -1
}

type blockKind uint8

const (
	kindPlain blockKind = iota
	kindTop             // a top-level block of a function or plan
	kindScan            // the body of a ScanStmt
)

// dynNode is a node of the mapping from function paths (ir.Func.Path) to
// functions that CallDynamicStmt looks functions up in.
type dynNode struct {
	children map[string]*dynNode
	fn       *function
}

type compiler struct {
	policy   *ir.Policy
	strs     []*ast.Term
	files    []string
	funcs    map[string]*function
	irFuncs  map[string]*ir.Func
	root     *dynNode
	unsup    unsupported
	kinds    []blockKind
	maxLocal int
	inFunc   *ir.Func         // function being compiled (nil for a plan)
	compObjs map[ir.Local]int // objects of the object comprehensions being compiled
	nmemo    int
	maxArgs  int // of a builtin call
	// docs says which locals of the function being compiled hold (part
	// of) the base document, as basedoc.go explains; dynResults are the
	// results of its CallDynamicStmts.
	docs       map[ir.Local]docInfo
	dynResults map[ir.Local]*int32
	flags      []*int32 // of the function being compiled
}

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

func compileProgram(policy *ir.Policy, entrypoints []string) (*Program, error) {
	c := &compiler{policy: policy, funcs: map[string]*function{}, irFuncs: map[string]*ir.Func{}, root: &dynNode{}, unsup: unsupported{}, compObjs: map[ir.Local]int{}}
	if policy.Static != nil {
		for _, s := range policy.Static.Strings {
			c.strs = append(c.strs, ast.StringTerm(s.Value))
		}
		for _, f := range policy.Static.Files {
			c.files = append(c.files, f.Value)
		}
		for _, bf := range policy.Static.BuiltinFuncs {
			c.checkBuiltin(bf)
		}
	}
	// Declare every function first: calls may come before the callee.
	consts := constantFuncs(policy)
	nconsts := 0
	if policy.Funcs != nil {
		for _, f := range policy.Funcs.Funcs {
			fn := &function{name: f.Name, memo: -1, id: int32(len(c.funcs)), cslot: -1}
			for _, p := range f.Params {
				fn.params = append(fn.params, int32(p))
			}
			if len(f.Params) == 2 {
				fn.memo = c.nmemo
				c.nmemo++
				if consts[f.Name] {
					fn.cslot = nconsts
					nconsts++
				}
			}
			c.funcs[f.Name] = fn
			c.irFuncs[f.Name] = f
			if len(f.Path) > 0 {
				n := c.root
				for _, seg := range f.Path {
					if n.children == nil {
						n.children = map[string]*dynNode{}
					}
					next := n.children[seg]
					if next == nil {
						next = &dynNode{}
						n.children[seg] = next
					}
					n = next
				}
				n.fn = fn
			}
		}
	}
	maxLocals := 0
	prog := &Program{entrypoints: append([]string(nil), entrypoints...)}
	if policy.Funcs != nil {
		for _, f := range policy.Funcs.Funcs {
			fn := c.funcs[f.Name]
			c.inFunc = f
			c.startFunction(f.Params)
			c.maxLocal = int(f.Return)
			for _, p := range f.Params {
				c.maxLocal = max(c.maxLocal, int(p))
			}
			for _, b := range f.Blocks {
				fn.blocks = append(fn.blocks, c.block(b, kindTop))
			}
			fn.nlocals = c.endFunction(c.maxLocal + 1)
			maxLocals = max(maxLocals, fn.nlocals)
			prog.funcs = append(prog.funcs, fn)
		}
	}
	c.inFunc = nil
	plans := map[string]*ir.Plan{}
	if policy.Plans != nil {
		for _, p := range policy.Plans.Plans {
			plans[p.Name] = p
		}
	}
	for _, ep := range entrypoints {
		p := plans[ep]
		if p == nil {
			return nil, fmt.Errorf("regovm: no plan for entrypoint %q", ep)
		}
		fn := &function{name: ep, params: []int32{int32(ir.Input), int32(ir.Data)}, memo: -1, cslot: -1}
		c.startFunction([]ir.Local{ir.Input, ir.Data})
		c.maxLocal = int(ir.Data)
		for _, b := range p.Blocks {
			fn.blocks = append(fn.blocks, c.block(b, kindTop))
		}
		fn.nlocals = c.endFunction(c.maxLocal + 1)
		maxLocals = max(maxLocals, fn.nlocals)
		prog.plans = append(prog.plans, fn)
	}
	if err := c.unsup.err(); err != nil {
		return nil, err
	}
	prog.nmemo = c.nmemo
	prog.consts = make([]constSlot, nconsts)
	prog.maxArgs = c.maxArgs
	prog.maxLocals = maxLocals
	return prog, nil
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

func (c *compiler) local(l ir.Local) int32 {
	c.maxLocal = max(c.maxLocal, int(l))
	return int32(l)
}

// opnd is a compiled ir.Operand: a constant, or a local.
type opnd struct {
	c *ast.Term
	i int32
}

func (o opnd) get(l []*ast.Term) *ast.Term {
	if o.c != nil {
		return o.c
	}
	return l[o.i]
}

var (
	trueTerm  = ast.BooleanTerm(true)
	falseTerm = ast.BooleanTerm(false)
)

func (c *compiler) opnd(o ir.Operand) opnd {
	switch v := o.Value.(type) {
	case ir.Local:
		return opnd{i: c.local(v)}
	case *ir.Local:
		return opnd{i: c.local(*v)}
	case ir.StringIndex:
		return opnd{c: c.str(int(v))}
	case *ir.StringIndex:
		return opnd{c: c.str(int(*v))}
	case ir.Bool:
		return opnd{c: boolTerm(bool(v))}
	case *ir.Bool:
		return opnd{c: boolTerm(bool(*v))}
	}
	c.unsup.add("operand %T", o.Value)
	return opnd{c: ast.NullTerm()}
}

// localOf returns the local of o, or false when o is a constant.
func localOf(o ir.Operand) (ir.Local, bool) {
	switch v := o.Value.(type) {
	case ir.Local:
		return v, true
	case *ir.Local:
		return *v, true
	}
	return 0, false
}

func boolTerm(b bool) *ast.Term {
	if b {
		return trueTerm
	}
	return falseTerm
}

func (c *compiler) str(i int) *ast.Term {
	if i < 0 || i >= len(c.strs) {
		c.unsup.add("string index %d out of range", i)
		return ast.StringTerm("")
	}
	return c.strs[i]
}

func (c *compiler) loc(st ir.Stmt) *ast.Location {
	l := st.GetLocation()
	if l == nil {
		return nil
	}
	file := ""
	if l.File >= 0 && l.File < len(c.files) {
		file = c.files[l.File]
	}
	return &ast.Location{File: file, Row: l.Row, Col: l.Col}
}

func (c *compiler) block(b *ir.Block, kind blockKind) block {
	c.kinds = append(c.kinds, kind)
	out := make(block, 0, len(b.Stmts))
	for i := 0; i < len(b.Stmts); i++ {
		st := b.Stmts[i]
		if f := c.planResult(b.Stmts[i:]); f != nil {
			out = append(out, f)
			break
		}
		// An object comprehension is MakeObjectStmt then the BlockStmt of
		// its body: inside, an equal value for a key replaces the first
		// (topdown), where a partial object rule keeps the first.
		var comp ir.Local = -1
		if _, ok := st.(*ir.BlockStmt); ok && i > 0 {
			if mo, ok := b.Stmts[i-1].(*ir.MakeObjectStmt); ok {
				comp = mo.Target
				c.compObjs[comp]++
			}
		}
		if f := c.stmt(st); f != nil {
			out = append(out, f)
		}
		if comp >= 0 {
			c.compObjs[comp]--
		}
	}
	c.kinds = c.kinds[:len(c.kinds)-1]
	return out
}

// planResult compiles the statements that end a block of a plan, if they
// are MakeObjectStmt{T}, ObjectInsertStmt{"result", V, T},
// ResultSetAddStmt{T}: the planner's way of adding {"result": V} to the
// result set. The fused statement records V itself (runPlan reads the
// "result" of the first result), without making the object T, which no
// other statement reads (it is made last thing in the block).
func (c *compiler) planResult(stmts []ir.Stmt) stmt {
	if c.inFunc != nil || len(stmts) != 3 {
		return nil
	}
	mo, ok1 := stmts[0].(*ir.MakeObjectStmt)
	oi, ok2 := stmts[1].(*ir.ObjectInsertStmt)
	ra, ok3 := stmts[2].(*ir.ResultSetAddStmt)
	if !ok1 || !ok2 || !ok3 || oi.Object != mo.Target || ra.Value != mo.Target {
		return nil
	}
	key := c.opnd(oi.Key)
	if key.c == nil || !key.c.Equal(resultKey) {
		return nil
	}
	c.local(mo.Target)
	v := c.opnd(oi.Value)
	return func(s *state, l []*ast.Term) int {
		t := v.get(l)
		if t == nil {
			return 1
		}
		s.results = append(s.results, planResult{t: t, direct: true})
		return 0
	}
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

func (c *compiler) conflictMessage() string {
	if c.inFunc != nil && len(c.inFunc.Params) > 2 {
		return "functions must not produce multiple outputs for same inputs"
	}
	return "complete rules must not produce multiple outputs"
}

func (c *compiler) stmt(st ir.Stmt) stmt {
	switch x := st.(type) {
	case *ir.NopStmt:
		return nil
	case *ir.ResultSetAddStmt:
		v := c.local(x.Value)
		return func(s *state, l []*ast.Term) int {
			if t := l[v]; t != nil {
				s.results = append(s.results, planResult{t: t})
			}
			return 0
		}
	case *ir.ReturnLocalStmt:
		src := c.local(x.Source)
		return func(s *state, l []*ast.Term) int {
			s.ret = l[src]
			return brkAll
		}
	case *ir.BlockStmt:
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
	case *ir.BreakStmt:
		n := int(x.Index)
		c.checkBreak(n, "break")
		r := n + 1
		return func(*state, []*ast.Term) int { return r }
	case *ir.NotStmt:
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
	case *ir.ScanStmt:
		return c.scan(x)
	case *ir.CallStmt:
		return c.call(x)
	case *ir.CallDynamicStmt:
		return c.callDynamic(x)
	case *ir.AssignVarStmt:
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
			v := src.c
			return func(s *state, l []*ast.Term) int { l[t] = v; return 0 }
		}
		si := src.i
		return func(s *state, l []*ast.Term) int { l[t] = l[si]; return 0 }
	case *ir.AssignVarOnceStmt:
		src, t := c.opnd(x.Source), c.local(x.Target)
		loc, msg := c.loc(st), c.conflictMessage()
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
	case *ir.AssignIntStmt:
		v, t := ast.InternedTerm(int(x.Value)), c.local(x.Target)
		return func(s *state, l []*ast.Term) int { l[t] = v; return 0 }
	case *ir.ResetLocalStmt:
		t := c.local(x.Target)
		return func(s *state, l []*ast.Term) int { l[t] = nil; return 0 }
	case *ir.DotStmt:
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
	case *ir.LenStmt:
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
	case *ir.EqualStmt:
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
	case *ir.NotEqualStmt:
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
	case *ir.MakeNullStmt:
		t := c.local(x.Target)
		v := ast.NullTerm()
		return func(s *state, l []*ast.Term) int { l[t] = v; return 0 }
	case *ir.MakeNumberIntStmt:
		t := c.local(x.Target)
		v := ast.InternedTerm(int(x.Value))
		return func(s *state, l []*ast.Term) int { l[t] = v; return 0 }
	case *ir.MakeNumberRefStmt:
		t := c.local(x.Target)
		v := ast.NewTerm(ast.Number(string(c.str(x.Index).Value.(ast.String))))
		return func(s *state, l []*ast.Term) int { l[t] = v; return 0 }
	case *ir.MakeArrayStmt:
		t := c.local(x.Target)
		capacity := int(x.Capacity)
		return func(s *state, l []*ast.Term) int {
			l[t] = ast.NewTerm(ast.NewArrayWithCapacity(capacity))
			return 0
		}
	case *ir.MakeObjectStmt:
		t := c.local(x.Target)
		return func(s *state, l []*ast.Term) int { l[t] = ast.NewTerm(ast.NewObject()); return 0 }
	case *ir.MakeSetStmt:
		t := c.local(x.Target)
		return func(s *state, l []*ast.Term) int { l[t] = ast.NewTerm(ast.NewSet()); return 0 }
	case *ir.IsArrayStmt:
		return c.isType(x.Source, func(v ast.Value) bool { _, ok := v.(*ast.Array); return ok })
	case *ir.IsObjectStmt:
		return c.isType(x.Source, func(v ast.Value) bool { _, ok := v.(ast.Object); return ok })
	case *ir.IsSetStmt:
		return c.isType(x.Source, func(v ast.Value) bool { _, ok := v.(ast.Set); return ok })
	case *ir.IsDefinedStmt:
		src := c.local(x.Source)
		return func(s *state, l []*ast.Term) int {
			if l[src] == nil {
				return 1
			}
			return 0
		}
	case *ir.IsUndefinedStmt:
		src := c.local(x.Source)
		return func(s *state, l []*ast.Term) int {
			if l[src] != nil {
				return 1
			}
			return 0
		}
	case *ir.ArrayAppendStmt:
		v, a := c.opnd(x.Value), c.local(x.Array)
		return func(s *state, l []*ast.Term) int {
			arr, ok := l[a].Value.(*ast.Array)
			val := v.get(l)
			if !ok || val == nil {
				return 1
			}
			l[a] = ast.NewTerm(arr.Append(val))
			return 0
		}
	case *ir.ObjectInsertStmt:
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
	case *ir.ObjectInsertOnceStmt:
		k, v, o := c.opnd(x.Key), c.opnd(x.Value), c.local(x.Object)
		loc := c.loc(st)
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
	case *ir.SetAddStmt:
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
	case *ir.ObjectMergeStmt:
		// The extent of a path with both base documents (A) and rules (B):
		// topdown's evalTree.extent merges them with merge (eval.go).
		a, b, t := c.local(x.A), c.local(x.B), c.local(x.Target)
		return func(s *state, l []*ast.Term) int {
			va, vb := l[a], l[b]
			if va == nil || vb == nil {
				return 1
			}
			l[t] = ast.NewTerm(merge(va.Value, vb.Value))
			return 0
		}
	case *ir.WithStmt:
		c.unsup.add("statement WithStmt (with)")
		return nil
	}
	c.unsup.add("statement %T", st)
	return nil
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

// equal is topdown's equality of two values (unification of ground terms,
// and the == builtin).
func equal(a, b *ast.Term) bool {
	return a == b || ast.ValueEqual(a.Value, b.Value)
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
