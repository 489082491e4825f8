package app

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/policies"
)

// evalJSON runs eval --output json and decodes its stdout, which must be
// one JSON document and nothing else.
func evalJSON(t *testing.T, args ...string) map[string]json.RawMessage {
	t.Helper()
	code, stdout, stderr := runMain(t, nil, append([]string{"eval", "--output", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var doc map[string]json.RawMessage
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not a JSON document: %v\n%s", err, stdout)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("stdout holds more than one JSON document (next: %v)", err)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "#") {
			t.Errorf("a comment line on stdout: %q", line)
		}
	}
	return doc
}

// TestEvalJSONInputForOPA: the input of eval --output json, saved as is,
// is an input for `opa eval -i` (opaEval: the steps of OPA's own
// command), which then finds exactly the violations eval reported for
// each target of the subject.
func TestEvalJSONInputForOPA(t *testing.T) {
	doc := evalJSON(t, "--snapshot", "sample://thai-binh-2024", "--subject", "xa-thai-xuyen")
	var verdicts []checker.Result
	if err := json.Unmarshal(doc["verdicts"], &verdicts); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(in, doc["input"], 0o644); err != nil {
		t.Fatal(err)
	}
	pol, err := checker.Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	pkg := map[string]string{}
	for _, tg := range pol.Targets() {
		pkg[tg.ID] = tg.Package
	}
	var refs []string
	want := map[string][]string{}
	statuses := map[checker.Status]bool{}
	for _, v := range verdicts {
		statuses[v.Status] = true
		refs = append(refs, "data."+pkg[v.Target]+".violation")
		msgs := []string{}
		for _, x := range v.Violations {
			msgs = append(msgs, x.Msg)
		}
		sort.Strings(msgs)
		want[v.Target] = msgs
	}
	if len(verdicts) < 2 || !statuses[checker.StatusPass] || !statuses[checker.StatusFail] {
		t.Fatalf("want a subject with passing and failing targets, got %+v", verdicts)
	}
	val := opaEval(t, in, "../../policies", "["+strings.Join(refs, ", ")+"]")
	vals, ok := val.([]any)
	if !ok || len(vals) != len(verdicts) {
		t.Fatalf("opa eval gave %v", val)
	}
	got := map[string][]string{}
	for i, vs := range vals {
		msgs := []string{}
		for _, x := range vs.([]any) {
			msgs = append(msgs, x.(map[string]any)["msg"].(string))
		}
		sort.Strings(msgs)
		got[verdicts[i].Target] = msgs
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("opa eval -i on eval's input finds other violations (-eval +opa):\n%s", d)
	}
}

// opaEval is `opa eval --input in --data dir query`, made of the steps of
// OPA's own eval command (cmd/eval.go, setupEval, v1.22.3): the input file
// read with util.Unmarshal and ast.InterfaceToValue, the policies loaded
// with rego.Load, the query evaluated by topdown with default options. It
// returns the query's first result value.
func opaEval(t *testing.T, in, dir, query string) any {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var input any
	if err := util.Unmarshal(b, &input); err != nil {
		t.Fatalf("opa eval -i %s: unable to parse input: %v", in, err)
	}
	v, err := ast.InterfaceToValue(input)
	if err != nil {
		t.Fatalf("opa eval -i %s: unable to process input: %v", in, err)
	}
	rs, err := rego.New(rego.Query(query), rego.Load([]string{dir}, nil), rego.ParsedInput(v)).Eval(context.Background())
	if err != nil {
		t.Fatalf("opa eval %s: %v", query, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("opa eval %s: %d results", query, len(rs))
	}
	return rs[0].Expressions[0].Value
}

// printingPolicies is a policy folder of one commune target that prints.
func printingPolicies(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := `# METADATA
# title: Prints
# custom:
#   id: P-1
#   scope: commune
package targets.p1

violation contains {"msg": "few cadres"} if {
	print("cadres of", input.subject.id, count(input.cadres))
	count(input.cadres) > 1000
}
`
	if err := os.WriteFile(filepath.Join(dir, "p1.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEvalDebugging(t *testing.T) {
	const subject = "ha-noi-h01-x001"
	base := []string{"eval", "--snapshot", smallSample, "--subject", subject, "--target", "TB-01"}
	trace := func(stdout string) string {
		_, after, _ := strings.Cut(stdout, "# trace")
		return after
	}
	prints := printingPolicies(t)
	tests := []struct {
		name  string
		args  []string
		want  int
		check func(t *testing.T, stdout, stderr string)
	}{
		{"explain alone is full", []string{"--explain"}, 0, func(t *testing.T, stdout, _ string) {
			if !strings.Contains(stdout, "# trace (--explain=full)") || !strings.Contains(trace(stdout), "| Enter data.targets.tb01_one_plus_one.violation") {
				t.Errorf("no full trace:\n%s", trace(stdout))
			}
		}},
		{"explain fails", []string{"--explain=fails"}, 0, func(t *testing.T, stdout, _ string) {
			tr := trace(stdout)
			full := trace(mustEval(t, append(base, "--explain=full")...))
			if !strings.Contains(tr, "Fail ") || strings.Count(tr, "\n") >= strings.Count(full, "\n") {
				t.Errorf("fails trace (%d lines; full %d):\n%s", strings.Count(tr, "\n"), strings.Count(full, "\n"), tr)
			}
			for _, line := range strings.Split(strings.TrimSpace(tr), "\n")[2:] {
				if strings.Contains(line, " Eval ") || strings.Contains(line, " Exit ") {
					t.Errorf("fails trace has a line that is no fail's context: %q", line)
				}
			}
		}},
		{"explain notes", []string{"--explain=notes"}, 0, func(t *testing.T, stdout, _ string) {
			if !strings.Contains(trace(stdout), "(no notes") {
				t.Errorf("notes of a target without trace():\n%s", trace(stdout))
			}
		}},
		{"explain bad mode", []string{"--explain=some"}, ExitConfig, func(t *testing.T, stdout, stderr string) {
			if stdout != "" || !strings.Contains(logText(stderr), `--explain "some": want fails, notes, full`) {
				t.Errorf("stdout %q, stderr %q", stdout, stderr)
			}
		}},
		{"bad output", []string{"--output=yaml"}, ExitConfig, func(t *testing.T, stdout, stderr string) {
			if stdout != "" || !strings.Contains(stderr, "--output") {
				t.Errorf("stdout %q, stderr %q", stdout, stderr)
			}
		}},
		{"json with explain", []string{"--output", "json", "--explain=fails"}, 0, func(t *testing.T, stdout, _ string) {
			var doc struct {
				Subject, Scope, Explain string
				Trace                   map[string][]string
			}
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Subject != subject || doc.Scope != "commune" || doc.Explain != "fails" || len(doc.Trace["TB-01"]) == 0 {
				t.Errorf("document: %+v", doc)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMain(t, nil, append(append([]string(nil), base...), tt.args...)...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d\n%s", code, tt.want, stderr)
			}
			tt.check(t, stdout, stderr)
		})
	}
	t.Run("print goes to stderr", func(t *testing.T) {
		for _, output := range []string{"text", "json"} {
			code, stdout, stderr := runMain(t, nil, "eval", "--snapshot", smallSample, "--subject", subject, "--policies", prints, "--output", output)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if want := "p1.rego:9: cadres of " + subject + " "; !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr does not hold %q:\n%s", output, want, stderr)
			}
			if strings.Contains(stdout, "cadres of") {
				t.Errorf("%s: print output on stdout", output)
			}
		}
		evalJSON(t, "--snapshot", smallSample, "--subject", subject, "--policies", prints)
	})
}

func mustEval(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runMain(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	return stdout
}

// writeFolder writes files into a new temporary folder.
func writeFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// junitDoc is JUnit XML read back with its own structure.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped   *struct{} `xml:"skipped"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, s string) junitDoc {
	t.Helper()
	var doc junitDoc
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("not JUnit XML: %v\n%s", err, s)
	}
	tests, failures, errs := 0, 0, 0
	for _, s := range doc.Suites {
		n, f, e := 0, 0, 0
		for _, c := range s.Cases {
			n++
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			if c.Name == "" || c.Classname == "" || c.Time == "" {
				t.Errorf("testcase without name, classname or time: %+v", c)
			}
		}
		if n != s.Tests || f != s.Failures || e != s.Errors {
			t.Errorf("suite %s counts %d/%d/%d, has %d/%d/%d testcases/failures/errors", s.Name, s.Tests, s.Failures, s.Errors, n, f, e)
		}
		tests, failures, errs = tests+n, failures+f, errs+e
	}
	if tests != doc.Tests || failures != doc.Failures || errs != doc.Errors {
		t.Errorf("testsuites counts %d/%d/%d, suites hold %d/%d/%d", doc.Tests, doc.Failures, doc.Errors, tests, failures, errs)
	}
	return doc
}

func TestTestReports(t *testing.T) {
	failing := writeFolder(t, map[string]string{
		"f.rego": "package f\n\nlimit := 3\n",
		"f_test.rego": `package f_test

import data.f

test_ok if f.limit == 3

test_wrong if {
	print("limit is", f.limit)
	x := f.limit + 1
	x == 5
}

todo_test_later if false
`,
	})
	broken := writeFolder(t, map[string]string{"y.rego": "package targets.y\n\nviolation contains if {\n"})
	lowCoverage := writeFolder(t, map[string]string{
		"p.rego":      "package p\n\nsmall if input.n < 10\n\nlarge if {\n\tinput.n > 100\n\tinput.n < 1000\n}\n",
		"p_test.rego": "package p_test\n\nimport data.p\n\ntest_small if p.small with input as {\"n\": 1}\n",
	})
	tests := []struct {
		name  string
		args  []string
		want  int
		check func(t *testing.T, stdout, stderr string)
	}{
		{"verbose", []string{"test", failing, "-v"}, ExitConfig, func(t *testing.T, stdout, _ string) {
			for _, s := range []string{"data.f_test.test_ok: PASS (", "data.f_test.test_wrong: FAIL (", "data.f_test.todo_test_later: SKIPPED", "  limit is 3", "PASS: 1/3", "FAIL: 1/3"} {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout does not hold %q:\n%s", s, stdout)
				}
			}
			if strings.Contains(stdout, `"duration`) {
				t.Errorf("verbose output is JSON:\n%s", stdout)
			}
		}},
		{"var values", []string{"test", failing, "--var-values"}, ExitConfig, func(t *testing.T, stdout, _ string) {
			if !strings.Contains(stdout, "f_test.rego:10:\n  \tx == 5\n") || !strings.Contains(stdout, "\t4\n") {
				t.Errorf("no failed expression with its values:\n%s", stdout)
			}
		}},
		{"json", []string{"test", failing, "--format", "json"}, ExitConfig, func(t *testing.T, stdout, _ string) {
			var rep struct {
				Passed, Failed, Skipped int
				Results                 []map[string]any
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("%v\n%s", err, stdout)
			}
			if rep.Passed != 1 || rep.Failed != 1 || rep.Skipped != 1 || len(rep.Results) != 3 {
				t.Errorf("report: %+v", rep)
			}
		}},
		{"junit", []string{"test", failing, "--format", "junit"}, ExitConfig, func(t *testing.T, stdout, _ string) {
			doc := parseJUnit(t, stdout)
			if doc.Tests != 3 || doc.Failures != 1 || doc.Skipped != 1 || len(doc.Suites) != 1 || doc.Suites[0].Name != "f_test.rego" {
				t.Fatalf("junit: %+v", doc)
			}
			for _, c := range doc.Suites[0].Cases {
				if c.Name == "test_wrong" && (c.Failure == nil || !strings.Contains(c.SystemOut, "limit is 3") || c.Classname != "data.f_test") {
					t.Errorf("test_wrong: %+v", c)
				}
			}
		}},
		{"junit of the pack", []string{"test", "--format", "junit"}, 0, func(t *testing.T, stdout, _ string) {
			if doc := parseJUnit(t, stdout); doc.Tests < 50 || doc.Failures != 0 {
				t.Errorf("junit of the built-in pack: %d tests, %d failures", doc.Tests, doc.Failures)
			}
		}},
		{"coverage under threshold", []string{"test", lowCoverage, "--threshold", "90"}, ExitConfig, func(t *testing.T, stdout, stderr string) {
			if !strings.Contains(stdout, "Coverage: ") || !strings.Contains(stdout, "  p.rego: ") || !strings.Contains(stdout, "not covered: rows 5-7") {
				t.Errorf("no per-file coverage:\n%s", stdout)
			}
			if !strings.Contains(stderr, "is under the threshold of 90%") {
				t.Errorf("stderr: %s", stderr)
			}
		}},
		{"coverage over threshold", []string{"test", lowCoverage, "--threshold", "20"}, 0, func(t *testing.T, stdout, _ string) {
			if !strings.Contains(stdout, "  p_test.rego: 100%") {
				t.Errorf("no per-file coverage:\n%s", stdout)
			}
		}},
		{"bad threshold", []string{"test", lowCoverage, "--threshold", "120"}, ExitConfig, func(t *testing.T, _, stderr string) {
			if !strings.Contains(stderr, "setting threshold") {
				t.Errorf("stderr: %s", stderr)
			}
		}},
		{"junit of a folder that does not compile", []string{"test", broken, "--format", "junit"}, ExitConfig, func(t *testing.T, stdout, stderr string) {
			doc := parseJUnit(t, stdout)
			if doc.Errors == 0 || doc.Errors != doc.Tests || !strings.HasPrefix(doc.Suites[0].Cases[0].Name, "y.rego:3:") || !strings.Contains(stderr, "y.rego:3") {
				t.Errorf("junit: %+v\nstderr: %s", doc, stderr)
			}
		}},
		{"json of a folder that does not compile", []string{"test", broken, "--format", "json"}, ExitConfig, func(t *testing.T, stdout, _ string) {
			var doc struct{ Errors []struct{ File string } }
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Errors) == 0 || doc.Errors[0].File != "y.rego" {
				t.Errorf("json: %v %+v\n%s", err, doc, stdout)
			}
		}},
		{"bad format", []string{"test", "--format", "xml"}, ExitConfig, func(t *testing.T, _, stderr string) {
			if !strings.Contains(logText(stderr), `--format "xml": want text, json or junit`) {
				t.Errorf("stderr: %s", stderr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMain(t, nil, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			tt.check(t, stdout, stderr)
		})
	}
}

// TestRunLogsPrint: at debug level a run logs what a target prints, one
// line per print with the target and the subject; at info level nothing.
func TestRunLogsPrint(t *testing.T) {
	prints := printingPolicies(t)
	for _, level := range []string{"debug", "info"} {
		t.Run(level, func(t *testing.T) {
			code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample, "--policies", prints, "--out", t.TempDir(),
				"--formats", "json", "--log-format", "json", "--log-level", level)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			n := 0
			for _, line := range strings.Split(stderr, "\n") {
				var l struct{ Level, Message, Target, Subject, Location, Output string }
				if json.Unmarshal([]byte(line), &l) != nil || l.Message != "policy print" {
					continue
				}
				n++
				if l.Level != "debug" || l.Target != "P-1" || l.Subject == "" || l.Location != "p1.rego:9" || !strings.HasPrefix(l.Output, "cadres of "+l.Subject+" ") {
					t.Errorf("print line: %+v", l)
				}
			}
			if level == "debug" && n == 0 {
				t.Errorf("no print logged at debug level:\n%s", stderr)
			}
			if level == "info" && n != 0 {
				t.Errorf("%d print lines at info level", n)
			}
		})
	}
}
