package app

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mergeMain runs the command line as opsMain does and returns the exit
// code, stderr and the termination log.
func mergeMain(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	code, _, stderr, term := opsMain(t, env, args...)
	return code, stderr, term
}

// jsonLines decodes every line of stderr, failing on one that is not a
// JSON object (plain text).
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a log line is not JSON: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// TestMergeLikeRun: merge takes its settings as run does (flags, VUNGMANH_
// variables, the --config file of run, whose keys merge does not take are
// left to run), logs JSON lines with severity, warns of a VUNGMANH_
// variable that names no setting, and ends with the summary line, logged
// and written to the termination log, whatever the exit code: a wrong flag
// (2), a setting that does not parse (2), shards missing (1).
func TestMergeLikeRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cfg := filepath.Join(dir, "run.yaml")
	// The file of a run: merge takes snapshot and out, leaves max-bad-rows
	// and params to run.
	if err := os.WriteFile(cfg, []byte("snapshot: "+smallSample+"\nout: "+out+"\nmax-bad-rows: 2%\nparams: /nowhere.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("snapshot: "+smallSample+"\nsnapshots: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		line string // start of the termination line
		warn string // a variable warned about
	}{
		{"shards missing, settings from the config file and the environment",
			map[string]string{"VUNGMANH_CONFIG": cfg, "VUNGMANH_RUN_ID": "job-7", "VUNGMANH_SHARD_COUNT": "2", "VUNGMANH_FORMAT": "json"},
			[]string{"merge"}, ExitTransient, "exit 1: run job-7 failed after", "VUNGMANH_FORMAT"},
		{"an unknown key of the config file", map[string]string{},
			[]string{"merge", "--config", bad, "--run-id", "r"}, ExitConfig, "exit 2: run r failed after", ""},
		{"a variable that does not parse", map[string]string{"VUNGMANH_SHARD_COUNT": "two"},
			[]string{"merge", "--config", cfg, "--run-id", "r"}, ExitConfig, "exit 2: run r failed after", ""},
		{"a wrong flag", map[string]string{},
			[]string{"merge", "--shards", "2"}, ExitConfig, "exit 2: run - failed after", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr, term := mergeMain(t, tt.env, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if !strings.HasPrefix(term, tt.line) {
				t.Errorf("termination log %q, want it to start with %q", term, tt.line)
			}
			var summary, warned bool
			for _, l := range jsonLines(t, stderr) {
				if l["severity"] == nil {
					t.Errorf("log line without severity: %v", l)
				}
				if msg, _ := l["message"].(string); strings.HasPrefix(msg, tt.line) && l["exit_code"] == float64(tt.code) {
					summary = true
				}
				if tt.warn != "" && l["variable"] == tt.warn && l["severity"] == "WARNING" {
					warned = true
				}
			}
			if !summary {
				t.Errorf("no summary line %q with exit_code %d in the log:\n%s", tt.line, tt.code, stderr)
			}
			if tt.warn != "" && !warned {
				t.Errorf("%s not warned about:\n%s", tt.warn, stderr)
			}
			if strings.Contains(stderr, "VUNGMANH_MAX_BAD_ROWS") || strings.Contains(stderr, `"variable":"VUNGMANH_CONFIG"`) {
				t.Errorf("a setting of run was warned about:\n%s", stderr)
			}
		})
	}
}
