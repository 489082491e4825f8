package regovm

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
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
	// fills says which collections of the function being compiled may be
	// the shared empty ones (empty.go).
	fills  fillPlan
	empty  emptyValues
	shared int
}

func compileProgram(policy *ir.Policy, entrypoints []string) (*Program, error) {
	c := &compiler{policy: policy, funcs: map[string]*function{}, irFuncs: map[string]*ir.Func{}, root: &dynNode{}, unsup: unsupported{}, compObjs: map[ir.Local]int{}, empty: newEmptyValues()}
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
			c.fills = filledLocals(f.Blocks, f.Params)
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
		c.fills = filledLocals(p.Blocks, []ir.Local{ir.Input, ir.Data})
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
	prog.shared = c.shared
	return prog, nil
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
		if f, n := c.arrayLiteral(b.Stmts[i:]); f != nil {
			out = append(out, f)
			i += n - 1
			continue
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

// stmt compiles one statement of the plan. It is a dispatch switch, and
// stays one: the statements of OPA's IR are a closed set of types with
// nothing in common but ir.Stmt, and a type switch is the one place that
// maps each type to the method that compiles it, grouped by topic: flow.go
// (blocks, breaks, negation, scans, results), calls.go, assign.go (locals
// set, lookups), compare.go (tests) and build.go (collections).
func (c *compiler) stmt(st ir.Stmt) stmt {
	switch x := st.(type) {
	case *ir.NopStmt:
		return nil
	case *ir.ResultSetAddStmt:
		return c.resultSetAdd(x)
	case *ir.ReturnLocalStmt:
		return c.returnLocal(x)
	case *ir.BlockStmt:
		return c.blockStmt(x)
	case *ir.BreakStmt:
		return c.breakStmt(x)
	case *ir.NotStmt:
		return c.not(x)
	case *ir.ScanStmt:
		return c.scan(x)
	case *ir.CallStmt:
		return c.call(x)
	case *ir.CallDynamicStmt:
		return c.callDynamic(x)
	case *ir.AssignVarStmt:
		return c.assignVar(x)
	case *ir.AssignVarOnceStmt:
		return c.assignVarOnce(x)
	case *ir.AssignIntStmt:
		return c.setConst(x.Target, ast.InternedTerm(int(x.Value)))
	case *ir.ResetLocalStmt:
		return c.resetLocal(x)
	case *ir.DotStmt:
		return c.dot(x)
	case *ir.LenStmt:
		return c.length(x)
	case *ir.EqualStmt:
		return c.equalStmt(x)
	case *ir.NotEqualStmt:
		return c.notEqual(x)
	case *ir.MakeNullStmt:
		return c.setConst(x.Target, ast.NullTerm())
	case *ir.MakeNumberIntStmt:
		return c.setConst(x.Target, ast.InternedTerm(int(x.Value)))
	case *ir.MakeNumberRefStmt:
		return c.setConst(x.Target, c.numberRef(x))
	case *ir.MakeArrayStmt:
		return c.makeArray(x)
	case *ir.MakeObjectStmt:
		return c.makeObject(x)
	case *ir.MakeSetStmt:
		return c.makeSet(x)
	case *ir.IsArrayStmt:
		return c.isType(x.Source, isArray)
	case *ir.IsObjectStmt:
		return c.isType(x.Source, isObject)
	case *ir.IsSetStmt:
		return c.isType(x.Source, isSet)
	case *ir.IsDefinedStmt:
		return c.isDefined(x.Source, true)
	case *ir.IsUndefinedStmt:
		return c.isDefined(x.Source, false)
	case *ir.ArrayAppendStmt:
		return c.arrayAppend(x)
	case *ir.ObjectInsertStmt:
		return c.objectInsert(x)
	case *ir.ObjectInsertOnceStmt:
		return c.objectInsertOnce(x)
	case *ir.SetAddStmt:
		return c.setAdd(x)
	case *ir.ObjectMergeStmt:
		return c.objectMerge(x)
	case *ir.WithStmt:
		c.unsup.add("statement WithStmt (with)")
		return nil
	}
	c.unsup.add("statement %T", st)
	return nil
}
