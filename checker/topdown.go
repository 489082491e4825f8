package checker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// The topdown path: a group's targets in one topdown query (evalTopdown),
// then target by target (evalEach, evalOne) where that query gave no
// result. EngineTopdown evaluates every group by it; regovm leaves to it the
// groups it cannot plan, and to evalEach the subjects it fails on;
// EvalDebug evaluates by evalOne.

// evalTopdown evaluates g's targets on one subject with topdown until the
// deadline at: a group of several targets in one query (the group's), a
// group of one by its target's query (evalEach). When the group's query
// fails (a runtime error, a conflict, an undefined rule), evalEach
// evaluates the targets one by one within what remains of the deadline, so
// that only the faulty target gives an error result and every result is
// what evalOne gives.
func (c *Checker) evalTopdown(ctx context.Context, x *index, s subject, g *preparedGroup, input ast.Value, at time.Time, pr *printer) ([]Result, error) {
	var all *ast.Array
	timedOut := false
	if len(g.targets) > 1 {
		rs, to, err := c.evalTimed(ctx, g.query, input, hooks{print: pr.hook()}, at)
		timedOut = to
		if err == nil && len(rs) == 1 {
			if t, ok := rs[0].Bindings["r"].(*ast.Term); ok {
				all, _ = t.Value.(*ast.Array)
			}
		}
		if all == nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return c.groupResults(ctx, x, s, g, input, at, pr, all, timedOut)
}

// groupResults are the results of g's targets on one subject from the list
// the group's one evaluation gave (all, as groupQueryAs describes it).
// Without that list: when the evaluation ran past the deadline (timedOut),
// nothing remains, every target of the group gives an error result, and
// the deadline is not spent a second time to find the slow one; otherwise
// evalEach evaluates the targets one by one.
func (c *Checker) groupResults(ctx context.Context, x *index, s subject, g *preparedGroup, input ast.Value, at time.Time, pr *printer, all *ast.Array, timedOut bool) ([]Result, error) {
	if all != nil && all.Len() == 3*len(g.targets) {
		out := make([]Result, 0, len(g.targets))
		// The subject's results share one path (nothing writes into a
		// result's path): half a million fewer slices at national scale.
		base := c.baseResult(x, s, "")
		for i, t := range g.targets {
			r := base
			r.Target = t.ID
			c.settle(x, &r, decodeRules(ruleValue(all.Elem(3*i)), ruleValue(all.Elem(3*i+1)), all.Elem(3*i+2), &r))
			out = append(out, r)
		}
		return out, nil
	}
	if timedOut {
		// What the group printed before the deadline is not logged.
		pr.reset()
		msg := fmt.Sprintf("%s after %s", errTimeout, c.timeout)
		if len(g.targets) > 1 {
			msg += fmt.Sprintf(": the subject's %d targets were evaluated together and ran past it", len(g.targets))
		}
		out := make([]Result, 0, len(g.targets))
		for _, t := range g.targets {
			r := c.baseResult(x, s, t.ID)
			r.Status, r.Error = StatusError, &msg
			out = append(out, r)
		}
		return out, nil
	}
	return c.evalEach(ctx, x, s, g, input, at, pr)
}

// evalEach evaluates g's targets on one subject one by one with topdown
// (evalOne) until the deadline at.
func (c *Checker) evalEach(ctx context.Context, x *index, s subject, g *preparedGroup, input ast.Value, at time.Time, pr *printer) ([]Result, error) {
	// What the group's evaluation printed is dropped: each target prints
	// again as topdown evaluates it.
	pr.reset()
	out := make([]Result, 0, len(g.targets))
	for _, t := range g.targets {
		pr.setTarget(t.ID)
		r, err := c.evalOne(ctx, x, s, t, input, hooks{print: pr.hook()}, at)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ruleValue is the value of a violation or warning rule in a group's list
// (groupQueryAs: the rule itself, defined whatever it holds when it is a
// partial set) as decodeRules reads it: the set itself, or [value] for
// anything else, as evalOne's query gives it. A complete rule that holds
// true, an object or an array is thus an error or a failure as with evalOne,
// never an empty list that passes.
func ruleValue(t *ast.Term) *ast.Term {
	if _, ok := t.Value.(ast.Set); ok {
		return t
	}
	return ast.ArrayTerm(t)
}

// evalTimed runs q on input until the deadline at; the bool tells whether
// the error came from that deadline. A deadline already past runs nothing.
func (c *Checker) evalTimed(ctx context.Context, q rego.PreparedEvalQuery, input ast.Value, h hooks, at time.Time) (rego.ResultSet, bool, error) {
	budget := time.Until(at)
	if budget <= 0 {
		return nil, true, errSpent
	}
	cancel := topdown.NewCancel()
	var timedOut bool
	var tmu sync.Mutex
	timer := time.AfterFunc(budget, func() {
		tmu.Lock()
		timedOut = true
		tmu.Unlock()
		cancel.Cancel()
	})
	stop := context.AfterFunc(ctx, cancel.Cancel)
	opts := []rego.EvalOption{rego.EvalParsedInput(input), rego.EvalExternalCancel(cancel), rego.EvalMetrics(noMetrics), rego.EvalGenerateJSON(keepTerm)}
	if h.tracer != nil {
		opts = append(opts, rego.EvalQueryTracer(h.tracer))
	}
	if h.print != nil {
		opts = append(opts, rego.EvalPrintHook(h.print))
	}
	start := time.Now()
	rs, err := q.Eval(ctx, opts...)
	end := time.Now()
	timer.Stop()
	stop()
	tmu.Lock()
	to := timedOut
	tmu.Unlock()
	if err == nil && end.After(at) {
		// topdown looks at its cancel every so often: a query that
		// finished past the deadline before it looked ran too long all the
		// same (docs/policy-input.md: a target that runs past it is an error).
		return nil, true, fmt.Errorf("finished after %s", end.Sub(start))
	}
	return rs, to, err
}

// noMetrics spares every evaluation the timers OPA keeps by default.
var noMetrics = metrics.NoOp()

// keepTerm leaves each binding of a result as its *ast.Term: decodeBindings
// reads violations straight from the terms, instead of OPA converting every
// binding to JSON-like Go values first (7% of the evaluation's garbage).
func keepTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// errTimeout marks an evaluation cancelled by its own deadline.
var errTimeout = errors.New("evaluation deadline exceeded")

// errSpent is the error of an evaluation whose deadline had passed before
// it began: other targets of the subject spent it.
var errSpent = errors.New("the subject's deadline was spent by the evaluations before this one")

// evalOne evaluates one target on one subject until the deadline at. It
// returns an error only when ctx is done: every policy problem becomes an
// error result.
func (c *Checker) evalOne(ctx context.Context, x *index, s subject, t *preparedTarget, input ast.Value, h hooks, at time.Time) (Result, error) {
	r := c.baseResult(x, s, t.ID)
	rs, to, err := c.evalTimed(ctx, t.query, input, h, at)
	if err != nil {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		msg := errorText(err)
		if to {
			msg = fmt.Sprintf("%s after %s: %s", errTimeout, c.timeout, msg)
		}
		r.Status = StatusError
		r.Error = &msg
		x.redact.result(&r)
		return r, nil
	}
	c.settle(x, &r, decodeResult(rs, &r))
	return r, nil
}

// settle finishes a result decoded from an evaluation: an error result
// when its rules could not be decoded (decodeErr), its violations capped
// (caps.go) and its texts redacted (privacy.go).
func (c *Checker) settle(x *index, r *Result, decodeErr error) {
	if decodeErr != nil {
		msg := decodeErr.Error()
		r.Status = StatusError
		r.Error = &msg
		r.Violations, r.Warnings = []Violation{}, []Violation{}
	}
	c.capSubject(r)
	x.redact.result(r)
}

func (c *Checker) baseResult(x *index, s subject, target string) Result {
	r := Result{Target: target, Violations: []Violation{}, Warnings: []Violation{}}
	if s.model >= 0 {
		m := x.models[s.model]
		r.Subject, r.SubjectLevel = m.id, "model"
		if n, ok := x.modelNames[s.model]; ok {
			r.SubjectName = n
		}
		r.Path = make([]string, 0, len(x.tree.Ancestors(s.unit))+1)
		for _, a := range x.tree.Ancestors(s.unit) {
			r.Path = append(r.Path, x.units[a].id)
		}
		r.Path = append(r.Path, x.units[s.unit].id)
		return r
	}
	u := x.units[s.unit]
	r.Subject, r.SubjectLevel, r.SubjectName = u.id, string(u.level), u.name
	r.Path = make([]string, len(x.tree.Ancestors(s.unit)))
	for i, a := range x.tree.Ancestors(s.unit) {
		r.Path[i] = x.units[a].id
	}
	return r
}
