package regotest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/vungmanh/vungmanh/checker"
)

// DefaultTimeout is the deadline of one test when Options.Timeout is zero,
// the same as `opa test`.
const DefaultTimeout = 5 * time.Second

// Options tune a run.
type Options struct {
	// Coverage computes the share of Rego expressions the tests evaluated.
	Coverage bool
	// Run, when set, is a regular expression: only tests whose full name
	// ("data.targets.tb06_cadres_progress_test.test_fail_size_four") it
	// matches run, as with `opa test --run`.
	Run string
	// Timeout is the deadline of each test; zero means DefaultTimeout.
	Timeout time.Duration
	// VarValues records, for each failing test, the expression that
	// failed with the values of its variables (TestResult.VarValues), as
	// `opa test --var-values` shows them.
	VarValues bool
}

// Status is the outcome of one test.
type Status string

// The outcomes, as `opa test` names them.
const (
	StatusPass  Status = "pass"
	StatusFail  Status = "fail"
	StatusError Status = "error"
	StatusSkip  Status = "skip" // a todo_test_ rule
)

// TestResult is the outcome of one test rule.
type TestResult struct {
	Package  string        `json:"package"` // e.g. "data.targets.tb01_one_plus_one_test"
	Name     string        `json:"name"`    // e.g. "test_fail_empty_subject"
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	File     string        `json:"file"` // path in the policy folder
	Row      int           `json:"row"`
	Col      int           `json:"col"`
	Err      string        `json:"error,omitempty"`  // the evaluation error, for StatusError
	Output   string        `json:"output,omitempty"` // what print() wrote
	// VarValues is, for a failing test run with Options.VarValues, the
	// last expression that failed ("file:row:" and the expression) and the
	// values of its variables, as `opa test --var-values` prints them.
	VarValues string `json:"var_values,omitempty"`
	// Cases are the leaf sub-results of a data-driven test (test_case
	// rules), named by their path joined with "/"; OPA counts each leaf as
	// one test, and so does Report.
	Cases []Case `json:"cases,omitempty"`
}

