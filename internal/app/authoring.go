package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/checker/regotest"
	"github.com/vungmanh/vungmanh/internal/sample"
	"github.com/vungmanh/vungmanh/policies"
)

// test is `vungmanh test [DIR]`.
func (a *app) test(cmd *cobra.Command, o testOptions, sum *summary) error {
	ctx := cmd.Context()
	fsys, bundle, err := policyFS(ctx, o.dir)
	if err != nil {
		return err
	}
	if bundle != nil {
		return configErrorf("dir", "%q: vungmanh test runs a policy folder, not a bundle", o.dir)
	}
	rep, err := regotest.Run(ctx, fsys, regotest.Options{Coverage: o.coverage, Run: o.run, VarValues: o.varValues})
	if err != nil {
		writeTestErrors(cmd.OutOrStdout(), err, o.format)
		return fmt.Errorf("test policies %q: %w", orBuiltin(o.dir), err)
	}
	if err := writeTestReport(cmd.OutOrStdout(), rep, o); err != nil {
		return err
	}
	sum.Detail = fmt.Sprintf("%d test(s): %d passed, %d failed, %d errored, %d skipped", rep.Total(), rep.Passed, rep.Failed, rep.Errored, rep.Skipped)
	if !rep.OK() {
		return reportedError{&TestsFailedError{Failed: rep.Failed, Errored: rep.Errored, Total: rep.Total()}}
	}
	return checkCoverage(rep, o.threshold)
}

// check is `vungmanh check [DIR] [--snapshot S]`.
func (a *app) check(cmd *cobra.Command, o checkOptions) error {
	ctx := cmd.Context()
	// With --format json or junit, the text lines go nowhere and rep is
	// written instead (checkreport.go).
	rep, out := newCheckReport(o), cmd.OutOrStdout()
	w := o.text(out)
	pol, err := loadPolicies(ctx, o.dir)
	var pe checker.PolicyErrors
	if errors.As(err, &pe) {
		src := policySources(ctx, o.dir)
		for _, e := range pe {
			q := src.quote(e)
			fmt.Fprintln(w, e.Error())
			fmt.Fprint(w, q)
			rep.Problems = append(rep.Problems, checkProblem{PolicyError: e, Source: q})
		}
		if err := rep.write(out, o.format); err != nil {
			return err
		}
		return reportedError{fmt.Errorf("%d policy problem(s): %w", len(pe), err)}
	}
	if err != nil {
		return err
	}
	rep.addTargets(pol.Targets())
	for _, t := range pol.Targets() {
		fmt.Fprintf(w, "%-8s %-8s %-7s %s (%s, pack %s)\n", t.ID, t.Scope, t.Severity, t.Title, t.Package, t.Pack)
	}
	params, err := checkParamsFile(ctx, w, o.params, pol)
	if err != nil {
		return err
	}
	okLine := fmt.Sprintf("ok: %d target(s) compiled, metadata, sandbox and input schema checked", len(pol.Targets()))
	if o.params != "" {
		okLine += ", params file checked"
	}
	if o.snapshot == "" {
		fmt.Fprintln(w, okLine)
		return rep.write(out, o.format)
	}
	snap, err := loadSnapshot(ctx, o.snapshot)
	if err != nil {
		return err
	}
	defer snap.Release()
	engine, err := a.envRegoEngine()
	if err != nil {
		return err
	}
	outcome, err := evaluate(ctx, pol, snap, checker.WithEngine(engine), checker.WithParams(params))
	if err != nil {
		return fmt.Errorf("evaluate %q: %w", o.snapshot, err)
	}
	counts := countStatuses(outcome.Results)
	rep.Snapshot = &checkSnapshot{URL: o.snapshot, Counts: counts, Errors: []checkErrTarget{}}
	fmt.Fprintf(w, "evaluated on %s:", o.snapshot)
	for _, st := range statusOrder {
		fmt.Fprintf(w, " %s=%d", st, counts[st])
	}
	fmt.Fprintln(w)
	// A target that errors on real subjects is a policy problem: each is
	// named with its count and its first error, and check fails.
	type failing struct {
		n     int
		first checker.Result
	}
	byTarget := map[string]*failing{}
	var ids []string
	for _, r := range outcome.Results {
		if r.Status != checker.StatusError {
			continue
		}
		f := byTarget[r.Target]
		if f == nil {
			f = &failing{first: r}
			byTarget[r.Target] = f
			ids = append(ids, r.Target)
		}
		f.n++
	}
	if len(ids) == 0 {
		fmt.Fprintf(w, "%s, and evaluated without errors\n", okLine)
		return rep.write(out, o.format)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f := byTarget[id]
		msg := ""
		if f.first.Error != nil {
			msg = *f.first.Error
		}
		fmt.Fprintf(w, "error: %s errs on %d subject(s), first on %s: %s\n", id, f.n, f.first.Subject, msg)
		rep.Snapshot.Errors = append(rep.Snapshot.Errors, checkErrTarget{Target: id, Subjects: f.n, FirstSubject: f.first.Subject, FirstError: msg})
	}
	if err := rep.write(out, o.format); err != nil {
		return err
	}
	return reportedError{&TargetErrorsError{Targets: len(ids), Subjects: counts[string(checker.StatusError)]}}
}

