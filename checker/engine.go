package checker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/vungmanh/vungmanh/checker/regovm"
)

// Engine is the Rego evaluator of a Checker (WithEngine).
type Engine int

const (
	// EngineRegovm, the default, evaluates each group of targets (a scope,
	// or a model type) with regovm: OPA's planner plans the group's query
	// from the modules the scope's compiler has compiled (the plan OPA's
	// Wasm target uses), and regovm runs that plan. A group regovm cannot
	// plan, and a subject regovm fails on (an error, a conflict, the
	// deadline, an undefined violation or warning), are evaluated by
	// topdown, which gives exactly topdown's results.
	EngineRegovm Engine = iota
	// EngineTopdown evaluates every target with OPA's topdown evaluator
	// only.
	EngineTopdown
)

// engineNames are the names ParseEngine reads, in Engine order.
var engineNames = []string{"regovm", "topdown"}

// String is the engine's name: "regovm" or "topdown".
func (e Engine) String() string {
	if e >= 0 && int(e) < len(engineNames) {
		return engineNames[e]
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// ParseEngine reads an engine's name, in any case: "regovm" (or "", the
// default) or "topdown".
func ParseEngine(name string) (Engine, error) {
	if name == "" {
		return EngineRegovm, nil
	}
	for i, n := range engineNames {
		if strings.EqualFold(name, n) {
			return Engine(i), nil
		}
	}
	return EngineRegovm, fmt.Errorf("unknown Rego engine %q: want %s", name, strings.Join(engineNames, " or "))
}

// WithEngine sets the Rego evaluator (default EngineRegovm).
func WithEngine(e Engine) Option { return func(c *Checker) { c.engine = e } }

// vmTarget is the name of the rego target plugin through which the rego
// package hands the planned query to regovm.
const vmTarget = "vungmanh-regovm"

// vmPlugin receives the plan of a query prepared with rego.Target(vmTarget)
// and keeps it in the planSlot of the context: the checker runs it with
// regovm itself, not through the rego package's evaluation.
type vmPlugin struct{}

type planSlotKey struct{}

func (vmPlugin) IsTarget(t string) bool { return t == vmTarget }

func (vmPlugin) PrepareForEval(ctx context.Context, p *ir.Policy, _ ...rego.PrepareOption) (rego.TargetPluginEval, error) {
	slot, ok := ctx.Value(planSlotKey{}).(**ir.Policy)
	if !ok {
		return nil, errors.New("regovm: no plan slot in the context")
	}
	*slot = p
	return noEval{}, nil
}

// noEval is never called: the checker evaluates the plan with regovm.
type noEval struct{}

func (noEval) Eval(context.Context, *rego.EvalContext, ast.Value) (ast.Value, error) {
	return nil, errors.New("regovm: evaluate through the checker")
}

func init() { rego.RegisterPlugin(vmTarget, vmPlugin{}) }

// planVM plans g's query (groupQueryAs, bound to "result") from the scope's
// compiled modules and prepares regovm for it.
func (c *Checker) planVM(ctx context.Context, store storage.Store, g *preparedGroup) (*regovm.Program, error) {
	return planQuery(ctx, c.policies.compilers[g.targets[0].Scope], store, groupQueryAs(g.targets, "result"), Capabilities())
}

// planQuery plans query, which binds "result", with OPA's planner from the
// modules compiler has compiled and the data in store (the rego package
// hands the plan over through the vmTarget plugin: nothing is recompiled),
// and prepares regovm for it. The options are prepareQuery's
// (regoOptions), so that regovm runs the query topdown would.
func planQuery(ctx context.Context, compiler *ast.Compiler, store storage.Store, query ast.Body, caps *ast.Capabilities) (*regovm.Program, error) {
	var policy *ir.Policy
	opts := append(regoOptions(compiler, store, query, caps), rego.Target(vmTarget))
	_, err := rego.New(opts...).PrepareForEval(context.WithValue(ctx, planSlotKey{}, &policy))
	if err != nil {
		return nil, err
	}
	if policy == nil || policy.Plans == nil || len(policy.Plans.Plans) != 1 {
		return nil, errors.New("regovm: the planner gave no plan")
	}
	return regovm.FromPolicy(policy, []string{policy.Plans.Plans[0].Name})
}

// evalRegovm is the regovm path: g's program evaluates every target of the
// group on one subject until the deadline at. Where regovm fails (an
// error, a conflict, an undefined rule), topdown evaluates the targets one
// by one (evalEach): their results are topdown's, error or not (topdown's
// rule index may skip a rule body before the statement that failed in the
// plan). Where it ran past the deadline, every target is an error result.
func (c *Checker) evalRegovm(ctx context.Context, x *index, s subject, g *preparedGroup, input ast.Value, at time.Time, pr *printer) ([]Result, error) {
	all := c.evalVM(ctx, g.vm, input, at, pr)
	timedOut := false
	if all == nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		timedOut = !time.Now().Before(at)
		c.fallbacks.Add(1)
	}
	return c.groupResults(ctx, x, s, g, input, at, pr, all, timedOut)
}

// evalVM evaluates g's query on input with regovm until the deadline at:
// the list groupQuery describes, or nil when regovm gave none (an error,
// the deadline, an undefined query).
func (c *Checker) evalVM(ctx context.Context, prog *regovm.Program, input ast.Value, at time.Time, pr *printer) *ast.Array {
	var opts []regovm.EvalOption
	if h := pr.hook(); h != nil {
		opts = append(opts, regovm.PrintHook(h))
	}
	// regovm checks ctx and the deadline itself as it goes: no timer.
	vals, err := prog.EvalPlan(ctx, input, c.data, &deadline{at: at}, opts...)
	// regovm looks at the deadline every so often, not after every
	// statement: an evaluation that finished past it ran too long all the
	// same (evalGroup then gives every target of the group an error).
	if err != nil || len(vals) != 1 || time.Now().After(at) {
		return nil
	}
	all, _ := vals[0].(*ast.Array)
	return all
}

// logEngine logs, at debug level, which plan keys regovm evaluates and why
// the others are left to topdown.
func (c *Checker) logEngine() {
	var vm []string
	for k, g := range c.groups {
		if g.vm != nil {
			vm = append(vm, k)
		}
	}
	sort.Strings(vm)
	ev := c.log.Debug().Strs("regovm", vm)
	if len(c.unplanned) > 0 {
		ev = ev.Interface("topdown", c.unplanned)
	}
	ev.Msg("rego engines")
}

// deadline is a topdown.Cancel that is cancelled once its time has come.
type deadline struct{ at time.Time }

func (d *deadline) Cancel()         { d.at = time.Time{} }
func (d *deadline) Cancelled() bool { return !time.Now().Before(d.at) }

var _ topdown.Cancel = (*deadline)(nil)
