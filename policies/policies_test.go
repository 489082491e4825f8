package policies_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/checker/regotest"
	"github.com/vungmanh/vungmanh/policies"
)

var (
	packOnce sync.Once
	packRep  *regotest.Report
	packErr  error
)

// runPack runs the embedded pack's tests once for every test of this file.
func runPack(t *testing.T) *regotest.Report {
	t.Helper()
	packOnce.Do(func() {
		packRep, packErr = regotest.Run(context.Background(), policies.FS, regotest.Options{Coverage: true})
	})
	if packErr != nil {
		t.Fatalf("run the pack's tests: %v", packErr)
	}
	return packRep
}

func TestPackTestsPass(t *testing.T) {
	rep := runPack(t)
	for _, r := range rep.Results {
		if r.Status != regotest.StatusPass {
			t.Errorf("%s:%d: %s.%s: %s %s", r.File, r.Row, r.Package, r.Name, r.Status, r.Err)
		}
	}
	if rep.Passed < 100 || rep.Total() != rep.Passed {
		t.Errorf("passed %d of %d tests, want all of at least 100", rep.Passed, rep.Total())
	}
}

func TestPackCoverage(t *testing.T) {
	rep := runPack(t)
	if rep.Coverage.Percent < 90 {
		t.Errorf("coverage of the pack = %.1f%%, want at least 90%%", rep.Coverage.Percent)
	}
	for _, f := range rep.Coverage.Files {
		if !strings.HasSuffix(f.File, "_test.rego") && f.Percent < 90 {
			t.Errorf("coverage of %s = %.1f%%, want at least 90%% (rows not covered: %v)", f.File, f.Percent, f.NotCovered)
		}
	}
}

// Every target's test package has pass, fail and edge-case tests.
func TestEveryTargetHasTests(t *testing.T) {
	rep := runPack(t)
	perPackage := map[string][]string{}
	for _, r := range rep.Results {
		perPackage[r.Package] = append(perPackage[r.Package], r.Name)
	}
	for _, tg := range targets(t) {
		names := perPackage["data."+tg.pkg+"_test"]
		var pass, fail bool
		for _, n := range names {
			pass = pass || strings.Contains(n, "pass")
			fail = fail || strings.Contains(n, "fail")
		}
		if !pass || !fail || len(names) < 5 {
			t.Errorf("%s (%s): tests %v, want at least 5 with pass and fail cases", tg.id, tg.pkg, names)
		}
	}
}

type target struct {
	file, pkg, id, scope, modelType, severity, title, titleEn string
}

