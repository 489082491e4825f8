package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/report"
)

// smallSample is a sample snapshot that loads and evaluates in well under
// a second.
const smallSample = "sample://national?scale=0.0002"

func runMain(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["VUNGMANH_TERMINATION_LOG"]; !ok {
		env["VUNGMANH_TERMINATION_LOG"] = filepath.Join(t.TempDir(), "absent")
	}
	var stdout, stderr strings.Builder
	a := &app{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return env[k] }, pipeline: runPipeline}
	code := a.main(context.Background(), args)
	return code, stdout.String(), stderr.String()
}

func readLatest(t *testing.T, out, name string) (report.Latest, bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, name, "latest.json"))
	if errors.Is(err, os.ErrNotExist) {
		return report.Latest{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var l report.Latest
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	return l, true
}

func readReport(t *testing.T, out string, l report.Latest) *report.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, l.Path, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunEndToEnd(t *testing.T) {
	out := t.TempDir()
	term := filepath.Join(t.TempDir(), "termination-log")
	if err := os.WriteFile(term, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runMain(t, map[string]string{"VUNGMANH_TERMINATION_LOG": term},
		"run", "--snapshot", smallSample, "--out", out, "--workers", "2")
	if code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	l, ok := readLatest(t, out, "vietnam")
	if !ok {
		t.Fatal("latest.json not written")
	}
	rep := readReport(t, out, l)
	if rep.Run.ID != l.RunID || !strings.HasPrefix(rep.Run.ID, time.Now().UTC().Format("20060102")) {
		t.Errorf("run id %q, latest %q", rep.Run.ID, l.RunID)
	}
	entries, err := os.ReadDir(filepath.Join(out, l.Path))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if diff := cmp.Diff([]string{"findings.csv", "manifest.json", "report.html", "report.json", "report.xlsx", "results.parquet", "summary.json", "units"}, files); diff != "" {
		t.Errorf("run folder (-want +got):\n%s", diff)
	}
	msg, _ := os.ReadFile(term)
	if !strings.HasPrefix(string(msg), "exit 0: run "+l.RunID) || !strings.Contains(string(msg), "report="+filepath.Join(out, l.Path)) {
		t.Errorf("termination message %q", msg)
	}
	// Until the default run id is known, lines carry the start time it
	// begins with; from then on, the run id.
	known := false
	for _, line := range logLines(t, stderr) {
		switch {
		case line["run_id"] == l.RunID:
			known = true
		case !known && line["run_id"] == nil && line["run_started"] != nil && strings.HasPrefix(l.RunID, line["run_started"].(string)+"-"):
		default:
			t.Errorf("log line without run_id %s (or, before it is known, its start time): %v", l.RunID, line)
		}
	}
	if !known {
		t.Errorf("no log line with run_id %s", l.RunID)
	}

	t.Run("second run has a delta and --fail-on", func(t *testing.T) {
		code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample, "--out", out, "--run-id", "second", "--fail-on", "fail", "--formats", "json,csv", "--lang", "en")
		if code != ExitFailOn {
			t.Fatalf("exit code %d, want 4; stderr:\n%s", code, stderr)
		}
		l2, _ := readLatest(t, out, "vietnam")
		if l2.RunID != "second" {
			t.Fatalf("latest.json points at %q, want the second run (a report is published with exit code 4)", l2.RunID)
		}
		entries, _ := os.ReadDir(filepath.Join(out, l2.Path))
		if len(entries) != 4 {
			t.Errorf("--formats json,csv wrote %d files, want report.json, findings.csv, summary.json, manifest.json", len(entries))
		}
		rep2 := readReport(t, out, l2)
		if rep2.Delta == nil || rep2.Delta.PreviousRun != l.RunID {
			t.Errorf("delta %+v, want previous run %q", rep2.Delta, l.RunID)
		}
	})
}

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	badPolicies := filepath.Join(dir, "policies")
	if err := os.MkdirAll(badPolicies, 0o755); err != nil {
		t.Fatal(err)
	}
	rego := "# METADATA\n# title: x\n# custom:\n#   id: X-01\n#   scope: commune\npackage targets.x\n\nviolation contains {\"msg\": \"m\"} if {\n\tinput.subject.nmae == \"a\"\n}\n"
	if err := os.WriteFile(filepath.Join(badPolicies, "x.rego"), []byte(rego), 0o644); err != nil {
		t.Fatal(err)
	}
	emptySnapshot := filepath.Join(dir, "empty")
	if err := os.MkdirAll(emptySnapshot, 0o755); err != nil {
		t.Fatal(err)
	}
	badParams := filepath.Join(dir, "params.yaml")
	if err := os.WriteFile(badParams, []byte("TB-04: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
		msg  string
	}{
		{"unreadable params", []string{"--params", filepath.Join(dir, "nope.yaml")}, ExitConfig, "setting params"},
		{"unparsable params", []string{"--params", badParams}, ExitConfig, "setting params"},
		{"unreadable waivers", []string{"--waivers", filepath.Join(dir, "nope.yaml")}, ExitConfig, "setting waivers"},
		{"policy error", []string{"--policies", badPolicies}, ExitConfig, "x.rego:"},
		{"missing policies folder", []string{"--policies", filepath.Join(dir, "nope")}, ExitConfig, "setting policies"},
		// The policies compile while the snapshot loads: their error still
		// wins over the snapshot's.
		{"policy error and fatal data", []string{"--policies", badPolicies, "--snapshot", emptySnapshot}, ExitConfig, "x.rego:"},
		{"fatal data", []string{"--snapshot", emptySnapshot}, ExitData, "DQ001"},
		{"missing snapshot folder", []string{"--snapshot", filepath.Join(dir, "nope")}, ExitData, "DQ001"},
		{"snapshot.yaml instead of its folder", []string{"--snapshot", badParams}, ExitConfig, "setting snapshot"},
		{"snapshot scheme", []string{"--snapshot", "s3://bucket/x"}, ExitConfig, "setting snapshot"},
		{"out scheme", []string{"--out", "s3://bucket/x"}, ExitConfig, "setting out"},
		{"out is a file", []string{"--out", badParams}, ExitConfig, "setting out"},
		{"out under a file", []string{"--out", filepath.Join(badParams, "reports")}, ExitConfig, "setting out"},
		{"gs without bucket", []string{"--out", "gs:///x"}, ExitConfig, "setting out"},
		{"too many bad rows", []string{"--snapshot", smallSample + "&defects=0.05", "--max-bad-rows", "0"}, ExitData, "more than the limit of 0"},
		{"bad sample url", []string{"--snapshot", "sample://atlantis"}, ExitConfig, "setting snapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"run", "--snapshot", smallSample, "--out", out}, tt.args...)
			code, _, stderr := runMain(t, nil, args...)
			if code != tt.want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr does not contain %q:\n%s", tt.msg, stderr)
			}
			if _, ok := readLatest(t, out, "vietnam"); ok {
				t.Error("latest.json written by a failed run")
			}
		})
	}
}

