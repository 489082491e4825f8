package main

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// vungmanh builds the product (CGO_ENABLED=0, from the main module two
// folders up) once per test binary.
func vungmanh(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vungmanh")
	cmd := exec.Command("go", "-C", "../..", "build", "-o", bin, "./cmd/vungmanh")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build vungmanh: %v\n%s", err, b)
	}
	return bin
}

// ours writes the sample of the given profile as Parquet, runs vungmanh on
// it and returns the snapshot folder and its report.json.
func ours(t *testing.T, bin string, sample ...string) (snap, report string) {
	t.Helper()
	dir := t.TempDir()
	snap = filepath.Join(dir, "snapshot")
	args := append([]string{"sample", "--format", "parquet", "--out", snap}, sample...)
	if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("vungmanh %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	out := filepath.Join(dir, "out")
	args = []string{"run", "--snapshot", snap, "--out", out, "--formats", "json", "--progress=false"}
	if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("vungmanh %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	m, err := filepath.Glob(filepath.Join(out, "*", "runs", "*", "*", "report.json"))
	if err != nil || len(m) != 1 {
		t.Fatalf("report.json of the run: %v %v", m, err)
	}
	return snap, m[0]
}

// TestAnchorAgrees runs the anchor's SQL over samples of every shape and
// checks its results against our report, then checks that Check sees a
// report that differs.
func TestAnchorAgrees(t *testing.T) {
	bin := vungmanh(t)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		sample []string
		fails  bool // TB-01 has both verdicts
	}{
		{"national", []string{"--profile", "national", "--scale", "0.003"}, false},
		{"national reform", []string{"--profile", "national", "--scale", "0.01", "--reform"}, false},
		{"thai-binh-2024", []string{"--profile", "thai-binh-2024"}, true},
		{"hung-yen-2026", []string{"--profile", "hung-yen-2026"}, false},
		{"hung-yen-2025-06", []string{"--profile", "hung-yen-2025-06"}, true},
		{"hung-yen-2025-09", []string{"--profile", "hung-yen-2025-09"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, report := ours(t, bin, c.sample...)
			snap, err := ReadSnapshot(dir)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ReadReport(report)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Targets(ctx, db, snap)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Members(ctx, db, snap)
			if err != nil {
				t.Fatal(err)
			}
			if p, n := count(v.OnePlusOne), len(v.OnePlusOne); n == 0 || c.fails && (p == 0 || p == n) {
				t.Errorf("TB-01: %d of %d communes pass: the sample should have both verdicts", p, n)
			}
			if m.Rows == 0 || m.Units == 0 || m.Honorary == 0 || m.HardshipRecorded == 0 {
				t.Errorf("members pass: %+v", m)
			}
			if diffs := Check(rep, v, m); len(diffs) > 0 {
				t.Fatalf("DuckDB and our report differ:\n%s", strings.Join(diffs, "\n"))
			}

			// The check can fail: each kind of difference is reported.
			pass := ""
			for id, ok := range v.OnePlusOne {
				if ok {
					pass = id
				}
			}
			if pass == "" || len(rep.Findings) == 0 {
				t.Fatalf("the sample has no passing TB-01 subject or no finding")
			}
			for _, tc := range []struct {
				name   string
				change func(r *Report)
				want   string
			}{
				{"pass count", func(r *Report) { r.Targets[0].Pass++ }, "pass; ours"},
				{"failing subject", func(r *Report) {
					r.Findings = append(r.Findings, r.Findings[0])
					r.Findings[len(r.Findings)-1].Target, r.Findings[len(r.Findings)-1].Subject = "TB-01", pass
				}, "ours a finding, DuckDB not a failing subject"},
				{"members", func(r *Report) { r.Inventory.Members.Total++ }, "members: DuckDB"},
				{"target missing", func(r *Report) { r.Targets = r.Targets[1:] }, "TB-01: not in our report"},
			} {
				r, err := ReadReport(report)
				if err != nil {
					t.Fatal(err)
				}
				tc.change(r)
				if d := strings.Join(Check(r, v, m), "\n"); !strings.Contains(d, tc.want) {
					t.Errorf("%s: Check said %q, want a line with %q", tc.name, d, tc.want)
				}
			}
		})
	}
}

func TestReadSnapshotErrors(t *testing.T) {
	for _, c := range []struct {
		name, manifest, want string
	}{
		{"no manifest", "", "read manifest"},
		{"bad as_of", "asOf: 30/09/2024\ntables: {units: u.parquet, models: m.parquet, members: x.parquet}\n", "is not a YYYY-MM-DD day"},
		{"csv table", "asOf: 2024-09-30\ntables: {units: u.csv, models: m.parquet, members: x.parquet}\n", "Parquet files only"},
		{"no members", "asOf: 2024-09-30\ntables: {units: u.parquet, models: m.parquet}\n", "no members table"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.manifest != "" {
				if err := os.WriteFile(filepath.Join(dir, "snapshot.yaml"), []byte(c.manifest), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ReadSnapshot(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ReadSnapshot: %v, want an error with %q", err, c.want)
			}
		})
	}
}
