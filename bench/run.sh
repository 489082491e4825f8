#!/usr/bin/env bash
# bench/run.sh: the benchmark harness (`make bench`). See bench/RESULTS.md.
#
# 1. Builds vungmanh and the helper programs (bench/floor, bench/plainopa)
#    once, into $BENCH_OUT/bin.
# 2. Generates national samples with `vungmanh sample` (cached in
#    $BENCH_CACHE, keyed by profile, scale and format) and times
#    `vungmanh run` end to end on each with /usr/bin/time -v: wall, CPU, peak
#    RSS, in one table. The thai-binh-2024 sample is timed too (CSV and
#    Parquet). Each run also prints the garbage collector's trace
#    (GODEBUG=gctrace=1), from which a second table gives the largest live
#    heap and the largest heap of each phase (load, evaluate, publish), and
#    a third what each run allocated (its "resources used" log line).
# 3. Writes CPU and heap profiles of the largest Parquet case, from that
#    same timed run (`vungmanh run --cpuprofile --memprofile`: the CPU
#    profile covers the whole run, the heap profile is taken when evaluation
#    ends, the live peak), with the top functions.
# 4. The report site: the post-reform national sample (`--reform`, 34
#    provinces, 3,321 communes at scale 1) is timed at $BENCH_REFORM_SCALES
#    too; for the largest national run and the largest post-reform run, the
#    size of the largest page and its load time in headless Chromium
#    (BenchmarkSitePageLoad in bench/pageload_test.go; skipped without
#    Chromium or with BENCH_PAGELOAD=0).
# 5. Baselines on the $BENCH_BASELINE sample, in the same run:
#    plain OPA (the tables exported as one JSON document, bench/plainopa/
#    wrapper.rego evaluated by `opa eval`; its verdicts must equal ours; ours
#    is timed from the CSV sample, the ratio the target is judged on, and
#    from the Parquet sample) and
#    the floor (bench/floor: TB-01 + TB-02 by hand from the Arrow columns vs
#    our checker evaluating just those two targets). Prints the ratios.
# 6. The DuckDB anchor (bench/duckdb, a Go module of its own: its driver
#    needs cgo) on the largest Parquet case: SQL for TB-01 and TB-02 and one
#    pass over the members table, over the same Parquet files; timed like
#    our runs, then run again to check its results equal to that case's
#    report.json. Prints our ratio to it (wall, CPU and peak RSS).
#
# Settings (environment):
#   BENCH_PARQUET_SCALES  national scales read from Parquet   (default "0.01"; full: "0.1 0.3 1.0")
#   BENCH_CSV_SCALES      national scales read from CSV       (default "0.01"; full: "1.0")
#   BENCH_REFORM_SCALES   post-reform national scales, Parquet (default "0.01"; full: "1.0")
#   BENCH_PAGELOAD        1 to load the largest pages in Chromium (default 1)
#   BENCH_THAI_BINH       1 to time the thai-binh-2024 sample end to end (default 1)
#   BENCH_BASELINE        profile of the baselines' sample    (default thai-binh-2024; or national:SCALE)
#   BENCH_PLAIN_OPA       1 to run the plain-OPA baseline     (default 1)
#   BENCH_PROFILE         1 to write profiles of the largest case (default 1)
#   BENCH_REPEAT          timed repetitions in bench/floor    (default 5)
#   BENCH_WORKERS         --workers of vungmanh run           (default 2)
#   BENCH_GC_HEAP_FLOOR   --gc-heap-floor of vungmanh run     (default: the run's, 128MiB; "off" to time without it)
#   BENCH_CACHE           sample cache                        (default bench/cache)
#   BENCH_OUT             run folders, timings, profiles      (default bench/out)
#   BENCH_OPA             an opa binary (v1.22.3) to use instead of building one
#   BENCH_DUCKDB          1 to run the DuckDB anchor          (default 1; needs a C/C++ toolchain for cgo)
#
# Needs: go, /usr/bin/time (Debian package "time"); for the DuckDB anchor gcc
# and g++ (cgo; the first build links DuckDB's static library, minutes).
# Installs nothing itself.
# Exit status: 0 when every run succeeded and the baselines agree with us.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

