package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/lineage"
	"github.com/open-policy-agent/opa/v1/topdown/print"
	"github.com/spf13/cobra"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/checker/regotest"
	"github.com/vungmanh/vungmanh/loaders"
)

// The explain modes of eval, as `opa eval --explain` names them.
const (
	explainOff   = ""
	explainFails = "fails"
	explainNotes = "notes"
	explainFull  = "full"
)

// explainModes are the values --explain takes.
var explainModes = []string{explainFails, explainNotes, explainFull}

// The outputs of eval.
const (
	outputText = "text"
	outputJSON = "json"
)

// checkEvalDebug checks --explain and --output before anything runs.
func checkEvalDebug(o evalOptions) error {
	if o.explain != explainOff && !slices.Contains(explainModes, o.explain) {
		return configErrorf("explain", "--explain %q: want %s", o.explain, strings.Join(explainModes, ", "))
	}
	if o.output != outputText && o.output != outputJSON {
		return configErrorf("output", "--output %q: want text or json", o.output)
	}
	return nil
}

// evalDocument is what `eval --output json` prints: one JSON document.
// Its input is the subject's input document as the targets see it, to save
// and give to `opa eval -i` as is.
type evalDocument struct {
	Subject  string              `json:"subject"`
	Scope    string              `json:"scope"`
	Input    any                 `json:"input"`
	Verdicts []checker.Result    `json:"verdicts"`
	Explain  string              `json:"explain,omitempty"`
	Trace    map[string][]string `json:"trace,omitempty"` // by target id: the lines of the explanation
}

