package checker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/test/cases"
	"github.com/open-policy-agent/opa/v1/test/cases/testdata"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/vungmanh/vungmanh/checker/regovm"
)

// TestOPACompliance runs OPA's own compliance suite (the YAML cases of
// v1/test/cases/testdata in the OPA module go.mod pins, which the module
// embeds as testdata.V1) through both of the checker's engines: each case's
// query is wrapped as the checker's queries are (one binding, "result": the
// set of the query's solutions), planned with planQuery and run on regovm,
// and prepared with regoOptions and run on topdown, on the case's input and
// data. Every outcome is put in one bucket:
//
//   - agree: the same value, or both an error;
//   - fallback: regovm erred where topdown did not; the checker then
//     evaluates with topdown (evalGroup), so the result is topdown's;
//   - planned out: planQuery refused the query (a statement or builtin regovm
//     does not run as topdown does, e.g. with, http.send); the checker
//     evaluates such a group with topdown;
//   - skipped, with the reason: nothing for either engine to run (the case
//     tests a compile error, or its query cannot be wrapped);
//   - disagree: regovm gave a value that is not topdown's. The test fails.
//
// The tally is logged (go test -v -run TestOPACompliance ./checker).
func TestOPACompliance(t *testing.T) {
	all, err := complianceCases()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 2000 {
		t.Fatalf("%d compliance cases, want the whole suite (about 2,400)", len(all))
	}
	outs := make([]caseOutcome, len(all))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				outs[i] = runComplianceCase(t.Context(), all[i])
			}
		})
	}
	for i := range all {
		next <- i
	}
	close(next)
	wg.Wait()

	tally := map[caseBucket]int{}
	reasons := map[caseBucket]map[string][]string{}
	for i, o := range outs {
		tally[o.bucket]++
		if o.bucket == bucketDisagree {
			t.Errorf("%s (%s): regovm and topdown disagree: %s", all[i].Note, all[i].Filename, o.detail)
		}
		if o.bucket != bucketAgree && o.bucket != bucketDisagree {
			if reasons[o.bucket] == nil {
				reasons[o.bucket] = map[string][]string{}
			}
			reasons[o.bucket][o.detail] = append(reasons[o.bucket][o.detail], all[i].Note)
		}
	}
	t.Logf("OPA compliance suite, %d cases: %d agree, %d fallback to topdown, %d planned out (topdown), %d skipped, %d disagree",
		len(all), tally[bucketAgree], tally[bucketFallback], tally[bucketPlannedOut], tally[bucketSkipped], tally[bucketDisagree])
	// Nothing to compare is no agreement: regovm must keep running the
	// suite (2,239 of 2,400 cases with OPA v1.22.3), not leave it to topdown.
	if tally[bucketAgree] < len(all)*9/10 {
		t.Errorf("only %d of %d cases ran on regovm and agreed: the rest went to topdown or were skipped", tally[bucketAgree], len(all))
	}
	for _, b := range []caseBucket{bucketFallback, bucketPlannedOut, bucketSkipped} {
		rs := reasons[b]
		keys := make([]string, 0, len(rs))
		for k := range rs {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return len(rs[keys[i]]) > len(rs[keys[j]]) || len(rs[keys[i]]) == len(rs[keys[j]]) && keys[i] < keys[j]
		})
		for _, k := range keys {
			notes := rs[k]
			sort.Strings(notes)
			if len(notes) > 3 {
				notes = append(notes[:3:3], "...")
			}
			t.Logf("  %s, %d: %s (%s)", b, len(rs[k]), k, strings.Join(notes, "; "))
		}
	}
}

// complianceCases reads every case of OPA's v1 compliance suite.
func complianceCases() ([]cases.TestCase, error) {
	var all []cases.TestCase
	err := fs.WalkDir(testdata.V1, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		bs, err := fs.ReadFile(testdata.V1, path)
		if err != nil {
			return err
		}
		var set cases.Set
		if err := util.Unmarshal(bs, &set); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, c := range set.Cases {
			c.Filename = path
			all = append(all, c)
		}
		return nil
	})
	return all, err
}

type caseBucket string

const (
	bucketAgree      caseBucket = "agree"
	bucketFallback   caseBucket = "fallback"
	bucketPlannedOut caseBucket = "planned out"
	bucketSkipped    caseBucket = "skipped"
	bucketDisagree   caseBucket = "disagree"
)

type caseOutcome struct {
	bucket caseBucket
	detail string // the reason (fallback, planned out, skipped) or the difference
}

// complianceTimeout bounds each engine's evaluation of one case.
const complianceTimeout = 20 * time.Second

