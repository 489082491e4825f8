package regotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// brief is what a test's result says once durations, columns and outputs
// are left out.
type brief struct {
	Name   string
	Status Status
	At     string // file:row
}

func briefs(rep *Report) []brief {
	out := make([]brief, 0, len(rep.Results))
	for _, r := range rep.Results {
		out = append(out, brief{r.Package + "." + r.Name, r.Status, r.File + ":" + itoa(r.Row)})
	}
	return out
}

func itoa(n int) string {
	var b []byte
	for n >= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(append([]byte{byte('0' + n)}, b...))
}

type counts struct{ Passed, Failed, Errored, Skipped int }

func countsOf(r *Report) counts { return counts{r.Passed, r.Failed, r.Errored, r.Skipped} }

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		dir     string
		opts    Options
		want    []brief
		counts  counts
		percent float64 // coverage, when opts.Coverage
	}{
		{
			name: "all pass, one todo",
			dir:  "ok",
			want: []brief{
				{"data.targets.demo_test.test_pass_with_model", StatusPass, "policy_test.rego:5"},
				{"data.targets.demo_test.test_fail_without_model", StatusPass, "policy_test.rego:9"},
				{"data.targets.demo_test.todo_test_later", StatusSkip, "policy_test.rego:13"},
			},
			counts: counts{Passed: 2, Skipped: 1},
		},
		{
			name: "a failing and an erroring test",
			dir:  "failing",
			want: []brief{
				{"data.targets.demo_test.test_passes", StatusPass, "policy_test.rego:5"},
				{"data.targets.demo_test.test_fails", StatusFail, "policy_test.rego:9"},
				{"data.targets.demo_test.test_errors", StatusError, "policy_test.rego:14"},
			},
			counts: counts{Passed: 1, Failed: 1, Errored: 1},
		},
		{
			name: "run filter on the rule name",
			dir:  "failing",
			opts: Options{Run: "fails$"},
			want: []brief{
				{"data.targets.demo_test.test_fails", StatusFail, "policy_test.rego:9"},
			},
			counts: counts{Failed: 1},
		},
		{
			name: "run filter on the package",
			dir:  "ok",
			opts: Options{Run: `targets\.demo_test\.test_pass`},
			want: []brief{
				{"data.targets.demo_test.test_pass_with_model", StatusPass, "policy_test.rego:5"},
			},
			counts: counts{Passed: 1},
		},
		{
			name:   "run filter matching nothing",
			dir:    "ok",
			opts:   Options{Run: "no_such_test"},
			want:   []brief{},
			counts: counts{},
		},
		{
			name: "data-driven tests count once per case, as opa test does",
			dir:  "cases",
			want: []brief{
				{"data.cases_test.test_all_pass", StatusPass, "cases_test.rego:5"},
				{"data.cases_test.test_one_fails", StatusFail, "cases_test.rego:9"},
				{"data.cases_test.test_plain", StatusPass, "cases_test.rego:14"},
			},
			counts: counts{Passed: 5, Failed: 1}, // `opa test`: PASS: 5/6, FAIL: 1/6
		},
		{
			name: "coverage",
			dir:  "ok",
			opts: Options{Coverage: true},
			want: []brief{
				{"data.targets.demo_test.test_pass_with_model", StatusPass, "policy_test.rego:5"},
				{"data.targets.demo_test.test_fail_without_model", StatusPass, "policy_test.rego:9"},
				{"data.targets.demo_test.todo_test_later", StatusSkip, "policy_test.rego:13"},
			},
			counts: counts{Passed: 2, Skipped: 1},
			// policy.rego: size (row 7) is never evaluated; the todo test
			// (rows 13-14) is not either. `opa test --coverage` says the same.
			percent: 200.0 / 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Run(context.Background(), os.DirFS("testdata/"+tt.dir), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, briefs(rep)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.counts, countsOf(rep)); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if tt.opts.Coverage != (rep.Coverage != nil) {
				t.Fatalf("coverage = %v, want it only with Options.Coverage", rep.Coverage)
			}
			if rep.Coverage != nil && rep.Coverage.Percent != tt.percent {
				t.Errorf("coverage = %v%%, want %v%%: %+v", rep.Coverage.Percent, tt.percent, rep.Coverage.Files)
			}
		})
	}
}

