package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParamsAliasBomb: a 1 KB --params file whose aliases expand to 10^9
// values is refused as a setting error (exit code 2) naming the problem,
// as snapshot.yaml, the waivers and the config file refuse theirs, instead
// of being expanded.
func TestParamsAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	dir := t.TempDir()
	params, waivers := filepath.Join(dir, "params.yaml"), filepath.Join(dir, "waivers.yaml")
	for _, f := range []string{params, waivers} {
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, flag := range []string{"--params", "--waivers"} {
		t.Run(flag, func(t *testing.T) {
			file := map[string]string{"--params": params, "--waivers": waivers}[flag]
			code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample, "--out", t.TempDir(), "--formats", "json", flag, file)
			if code != ExitConfig || !strings.Contains(stderr, "excessive aliasing") {
				t.Errorf("exit %d, want %d saying excessive aliasing:\n%s", code, ExitConfig, stderr)
			}
		})
	}
}

// TestFutureAsOfRefused: a snapshot dated after tomorrow is data unusable
// (DQ001, exit 3): it would pin latest.json until that day, and every
// correct run after it would leave latest.json alone.
func TestFutureAsOfRefused(t *testing.T) {
	snap, byAsOf, _ := sampleDirs(t, "9999-12-31")
	out := t.TempDir()
	code, _, stderr := runMain(t, nil, "run", "--snapshot", byAsOf["9999-12-31"], "--out", out, "--formats", "json")
	if code != ExitData || !strings.Contains(stderr, "The snapshot date (asOf) 9999-12-31 is after today") {
		t.Fatalf("exit %d, want %d naming asOf:\n%s", code, ExitData, stderr)
	}
	if _, ok := readLatest(t, out, "vietnam"); ok {
		t.Errorf("the refused run wrote latest.json")
	}
	if code, _, stderr := runMain(t, nil, "run", "--snapshot", snap, "--out", out, "--formats", "json"); code != ExitOK {
		t.Errorf("the run of today's export: exit %d\n%s", code, stderr)
	}
}