// targets reads the METADATA of every non-test module under data.targets.
func targets(t *testing.T) []target {
	t.Helper()
	var out []target
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		src, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			return err
		}
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		if !strings.HasPrefix(pkg, "targets.") {
			return nil
		}
		tg := target{file: p, pkg: pkg}
		for _, a := range m.Annotations {
			if a.Scope != "package" {
				continue
			}
			tg.title = a.Title
			str := func(k string) string { s, _ := a.Custom[k].(string); return s }
			tg.id, tg.scope, tg.modelType, tg.severity, tg.titleEn = str("id"), str("scope"), str("model_type"), str("severity"), str("title_en")
		}
		out = append(out, tg)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func TestTargetMetadata(t *testing.T) {
	type meta struct{ ID, Scope, ModelType, Severity string }
	want := []meta{
		{"TB-01", "commune", "", "high"},
		{"TB-02", "commune", "", "high"},
		{"TB-03", "commune", "", "high"},
		{"TB-04", "branch", "", "high"},
		{"TB-05", "branch", "", "high"},
		{"TB-06", "model", "cadres_progress", "high"},
		{"TB-07", "model", "accompany", "high"},
		{"TB-08", "model", "one_plus_one", "high"},
		{"TB-09", "branch", "", "low"},
		{"TB-10", "commune", "", "medium"},
		{"TB-11", "commune", "", "medium"},
	}
	var got []meta
	for _, tg := range targets(t) {
		got = append(got, meta{tg.id, tg.scope, tg.modelType, tg.severity})
		if tg.title == "" || tg.titleEn == "" {
			t.Errorf("%s: title %q, title_en %q: want both", tg.file, tg.title, tg.titleEn)
		}
		if want := "targets.tb" + strings.TrimPrefix(strings.ToLower(tg.id), "tb-") + "_"; !strings.HasPrefix(tg.pkg, want) {
			t.Errorf("%s: package %s, want it to start with %s", tg.file, tg.pkg, want)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

// The pack uses no builtin the checker's sandbox refuses.
func TestDeterministicBuiltins(t *testing.T) {
	forbidden := regexp.MustCompile(`^(http\.send|net\..*|opa\.runtime|rand\..*|uuid\..*|time\.now_ns|io\.jwt\..*|crypto\..*)$`)
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		ast.WalkExprs(m, func(e *ast.Expr) bool {
			if e.IsCall() {
				if name := e.Operator().String(); forbidden.MatchString(name) {
					t.Errorf("%s:%d: calls %s", p, e.Location.Row, name)
				}
			}
			return false
		})
		ast.WalkTerms(m, func(x *ast.Term) bool {
			if c, ok := x.Value.(ast.Call); ok {
				if name := c[0].String(); forbidden.MatchString(name) {
					t.Errorf("%s:%d: calls %s", p, x.Location.Row, name)
				}
			}
			return false
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FS embeds every .rego file of the folder.
func TestEmbedded(t *testing.T) {
	onDisk, err := filepath.Glob("*.rego")
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := fs.Glob(policies.FS, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(onDisk, embedded); diff != "" {
		t.Errorf("embedded files (-disk +embedded):\n%s", diff)
	}
}

// The same tests pass under the OPA command line of the pinned version, with
// the same outcome for every test: our runner and OPA's agree.
func TestAgreesWithOPA(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the OPA binary; run without -short")
	}
	opa := buildOPA(t)
	cmd := exec.Command(opa, "test", ".", "--format", "json")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if !(errorAs(err, &ee) && ee.ExitCode() == 2) { // 2: some test failed; compared below
			t.Fatalf("opa test: %v\n%s", err, stderrOf(err))
		}
	}
	var results []struct {
		Package string          `json:"package"`
		Name    string          `json:"name"`
		Fail    bool            `json:"fail"`
		Skip    bool            `json:"skip"`
		Error   json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("read opa test output: %v\n%s", err, out)
	}
	want := map[string]regotest.Status{}
	for _, r := range results {
		st := regotest.StatusPass
		switch {
		case r.Skip:
			st = regotest.StatusSkip
		case len(r.Error) > 0 && string(r.Error) != "null":
			st = regotest.StatusError
		case r.Fail:
			st = regotest.StatusFail
		}
		want[r.Package+"."+r.Name] = st
	}
	got := map[string]regotest.Status{}
	for _, r := range runPack(t).Results {
		got[r.Package+"."+r.Name] = r.Status
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-opa +regotest):\n%s", diff)
	}
	if len(want) < 100 {
		t.Errorf("opa ran %d tests, want the whole pack", len(want))
	}
}

// buildOPA builds the OPA command line at the version go.mod pins, into a
// temporary folder. `go install module@version` builds it with OPA's own
// go.mod and go.sum, outside this module, from the module cache when it
// holds the sources (the checker's tests build it the same way, so the
// build cache serves both). $VUNGMANH_OPA names an already built binary.
func buildOPA(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VUNGMANH_OPA"); p != "" {
		return p
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Version}}", "github.com/open-policy-agent/opa").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/open-policy-agent/opa: %v\n%s", err, stderrOf(err))
	}
	version := strings.TrimSpace(string(out))
	bin := t.TempDir()
	cmd := exec.Command(goBin, "install", "github.com/open-policy-agent/opa@"+version)
	cmd.Dir = bin
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install opa@%s: %v\n%s", version, err, out)
	}
	return filepath.Join(bin, "opa")
}

func errorAs(err error, target **exec.ExitError) bool {
	ee, ok := err.(*exec.ExitError)
	if ok {
		*target = ee
	}
	return ok
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return fmt.Sprint(err)
}

// The checker loads the pack: strict compile, metadata, sandbox and the
// type check of every module (the library included) against each scope's
// input schema.
func TestLoadsInChecker(t *testing.T) {
	p, err := checker.Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatalf("checker.Load: %v", err)
	}
	var got []string
	for _, tg := range p.Targets() {
		got = append(got, tg.ID+" "+tg.Package)
	}
	var want []string
	for _, tg := range targets(t) {
		want = append(want, tg.id+" "+tg.pkg)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}
