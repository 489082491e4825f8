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
//
// main.go reads the flags, times the queries and prints the line; anchor.go
// reads the snapshot and the report, holds the SQL, and compares.
package main
