package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryCommandOperates: every command but version takes its settings
// the same way (a VUNGMANH_ variable sets a flag, the --config file sets
// it, the environment wins over the file and the flag over both, a key of
// the file that no command takes is exit code 2), logs JSON lines with
// severity, and ends with the one summary line, logged and written to the
// termination log, whatever the exit code (a bad flag too). Each command's
// own output stays on stdout.
func TestEveryCommandOperates(t *testing.T) {
	commands := []struct {
		name string          // as in the summary line
		args func() []string // the command line, without the setting tried
		flag string          // the setting tried
		bad  string          // a value the command refuses (exit 2)
		good string          // a value it takes
		code int             // the exit code with good
		out  string          // what stdout holds with good
	}{
		{"test", func() []string { return []string{"test", "--run", "tb01"} }, "format", "yaml", "json", ExitOK, `"passed":`},
		{"check", func() []string { return []string{"check"} }, "format", "yaml", "json", ExitOK, `"ok": true`},
		{"eval", func() []string {
			return []string{"eval", "--snapshot", "sample://thai-binh-2024", "--subject", "xa-thai-xuyen", "--target", "TB-01"}
		}, "output", "yaml", "json", ExitOK, `"subject": "xa-thai-xuyen"`},
		{"sample", func() []string { return []string{"sample", "--profile", "hung-yen-2026", "--out", t.TempDir()} }, "format", "yaml", "parquet", ExitOK, "units.parquet"},
		{"policies export", func() []string { return []string{"policies", "export", filepath.Join(t.TempDir(), "pack")} }, "log-level", "loud", "warn", ExitOK, "file(s) of the built-in pack"},
		{"merge", func() []string {
			return []string{"merge", "--snapshot", smallSample, "--out", t.TempDir(), "--run-id", "r-1", "--shard-count", "2"}
		}, "fail-on", "sometimes", "error", ExitTransient, ""},
		{"run", func() []string {
			return []string{"run", "--snapshot", smallSample, "--out", t.TempDir(), "--formats", "json"}
		}, "lang", "fr", "en", ExitOK, ""},
	}
	dir := t.TempDir()
	writeConfig := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := writeConfig("unknown.yaml", "nobody-takes-this: 1\n")
	for _, c := range commands {
		env := envName(c.flag)
		// The file of a run: max-bad-rows and timezone are run's; a command
		// that does not take them leaves them to it.
		bad := writeConfig(strings.ReplaceAll(c.name, " ", "-")+"-bad.yaml", c.flag+": "+c.bad+"\nmax-bad-rows: 2%\ntimezone: Asia/Ho_Chi_Minh\n")
		good := writeConfig(strings.ReplaceAll(c.name, " ", "-")+"-good.yaml", c.flag+": "+c.good+"\nmax-bad-rows: 2%\ntimezone: Asia/Ho_Chi_Minh\n")
		summaryName := c.name
		if c.name == "merge" {
			summaryName = "run r-1" // merge's line is run's
		} else if c.name == "run" {
			summaryName = "run "
		}
		cases := []struct {
			name string
			env  map[string]string
			args []string
			code int
		}{
			{"a variable sets the flag", map[string]string{env: c.bad}, nil, ExitConfig},
			{"the config file sets the flag", map[string]string{}, []string{"--config", bad}, ExitConfig},
			{"the config file from a variable", map[string]string{"VUNGMANH_CONFIG": good}, nil, c.code},
			{"the variable wins over the file", map[string]string{env: c.good}, []string{"--config", bad}, c.code},
			{"the flag wins over both", map[string]string{env: c.bad}, []string{"--config", bad, "--" + c.flag, c.good}, c.code},
			{"a key nobody takes", map[string]string{}, []string{"--config", unknown}, ExitConfig},
			{"a bad flag", map[string]string{}, []string{"--no-such-flag"}, ExitConfig},
		}
		for _, tc := range cases {
			t.Run(c.name+"/"+tc.name, func(t *testing.T) {
				tc.env["VUNGMANH_LOG_FORMAT"] = "json"
				tc.env["VUNGMANH_TYPO_SETTING"] = "x"
				args := append(c.args(), tc.args...)
				if c.flag != "log-format" {
					args = append(args, "--log-format", "json")
				}
				code, stdout, stderr, term := opsMain(t, tc.env, args...)
				if code != tc.code {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
				}
				start := "exit " + string(rune('0'+tc.code)) + ": "
				if tc.name == "a bad flag" && (c.name == "merge" || c.name == "run") {
					start += "run -"
				} else {
					start += summaryName
				}
				if !strings.HasPrefix(term, start) || strings.Contains(term, "\n") {
					t.Errorf("termination log %q, want one line starting with %q", term, start)
				}
				if tc.code == ExitConfig && tc.name != "a bad flag" && tc.name != "a key nobody takes" && !strings.Contains(term, c.flag) {
					t.Errorf("termination log %q does not name --%s", term, c.flag)
				}
				var summaries, warned int
				for _, l := range jsonLines(t, stderr) {
					if l["severity"] == nil {
						t.Errorf("log line without severity: %v", l)
					}
					if l["message"] == term && l["exit_code"] == float64(tc.code) {
						summaries++
					}
					if l["variable"] == "VUNGMANH_TYPO_SETTING" && l["severity"] == "WARNING" {
						warned++
					}
				}
				if summaries != 1 {
					t.Errorf("the summary line %q is logged %d times, want once:\n%s", term, summaries, stderr)
				}
				settingsRead := tc.code == c.code && tc.name != "a bad flag" && tc.name != "a key nobody takes"
				if settingsRead && warned != 1 {
					t.Errorf("VUNGMANH_TYPO_SETTING warned %d times, want once:\n%s", warned, stderr)
				}
				if settingsRead && !strings.Contains(stdout, c.out) {
					t.Errorf("stdout does not hold %q:\n%s", c.out, stdout)
				}
				if strings.Contains(stderr, "VUNGMANH_LOG_FORMAT") || strings.Contains(stdout, `"exit_code"`) {
					t.Errorf("a setting warned about, or a log line on stdout:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
				}
			})
		}
	}
}

// opsMain runs the command line with env as the whole environment and
// returns the exit code, stdout, stderr and the termination log.
func opsMain(t *testing.T, env map[string]string, args ...string) (int, string, string, string) {
	t.Helper()
	term := filepath.Join(t.TempDir(), "termination-log")
	if err := os.WriteFile(term, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env["VUNGMANH_TERMINATION_LOG"] = term
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	var stdout, stderr strings.Builder
	a := &app{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return env[k] }, environ: func() []string { return environ }, pipeline: runPipeline}
	code := a.main(t.Context(), args)
	line, err := os.ReadFile(term)
	if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String(), strings.TrimSuffix(string(line), "\n")
}

// logText returns stderr with each JSON log line replaced by its message
// (and error), so that a test can look for the words of an error: JSON
// escapes the quotes it holds. Other lines (what the policies print) stay.
func logText(stderr string) string {
	var b strings.Builder
	for _, l := range strings.Split(stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil {
			b.WriteString(l + "\n")
			continue
		}
		fmt.Fprintf(&b, "%v", m["message"])
		if e, ok := m["error"]; ok {
			fmt.Fprintf(&b, " error=%v", e)
		}
		b.WriteString("\n")
	}
	return b.String()
}
