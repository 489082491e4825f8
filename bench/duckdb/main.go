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