PARQUET_SCALES=${BENCH_PARQUET_SCALES-0.01}
CSV_SCALES=${BENCH_CSV_SCALES-0.01}
REFORM_SCALES=${BENCH_REFORM_SCALES-0.01}
PAGELOAD=${BENCH_PAGELOAD:-1}
THAI_BINH=${BENCH_THAI_BINH:-1}
BASELINE=${BENCH_BASELINE:-thai-binh-2024}
PLAIN_OPA=${BENCH_PLAIN_OPA:-1}
PROFILE=${BENCH_PROFILE:-1}
REPEAT=${BENCH_REPEAT:-5}
WORKERS=${BENCH_WORKERS:-2}
GC_HEAP_FLOOR=${BENCH_GC_HEAP_FLOOR:-128MiB}
CACHE=${BENCH_CACHE:-$root/bench/cache}
OUT=${BENCH_OUT:-$root/bench/out}
DUCKDB=${BENCH_DUCKDB:-1}
OPA_VERSION=v1.22.3

die() { echo "bench: $*" >&2; exit 1; }

[ -x /usr/bin/time ] || die "/usr/bin/time not found: install the Debian/Ubuntu package \"time\" (apt-get install -y time)"
/usr/bin/time -v true 2>/dev/null || die "/usr/bin/time does not support -v (GNU time needed: package \"time\")"
command -v go >/dev/null || die "go not found on PATH"

mkdir -p "$CACHE" "$OUT/bin" "$OUT/runs" "$OUT/times"
bin=$OUT/bin

echo "== build"
CGO_ENABLED=0 go build -trimpath -o "$bin/vungmanh" ./cmd/vungmanh
go build -o "$bin/" ./bench/floor ./bench/plainopa
if [ "$DUCKDB" = 1 ]; then
	(cd bench/duckdb && CGO_ENABLED=1 go build -o "$bin/duckanchor" .) || die "build the DuckDB anchor (bench/duckdb needs cgo: gcc and g++; BENCH_DUCKDB=0 leaves it out)"
fi

# sample PROFILE SCALE FORMAT -> prints the cached snapshot folder.
sample() {
	local profile=$1 scale=$2 format=$3 dir
	if [ "$profile" = national ] || [ "$profile" = national-reform ]; then
		dir=$CACHE/$profile-$scale-$format
	else
		dir=$CACHE/$profile-$format
	fi
	if [ ! -f "$dir/.complete" ]; then
		rm -rf "$dir"
		local args=(--profile "${profile%-reform}" --format "$format" --out "$dir.tmp")
		[ "$profile" = national ] && args+=(--scale "$scale")
		[ "$profile" = national-reform ] && args+=(--scale "$scale" --reform)
		rm -rf "$dir.tmp"
		"$bin/vungmanh" sample "${args[@]}" >/dev/null || die "generate $profile $scale $format"
		touch "$dir.tmp/.complete"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# seconds H:MM:SS.ss | M:SS.ss -> seconds
seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }' <<<"$1"; }

# field FILE "label" -> the value after the label in /usr/bin/time -v output
field() { sed -n "s/^[[:space:]]*$2: //p" "$1" | tail -1; }

rows=()
# timed NAME CMD... : runs CMD under /usr/bin/time -v, records a table row.
timed() {
	local name=$1; shift
	local tf=$OUT/times/$name.time log=$OUT/times/$name.log
	if ! /usr/bin/time -v -o "$tf" "$@" >"$log" 2>&1; then
		cat "$log" >&2
		die "$name failed (see $log)"
	fi
	local wall user sys rss
	wall=$(seconds "$(field "$tf" 'Elapsed (wall clock) time (h:mm:ss or m:ss)')")
	user=$(field "$tf" 'User time (seconds)')
	sys=$(field "$tf" 'System time (seconds)')
	rss=$(field "$tf" 'Maximum resident set size (kbytes)')
	rows+=("$(printf '%-34s %8s %8s %8s %9d' "$name" "$wall" "$user" "$sys" "$((rss / 1024))")")
	printf -v "T_${name//[^a-zA-Z0-9]/_}" '%s' "$wall"
}

# run_case NAME SNAPSHOT [extra run flags]: vungmanh run end to end, all formats.
# An earlier run's folder is moved aside, not deleted, and deleted at the
# end: files deleted just before a run slow that run's file creation (the
# file system frees their blocks meanwhile; thai-binh-2024: 0.14 CPU-s more
# in open(2) for its 261 files, bench/RESULTS.md 2026-12-07 session 3).
run_case() {
	local name=$1 snap=$2; shift 2
	if [ -e "$OUT/runs/$name" ]; then
		mkdir -p "$OUT/old"
		mv "$OUT/runs/$name" "$(mktemp -d "$OUT/old/$name.XXXXXX")"
	fi
	timed "$name" env GODEBUG=gctrace=1 "$bin/vungmanh" run --snapshot "$snap" --out "$OUT/runs/$name" \
		--workers "$WORKERS" --gc-heap-floor "$GC_HEAP_FLOOR" --log-format json --progress=false "$@"
	phases+=("$(printf '%-34s %8s %8s %8s %8s' "$name" "$(phase "$name" 'policies compiled')" \
		"$(phase "$name" 'snapshot loaded')" "$(phase "$name" evaluated)" "$(phase "$name" published)")")
	heaps+=("$(printf '%-34s %s' "$name" "$(heap_phases "$OUT/times/$name.log")")")
	usages+=("$(printf '%-34s %s' "$name" "$(usage "$OUT/times/$name.log")")")
}

