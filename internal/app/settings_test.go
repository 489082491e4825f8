package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/vungmanh/vungmanh/checker"
)

// parseRun merges args, env and an optional config file the way `run`
// does and returns the settings.
func parseRun(t *testing.T, args []string, env map[string]string, config string) (*runSettings, error) {
	t.Helper()
	if config != "" {
		p := filepath.Join(t.TempDir(), "run.yaml")
		if err := os.WriteFile(p, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", p)
	}
	s := &runSettings{}
	cmd := &cobra.Command{Use: "run", RunE: func(*cobra.Command, []string) error { return nil }}
	bindRunFlags(cmd.Flags(), s)
	if err := cmd.Flags().Parse(args); err != nil {
		return nil, err
	}
	return s, settingsFromCommand(cmd, s, func(k string) string { return env[k] })
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		config string
		want   func(*runSettings) any
		wantV  any
	}{
		{"default", []string{"--snapshot", "s"}, nil, "", func(s *runSettings) any { return s.Out }, "./reports"},
		{"file over default", []string{"--snapshot", "s"}, nil, "out: gs://b/file", func(s *runSettings) any { return s.Out }, "gs://b/file"},
		{"env over file", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_OUT": "gs://b/env"}, "out: gs://b/file", func(s *runSettings) any { return s.Out }, "gs://b/env"},
		{"flag over env", []string{"--snapshot", "s", "--out", "flag"}, map[string]string{"VUNGMANH_OUT": "gs://b/env"}, "out: gs://b/file", func(s *runSettings) any { return s.Out }, "flag"},
		{"snapshot from env", nil, map[string]string{"VUNGMANH_SNAPSHOT": "gs://e/s"}, "", func(s *runSettings) any { return s.Snapshot }, "gs://e/s"},
		{"snapshot from file", nil, nil, "snapshot: ./snap", func(s *runSettings) any { return s.Snapshot }, "./snap"},
		{"dashed env name", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_MAX_BAD_ROWS": "2%"}, "max-bad-rows: 5", func(s *runSettings) any { return s.MaxBadRows }, "2%"},
		{"underscore key in file", []string{"--snapshot", "s"}, nil, "max_bad_rows: 7", func(s *runSettings) any { return s.MaxBadRows }, "7"},
		{"int from file", []string{"--snapshot", "s"}, nil, "workers: 3", func(s *runSettings) any { return s.Workers }, 3},
		{"duration from env", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_EVAL_TIMEOUT": "250ms"}, "", func(s *runSettings) any { return s.EvalTimeout }, 250 * time.Millisecond},
		{"list from file", []string{"--snapshot", "s"}, nil, "formats: [json, xlsx]", func(s *runSettings) any { return s.Formats }, []string{"json", "xlsx"}},
		{"list from env", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_FORMATS": "csv,html"}, "formats: [json]", func(s *runSettings) any { return s.Formats }, []string{"csv", "html"}},
		{"default formats", []string{"--snapshot", "s"}, nil, "", func(s *runSettings) any { return s.Formats }, formatNames()},
		{"bool from env", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_PROGRESS": "true"}, "", func(s *runSettings) any { return s.Progress }, true},
		{"shard index from job", []string{"--snapshot", "s", "--run-id", "j", "--shard-count", "4"}, map[string]string{"JOB_COMPLETION_INDEX": "3"}, "", func(s *runSettings) any { return s.ShardIndex }, 3},
		{"explicit shard index wins over job", []string{"--snapshot", "s", "--run-id", "j", "--shard-count", "4", "--shard-index", "1"}, map[string]string{"JOB_COMPLETION_INDEX": "3"}, "", func(s *runSettings) any { return s.ShardIndex }, 1},
		{"config from env", []string{"--snapshot", "s"}, nil, "", func(s *runSettings) any { return s.Lang }, "vi"},
		{"empty file", []string{"--snapshot", "s"}, nil, "# nothing\n", func(s *runSettings) any { return s.FailOn }, "never"},
		{"termination log from env", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_TERMINATION_LOG": "/x"}, "", func(s *runSettings) any { return s.TerminationLog }, "/x"},
		{"default engine", []string{"--snapshot", "s"}, nil, "", func(s *runSettings) any { return s.engine }, checker.EngineRegovm},
		{"engine from env", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_REGO_ENGINE": "topdown"}, "", func(s *runSettings) any { return s.engine }, checker.EngineTopdown},
		{"engine from file, any case", []string{"--snapshot", "s"}, nil, "rego-engine: TopDown", func(s *runSettings) any { return s.engine }, checker.EngineTopdown},
		{"engine flag over env", []string{"--snapshot", "s", "--rego-engine", "regovm"}, map[string]string{"VUNGMANH_REGO_ENGINE": "topdown"}, "", func(s *runSettings) any { return s.engine }, checker.EngineRegovm},
		{"default heap floor", []string{"--snapshot", "s"}, nil, "", func(s *runSettings) any { return s.heapFloor }, uint64(128 << 20)},
		{"heap floor off from env", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_GC_HEAP_FLOOR": "off"}, "", func(s *runSettings) any { return s.heapFloor }, uint64(0)},
		{"heap floor from file", []string{"--snapshot", "s"}, nil, "gc-heap-floor: 64MiB", func(s *runSettings) any { return s.heapFloor }, uint64(64 << 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseRun(t, tt.args, tt.env, tt.config)
			if err != nil {
				t.Fatalf("settings: %v", err)
			}
			if diff := cmp.Diff(tt.wantV, tt.want(s)); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigFromEnvVariable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("snapshot: from-file\nlang: en\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &runSettings{}
	cmd := &cobra.Command{Use: "run"}
	bindRunFlags(cmd.Flags(), s)
	env := map[string]string{"VUNGMANH_CONFIG": p}
	if err := settingsFromCommand(cmd, s, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"from-file", "en"}, []string{s.Snapshot, s.Lang}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBadSettings(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		config  string
		setting string // ConfigError.Setting
		msg     string // part of the message
	}{
		{"missing snapshot", nil, nil, "", "snapshot", "--snapshot is required"},
		{"unknown key", []string{"--snapshot", "s"}, nil, "snapshots: x", "snapshots", `unknown key "snapshots"`},
		{"config key config", []string{"--snapshot", "s"}, nil, "config: other.yaml", "config", `unknown key "config"`},
		{"not a mapping", []string{"--snapshot", "s"}, nil, "- a\n- b", "config", "want a mapping"},
		{"bad yaml", []string{"--snapshot", "s"}, nil, "out: [", "config", "config file"},
		{"nested value", []string{"--snapshot", "s"}, nil, "out: {a: b}", "config", `key "out"`},
		{"bad int in file", []string{"--snapshot", "s"}, nil, "workers: many", "workers", `invalid argument "many"`},
		{"bad int in env", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_WORKERS": "x"}, "", "workers", "VUNGMANH_WORKERS"},
		{"bad duration", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_TIMEOUT": "soon"}, "", "timeout", "VUNGMANH_TIMEOUT"},
		{"bad lang", []string{"--snapshot", "s", "--lang", "fr"}, nil, "", "lang", "want vi or en"},
		{"bad format", []string{"--snapshot", "s", "--formats", "json,pdf"}, nil, "", "formats", `unknown format "pdf"`},
		{"bad fail-on", []string{"--snapshot", "s", "--fail-on", "warn"}, nil, "", "fail-on", "want never, fail or error"},
		{"bad max-bad-rows", []string{"--snapshot", "s", "--max-bad-rows", "lots"}, nil, "", "max-bad-rows", "--max-bad-rows"},
		{"percent above 100", []string{"--snapshot", "s", "--max-bad-rows", "120%"}, nil, "", "max-bad-rows", "between 0% and 100%"},
		{"zero workers", []string{"--snapshot", "s", "--workers", "0"}, nil, "", "workers", "at least 1"},
		{"zero eval timeout", []string{"--snapshot", "s", "--eval-timeout", "0s"}, nil, "", "eval-timeout", "positive"},
		{"zero max violations", []string{"--snapshot", "s", "--max-violations", "0"}, nil, "", "max-violations", "at least 1"},
		{"zero max target violations", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_MAX_TARGET_VIOLATIONS": "0"}, "", "max-target-violations", "at least 1"},
		{"shard index out of range", []string{"--snapshot", "s", "--run-id", "j", "--shard-count", "2", "--shard-index", "2"}, nil, "", "shard-index", "want 0 to 1"},
		{"bad job index", []string{"--snapshot", "s", "--run-id", "j", "--shard-count", "2"}, map[string]string{"JOB_COMPLETION_INDEX": "a"}, "", "shard-index", "JOB_COMPLETION_INDEX"},
		{"sharded run without run id", []string{"--snapshot", "s", "--shard-count", "2"}, nil, "", "run-id", "needs --run-id"},
		{"bad log level", []string{"--snapshot", "s", "--log-level", "loud"}, nil, "", "log-level", "--log-level"},
		{"bad log format", []string{"--snapshot", "s", "--log-format", "xml"}, nil, "", "log-format", "json or console"},
		{"bad run id", []string{"--snapshot", "s", "--run-id", "../x"}, nil, "", "run-id", "--run-id"},
		{"bad engine", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_REGO_ENGINE": "wasm"}, "", "rego-engine", "want regovm or topdown"},
		{"bad max-decompressed", []string{"--snapshot", "s", "--max-decompressed", "lots"}, nil, "", "max-decompressed", "want auto, or a size"},
		{"bad gc-heap-floor", []string{"--snapshot", "s", "--gc-heap-floor", "auto"}, nil, "", "gc-heap-floor", "want off, or a size"},
		{"zero max-decompressed", []string{"--snapshot", "s"}, map[string]string{"VUNGMANH_MAX_DECOMPRESSED": "0"}, "", "max-decompressed", "want auto, or a size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRun(t, tt.args, tt.env, tt.config)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error = %v, want a *ConfigError", err)
			}
			if ce.Setting != tt.setting {
				t.Errorf("setting = %q, want %q (error %v)", ce.Setting, tt.setting, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
}

func TestMissingConfigFile(t *testing.T) {
	_, err := parseRun(t, []string{"--snapshot", "s", "--config", filepath.Join(t.TempDir(), "absent.yaml")}, nil, "")
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Setting != "config" {
		t.Fatalf("error = %v, want a ConfigError for config", err)
	}
}

// testApp returns an app whose pipeline is pipe, with captured streams.
func testApp(env map[string]string, pipe func(context.Context, *runContext) (*runOutcome, error)) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["VUNGMANH_TERMINATION_LOG"]; !ok {
		env["VUNGMANH_TERMINATION_LOG"] = "/nonexistent/termination-log"
	}
	if pipe == nil {
		pipe = func(context.Context, *runContext) (*runOutcome, error) {
			return nil, errors.New("pipeline must not run")
		}
	}
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return env[k] }, pipeline: pipe,
		environ: func() []string {
			var kv []string
			for k, v := range env {
				kv = append(kv, k+"="+v)
			}
			return kv
		}}
	return a, &out, &errb
}

func TestBadInputExitsTwoBeforeData(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in stderr
	}{
		{"wrong flag", []string{"run", "--snapshto", "x"}, nil, "unknown flag: --snapshto"},
		{"missing snapshot", []string{"run"}, nil, "--snapshot is required"},
		{"unknown command", []string{"runn"}, nil, `unknown command "runn"`},
		{"extra argument", []string{"run", "--snapshot", "s", "extra"}, nil, "unknown command \"extra\""},
		{"unknown config key", []string{"run", "--snapshot", "s"}, map[string]string{"VUNGMANH_CONFIG": "testdata/unknown-key.yaml"}, `unknown key "snapshots"`},
		{"bad flag value", []string{"run", "--snapshot", "s", "--workers", "x"}, nil, "invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := filepath.Join(t.TempDir(), "termination-log")
			if err := os.WriteFile(term, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"VUNGMANH_TERMINATION_LOG": term}
			for k, v := range tt.env {
				env[k] = v
			}
			a, _, stderr := testApp(env, nil)
			code := a.main(context.Background(), tt.args)
			// run's summary reaches the termination log, flag errors included.
			if got, _ := os.ReadFile(term); tt.args[0] == "run" && !strings.HasPrefix(string(got), "exit 2: run - failed") {
				t.Errorf("termination log %q, want run's exit 2 summary", got)
			}
			if code != ExitConfig {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, ExitConfig, stderr)
			}
			msg := stderr.String()
			if tt.args[0] == "run" {
				// run logs its summary as a JSON line, flag errors included.
				var line struct {
					Message  string `json:"message"`
					ExitCode int    `json:"exit_code"`
				}
				if err := json.Unmarshal(stderr.Bytes(), &line); err != nil || line.ExitCode != ExitConfig {
					t.Fatalf("stderr is not run's summary line with exit_code 2 (%v): %s", err, stderr)
				}
				msg = line.Message
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("stderr %q does not contain %q", msg, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(stderr.String()), "\n"); n != 0 {
				t.Errorf("stderr has %d lines, want one:\n%s", n+1, stderr)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{"", "snapshot: s\nformats: [json, csv]\n", "- a", "a: {b: c}", "a: 1\na: 2", "workers: 3", "\t: x", "k: [[1]]"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		values, err := parseConfig([]byte(data))
		if err != nil {
			return
		}
		for k := range values {
			if strings.Contains(k, "_") {
				t.Errorf("key %q not normalised", k)
			}
		}
		// Whatever parses is applied without panicking.
		s := &runSettings{}
		cmd := &cobra.Command{Use: "run"}
		bindRunFlags(cmd.Flags(), s)
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Flags().Set("config", p); err != nil {
			t.Fatal(err)
		}
		err = applySources(cmd.Flags(), func(string) string { return "" }, os.ReadFile)
		var ce *ConfigError
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("error %v is not a *ConfigError", err)
		}
	})
}
