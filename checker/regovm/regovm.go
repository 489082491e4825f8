package regovm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/compile"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/print"
)

// ErrUnsupported is wrapped by the error Plan returns when the plan of the
// policies needs a statement or a builtin that regovm does not run exactly as
// topdown does.
var ErrUnsupported = errors.New("regovm: unsupported")

// Program is a planned and compiled set of entrypoints. It is immutable and
// safe for concurrent use.
type Program struct {
	entrypoints []string
	plans       []*function // one per entrypoint, in order
	funcs       []*function
	nmemo       int
	consts      []constSlot // values of the constant functions (const.go)
	maxArgs     int         // of a builtin call
	maxLocals   int
	shared      int       // statements that hand out a shared empty collection (empty.go)
	pool        sync.Pool // *state
	fallback    *fallback
}

// Entrypoints returns the entrypoints of p, in the order of Eval's results.
func (p *Program) Entrypoints() []string { return append([]string(nil), p.entrypoints...) }

// Plan plans the given entrypoints (slash paths such as
// "targets/tb01_one_plus_one/violation") of modules with OPA's planner and
// prepares an evaluator for them. caps may be nil (this OPA version's
// capabilities). It returns an error wrapping ErrUnsupported when the plan
// uses a statement or a builtin the evaluator cannot run exactly as topdown
// does.
func Plan(ctx context.Context, modules map[string]*ast.Module, entrypoints []string, caps *ast.Capabilities) (*Program, error) {
	if caps == nil {
		caps = ast.CapabilitiesForThisVersion()
	}
	policy, err := planPolicy(ctx, modules, entrypoints, caps)
	if err != nil {
		return nil, err
	}
	p, err := compileProgram(policy, entrypoints)
	if err != nil {
		return nil, err
	}
	if p.fallback, err = newFallback(modules, entrypoints, caps); err != nil {
		return nil, err
	}
	return p, nil
}

// planPolicy runs OPA's planner (compile target "plan") and decodes the IR.
func planPolicy(ctx context.Context, modules map[string]*ast.Module, entrypoints []string, caps *ast.Capabilities) (*ir.Policy, error) {
	if len(entrypoints) == 0 {
		return nil, errors.New("regovm: no entrypoints")
	}
	if caps == nil {
		caps = ast.CapabilitiesForThisVersion()
	}
	names := make([]string, 0, len(modules))
	for name := range modules {
		names = append(names, name)
	}
	sort.Strings(names)
	b := &bundle.Bundle{}
	b.SetRegoVersion(ast.RegoV1)
	for _, name := range names {
		m := modules[name]
		// The compiler rewrites the modules it compiles: plan a copy.
		b.Modules = append(b.Modules, bundle.ModuleFile{URL: name, Path: name, Parsed: m.Copy(), Raw: []byte(m.String())})
	}
	c := compile.New().
		WithTarget(compile.TargetPlan).
		WithEntrypoints(entrypoints...).
		WithCapabilities(caps).
		WithRegoVersion(ast.RegoV1).
		WithPruneUnused(true).
		WithEnablePrintStatements(false).
		WithBundle(b)
	if err := c.Build(ctx); err != nil {
		return nil, fmt.Errorf("regovm: plan: %w", err)
	}
	out := c.Bundle()
	if out == nil || len(out.PlanModules) == 0 {
		return nil, errors.New("regovm: plan: the compiler produced no plan")
	}
	var policy ir.Policy
	if err := json.Unmarshal(out.PlanModules[0].Raw, &policy); err != nil {
		return nil, fmt.Errorf("regovm: decode plan: %w", err)
	}
	return &policy, nil
}

// PlanText returns OPA's pretty print of the plan of entrypoints (for
// debugging).
func PlanText(ctx context.Context, modules map[string]*ast.Module, entrypoints []string, caps *ast.Capabilities) (string, error) {
	policy, err := planPolicy(ctx, modules, entrypoints, caps)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := ir.Pretty(&buf, policy); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// Eval evaluates every entrypoint on input with data as the base document.
// It returns one value per entrypoint, in order, nil when that entrypoint is
// undefined. A builtin error is an error (as topdown with strict builtin
// errors), as are conflicts (a complete rule or a function with two values,
// an object key with two values): when the plan meets one, Eval evaluates
// the entrypoints again with topdown and returns topdown's outcome, values or
// error (see fallback.go; a Program made by FromPolicy has no fallback and
// returns the plan's error). Eval checks cancel (may be nil) and ctx regularly
// and returns an error when either is done. input and data may be nil
// (undefined). Safe for concurrent use.
func (p *Program) Eval(ctx context.Context, input, data ast.Value, cancel topdown.Cancel, opts ...EvalOption) ([]ast.Value, error) {
	out, err := p.eval(ctx, input, data, cancel, opts)
	if err != nil && p.fallback != nil && !isCancel(err) && (ctx == nil || ctx.Err() == nil) && (cancel == nil || !cancel.Cancelled()) {
		return p.fallback.eval(ctx, len(p.plans), input, data, cancel)
	}
	return out, err
}

// EvalPlan is Eval without the topdown fallback: an error is the plan's
// (for tests and benchmarks).
func (p *Program) EvalPlan(ctx context.Context, input, data ast.Value, cancel topdown.Cancel, opts ...EvalOption) ([]ast.Value, error) {
	return p.eval(ctx, input, data, cancel, opts)
}

// EvalOption tunes one evaluation.
type EvalOption func(*state)

// PrintHook sends the output of the policies' print() calls to h, as
// topdown's print hook (rego.EvalPrintHook) does: one call per print with
// its operands joined by spaces and the call's location. Without it, print()
// prints nothing and is true, as in topdown without a hook. The policies
// must be compiled with print statements enabled; a compiler that erases
// them leaves nothing to print. The fallback to topdown (Eval) prints
// nothing.
func PrintHook(h print.Hook) EvalOption {
	return func(s *state) { s.bctx.PrintHook = h }
}

func (p *Program) eval(ctx context.Context, input, data ast.Value, cancel topdown.Cancel, opts []EvalOption) ([]ast.Value, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	s := p.getState(ctx, cancel)
	defer p.putState(s)
	for _, o := range opts {
		o(s)
	}
	var in, dt *ast.Term
	if input != nil {
		in = ast.NewTerm(input)
	}
	if data != nil {
		dt = ast.NewTerm(data)
	}
	out := make([]ast.Value, len(p.plans))
	for i, pl := range p.plans {
		v, err := s.runPlan(pl, in, dt)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out[i] = v.Value
		}
	}
	return out, nil
}

func (p *Program) getState(ctx context.Context, cancel topdown.Cancel) *state {
	s, _ := p.pool.Get().(*state)
	if s == nil {
		s = newState(p)
	}
	s.reset(ctx, cancel)
	return s
}

func (p *Program) putState(s *state) {
	s.release()
	p.pool.Put(s)
}

// unsupported collects what a plan needs that regovm cannot run.
type unsupported map[string]bool

func (u unsupported) add(format string, args ...any) { u[fmt.Sprintf(format, args...)] = true }

func (u unsupported) err() error {
	if len(u) == 0 {
		return nil
	}
	list := make([]string, 0, len(u))
	for k := range u {
		list = append(list, k)
	}
	sort.Strings(list)
	return fmt.Errorf("%w: %s", ErrUnsupported, strings.Join(list, "; "))
}