// eval is `vungmanh eval`.
func (a *app) eval(cmd *cobra.Command, o evalOptions) error {
	ctx := cmd.Context()
	params, err := readParams(ctx, o.params)
	if err != nil {
		return err
	}
	pol, err := loadPolicies(ctx, o.policies)
	if err != nil {
		return err
	}
	limit, err := loaders.ParseLimit(o.maxBadRows)
	if err != nil {
		return configErrorf("max-bad-rows", "--max-bad-rows %q: %v", o.maxBadRows, err)
	}
	snap, err := loadSnapshot(ctx, o.snapshot, loaders.WithMaxBadRows(limit))
	if err != nil {
		return err
	}
	defer snap.Release()
	var opts []checker.Option
	if params != nil {
		opts = append(opts, checker.WithParams(params))
	}
	// EvalDebug evaluates with topdown, whatever the engine: no regovm
	// program is planned for it.
	c, err := checker.New(ctx, pol, append(opts, checker.WithEngine(checker.EngineTopdown))...)
	if err != nil {
		return err
	}
	input, scope, err := c.Input(snap, o.subject)
	if err != nil {
		return configErrorf("subject", "--subject %q: %v", o.subject, err)
	}
	if err := checkEvalTarget(pol, o.target, o.subject, scope); err != nil {
		return err
	}
	doc, err := ast.JSON(input)
	if err != nil {
		return fmt.Errorf("input of %q: %w", o.subject, err)
	}
	// What the policies print goes to stderr, as with opa eval, so that
	// stdout stays the input, the verdicts and the trace.
	evs, err := c.EvalDebug(ctx, snap, o.subject, o.target, checker.Debug{
		Trace: o.explain != explainOff,
		Print: locatedPrint{w: cmd.ErrOrStderr()},
	})
	if err != nil {
		return err // EvalDebug's errors name the subject
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].Target < evs[j].Target })
	verdicts := make([]checker.Result, len(evs))
	for i, ev := range evs {
		verdicts[i] = ev.Result
	}
	w := cmd.OutOrStdout()
	if o.output == outputJSON {
		out := evalDocument{Subject: o.subject, Scope: scope, Input: doc, Verdicts: verdicts, Explain: o.explain}
		if o.explain != explainOff {
			out.Trace = map[string][]string{}
			for _, ev := range evs {
				out.Trace[ev.Target] = traceLines(o.explain, ev.Trace)
			}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	fmt.Fprintf(w, "# input of %s (scope %s)\n", o.subject, scope)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	fmt.Fprintf(w, "# verdicts\n")
	if err := enc.Encode(verdicts); err != nil {
		return err
	}
	if o.explain == explainOff {
		return nil
	}
	fmt.Fprintf(w, "# trace (--explain=%s)\n", o.explain)
	for _, ev := range evs {
		fmt.Fprintf(w, "# %s (%s) on %s\n", ev.Target, ev.Package, o.subject)
		lines := traceLines(o.explain, ev.Trace)
		if len(lines) == 0 {
			fmt.Fprintln(w, explainEmpty(o.explain))
		}
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
	return nil
}

// traceLines filters a trace as `opa eval --explain=mode` does (OPA's
// topdown/lineage) and pretty-prints it with locations; the failing
// expressions of --explain=fails come with the values of their variables.
func traceLines(mode string, trace []*topdown.Event) []string {
	opts := topdown.PrettyTraceOptions{Locations: true}
	switch mode {
	case explainFails:
		trace = lineage.Fails(trace)
		opts.ExprVariables = true
	case explainNotes:
		trace = lineage.Notes(trace)
	default:
		trace = lineage.Full(trace)
	}
	if len(trace) == 0 {
		return nil
	}
	var buf bytes.Buffer
	topdown.PrettyTraceWithOpts(&buf, trace, opts)
	return strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
}

// explainEmpty says why a filtered trace is empty.
func explainEmpty(mode string) string {
	switch mode {
	case explainFails:
		return "(no expression failed)"
	case explainNotes:
		return "(no notes: the target calls no trace(msg))"
	}
	return "(no trace)"
}

// locatedPrint writes each print() line as "file:row: text".
type locatedPrint struct{ w io.Writer }

func (p locatedPrint) Print(ctx print.Context, text string) error {
	if ctx.Location != nil {
		_, err := fmt.Fprintf(p.w, "%s:%d: %s\n", ctx.Location.File, ctx.Location.Row, text)
		return err
	}
	_, err := fmt.Fprintln(p.w, text)
	return err
}

// The report formats of test and check.
const (
	formatText  = "text"
	formatJSON  = "json"
	formatJUnit = "junit"
)

func checkFormat(format string) error {
	switch format {
	case formatText, formatJSON, formatJUnit:
		return nil
	}
	return configErrorf("format", "--format %q: want text, json or junit", format)
}

// checkTestOptions checks test's flags before anything runs; --threshold
// turns coverage on, as with opa test.
func checkTestOptions(o *testOptions) error {
	if err := checkFormat(o.format); err != nil {
		return err
	}
	if o.threshold < 0 || o.threshold > 100 {
		return configErrorf("threshold", "--threshold %g: want a percentage between 0 and 100", o.threshold)
	}
	if o.threshold > 0 {
		o.coverage = true
	}
	return nil
}

// writeTestReport writes the report of test in o.format.
func writeTestReport(w io.Writer, rep *regotest.Report, o testOptions) error {
	switch o.format {
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case formatJUnit:
		return testJUnit(rep).write(w)
	}
	return rep.WriteTextWith(w, regotest.TextOptions{Verbose: o.verbose})
}

// checkCoverage is the error of a coverage under threshold (none when
// threshold is 0), which main prints on stderr whatever the format.
func checkCoverage(rep *regotest.Report, threshold float64) error {
	if threshold <= 0 || rep.Coverage == nil || rep.Coverage.Percent >= threshold {
		return nil
	}
	return &CoverageError{Percent: rep.Coverage.Percent, Threshold: threshold}
}

// writeTestErrors writes, with --format json or junit, the problems that
// kept the policies from compiling, so that CI reads them where it reads
// the tests (main prints them on stderr as well, whatever the format).
func writeTestErrors(w io.Writer, err error, format string) {
	var errs regotest.Errors
	if format == formatText || !errors.As(err, &errs) {
		return
	}
	if format == formatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Errors regotest.Errors `json:"errors"`
		}{errs})
		return
	}
	s := junitSuite{Name: "compile"}
	for _, e := range errs {
		s.add(junitCase{
			Name:      fmt.Sprintf("%s:%d:%d", e.File, e.Row, e.Col),
			Classname: e.File,
			Time:      seconds(0),
			File:      e.File,
			Line:      e.Row,
			Error:     &junitProblem{Message: e.Message, Type: e.Code, Text: e.Error()},
		})
	}
	_ = (&junitSuites{Name: "vungmanh test", Suites: []junitSuite{s}}).write(w)
}