// TestSignal builds the binary with the Dockerfile's command, starts a run
// on a snapshot that takes seconds, sends SIGTERM while it runs, and
// expects exit code 1 within 10 seconds with latest.json untouched.
func TestSignal(t *testing.T) {
	bin := dockerBuild(t)
	out := t.TempDir()
	// A first, quick run publishes latest.json.
	if b, err := exec.Command(bin, "run", "--snapshot", smallSample, "--out", out, "--run-id", "before", "--termination-log", "").CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, b)
	}
	before, err := os.ReadFile(filepath.Join(out, "vietnam", "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			term := filepath.Join(t.TempDir(), "termination-log")
			if err := os.WriteFile(term, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "run", "--snapshot", "sample://national?scale=0.02", "--out", out, "--run-id", "stopped", "--workers", "1")
			cmd.Env = append(os.Environ(), "VUNGMANH_TERMINATION_LOG="+term)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until the run is under way (policies compiled: the
			// snapshot is being generated and loaded), then signal.
			sc := bufio.NewScanner(stderr)
			var logs []string
			for sc.Scan() {
				logs = append(logs, sc.Text())
				if strings.Contains(sc.Text(), "policies compiled") {
					break
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			signalled := time.Now()
			for sc.Scan() {
				logs = append(logs, sc.Text())
			}
			err = cmd.Wait()
			took := time.Since(signalled)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("exit: %v, want exit code 1\n%s", err, strings.Join(logs, "\n"))
			}
			if took > 10*time.Second {
				t.Errorf("stopped %s after the signal, want within 10s", took)
			}
			after, _ := os.ReadFile(filepath.Join(out, "vietnam", "latest.json"))
			if diff := cmp.Diff(string(before), string(after)); diff != "" {
				t.Errorf("latest.json changed (-before +after):\n%s", diff)
			}
			if _, err := os.Stat(filepath.Join(out, "vietnam", "runs", "2024-09-30", "stopped")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the stopped run left a run folder: %v", err)
			}
			msg, _ := os.ReadFile(term)
			if !strings.HasPrefix(string(msg), "exit 1: run stopped failed") {
				t.Errorf("termination message %q", msg)
			}
		})
	}
}

// TestTooManyBadRowsLogsFindings: a run stopped for too many bad rows (exit
// code 3) lists the findings in its log, counted and one by one with their
// file, row and column, so that the export can be fixed from the log.
func TestTooManyBadRowsLogsFindings(t *testing.T) {
	code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample+"&defects=0.05", "--out", t.TempDir(), "--max-bad-rows", "0")
	if code != ExitData {
		t.Fatalf("exit code %d, want %d:\n%s", code, ExitData, stderr)
	}
	var counted, located int
	first := ""
	for _, l := range logLines(t, stderr) {
		if _, ok := l["row"]; ok && first == "" {
			first, _ = l["level"].(string)
		}
		code, _ := l["code"].(string)
		if !strings.HasPrefix(code, "DQ") {
			continue
		}
		if l["message"] == "data-quality findings" && l["findings"].(float64) > 0 {
			counted++
		}
		if row, ok := l["row"].(float64); ok && row > 0 && l["file"] != "" && l["table"] != "" {
			located++
		}
	}
	if first != "error" {
		t.Errorf("the first finding logged one by one is at level %q, want an error (warnings last)", first)
	}
	if counted == 0 || located == 0 {
		t.Errorf("%d counts and %d located findings in the log, want some of each:\n%s", counted, located, stderr)
	}
}

// TestUnknownParamsWarned: parameters for a target id the policies do not
// have are read by nobody; the run says so (and still runs).
func TestUnknownParamsWarned(t *testing.T) {
	params := filepath.Join(t.TempDir(), "params.yaml")
	if err := os.WriteFile(params, []byte("TB-99: {min_size: 2}\nTB-06: {max_size: 4}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample, "--out", t.TempDir(), "--formats", "json", "--params", params)
	if code != ExitOK {
		t.Fatalf("exit code %d:\n%s", code, stderr)
	}
	var warned []string
	for _, l := range logLines(t, stderr) {
		if k, ok := l["params_key"].(string); ok && l["level"] == "warn" {
			warned = append(warned, k)
		}
	}
	if !slices.Equal(warned, []string{"TB-99"}) {
		t.Errorf("warned about %v, want [TB-99]", warned)
	}
}