# usage LOG: what a run_case allocated and its garbage collector cost, from
# its "resources used" log line: MB allocated, thousands of objects,
# collections, the collector's CPU seconds. Allocations vary much less from
# one run to the next than times do on a busy machine: a change to them
# shows at national scale where its time is within the noise.
usage() {
	grep -F '"message":"resources used"' "$1" | tail -1 | awk '
		function num(k,   r) { if (match($0, "\"" k "\":[0-9.e+-]+")) { r = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3); return r + 0 } return -1 }
		{ printf "%10d %10d %8d %8.2f", num("alloc_bytes") / 1e6, num("alloc_objects") / 1e3, num("gc_cycles"), num("gc_cpu_seconds") }'
}

# heap_phases LOG: from the garbage collector's trace in a run_case's log
# (GODEBUG=gctrace=1: "gc N @t ... A->B->C MB ..."), the largest live heap
# (C, after a collection) and the largest heap (B) while the snapshot loads,
# while it is evaluated and while the report is published, in MB. The peak
# RSS follows the largest live heap of the three phases (about twice it,
# and more: the runtime keeps some of what it frees for a while).
heap_phases() {
	awk 'BEGIN { ph = 1 }
		/"message":"snapshot loaded"/ { ph = 2 }
		/"message":"evaluated"/ { ph = 3 }
		/^gc [0-9]+ @/ {
			if (match($0, /[0-9]+->[0-9]+->[0-9]+ MB/)) {
				split(substr($0, RSTART, RLENGTH - 3), v, "->")
				if (v[3] + 0 > live[ph]) live[ph] = v[3] + 0
				if (v[2] + 0 > heap[ph]) heap[ph] = v[2] + 0
			}
		}
		END { printf "%8d %8d %8d %8d %8d %8d", live[1], live[2], live[3], heap[1], heap[2], heap[3] }' "$1"
}

# phase NAME MESSAGE: the seconds of a phase's log line of a run_case (the
# JSON log of vungmanh run: "message":"snapshot loaded" ... "seconds":1.23).
phase() {
	grep -F "\"message\":\"$2\"" "$OUT/times/$1.log" | sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' |
		awk '{ printf "%.2f", $1 }'
}
phases=() heaps=() usages=()

results_of() { ls "$OUT"/runs/"$1"/*/runs/*/*/results.parquet | head -1; }

echo "== samples"
if [ "$THAI_BINH" = 1 ]; then
	tb_csv=$(sample thai-binh-2024 1 csv)
	tb_parquet=$(sample thai-binh-2024 1 parquet)
fi
largest="" largest_scale=0
for s in $PARQUET_SCALES; do
	d=$(sample national "$s" parquet)
	if awk -v a="$s" -v b="$largest_scale" 'BEGIN { exit !(a > b) }'; then largest=$d largest_scale=$s; fi
done
for s in $CSV_SCALES; do sample national "$s" csv >/dev/null; done
largest_reform=""
for s in $REFORM_SCALES; do
	sample national-reform "$s" parquet >/dev/null
	largest_reform=$s # the scales are given in increasing order
done

echo "== end to end (vungmanh run, all formats, workers $WORKERS)"
if [ "$THAI_BINH" = 1 ]; then
	run_case thai-binh-2024-csv "$tb_csv"
	run_case thai-binh-2024-parquet "$tb_parquet"
fi
for s in $PARQUET_SCALES; do
	prof=()
	if [ "$PROFILE" = 1 ] && [ "$s" = "$largest_scale" ]; then
		prof=(--cpuprofile "$OUT/cpu.prof" --memprofile "$OUT/mem.prof")
	fi
	run_case "national-$s-parquet" "$CACHE/national-$s-parquet" "${prof[@]}"
done
for s in $CSV_SCALES; do run_case "national-$s-csv" "$CACHE/national-$s-csv"; done
for s in $REFORM_SCALES; do run_case "national-reform-$s-parquet" "$CACHE/national-reform-$s-parquet"; done