func TestRunResultDetails(t *testing.T) {
	rep, err := Run(context.Background(), os.DirFS("testdata/failing"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]TestResult{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	if got := byName["test_errors"].Err; !strings.Contains(got, "eval_conflict_error") || !strings.Contains(got, "policy.rego:10") {
		t.Errorf("error of test_errors = %q, want the conflict with its place", got)
	}
	if got := byName["test_fails"].Output; got != "models: 0\n" {
		t.Errorf("output of test_fails = %q, want the print() line", got)
	}
	if rep.OK() {
		t.Error("OK() = true with a failing test")
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		fsys func() (string, error)
		dir  string
		want []string // Error() of each problem
	}{
		{
			name: "syntax errors of every file",
			dir:  "syntax",
			want: []string{
				"a.rego:5:1: unexpected } token",
				"b_test.rego:8:0: unexpected eof token",
			},
		},
		{
			name: "strict compile errors of every file",
			dir:  "compile",
			want: []string{
				"a.rego:4:2: declared var unused unused",
				"sub/b_test.rego:7:2: undefined function undefined_function",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), os.DirFS("testdata/"+tt.dir), Options{})
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error = %v (%T), want Errors", err, err)
			}
			got := make([]string, len(errs))
			for i, e := range errs {
				got[i] = e.Error()
				if e.Code == "" {
					t.Errorf("%s: no code", e)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if err.Error() != strings.Join(tt.want, "\n") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestRunBadOptionsAndContext(t *testing.T) {
	fsys := os.DirFS("testdata/ok")
	if _, err := Run(context.Background(), fsys, Options{Run: "("}); err == nil || !strings.Contains(err.Error(), "compile test filter") {
		t.Errorf("bad regex: error = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, fsys, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error = %v, want context.Canceled", err)
	}
}

func TestRunEmptyFolder(t *testing.T) {
	rep, err := Run(context.Background(), fstest.MapFS{"README.md": {Data: []byte("# nothing")}}, Options{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total() != 0 {
		t.Errorf("Total() = %d, want 0", rep.Total())
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "no tests were run") {
		t.Errorf("WriteText:\n%s", buf.String())
	}
}

func TestWriteText(t *testing.T) {
	rep, err := Run(context.Background(), os.DirFS("testdata/failing"), Options{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep.Results {
		rep.Results[i].Duration = 0
	}
	// The error text carries OPA's traceback; keep its first line.
	for i, r := range rep.Results {
		if r.Err != "" {
			rep.Results[i].Err = strings.SplitN(r.Err, "\n", 2)[0]
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	want := `policy_test.rego:9:
data.targets.demo_test.test_fails: FAIL (0s)

  models: 0

policy_test.rego:14:
data.targets.demo_test.test_errors: ERROR (0s)
  policy.rego:10: eval_conflict_error: rule data.targets.demo.level produced conflicting values:
--------------------------------------------------------------------------------
PASS: 1/3
FAIL: 1/3
ERROR: 1/3
Coverage: ` + pct(rep.Coverage.Percent) + `%
`
	got := buf.String()
	// Files not fully covered follow the total; check the head exactly.
	if !strings.HasPrefix(got, want) {
		t.Errorf("WriteText (-want +got):\n%s", cmp.Diff(want, got))
	}
	if !strings.Contains(got, "  policy_test.rego: 85.7%, not covered: rows 9\n") {
		t.Errorf("WriteText lists no uncovered rows:\n%s", got)
	}
}

func TestReportJSONShape(t *testing.T) {
	rep, err := Run(context.Background(), os.DirFS("testdata/ok"), Options{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []FileCoverage{
		{File: "policy.rego", CoveredLines: 2, NotCoveredLines: 1, NotCovered: []LineRange{{7, 7}}},
		{File: "policy_test.rego", CoveredLines: 4, NotCoveredLines: 2, NotCovered: []LineRange{{13, 14}}},
	}
	if diff := cmp.Diff(want, rep.Coverage.Files, cmpopts.IgnoreFields(FileCoverage{}, "Percent")); diff != "" {
		t.Errorf("coverage files (-want +got):\n%s", diff)
	}
}

// FuzzRun feeds arbitrary source as one policy file: Run never panics, and
// every problem it reports carries a file and a row.
func FuzzRun(f *testing.F) {
	for _, dir := range []string{"ok", "failing", "syntax", "compile", "cases"} {
		entries, err := os.ReadDir("testdata/" + dir)
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			src, err := os.ReadFile("testdata/" + dir + "/" + e.Name())
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(src))
		}
	}
	f.Add("package p\n\ntest_x if { 1 / 0 }\n")
	f.Add("")
	f.Add("# only a comment\n")
	f.Fuzz(func(t *testing.T, src string) {
		fsys := fstest.MapFS{"p_test.rego": {Data: []byte(src)}}
		rep, err := Run(context.Background(), fsys, Options{Coverage: true})
		var errs Errors
		switch {
		case errors.As(err, &errs):
			for _, e := range errs {
				if e.File != "p_test.rego" || e.Row < 1 || e.Col < 0 || e.Message == "" {
					t.Errorf("problem without a place: %+v", e)
				}
			}
		case err != nil:
			t.Fatalf("error is not Errors: %v", err)
		default:
			if len(rep.Results) > rep.Total() {
				t.Errorf("counts %d below results %d", rep.Total(), len(rep.Results))
			}
		}
	})
}

func TestRunTimeout(t *testing.T) {
	// 9 million iterations in little memory: far longer than the deadline.
	src := `package slow_test

test_slow if {
	some i in numbers.range(1, 3000)
	some j in numbers.range(1, 3000)
	i * j == -1
}
`
	rep, err := Run(context.Background(), fstest.MapFS{"slow_test.rego": {Data: []byte(src)}}, Options{Timeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(counts{Errored: 1}, countsOf(rep)); diff != "" {
		t.Fatalf("counts (-want +got):\n%s", diff)
	}
	if got := rep.Results[0].Err; !strings.Contains(got, "cancel") && !strings.Contains(got, "deadline") {
		t.Errorf("error = %q, want a cancellation", got)
	}
}

func TestRunCases(t *testing.T) {
	rep, err := Run(context.Background(), os.DirFS("testdata/cases"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []Case
	for _, r := range rep.Results {
		got = append(got, r.Cases...)
	}
	want := []Case{
		{Name: "bar", Status: StatusPass}, {Name: "foo", Status: StatusPass}, // test_all_pass
		{Name: "bar", Status: StatusFail}, {Name: "baz", Status: StatusPass}, {Name: "foo", Status: StatusPass}, // test_one_fails
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cases (-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "test_one_fails: FAIL") || !strings.Contains(buf.String(), "\n  bar: FAIL\n") {
		t.Errorf("WriteText does not name the failing case:\n%s", buf.String())
	}
}

// TestRunSandbox: test modules compile in the sandbox of run and check. A
// test that calls http.send (or net.lookup_ip_addr) on a loopback server
// is a compile problem at the call, and the server is never reached.
func TestRunSandbox(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"token": "secret"}`)
	}))
	t.Cleanup(srv.Close)
	fsys := fstest.MapFS{
		"reach_test.rego": {Data: []byte(`package reach_test

test_metadata if {
	r := http.send({"method": "GET", "url": "` + srv.URL + `"})
	r.status_code == 200
}

test_lookup if {
	count(net.lookup_ip_addr("localhost")) > 0
}

test_clock if {
	time.now_ns() > 0
}
`)},
	}
	rep, err := Run(context.Background(), fsys, Options{})
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Run = %v, %v; want compile problems", rep, err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"reach_test.rego:4:7: undefined function http.send",
		"reach_test.rego:9:8: undefined function net.lookup_ip_addr",
		"reach_test.rego:13:2: undefined function time.now_ns",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
}

// TestVerboseAndVarValues: -v lists every test with a readable duration
// and what it printed; --var-values shows the failed expression of a
// failing test with the values of its variables, as opa test does.
func TestVerboseAndVarValues(t *testing.T) {
	rep, err := Run(context.Background(), os.DirFS("testdata/failing"), Options{VarValues: true})
	if err != nil {
		t.Fatal(err)
	}
	var fails TestResult
	for _, r := range rep.Results {
		if r.Name == "test_fails" {
			fails = r
		}
		if r.Status != StatusFail && r.VarValues != "" {
			t.Errorf("%s (%s) has var values %q", r.Name, r.Status, r.VarValues)
		}
	}
	// The failed expression, then each of its terms' values: the set of
	// violations, and 1, its count.
	for _, want := range []string{"policy_test.rego:11:\n\tcount(demo.violation) == 0 with input as {\"models\": []}\n", `{{"msg": "không có mô hình"}}`, "\n\t1"} {
		if !strings.Contains(fails.VarValues, want) {
			t.Errorf("var values of test_fails do not hold %q:\n%s", want, fails.VarValues)
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteTextWith(&buf, TextOptions{Verbose: true}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, s := range []string{"data.targets.demo_test.test_passes: PASS (", "data.targets.demo_test.test_fails: FAIL (", "  policy_test.rego:11:\n", "  models: 0\n"} {
		if !strings.Contains(got, s) {
			t.Errorf("verbose text does not hold %q:\n%s", s, got)
		}
	}
	if strings.Contains(got, "ns)") || strings.Contains(got, "{") && strings.Contains(got, `"duration`) {
		t.Errorf("verbose text shows raw durations:\n%s", got)
	}
	plain, err := Run(context.Background(), os.DirFS("testdata/failing"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range plain.Results {
		if r.VarValues != "" {
			t.Errorf("var values without Options.VarValues: %s", r.Name)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                            "0s",
		615378 * time.Nanosecond:     "615µs",
		1234567 * time.Nanosecond:    "1.23ms",
		2512345678 * time.Nanosecond: "2.512s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%d) = %q, want %q", d, got, want)
		}
	}
}

// TestCaseVarValues: the var values of a data-driven test are those of its
// failing cases, each under its case.
func TestCaseVarValues(t *testing.T) {
	rep, err := Run(context.Background(), os.DirFS("testdata/cases"), Options{VarValues: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.VarValues != "" {
			t.Errorf("%s: var values on the test, want them on its cases: %q", r.Name, r.VarValues)
		}
		for _, c := range r.Cases {
			want := c.Status == StatusFail
			if got := strings.Contains(c.VarValues, "cases_test.rego:11:\n\tok(x)") && strings.Contains(c.VarValues, `"bar"`); got != want {
				t.Errorf("%s/%s (%s): var values %q", r.Name, c.Name, c.Status, c.VarValues)
			}
		}
	}
}