// Case is one leaf sub-result of a data-driven test.
type Case struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// VarValues is TestResult.VarValues for a failing case.
	VarValues string `json:"var_values,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Results []TestResult `json:"results"` // sorted by file, row, name
	// Counts, as `opa test` counts them: a test with sub-results counts
	// once per leaf case.
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errored int `json:"errored"`
	Skipped int `json:"skipped"`
	// Coverage is set when Options.Coverage was.
	Coverage *Coverage `json:"coverage,omitempty"`
}

// Coverage is the share of Rego expressions evaluated by the tests, over
// every module of the folder (tests included), as `opa test --coverage`
// computes it.
type Coverage struct {
	Percent float64        `json:"percent"`
	Files   []FileCoverage `json:"files"` // sorted by file
}

// FileCoverage is the coverage of one file.
type FileCoverage struct {
	File            string      `json:"file"`
	Percent         float64     `json:"percent"`
	CoveredLines    int         `json:"covered_lines"`
	NotCoveredLines int         `json:"not_covered_lines"`
	NotCovered      []LineRange `json:"not_covered,omitempty"`
}

// LineRange is a range of rows, both ends included.
type LineRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Total is the number of tests counted.
func (r *Report) Total() int { return r.Passed + r.Failed + r.Errored + r.Skipped }

// OK reports whether no test failed or errored.
func (r *Report) OK() bool { return r.Failed == 0 && r.Errored == 0 }

// Error is one problem that stopped the policies from compiling.
type Error struct {
	File    string `json:"file"`
	Row     int    `json:"row"`
	Col     int    `json:"col"`
	Code    string `json:"code"` // OPA's code, e.g. rego_parse_error
	Message string `json:"message"`
}

func (e Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Row, e.Col, e.Message)
}

// Errors lists every problem found, sorted by file, row and column.
type Errors []Error

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, x := range e {
		lines[i] = x.Error()
	}
	return strings.Join(lines, "\n")
}

// Run parses every .rego file of fsys (recursively; files whose name ends
// in _test.rego and the others alike, in Rego v1 syntax), compiles them in
// strict mode and runs the test rules (test_*, todo_test_*) with OPA's
// tester, as `opa test` does.
//
// A policy folder that does not parse or compile gives an Errors listing
// every problem of every file; failing tests are not errors: they are in
// the Report.
func Run(ctx context.Context, fsys fs.FS, opts Options) (*Report, error) {
	if opts.Run != "" {
		if _, err := regexp.Compile(opts.Run); err != nil {
			return nil, fmt.Errorf("compile test filter %q: %w", opts.Run, err)
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	modules, err := parse(fsys)
	if err != nil {
		return nil, err
	}

	compiler := ast.NewCompiler().
		SetErrorLimit(0).
		WithStrict(true).
		WithEnablePrintStatements(true).
		// The sandbox of run and check: a test module that reaches
		// out (http.send to the cloud metadata endpoint of a CI machine)
		// fails to compile as it would in the pack.
		WithCapabilities(checker.Capabilities()).
		WithUseTypeCheckAnnotations(true).
		WithDefaultRegoVersion(ast.RegoV1).
		// As opa test --var-values: test rules are rewritten so that the
		// values of their expressions show in the trace.
		WithRewriteTestRules(opts.VarValues)

	store := inmem.NewWithOpts(inmem.OptRoundTripOnWrite(false))
	txn, err := store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return nil, fmt.Errorf("open policy store: %w", err)
	}
	defer store.Abort(ctx, txn)

	runner := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetDefaultRegoVersion(ast.RegoV1).
		CapturePrintOutput(true).
		SetModules(modules).
		SetTimeout(timeout).
		EnableTracing(opts.VarValues).
		Filter(opts.Run)
	var cov *cover.Cover
	if opts.Coverage {
		cov = cover.New()
		// The supplementary passes only label the uncovered ranges; the
		// percentages do not depend on them.
		runner.SetCoverageRuns(nil).SetCoverageQueryTracer(cov)
	}

	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		var astErrs ast.Errors
		if errors.As(err, &astErrs) {
			return nil, fromAST(astErrs)
		}
		return nil, fmt.Errorf("run tests: %w", err)
	}
	rep := &Report{Results: []TestResult{}}
	for tr := range ch {
		rep.add(tr, opts.VarValues)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run tests: %w", err)
	}
	sort.Slice(rep.Results, func(i, j int) bool {
		a, b := rep.Results[i], rep.Results[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return a.Package+"."+a.Name < b.Package+"."+b.Name
	})
	if cov != nil {
		rep.Coverage = coverage(cov.Report(modules))
	}
	return rep, nil
}

// parse reads and parses every .rego file of fsys, collecting the problems
// of all files before giving up.
func parse(fsys fs.FS) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	var problems Errors
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".rego" {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{
			RegoVersion:       ast.RegoV1,
			ProcessAnnotation: true,
		})
		if err != nil {
			var astErrs ast.Errors
			var astErr *ast.Error
			switch {
			case errors.As(err, &astErrs):
				problems = append(problems, fromAST(astErrs)...)
			case errors.As(err, &astErr):
				problems = append(problems, fromAST(ast.Errors{astErr})...)
			default:
				problems = append(problems, Error{File: p, Message: err.Error()})
			}
			for i := range problems {
				if problems[i].File == "" {
					problems[i].File = p
				}
			}
			return nil
		}
		if m != nil { // nil for a file with nothing but comments
			modules[p] = m
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read policies: %w", err)
	}
	if len(problems) > 0 {
		sortErrors(problems)
		return nil, problems
	}
	return modules, nil
}

func fromAST(errs ast.Errors) Errors {
	out := make(Errors, 0, len(errs))
	for _, e := range errs {
		x := Error{Code: e.Code, Message: e.Message}
		if e.Location != nil {
			// A problem of the whole file (an empty module) has row 0: it
			// points at the file's start.
			x.File, x.Row, x.Col = e.Location.File, e.Location.Row, e.Location.Col
			if x.Row == 0 {
				x.Row, x.Col = 1, 1
			}
		}
		out = append(out, x)
	}
	sortErrors(out)
	return out
}

func sortErrors(errs Errors) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return a.Col < b.Col
	})
}

func (r *Report) add(tr *tester.Result, varValues bool) {
	res := TestResult{
		Package:  tr.Package,
		Name:     tr.Name,
		Duration: tr.Duration,
		Output:   string(tr.Output),
	}
	if tr.Location != nil {
		res.File, res.Row, res.Col = tr.Location.File, tr.Location.Row, tr.Location.Col
	}
	switch {
	case tr.Skip:
		res.Status = StatusSkip
		r.Skipped++
	case tr.Error != nil:
		res.Status = StatusError
		res.Err = tr.Error.Error()
		r.Errored++
	default:
		res.Status = StatusPass
		if tr.Fail {
			res.Status = StatusFail
			if varValues && len(tr.SubResults) == 0 {
				res.VarValues = failureVars(tr.Trace) // a data-driven test's are its cases'
			}
		}
		if len(tr.SubResults) == 0 {
			if tr.Fail {
				r.Failed++
			} else {
				r.Passed++
			}
			break
		}
		for name, sr := range tr.SubResults.Iter {
			if len(sr.SubResults) > 0 {
				continue // OPA counts leaves only
			}
			c := Case{Name: strings.Join(name, "/"), Status: StatusPass}
			if sr.Fail {
				c.Status = StatusFail
				if varValues {
					c.VarValues = failureVars(sr.Trace)
				}
				r.Failed++
			} else {
				r.Passed++
			}
			res.Cases = append(res.Cases, c)
		}
	}
	r.Results = append(r.Results, res)
}

func coverage(rep cover.Report) *Coverage {
	c := &Coverage{Percent: rep.Coverage, Files: []FileCoverage{}}
	for file, fr := range rep.Files {
		f := FileCoverage{
			File:            file,
			Percent:         fr.Coverage,
			CoveredLines:    fr.CoveredLines,
			NotCoveredLines: fr.NotCoveredLines,
		}
		f.NotCovered = rowRanges(fr.NotCovered)
		c.Files = append(c.Files, f)
	}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].File < c.Files[j].File })
	return c
}

// rowRanges merges OPA's expression ranges into sorted, disjoint row ranges.
func rowRanges(rs []cover.Range) []LineRange {
	rows := map[int]bool{}
	for _, r := range rs {
		for row := r.Start.Row; row <= r.End.Row; row++ {
			rows[row] = true
		}
	}
	sorted := make([]int, 0, len(rows))
	for row := range rows {
		sorted = append(sorted, row)
	}
	sort.Ints(sorted)
	var out []LineRange
	for _, row := range sorted {
		if n := len(out); n > 0 && out[n-1].End == row-1 {
			out[n-1].End = row
			continue
		}
		out = append(out, LineRange{Start: row, End: row})
	}
	return out
}

// failureVars is the last expression of trace that failed, at its
// file:row, with the values of its variables: what `opa test --var-values`
// prints under a failing test (tester's printFailure, v1.22.3), made by
// OPA's topdown.PrettyEvent. "" when the trace holds no failed expression.
func failureVars(trace []*topdown.Event) string {
	for _, e := range slices.Backward(trace) {
		if e.Op != topdown.FailOp || e.Location == nil || e.QueryID == 0 {
			continue
		}
		if expr, ok := e.Node.(*ast.Expr); ok {
			if _, every := expr.Terms.(*ast.Every); every {
				continue // the failing expression inside the body comes next
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s:%d:\n", e.Location.File, e.Location.Row)
		if err := topdown.PrettyEvent(&b, e, topdown.PrettyEventOpts{PrettyVars: true}); err != nil {
			return b.String()
		}
		return strings.TrimRight(b.String(), "\n")
	}
	return ""
}
