package app

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestParamsChecked: a params key its target does not declare, or a value
// of the wrong type, is reported by check --params at its line (exit 2),
// and stops run before any data is read (exit 2, the same message); a
// valid file passes both, and its values reach the evaluation.
func TestParamsChecked(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.yaml", "TB-06:\n  min_sise: 2\n  max_size: three\nTB-01: {goal: 1.0, deadline: 2026-12-31}\n")
	wantLines := []string{
		bad + `:2:3: TB-06 has no parameter "min_sise": did you mean "min_size"?`,
		bad + `:3:13: TB-06.max_size must be an integer, got the text "three"`,
	}

	code, stdout, stderr := runMain(t, nil, "check", "--params", bad)
	if code != ExitConfig {
		t.Errorf("check --params: exit code %d, want %d\n%s%s", code, ExitConfig, stdout, stderr)
	}
	for _, w := range wantLines {
		if !strings.Contains(stdout, w) {
			t.Errorf("check --params prints:\n%s\nwant a line starting %q", stdout, w)
		}
	}

	out := t.TempDir()
	code, _, stderr = runMain(t, nil, "run", "--snapshot", smallSample, "--out", out, "--formats", "json", "--params", bad)
	if code != ExitConfig {
		t.Errorf("run: exit code %d, want %d\n%s", code, ExitConfig, stderr)
	}
	for _, w := range wantLines {
		if !strings.Contains(stderr, strings.ReplaceAll(w, `"`, `\"`)) {
			t.Errorf("run logs:\n%s\nwant %q", stderr, w)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("run wrote %d entries to --out, want none", len(entries))
	}

	good := write("good.yaml", "TB-06: {min_size: 1, max_size: 1}\nTB-09: {months: 2, recorded_share: 1}\nTB-01: {goal: 90, deadline: 2026-12-31}\n")
	code, stdout, stderr = runMain(t, nil, "check", "--params", good)
	if code != ExitOK || !strings.Contains(stdout, "params file checked") {
		t.Errorf("check --params good: exit code %d\n%s%s", code, stdout, stderr)
	}
	// With max_size 1, a cadres-progress group of two fails TB-06 on its
	// size: the params file reaches the evaluation of check --snapshot.
	fails := func(args ...string) int {
		t.Helper()
		code, stdout, stderr := runMain(t, nil, append([]string{"check", "--snapshot", smallSample}, args...)...)
		if code != ExitOK {
			t.Fatalf("check %v: exit code %d\n%s%s", args, code, stdout, stderr)
		}
		_, rest, _ := strings.Cut(stdout, " fail=")
		n, err := strconv.Atoi(strings.Fields(rest + " x")[0])
		if err != nil {
			t.Fatalf("check %v: no fail count in\n%s", args, stdout)
		}
		return n
	}
	if with, without := fails("--params", good), fails(); with <= without {
		t.Errorf("check --snapshot: %d fail with max_size 1, %d without, want more with", with, without)
	}
	code, _, stderr = runMain(t, nil, "run", "--snapshot", smallSample, "--out", t.TempDir(), "--formats", "json", "--params", good)
	if code != ExitOK {
		t.Errorf("run --params good: exit code %d\n%s", code, stderr)
	}
}
