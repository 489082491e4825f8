// Package bench is the benchmark harness: bench/run.sh (`make bench`) times
// vungmanh end to end on national and thai-binh-2024 samples, profiles the
// largest case, loads the largest report pages in headless Chromium, and
// compares us with three baselines run in the same session; RESULTS.md
// records the figures. The package itself holds no code.
//
// # What lives where
//
//   - run.sh: the harness (its header lists the steps and settings).
//   - RESULTS.md: the figures, with how they were measured.
//   - bench_test.go: runs run.sh at a tiny scale and checks that it
//     succeeded and that every baseline agreed with our verdicts; it asserts
//     no timings.
//   - pageload_test.go: BenchmarkSitePageLoad, the size and load time of
//     the largest report pages.
//   - prepare_test.go: BenchmarkPrepareFolder, checker.Prepare (the index
//     a run evaluates from) on the snapshot folder VUNGMANH_BENCH_SNAPSHOT
//     names, in CPU seconds.
//   - floor: TB-01 and TB-02 by hand from the Arrow columns, against our
//     checker evaluating the same two targets.
//   - plainopa: the plain-OPA baseline (the tables as one JSON document, the
//     pack evaluated by `opa eval` through wrapper.rego).
//   - duckdb: the DuckDB anchor, SQL over the same Parquet snapshot (a Go
//     module of its own: its driver needs cgo).
package bench
