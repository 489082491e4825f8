// Package bench_test proves that the benchmark harness works: it runs
// bench/run.sh at a tiny scale (a national sample of a few hundred units,
// no profiles) and checks that it succeeded, that the plain-OPA baseline
// gave the same verdicts as our checker, that the floor agreed with us and
// that the DuckDB anchor (bench/duckdb, built with cgo) agreed with our
// report.
// It asserts no timings: the figures are in bench/RESULTS.md.
package bench_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestHarnessTiny(t *testing.T) {
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("/usr/bin/time is missing (Debian package \"time\"); CI installs it")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	out := t.TempDir()
	cmd := exec.Command("./run.sh")
	cmd.Env = append(os.Environ(),
		"BENCH_PARQUET_SCALES=0.002",
		"BENCH_CSV_SCALES=0.002",
		"BENCH_REFORM_SCALES=0.002",
		"BENCH_PAGELOAD=1",
		"BENCH_BASELINE=national:0.001",
		"BENCH_PROFILE=0",
		"BENCH_THAI_BINH=0",
		"BENCH_REPEAT=1",
		"BENCH_CACHE="+filepath.Join(out, "cache"),
		"BENCH_OUT="+filepath.Join(out, "out"),
	)
	b, err := cmd.CombinedOutput()
	log := string(b)
	if err != nil {
		t.Fatalf("bench/run.sh: %v\n%s", err, log)
	}
	checks := []struct {
		name string
		re   string
	}{
		{"table header", `(?m)^case\s+wall_s\s+user_s\s+sys_s\s+rss_MiB$`},
		{"baseline row", `(?m)^baseline-ours\s+[0-9.]+\s`},
		{"Parquet baseline row", `(?m)^baseline-ours-parquet\s+[0-9.]+\s`},
		{"plain OPA row", `(?m)^plain-opa\s+[0-9.]+\s`},
		{"national parquet row", `(?m)^national-0\.002-parquet\s+[0-9.]+\s`},
		{"national csv row", `(?m)^national-0\.002-csv\s+[0-9.]+\s`},
		{"phases header", `(?m)^case\s+compile\s+load\s+evaluate\s+publish$`},
		{"phases of a national run", `(?m)^national-0\.002-parquet\s+[0-9]+\.[0-9]{2}\s+[0-9]+\.[0-9]{2}\s+[0-9]+\.[0-9]{2}\s+[0-9]+\.[0-9]{2}$`},
		{"heap header", `(?m)^case\s+live_ld\s+live_ev\s+live_pub\s+heap_ld\s+heap_ev\s+heap_pub$`},
		{"heap of a national run", `(?m)^national-0\.002-parquet(\s+[0-9]+){6}$`},
		{"allocations header", `(?m)^case\s+alloc_MB\s+objects_k\s+gcs\s+gc_cpu_s$`},
		{"allocations of a national run", `(?m)^national-0\.002-parquet\s+[1-9][0-9]*\s+[1-9][0-9]*\s+[1-9][0-9]*\s+[0-9]+\.[0-9]{2}$`},
		{"plain OPA agrees", `plain OPA results match ours: [1-9][0-9]* results`},
		{"plain OPA ratio", `(?m)^plain-opa/ours .*: [0-9.]+x faster`},
		{"plain OPA ratio from Parquet", `(?m)^plain-opa/ours from Parquet .*: [0-9.]+x faster`},
		{"floor ratio", `(?m)^ours/floor .*: [0-9.]+x slower`},
		{"post-reform national row", `(?m)^national-reform-0\.002-parquet\s+[0-9.]+\s`},
		{"DuckDB row", `(?m)^duckdb-0\.002\s+[0-9.]+\s`},
		{"DuckDB checked", `(?m)^duckdb: targets_seconds=[0-9.]+ members_seconds=[0-9.]+ communes=[1-9][0-9]* .*checked=true$`},
		{"DuckDB ratio", `(?m)^ours/duckdb .*: wall [0-9.]+x, CPU [0-9.]+x, peak RSS [0-9.]+x$`},
		{"floor bound", `evaluation alone [0-9.]+x \(target <= 15x, issue 20\); one empty Rego evaluation per subject \(the bound\) [0-9.]+x`},
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil || os.Getenv("CI") == "true" {
		checks = append(checks, struct{ name, re string }{"page load in Chromium",
			`(?m)^national-reform-0\.002-parquet\s+BenchmarkSitePageLoad\S*\s+5\s+[0-9]+ ns/op\s+[0-9.]+ cpu-ms\s+[0-9.]+ load-ms\s+[0-9]+ page-bytes`})
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !regexp.MustCompile(c.re).MatchString(log) {
				t.Errorf("output lacks %q:\n%s", c.re, log)
			}
		})
	}
	if strings.Contains(log, "differ") {
		t.Errorf("a baseline differs from ours:\n%s", log)
	}
}