pageloads=()
if [ "$PAGELOAD" = 1 ]; then
	echo "== the largest page of a site in headless Chromium (BenchmarkSitePageLoad)"
	sites=()
	[ -n "$largest" ] && sites+=("national-$largest_scale-parquet")
	[ -n "$largest_reform" ] && sites+=("national-reform-$largest_reform-parquet")
	for c in "${sites[@]}"; do
		line=$(BENCH_SITE=$OUT/runs/$c go test ./bench -run '^$' -bench SitePageLoad -benchtime 5x 2>&1 | tee "$OUT/times/pageload-$c.log" | grep -E '^BenchmarkSitePageLoad|SKIP' || true)
		pageloads+=("$(printf '%-34s %s' "$c" "${line:-failed, see $OUT/times/pageload-$c.log}")")
	done
fi

duck_line=""
if [ "$DUCKDB" = 1 ] && [ -n "$largest" ]; then
	echo "== DuckDB anchor on national $largest_scale (Parquet)"
	duck_report=$(ls "$OUT"/runs/"national-$largest_scale-parquet"/*/runs/*/*/report.json | head -1)
	# Timed alone (reading our report.json would add to its RSS), then run
	# again to check its results against that report.
	timed "duckdb-$largest_scale" "$bin/duckanchor" -snapshot "$largest"
	duck_line=$("$bin/duckanchor" -snapshot "$largest" -report "$duck_report") || die "DuckDB anchor differs from ours"
	echo "duckdb: $duck_line"
fi

if [ "$PROFILE" = 1 ] && [ -n "$largest" ]; then
	echo "== profiles (national $largest_scale, Parquet, from its timed run): $OUT/cpu.prof $OUT/mem.prof"
	go tool pprof -top -nodecount=25 "$bin/vungmanh" "$OUT/cpu.prof" 2>/dev/null | sed -n '1,32p' >"$OUT/cpu.top" || true
	go tool pprof -top -cum -nodecount=25 "$bin/vungmanh" "$OUT/cpu.prof" 2>/dev/null | sed -n '1,32p' >"$OUT/cpu.cum" || true
	go tool pprof -sample_index=inuse_space -top -nodecount=15 "$bin/vungmanh" "$OUT/mem.prof" 2>/dev/null | sed -n '1,22p' >"$OUT/mem.top" || true
	head -12 "$OUT/cpu.cum" || true
fi

echo "== baselines on $BASELINE"
case $BASELINE in
national:*)
	base=$(sample national "${BASELINE#national:}" csv)
	base_pq=$(sample national "${BASELINE#national:}" parquet)
	;;
*)
	base=$(sample "$BASELINE" 1 csv)
	base_pq=$(sample "$BASELINE" 1 parquet)
	;;
esac
# Ours is timed from CSV (the ratio the target is judged on) and from Parquet
# (the format of the national targets); plain OPA reads its JSON export.
run_case baseline-ours "$base" --formats json,parquet
run_case baseline-ours-parquet "$base_pq" --formats json,parquet

floor_line=$("$bin/floor" -snapshot "$base" -repeat "$REPEAT" -workers 1) || die "floor: verdicts differ from ours"
floor_line2=$("$bin/floor" -snapshot "$base" -repeat "$REPEAT" -workers "$WORKERS") || die "floor: verdicts differ from ours"
echo "floor (workers 1):        $floor_line"
echo "floor (workers $WORKERS):        $floor_line2"

plain_ratio=""
if [ "$PLAIN_OPA" = 1 ]; then
	"$bin/plainopa" export -snapshot "$base" -out "$OUT/plain-data.json"
	rm -rf "$OUT/plain-policies"
	"$bin/plainopa" policies -out "$OUT/plain-policies"
	opa=${BENCH_OPA:-}
	if [ -z "$opa" ]; then
		if [ -x "$bin/opa" ] || GOBIN=$bin GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@$OPA_VERSION" >"$OUT/opa-install.log" 2>&1; then
			opa=$bin/opa
		fi
	fi
	if [ -n "$opa" ]; then
		echo "plain OPA: $("$opa" version | head -1)"
		# exec keeps one process, so /usr/bin/time measures opa itself.
		timed plain-opa bash -c 'out=$1; shift; exec "$@" >"$out"' _ "$OUT/plain-opa.json" \
			"$opa" eval -f json -d "$OUT/plain-data.json" -d "$OUT/plain-policies" \
			-d bench/plainopa/wrapper.rego data.plainopa.results
	else
		echo "plain OPA: cannot build the opa command line (see $OUT/opa-install.log); using OPA's library in process (same engine)"
		timed plain-opa "$bin/plainopa" eval -data "$OUT/plain-data.json" -policies "$OUT/plain-policies" \
			-wrapper bench/plainopa/wrapper.rego -out "$OUT/plain-opa.json"
	fi
	"$bin/plainopa" compare -opa "$OUT/plain-opa.json" -results "$(results_of baseline-ours)" || die "plain OPA results differ from ours"
	"$bin/plainopa" compare -opa "$OUT/plain-opa.json" -results "$(results_of baseline-ours-parquet)" >/dev/null || die "plain OPA results differ from ours (Parquet)"
	plain_ratio=$(awk -v p="$T_plain_opa" -v o="$T_baseline_ours" 'BEGIN { printf "%.1f", p / o }')
	plain_ratio_pq=$(awk -v p="$T_plain_opa" -v o="$T_baseline_ours_parquet" 'BEGIN { printf "%.1f", p / o }')
