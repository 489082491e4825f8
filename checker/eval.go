package checker

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/print"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

func (x *index) find(id string) (subject, bool) {
	if u, ok := x.unitByID[id]; ok {
		return subject{scope: string(x.units[u].level), unit: u, model: -1}, true
	}
	if m, ok := x.modelByID[id]; ok && x.models[m].unit >= 0 {
		return subject{scope: "model", unit: x.models[m].unit, model: m}, true
	}
	return subject{}, false
}

// Input returns the input document of one subject (a unit id or a model id)
// exactly as targets see it, and the subject's scope. It serves
// `vungmanh eval`; ast.JSON turns it into JSON.
func (c *Checker) Input(snap *snapshot.Snapshot, subjectID string) (ast.Value, string, error) {
	x, err := buildIndex(snap)
	if err != nil {
		return nil, "", err
	}
	s, ok := x.find(subjectID)
	if !ok {
		return nil, "", fmt.Errorf("input of %q: no such unit or model", subjectID)
	}
	return x.input(s), s.scope, nil
}

// EvalOne evaluates one subject with one target (targetID) or with every
// target of its scope (targetID == ""), waivers applied. With explain it
// also returns OPA's pretty trace of each evaluation.
func (c *Checker) EvalOne(ctx context.Context, snap *snapshot.Snapshot, subjectID, targetID string, explain bool) ([]Result, string, error) {
	evs, err := c.EvalDebug(ctx, snap, subjectID, targetID, Debug{Trace: explain})
	if err != nil {
		return nil, "", err
	}
	var trace bytes.Buffer
	results := make([]Result, len(evs))
	for i, ev := range evs {
		results[i] = ev.Result
		if explain {
			fmt.Fprintf(&trace, "# %s (%s) on %s\n", ev.Target, ev.Package, subjectID)
			topdown.PrettyTrace(&trace, ev.Trace)
		}
	}
	return results, trace.String(), nil
}

// Debug are the debugging aids of EvalDebug.
type Debug struct {
	// Trace records OPA's trace of each evaluation (Evaluation.Trace),
	// for topdown/lineage to filter and topdown.PrettyTrace to print.
	Trace bool
	// Print receives what the policies print (print()), one call at a
	// time with its location; nil: print() prints nothing.
	Print print.Hook
}

// Evaluation is the outcome of one target on one subject (EvalDebug).
type Evaluation struct {
	Result
	Package string           // the target's package, e.g. "targets.tb01_one_plus_one"
	Trace   []*topdown.Event // with Debug.Trace
}

// EvalDebug is EvalOne with the debugging aids of d: each target is
// evaluated alone with topdown (whatever WithEngine says: the trace and the
// print output are topdown's), waivers applied. The results are those of
// Evaluate for this subject.
func (c *Checker) EvalDebug(ctx context.Context, snap *snapshot.Snapshot, subjectID, targetID string, d Debug) ([]Evaluation, error) {
	x, err := buildIndex(snap)
	if err != nil {
		return nil, err
	}
	s, ok := x.find(subjectID)
	if !ok {
		return nil, fmt.Errorf("evaluate %q: no such unit or model", subjectID)
	}
	var ts []*preparedTarget
	for _, t := range c.policies.targets {
		pt := c.prepared[t.ID]
		if targetID != "" {
			if t.ID == targetID {
				if t.Scope != s.scope {
					return nil, fmt.Errorf("evaluate %q: target %s has scope %s, the subject is a %s", subjectID, t.ID, t.Scope, s.scope)
				}
				ts = append(ts, pt)
			}
			continue
		}
		if t.Scope == s.scope && (s.model < 0 || t.ModelType == x.models[s.model].typ) {
			ts = append(ts, pt)
		}
	}
	if targetID != "" && len(ts) == 0 {
		return nil, fmt.Errorf("evaluate %q: no target %q", subjectID, targetID)
	}
	input := x.input(s)
	evs := make([]Evaluation, 0, len(ts))
	results := make([]Result, 0, len(ts))
	for _, t := range ts {
		var tracer *topdown.BufferTracer
		h := hooks{print: d.Print}
		if d.Trace {
			tracer = topdown.NewBufferTracer()
			h.tracer = tracer
		}
		r, err := c.evalOne(ctx, x, s, t, input, h, time.Now().Add(c.timeout))
		if err != nil {
			return nil, err
		}
		ev := Evaluation{Package: t.Package}
		if tracer != nil {
			ev.Trace = *tracer
		}
		evs = append(evs, ev)
		results = append(results, r)
	}
	asOf := c.asOf
	if asOf == "" {
		asOf = snap.Manifest.AsOf
	}
	applyWaivers(results, c.waivers, asOf)
	for i := range evs {
		evs[i].Result = results[i]
	}
	return evs, nil
}