// checkEvalTarget checks eval's --target (empty: every target of the
// subject's scope) before anything is printed: an unknown id, or a target
// of another scope, is a setting error (exit code 2).
func checkEvalTarget(pol *checker.Policies, target, subject, scope string) error {
	if target == "" {
		return nil
	}
	var ids []string
	for _, t := range pol.Targets() {
		if t.ID == target {
			if t.Scope != scope {
				return configErrorf("target", "--target %s has scope %s; the subject %q is a %s", target, t.Scope, subject, scope)
			}
			return nil
		}
		ids = append(ids, t.ID)
	}
	return configErrorf("target", "--target %q: no such target (the policies have %s)", target, strings.Join(ids, ", "))
}

// sample is `vungmanh sample`.
func (a *app) sample(cmd *cobra.Command, o sampleOptions, ssum *summary) error {
	opts := sample.Options{Profile: o.profile, Scale: o.scale, Seed: o.seed, Format: o.format, Defects: o.defects, Reform: o.reform}
	if err := opts.Validate(); err != nil {
		return configErrorf("profile", "%v", err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return configErrorf("out", "--out %q: %v", o.out, err)
	}
	sum, err := sample.Write(cmd.Context(), o.out, opts)
	if err != nil {
		return fmt.Errorf("write sample %q to %q: %w", o.profile, o.out, err)
	}
	w := cmd.OutOrStdout()
	ssum.Detail = fmt.Sprintf("wrote %s (%s, as of %s, %s, %d files) to %s", sum.Profile, sum.Name, sum.AsOf, sum.Format, len(sum.Files), o.out)
	fmt.Fprintf(w, "wrote %s (%s, as of %s, %s) to %s:\n", sum.Profile, sum.Name, sum.AsOf, sum.Format, o.out)
	for _, f := range sum.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	return nil
}

// exportPolicies is `vungmanh policies export DIR`: every file of the
// built-in pack, written into dir without overwriting anything.
func (a *app) exportPolicies(cmd *cobra.Command, dir string) error {
	names, err := fs.Glob(policies.FS, "*.rego")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return configErrorf("dir", "policies export %q: %v", dir, err)
	}
	for _, n := range names {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			return configErrorf("dir", "policies export %q: %s exists already (nothing was written; export into an empty folder)", dir, n)
		}
	}
	for _, n := range names {
		b, err := fs.ReadFile(policies.FS, n)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(dir, n), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return configErrorf("dir", "policies export %q: %v", dir, err)
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, n), err)
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %d file(s) of the built-in pack to %s\n", len(names), dir)
	return nil
}

// sourceLines reads the lines of policy files to quote them under an
// error; a file it cannot read is quoted as nothing.
type sourceLines struct {
	fsys  fs.FS
	files map[string][]string
}

// policySources opens the policy files of src as check names them in its
// errors (a layer's stacked on the built-in pack's); a bundle or a folder
// that cannot be read gives no quotes.
func policySources(ctx context.Context, src string) *sourceLines {
	s := &sourceLines{files: map[string][]string{}}
	if fsys, bundle, err := policyFS(ctx, src); err == nil && bundle == nil {
		s.fsys = fsys
	} else if src != "" {
		// A problem of the folder's layer.yaml: quote it from the folder.
		if fsys, _, err := policyFolder(ctx, src); err == nil {
			s.fsys = fsys
		}
	}
	return s
}

// quote returns the line of e, tab-indented, and a caret under its
// column, as opa check prints them; "" when the line is unknown.
func (s *sourceLines) quote(e checker.PolicyError) string {
	if s.fsys == nil {
		return ""
	}
	lines, ok := s.files[e.File]
	if !ok {
		if b, err := fs.ReadFile(s.fsys, e.File); err == nil {
			lines = strings.Split(string(b), "\n")
		}
		s.files[e.File] = lines
	}
	if e.Row < 1 || e.Row > len(lines) {
		return ""
	}
	line := strings.TrimRight(lines[e.Row-1], "\r")
	if strings.TrimSpace(line) == "" {
		return ""
	}
	var caret strings.Builder
	for i, r := range line {
		if i >= e.Col-1 {
			break
		}
		if r == '\t' {
			caret.WriteRune('\t')
		} else {
			caret.WriteRune(' ')
		}
	}
	return "\t" + line + "\n\t" + caret.String() + "^\n"
}