fi

echo
echo "== results ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-34s %8s %8s %8s %9s\n' case wall_s user_s sys_s rss_MiB
printf '%s\n' "${rows[@]}"
echo
echo "phases of vungmanh run, wall seconds from its log (policies compile while the snapshot loads):"
printf '%-34s %8s %8s %8s %8s\n' case compile load evaluate publish
printf '%s\n' "${phases[@]}"
echo
echo "heap of vungmanh run by phase, MB (GODEBUG=gctrace=1): the largest live heap after a collection, then the largest heap:"
printf '%-34s %8s %8s %8s %8s %8s %8s\n' case live_ld live_ev live_pub heap_ld heap_ev heap_pub
printf '%s\n' "${heaps[@]}"
echo
echo "allocations of vungmanh run (its \"resources used\" log line): MB and thousands of objects allocated, collections, the collector's CPU seconds:"
printf '%-34s %10s %10s %8s %8s\n' case alloc_MB objects_k gcs gc_cpu_s
printf '%s\n' "${usages[@]}"
echo
if [ ${#pageloads[@]} -gt 0 ]; then
	echo "largest page in headless Chromium (load-ms: navigation start to the load event; cpu-ms: its main thread's CPU time; page-bytes: its size; bounds 2,000 ms, 2 MB):"
	printf '%s\n' "${pageloads[@]}"
	echo
fi
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
echo "ours/floor (TB-01 + TB-02, 1 worker each): $(field ratio "$floor_line")x slower with indexing;" \
	"evaluation alone $(field eval_ratio "$floor_line")x (target <= 15x, issue 20); one empty Rego evaluation per subject (the bound) $(field bound_ratio "$floor_line")x"
if [ -n "$duck_line" ]; then
	# time_of NAME COLUMN: a column of the results table (2 wall, 3 user, 4 sys, 5 rss).
	time_of() { printf '%s\n' "${rows[@]}" | awk -v n="$1" -v c="$2" '$1 == n { print $c }'; }
	ours_name="national-$largest_scale-parquet" duck_name="duckdb-$largest_scale"
	echo "ours/duckdb (national $largest_scale Parquet; ours end to end, all 11 targets and formats; DuckDB TB-01 + TB-02 and one members pass, results equal):" \
		"wall $(awk -v o="$(time_of "$ours_name" 2)" -v d="$(time_of "$duck_name" 2)" 'BEGIN { printf "%.1f", o / d }')x," \
		"CPU $(awk -v o="$(time_of "$ours_name" 3)" -v os="$(time_of "$ours_name" 4)" -v d="$(time_of "$duck_name" 3)" -v ds="$(time_of "$duck_name" 4)" 'BEGIN { printf "%.1f", (o + os) / (d + ds) }')x," \
		"peak RSS $(awk -v o="$(time_of "$ours_name" 5)" -v d="$(time_of "$duck_name" 5)" 'BEGIN { printf "%.1f", o / d }')x"
fi
if [ -n "$plain_ratio" ]; then
	echo "plain-opa/ours (all targets, end to end; ours = run --formats json,parquet from CSV): ${plain_ratio}x faster (target >= 50x, issue 20)"
	echo "plain-opa/ours from Parquet (same, ours reading the Parquet sample): ${plain_ratio_pq}x faster"
	echo "ours/plain-opa: $(awk -v p="$T_plain_opa" -v o="$T_baseline_ours" 'BEGIN { printf "%.3f", o / p }')"
fi
rm -rf "$OUT/old" # earlier runs' folders (run_case), once nothing is timed any more
