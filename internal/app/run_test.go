package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/storage"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"config", configErrorf("snapshot", "missing"), ExitConfig},
		{"wrapped config", fmt.Errorf("read params: %w", configErrorf("params", "x")), ExitConfig},
		{"usage", usageError{errors.New("unknown flag")}, ExitConfig},
		{"fail-on", &FailOnError{FailOn: "fail", Count: 3}, ExitFailOn},
		{"canceled", fmt.Errorf("evaluate: %w", context.Canceled), ExitTransient},
		{"deadline", fmt.Errorf("load: %w", context.DeadlineExceeded), ExitTransient},
		{"canceled wins over config", fmt.Errorf("%w: %w", context.Canceled, configErrorf("x", "y")), ExitTransient},
		{"storage", errors.New("write gs://b/x: googleapi: Error 503"), ExitTransient},
		{"reported", reportedError{&FailOnError{FailOn: "error", Count: 1}}, ExitFailOn},
		{"a folder under --out that may not be written", fmt.Errorf("publish: %w", fmt.Errorf("%w: open x: permission denied", storage.ErrPermission)), ExitConfig},
		{"a symbolic link inside --out", fmt.Errorf("publish: %w", storage.ErrSymlink), ExitConfig},
		{"a policy too large for the memory", fmt.Errorf("evaluate: %w", &checker.MemoryError{Heap: 5 << 30, Limit: 4 << 30}), ExitConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestFailOn(t *testing.T) {
	counts := map[string]int{"pass": 5, "fail": 2, "error": 0}
	tests := []struct {
		mode   string
		counts map[string]int
		want   int
	}{
		{"never", counts, 0},
		{"fail", counts, 2},
		{"error", counts, 0},
		{"error", map[string]int{"error": 1, "fail": 4}, 1},
		{"fail", map[string]int{"error": 1, "fail": 4}, 5},
		{"fail", map[string]int{"pass": 3, "waived": 2}, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.mode, tt.counts), func(t *testing.T) {
			err := failOn(tt.mode, tt.counts)
			var fe *FailOnError
			got := 0
			if errors.As(err, &fe) {
				got = fe.Count
			} else if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if got != tt.want {
				t.Errorf("count = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTerminationLog(t *testing.T) {
	dir := t.TempDir()
	exists := filepath.Join(dir, "termination-log")
	if err := os.WriteFile(exists, []byte("old content that is longer than the new one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeTerminationLog(exists, "exit 0: done"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(exists)
	if diff := cmp.Diff("exit 0: done\n", string(got)); diff != "" {
		t.Errorf("termination log (-want +got):\n%s", diff)
	}
	absent := filepath.Join(dir, "absent")
	if err := writeTerminationLog(absent, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(absent); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("termination log created when absent: %v", err)
	}
	long := strings.Repeat("é", 3000)
	if err := writeTerminationLog(exists, long); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(exists)
	if len(got) > maxTerminationMessage {
		t.Errorf("termination log has %d bytes, want at most %d", len(got), maxTerminationMessage)
	}
}

// logLines decodes the JSON log lines of stderr.
func logLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRunSummary(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		out      *runOutcome
		err      error
		wantCode int
		wantLine string // the termination message, without duration
	}{
		{
			name:     "published",
			out:      &runOutcome{RunID: "r1", Counts: map[string]int{"pass": 104, "fail": 138}, Report: "reports/thai-binh/runs/2024-09-30/r1"},
			wantCode: ExitOK,
			wantLine: "exit 0: run r1 finished in D: pass=104 fail=138 waived=0 skipped=0 error=0 not_evaluated=0 report=reports/thai-binh/runs/2024-09-30/r1",
		},
		{
			name:     "fail-on fail",
			args:     []string{"--fail-on", "fail"},
			out:      &runOutcome{RunID: "r2", Counts: map[string]int{"pass": 1, "fail": 2}, Report: "x"},
			wantCode: ExitFailOn,
			wantLine: "exit 4: run r2 finished in D: pass=1 fail=2 waived=0 skipped=0 error=0 not_evaluated=0 report=x; --fail-on fail: 2 result(s) reached the threshold",
		},
		{
			// The summary is logged whatever the level.
			name:     "published, log level error",
			args:     []string{"--log-level", "error"},
			out:      &runOutcome{RunID: "r3", Counts: map[string]int{"pass": 1}, Report: "y"},
			wantCode: ExitOK,
			wantLine: "exit 0: run r3 finished in D: pass=1 fail=0 waived=0 skipped=0 error=0 not_evaluated=0 report=y",
		},
		{
			name:     "storage failure",
			args:     []string{"--run-id", "job-1"},
			err:      errors.New("open bucket: permission denied"),
			wantCode: ExitTransient,
			wantLine: "exit 1: run job-1 failed after D: open bucket: permission denied; nothing published",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := filepath.Join(t.TempDir(), "termination-log")
			if err := os.WriteFile(term, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"VUNGMANH_TERMINATION_LOG": term}
			var seen *runContext
			a, _, stderr := testApp(env, func(_ context.Context, rc *runContext) (*runOutcome, error) {
				seen = rc
				rc.log.Info().Msg("stage")
				return tt.out, tt.err
			})
			code := a.main(context.Background(), append([]string{"run", "--snapshot", "sample://thai-binh-2024"}, tt.args...))
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			if seen == nil {
				t.Fatal("pipeline did not run")
			}
			got, _ := os.ReadFile(term)
			line := durationRE(strings.TrimSpace(string(got)))
			if diff := cmp.Diff(tt.wantLine, line); diff != "" {
				t.Errorf("termination log (-want +got):\n%s", diff)
			}
			lines := logLines(t, stderr.String())
			var summaries int
			for _, l := range lines {
				_, id := l["run_id"]
				if _, started := l["run_started"]; !id && !started {
					t.Errorf("log line without run_id or run_started: %v", l)
				}
				if _, ok := l["exit_code"]; ok {
					if !id {
						t.Errorf("summary without run_id: %v", l)
					}
					summaries++
					if durationRE(l["message"].(string)) != tt.wantLine {
						t.Errorf("summary log %q, want %q", l["message"], tt.wantLine)
					}
				}
			}
			if summaries != 1 {
				t.Errorf("%d summary lines, want 1:\n%s", summaries, stderr)
			}
		})
	}
}

// durationRE replaces the duration in a summary line by D.
func durationRE(s string) string {
	for _, w := range []string{"finished in ", "failed after "} {
		if i := strings.Index(s, w); i >= 0 {
			j := strings.IndexAny(s[i+len(w):], ":")
			if j >= 0 {
				s = s[:i+len(w)] + "D" + s[i+len(w)+j:]
			}
		}
	}
	return s
}

func TestRunCancelled(t *testing.T) {
	tests := []struct {
		name  string
		stage func(ctx context.Context) error // what the slow stage does when cancelled
	}{
		{"stage returns ctx error", func(ctx context.Context) error { <-ctx.Done(); return fmt.Errorf("evaluate: %w", ctx.Err()) }},
		{"stage returns another error", func(ctx context.Context) error { <-ctx.Done(); return errors.New("upload: connection reset") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			a, _, stderr := testApp(map[string]string{"VUNGMANH_TERMINATION_LOG": "/nonexistent/x"}, func(ctx context.Context, rc *runContext) (*runOutcome, error) {
				cancel() // SIGTERM arrives while the stage runs
				return nil, tt.stage(ctx)
			})
			code := a.main(ctx, []string{"run", "--snapshot", "s"})
			if code != ExitTransient {
				t.Errorf("exit code = %d, want 1; stderr:\n%s", code, stderr)
			}
		})
	}
}

func TestRunTimeout(t *testing.T) {
	a, _, stderr := testApp(nil, func(ctx context.Context, rc *runContext) (*runOutcome, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	code := a.main(context.Background(), []string{"run", "--snapshot", "s", "--timeout", "10ms", "--termination-log", ""})
	if code != ExitTransient {
		t.Errorf("exit code = %d, want 1; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr.String(), "deadline exceeded") {
		t.Errorf("stderr does not name the deadline:\n%s", stderr)
	}
}

func TestVersion(t *testing.T) {
	a, stdout, _ := testApp(nil, nil)
	if code := a.main(context.Background(), []string{"version"}); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	for _, want := range []string{"vungmanh:", "opa:", "arrow:", "go:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestHelpTexts(t *testing.T) {
	a, _, _ := testApp(nil, nil)
	root := a.rootCommand()
	for _, c := range root.Commands() {
		t.Run(c.Name(), func(t *testing.T) {
			if c.Short == "" || c.Long == "" {
				t.Errorf("command %s lacks a help text", c.Name())
			}
		})
	}
}
