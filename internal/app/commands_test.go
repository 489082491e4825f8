package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestAuthoringCommands(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "x.rego"), []byte("package targets.x\n\nviolation contains {\"msg\": 1} if {\n\tinput.subject.nmae == \"a\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken")
	if err := os.MkdirAll(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "y.rego"), []byte("package targets.y\n\nviolation contains if {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	failing := filepath.Join(dir, "failing")
	if err := os.MkdirAll(failing, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(failing, "f_test.rego"), []byte("package f_test\n\ntest_wrong if {\n\t1 == 2\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A ConfigMap volume: files are symlinks into a "..<timestamp>" folder.
	cm := filepath.Join(dir, "configmap")
	real := filepath.Join(cm, "..2026_11_28_01_00_00.123")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../../policies/tb01_one_plus_one.rego")
	if err != nil {
		t.Fatal(err)
	}
	lib, err := os.ReadFile("../../policies/lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"tb01.rego": src, "lib.rego": lib} {
		if err := os.WriteFile(filepath.Join(real, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(real), filepath.Join(cm, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tb01.rego", "lib.rego"} {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(cm, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{"test filtered", []string{"test", "--run", "tb01"}, 0, "PASS", ""},
		{"test failing", []string{"test", failing}, ExitConfig, "FAIL", ""},
		{"test broken folder", []string{"test", broken}, ExitConfig, "", "y.rego:"},
		{"check built-in", []string{"check"}, 0, "TB-01", ""},
		{"check with snapshot", []string{"check", "--snapshot", smallSample}, 0, "evaluated on", ""},
		{"check bad folder", []string{"check", bad}, ExitConfig, "x.rego:", ""},
		{"check configmap volume", []string{"check", cm}, 0, "ok: 1 target(s)", ""},
		{"eval with trace", []string{"eval", "--snapshot", smallSample, "--subject", "ha-noi-h01-x001", "--target", "TB-03", "--explain"}, 0, "# trace", ""},
		{"eval unknown subject", []string{"eval", "--snapshot", smallSample, "--subject", "no-such-unit"}, ExitConfig, "", "setting subject"},
		{"eval without subject", []string{"eval", "--snapshot", smallSample}, ExitConfig, "", "--subject is required"},
		// A wrong --target is a setting error found before the input is printed.
		{"eval unknown target", []string{"eval", "--snapshot", smallSample, "--subject", "ha-noi-h01-x001", "--target", "NOPE"}, ExitConfig, "", "setting target: --target \"NOPE\": no such target"},
		{"eval target of another scope", []string{"eval", "--snapshot", smallSample, "--subject", "ha-noi-h01-x001", "--target", "TB-04"}, ExitConfig, "", "setting target: --target TB-04 has scope branch"},
		// eval reads a snapshot with many bad rows (it stops at none by default).
		{"eval on bad rows", []string{"eval", "--snapshot", smallSample + "&defects=0.05", "--subject", "ha-noi-h01-x001"}, 0, "# verdicts", ""},
		{"eval with a row limit", []string{"eval", "--snapshot", smallSample + "&defects=0.05", "--subject", "ha-noi-h01-x001", "--max-bad-rows", "0"}, ExitData, "", "more than the limit of 0"},
		{"sample", []string{"sample", "--profile", "national", "--scale", "0.0005", "--out", filepath.Join(dir, "snap")}, 0, "snapshot.yaml", ""},
		{"sample xlsx, reform, defects", []string{"sample", "--profile", "national", "--scale", "0.0005", "--reform", "--defects", "0.01", "--format", "xlsx", "--out", filepath.Join(dir, "snap-xlsx")}, 0, "units.xlsx", ""},
		{"sample bad format", []string{"sample", "--format", "xml", "--out", dir}, ExitConfig, "", "--format"},
		{"sample bad defects", []string{"sample", "--defects", "0.9", "--out", dir}, ExitConfig, "", "--defects"},
		{"version", []string{"version"}, 0, "opa:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMain(t, nil, tt.args...)
			if code != tt.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tt.wantStdout, stdout)
			}
			if !strings.Contains(logText(stderr), tt.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantStderr, stderr)
			}
			if tt.want == ExitConfig && tt.args[0] == "eval" && stdout != "" {
				t.Errorf("eval printed before its setting error:\n%s", stdout)
			}
		})
	}
	t.Run("xlsx sample with defects runs", func(t *testing.T) {
		code, _, stderr := runMain(t, nil, "run", "--snapshot", filepath.Join(dir, "snap-xlsx"), "--out", filepath.Join(dir, "out-xlsx"), "--formats", "json", "--max-bad-rows", "50%")
		if code != 0 {
			t.Errorf("run on the written xlsx sample: exit %d\n%s", code, stderr)
		}
		if !strings.Contains(stderr, `"dq_errors":`) || strings.Contains(stderr, `"dq_errors":0`) {
			t.Errorf("the defects were not found as data-quality errors:\n%s", stderr)
		}
	})
	t.Run("sample snapshot runs", func(t *testing.T) {
		code, _, stderr := runMain(t, nil, "run", "--snapshot", filepath.Join(dir, "snap"), "--out", filepath.Join(dir, "out"), "--formats", "json")
		if code != 0 {
			t.Errorf("run on the written sample: exit %d\n%s", code, stderr)
		}
	})
}

func TestLoggerFormats(t *testing.T) {
	tests := []struct {
		name, format string
		json         bool
	}{
		{"default off a terminal is JSON", "", true},
		{"json", "json", true},
		{"console", "console", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := &runIDHook{id: "r-1"}
			l := newLogger(&buf, tt.format, zerolog.InfoLevel, h)
			l.Debug().Msg("hidden")
			l.Info().Str("k", "v").Msg("shown")
			out := buf.String()
			if strings.Contains(out, "hidden") {
				t.Errorf("debug line logged at info level: %s", out)
			}
			if got := strings.HasPrefix(out, "{"); got != tt.json {
				t.Errorf("JSON = %v, want %v: %s", got, tt.json, out)
			}
			if !strings.Contains(out, "r-1") {
				t.Errorf("no run_id: %s", out)
			}
		})
	}
}

func TestProgress(t *testing.T) {
	var on, off bytes.Buffer
	for _, p := range []*progress{newProgress(&on, true), newProgress(&off, false)} {
		b := p.start("evaluating", 0)
		b.set(5, 10)
		b.set(10, 10)
		b.finish()
		s := p.start("loading", -1)
		s.tick()
		s.finish()
	}
	if off.Len() != 0 {
		t.Errorf("disabled progress wrote %q", off.String())
	}
	if !strings.Contains(on.String(), "evaluating") {
		t.Errorf("progress bar output %q lacks its description", on.String())
	}
}
