// Command duckanchor is the DuckDB anchor of the benchmark harness
// (bench/run.sh): what a data engineer would write instead of vungmanh, SQL
// in DuckDB over the same Parquet snapshot. It computes TB-01 and TB-02 for
// every active commune (a recursive CTE over units, the models joined and
// counted) and makes one pass over the members table (per-unit statistics),
// checks the results against our report.json, and prints one line of
// key=value pairs:
//
//	targets_seconds=0.91 members_seconds=0.38 communes=10600 tb01_pass=4512 tb02_pass=4398 members=19901234 threads=2
//
// This is a Go module of its own: the DuckDB driver needs cgo, and the
// product keeps CGO_ENABLED=0 and its own dependencies. Build and run it
// from this folder:
//
//	go build -o duckanchor . && ./duckanchor -snapshot DIR -report report.json
//
// Only Parquet snapshots without unit versions are read (the national sample
// of bench/run.sh). It exits 1 when a result differs from the report.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "duckanchor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("duckanchor", flag.ContinueOnError)
	dir := fl.String("snapshot", "", "snapshot folder (Parquet tables)")
	report := fl.String("report", "", "our report.json to check the results against (none: no check)")
	repeat := fl.Int("repeat", 1, "timed runs of each query; the fastest counts")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("-snapshot is required")
	}
	snap, err := ReadSnapshot(*dir)
	if err != nil {
		return err
	}
	var rep *Report
	if *report != "" {
		if rep, err = ReadReport(*report); err != nil {
			return err
		}
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("open DuckDB: %w", err)
	}
	defer db.Close()
	var threads int
	if err := db.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
		return fmt.Errorf("read DuckDB's threads: %w", err)
	}

	var v *Verdicts
	var m *MemberStats
	tBest, mBest := time.Duration(1<<62), time.Duration(1<<62)
	for i := 0; i < max(1, *repeat); i++ {
		start := time.Now()
		if v, err = Targets(ctx, db, snap); err != nil {
			return err
		}
		tBest = min(tBest, time.Since(start))
		start = time.Now()
		if m, err = Members(ctx, db, snap); err != nil {
			return err
		}
		mBest = min(mBest, time.Since(start))
	}
	if rep != nil {
		if diffs := Check(rep, v, m); len(diffs) > 0 {
			for _, d := range diffs[:min(20, len(diffs))] {
				fmt.Fprintln(os.Stderr, d)
			}
			return fmt.Errorf("DuckDB and our report differ (%d differences)", len(diffs))
		}
	}
	fmt.Printf("targets_seconds=%.3f members_seconds=%.3f communes=%d tb01_pass=%d tb02_pass=%d members=%d threads=%d checked=%t\n",
		tBest.Seconds(), mBest.Seconds(), len(v.OnePlusOne), count(v.OnePlusOne), count(v.ThreeHas), m.Rows, threads, rep != nil)
	return nil
}

func count(m map[string]bool) int {
	n := 0
	for _, ok := range m {
		if ok {
			n++
		}
	}
	return n
}