// runComplianceCase evaluates one case with both engines.
func runComplianceCase(ctx context.Context, tc cases.TestCase) caseOutcome {
	caps := ast.CapabilitiesForThisVersion(ast.CapabilitiesExperimentalKeywords(tc.ExperimentalKeywords))
	popts := ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: caps}
	modules := map[string]*ast.Module{}
	for i, src := range tc.Modules {
		name := fmt.Sprintf("test-%d.rego", i)
		m, err := ast.ParseModuleWithOpts(name, src, popts)
		if err != nil {
			return caseOutcome{bucketSkipped, "a module does not parse (the case tests a parse error)"}
		}
		modules[name] = m
	}
	compiler := ast.NewCompiler().WithCapabilities(caps).WithDefaultRegoVersion(ast.RegoV1)
	if compiler.Compile(modules); compiler.Failed() {
		// A case of a compile error, or one that needs what only OPA's own
		// harness registers (the builtin test.sleep).
		return caseOutcome{bucketSkipped, "the modules do not compile: " + compiler.Errors[0].Message}
	}
	query, err := ast.ParseBodyWithOpts(tc.Query, popts)
	if err != nil {
		return caseOutcome{bucketSkipped, "the query does not parse (the case tests a parse error)"}
	}
	if _, err := compiler.QueryCompiler().Compile(query); err != nil {
		return caseOutcome{bucketSkipped, "the query does not compile (the case tests a compile error)"}
	}
	wrapped, err := resultSetQuery(query, popts)
	if err != nil {
		return caseOutcome{bucketSkipped, "the query cannot be wrapped: " + err.Error()}
	}

	data := ast.NewObject()
	if tc.Data != nil {
		v, err := ast.InterfaceToValue(*tc.Data)
		if err != nil {
			return caseOutcome{bucketDisagree, "data: " + err.Error()}
		}
		data = v.(ast.Object)
	}
	var input ast.Value
	switch {
	case tc.InputTerm != nil:
		term, err := ast.ParseTerm(*tc.InputTerm)
		if err != nil {
			return caseOutcome{bucketDisagree, "input_term: " + err.Error()}
		}
		input = term.Value
	case tc.Input != nil:
		if input, err = ast.InterfaceToValue(*tc.Input); err != nil {
			return caseOutcome{bucketDisagree, "input: " + err.Error()}
		}
	}
	store, err := newStore(ctx, data)
	if err != nil {
		return caseOutcome{bucketDisagree, err.Error()}
	}

	// topdown, as prepareQuery prepares and evalGroup evaluates.
	pq, err := rego.New(regoOptions(compiler, store, wrapped, caps)...).PrepareForEval(ctx)
	if err != nil {
		return caseOutcome{bucketSkipped, "topdown cannot prepare the wrapped query"}
	}
	tdCtx, cancel := context.WithTimeout(ctx, complianceTimeout)
	evalOpts := []rego.EvalOption{rego.EvalGenerateJSON(keepTerm)}
	if input != nil {
		evalOpts = append(evalOpts, rego.EvalParsedInput(input))
	}
	rs, tdErr := pq.Eval(tdCtx, evalOpts...)
	cancel()
	var want ast.Value
	if tdErr == nil && len(rs) > 0 {
		t, ok := rs[0].Bindings["result"].(*ast.Term)
		if !ok {
			return caseOutcome{bucketDisagree, fmt.Sprintf("topdown's result is a %T", rs[0].Bindings["result"])}
		}
		want = t.Value
	}

	// regovm, as planVM plans and evalVM evaluates.
	prog, err := planQuery(ctx, compiler, store, wrapped, caps)
	if err != nil {
		return caseOutcome{bucketPlannedOut, planOutReason(err)}
	}
	vmCtx, cancel := context.WithTimeout(ctx, complianceTimeout)
	vals, vmErr := prog.EvalPlan(vmCtx, input, data, nil)
	cancel()
	var got ast.Value
	if vmErr == nil && len(vals) == 1 {
		got = vals[0]
	}

	switch {
	case tdErr != nil && vmErr != nil:
		return caseOutcome{bucketAgree, ""}
	case vmErr != nil:
		return caseOutcome{bucketFallback, "regovm erred (" + errorCode(vmErr) + "), topdown did not"}
	case tdErr != nil:
		return caseOutcome{bucketDisagree, fmt.Sprintf("regovm gave %v, topdown erred: %v", got, tdErr)}
	case got == nil && want == nil:
		return caseOutcome{bucketAgree, ""}
	case got == nil || want == nil || got.Compare(want) != 0:
		return caseOutcome{bucketDisagree, fmt.Sprintf("regovm gave %v, topdown %v", got, want)}
	}
	return caseOutcome{bucketAgree, ""}
}

// resultSetQuery wraps query as the checker's queries are: one binding,
// result, here the set of the query's solutions, each an object of the
// query's variables (as topdown's result set, whose order is not part of
// it).
func resultSetQuery(query ast.Body, popts ast.ParserOptions) (ast.Body, error) {
	seen := map[ast.Var]bool{}
	var names []string
	vis := ast.NewVarVisitor().WithParams(ast.VarVisitorParams{SkipRefCallHead: true, SkipClosures: true})
	vis.Walk(query)
	for v := range vis.Vars() {
		if v.IsWildcard() || v.IsGenerated() || v.Equal(ast.DefaultRootDocument.Value) || v.Equal(ast.InputRootDocument.Value) || seen[v] {
			continue
		}
		seen[v] = true
		names = append(names, string(v))
	}
	sort.Strings(names)
	head := make([]string, len(names))
	for i, n := range names {
		head[i] = fmt.Sprintf("%q: %s", n, n)
	}
	return ast.ParseBodyWithOpts(fmt.Sprintf("result := {{%s} | %s}", strings.Join(head, ", "), query), popts)
}

// planOutReason is the gist of planQuery's error: what regovm does not
// run, or that OPA's planner refused the query.
func planOutReason(err error) string {
	if errors.Is(err, regovm.ErrUnsupported) {
		msg := err.Error()
		if i := strings.Index(msg, regovm.ErrUnsupported.Error()+": "); i >= 0 {
			msg = msg[i+len(regovm.ErrUnsupported.Error())+2:]
		}
		return "regovm does not run " + msg
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return "OPA's planner: " + msg
}

// errorCode is the code of a topdown error, or the error's text.
func errorCode(err error) string {
	var te *topdown.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return err.Error()
}
