package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"sort"
	"time"

	"github.com/rs/zerolog"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/offheap"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/loaders"
)

// runPipeline is `vungmanh run` once its settings are valid:
//
//  1. read --params and --waivers (a problem is exit code 2);
//  2. compile the policies (PolicyErrors: exit code 2) while
//  3. loading the snapshot (FatalError, TooManyBadRowsError: exit code 3);
//     a policy error wins over a load error and cancels the load;
//  4. evaluate every target (this shard's subjects with --shard-count);
//  5. build the report and publish the run folder, then latest.json.
//
// Every stage takes ctx: a signal stops it, and nothing after it runs.
func runPipeline(ctx context.Context, rc *runContext) (*runOutcome, error) {
	s, log := rc.s, rc.log
	paramsFile, err := readParamsFile(ctx, s.Params)
	if err != nil {
		return nil, err
	}
	var params map[string]any
	if paramsFile != nil {
		params = paramsFile.val
	}
	waivers, err := readWaivers(ctx, s.Waivers)
	if err != nil {
		return nil, err
	}
	limit, err := loaders.ParseLimit(s.MaxBadRows)
	if err != nil {
		return nil, configErrorf("max-bad-rows", "--max-bad-rows %q: %v", s.MaxBadRows, err)
	}

	// The policies compile while the snapshot loads (both take CPU, and
	// neither needs the other); a policy error still wins over any error
	// after it (exit code 2), and stops the load.
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	polDone := make(chan struct{})
	var pol *checker.Policies
	var polErr error
	var polSeconds float64
	go func() {
		defer close(polDone)
		t0 := time.Now()
		pol, polErr = loadPolicies(ctx, s.Policies)
		polSeconds = time.Since(t0).Seconds()
		if polErr == nil {
			// A key of --params that its target does not declare, or a
			// value of the wrong type, is a setting error (exit code 2);
			// parameters for a target the policies do not have are only
			// logged (warnUnknownParams).
			_, polErr = checkParams(paramsFile, pol)
		}
		if polErr != nil {
			stopLoad()
		}
	}()
	policies := func() error {
		<-polDone
		if polErr != nil {
			return polErr
		}
		log.Info().Str("policies", orBuiltin(s.Policies)).Int("targets", len(pol.Targets())).
			Str("policies_sha256", pol.SHA256()).Float64("seconds", polSeconds).Msg("policies compiled")
		return nil
	}
	b, err := storage.Open(ctx, s.Out)
	if err != nil {
		if perr := policies(); perr != nil {
			return nil, perr
		}
		if loc, perr := storage.ParseURL(s.Out); perr != nil || !loc.IsGCS() {
			// A local folder that cannot be created or written, or a URL
			// that names none: retrying will not help (exit code 2).
			return nil, configErrorf("out", "--out %q: %v", s.Out, err)
		}
		return nil, fmt.Errorf("open --out %q: %w", s.Out, err)
	}
	defer b.Close()

	loadStart := time.Now()
	loadBar := rc.progress.start("loading snapshot", -1)
	maxInflate, _ := parseMaxDecompressed(s.MaxDecompress) // checked with the settings
	// The evaluation's heap ceiling follows the soft limit as set for the
	// run, not as lowered while the members are mapped (limitBeside).
	heapAbort := heapAbortBytes()
	// The members' columns live outside the Go heap (internal/offheap): the
	// collector would let them count twice towards the peak, and their
	// release after indexing gives the memory back at once.
	members := newMembersAllocator()
	defer limitBeside(members)()
	snap, err := loadSnapshot(loadCtx, s.Snapshot,
		loaders.WithMembersAllocator(members),
		loaders.WithMaxBadRows(limit),
		loaders.WithMaxDecompressed(maxInflate),
		loaders.WithProgress(func(snapshot.Table, int) { loadBar.tick() }))
	loadBar.finish()
	if perr := policies(); perr != nil {
		if err == nil {
			snap.Release()
		}
		return nil, perr
	}
	if err != nil {
		if exitCode(err) == ExitData {
			// The people who prepare the export see why in a run folder
			// of its own; latest.json stays where it was.
			if dir, perr := publishStopped(ctx, rc, b, pol.SHA256(), err); perr != nil {
				log.Warn().Err(perr).Msg("the data-quality report of the stopped run was not published")
			} else if dir != "" {
				log.Info().Str("report", dir).Msg("published the data-quality report of the stopped run (latest.json not moved)")
			}
		}
		return nil, err
	}
	defer snap.Release()
	logSnapshot(rc, snap, time.Since(loadStart))

	runID := s.RunID
	if runID == "" {
		runID = defaultRunID(rc, snap.SHA256, pol.SHA256())
	}
	rc.setRunID(runID)

	evalStart := time.Now()
	evalBar := rc.progress.start("evaluating", 0)
	opts := []checker.Option{
		checker.WithWorkers(s.Workers),
		checker.WithEvalTimeout(s.EvalTimeout),
		checker.WithMaxViolations(s.MaxViolations, s.MaxTargetViol),
		checker.WithLogger(log),
		checker.WithProgress(func(done, total int) { evalBar.set(done, total) }),
		checker.WithEngine(s.engine),
		checker.WithHeapAbort(heapAbort),
	}
	if params != nil {
		opts = append(opts, checker.WithParams(params))
		warnUnknownParams(log, params, pol)
	}
	if waivers != nil {
		opts = append(opts, checker.WithWaivers(waivers, snap.Manifest.AsOf))
	}
	if s.ShardCount > 1 {
		// Province and district targets are evaluated once, at the merge.
		opts = append(opts, checker.WithShard(s.ShardIndex, s.ShardCount), checker.WithScopes(lowerScopes()...))
	}
	var out *checker.Outcome
	var inv *checker.Inventory
	var idx *checker.Index
	log.Debug().Uint64("heap_ceiling_bytes", heapAbort).Int64("members_mapped_bytes", members.Mapped()).Msg("evaluating")
	c, err := checker.New(ctx, pol, opts...)
	switch {
	case err != nil: // a query could not be prepared
	case s.ShardCount > 1:
		out, err = c.Evaluate(ctx, snap)
	default:
		// Index, and let the tables the index no longer reads go as soon
		// as it has read them (ReleaseRead): it keeps its own counts and
		// copies, and members are most of the snapshot's memory (80% at
		// national scale). Once they are read, a collection lets the heap
		// aim at what is left, not at twice the snapshot (national 2.0:
		// bench/RESULTS.md, 2026-12-07 session 3).
		idx, err = checker.Prepare(snap, checker.ReleaseRead(func(t snapshot.Table) {
			if t == snapshot.Members {
				collectLargeHeap()
			}
		}))
		if err == nil {
			// The inventory is taken while the targets are evaluated: both
			// only read the index and the snapshot, and the inventory was a
			// quarter of a second on one core before the evaluation could
			// start (national scale; bench/RESULTS.md, session 7).
			log.Debug().Float64("seconds", time.Since(evalStart).Seconds()).Int64("members_mapped_peak_bytes", members.Peak()).
				Int64("members_mapped_bytes", members.Mapped()).Msg("indexed")
			invDone := make(chan checker.Inventory, 1)
			go func() { invDone <- idx.Inventory(snap) }()
			out, err = c.EvaluateIndex(ctx, idx)
			i := <-invDone
			inv = &i
		}
	}
	evalBar.finish()
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if rc.evaluated != nil {
		rc.evaluated()
	}
	runtime.KeepAlive(idx) // the heap profile (rc.evaluated) shows the index: the peak
	// The index is garbage from here on. Collect it now: the heap's next
	// goal then follows what the report needs (the snapshot's other
	// tables, the results) instead of twice the evaluation's live heap,
	// which building the report would otherwise fill (at national scale
	// up to 3 GB: bench/RESULTS.md). A province's heap is not worth the
	// pause.
	idx = nil
	collectLargeHeap()
	counts := countStatuses(out.Results)
	log.Info().Int("results", len(out.Results)).Interface("counts", counts).
		Float64("seconds", time.Since(evalStart).Seconds()).Msg("evaluated")
	publishStart := time.Now()

	if s.ShardCount > 1 {
		return publishShard(ctx, b, rc, shardRun{runID: runID, snap: snap, pol: pol, params: params, waivers: waivers, outcome: out, heapAbort: heapAbort})
	}
	in := publishInput{runID: runID, started: rc.started, snap: snap, polSHA: pol.SHA256(), outcome: out,
		shards: s.ShardCount, formats: s.Formats, lang: s.Lang, timezone: s.Timezone, goals: goals(params), overwrite: s.RunID != "",
		release: snap.Release, inventory: inv, log: log}
	dir, err := publish(ctx, b, s.Out, in)
	if err != nil {
		return nil, err
	}
	log.Info().Str("report", dir).Float64("seconds", time.Since(publishStart).Seconds()).Msg("published")
	return &runOutcome{RunID: runID, Counts: counts, Report: dir}, nil
}

// newMembersAllocator makes the allocator of a run's members record (the
// package's tests make poisoned ones: a read of the record's memory after
// its release then stops the test binary instead of passing unseen).
var newMembersAllocator = offheap.New

// limitBeside makes the soft memory limit, when one is set, count the
// bytes members maps: it counts the Go runtime's memory alone, so while the
// members are mapped the heap is held to what the limit leaves beside them
// (a quarter of it at least), and the two together stay within it. The
// function returned puts the limit back.
func limitBeside(members *offheap.Allocator) (restore func()) {
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 {
		return func() {}
	}
	members.OnMapped(func(mapped int64) { debug.SetMemoryLimit(max(limit-mapped, limit/4)) })
	return func() { debug.SetMemoryLimit(limit) }
}

// defaultRunID is docs/reports.md's run id:
// <UTC yyyymmddThhmmssZ>-<8 hex of sha256(snapshot+policies)>.
func defaultRunID(rc *runContext, snapSHA, polSHA string) string {
	h := sha256.Sum256([]byte(snapSHA + polSHA))
	return rc.started.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(h[:])[:8]
}

func countStatuses(results []checker.Result) map[string]int {
	return checker.CountResults(results).ByStatus()
}

func logSnapshot(rc *runContext, snap *snapshot.Snapshot, took time.Duration) {
	var fatal, errs, warns int
	for _, f := range snap.Findings {
		switch f.Severity {
		case snapshot.SeverityFatal:
			fatal++
		case snapshot.SeverityError:
			errs++
		default:
			warns++
		}
	}
	rows := map[string]int{}
	for t, st := range snap.Stats {
		rows[string(t)] = st.Rows
	}
	rc.log.Info().Str("snapshot_name", snap.Manifest.Name).Str("as_of", snap.Manifest.AsOf).
		Str("snapshot_sha256", snap.SHA256).Interface("rows", rows).
		Int("dq_errors", errs).Int("dq_warnings", warns).Int("excluded_units", len(snap.ExcludedUnits)).
		Float64("seconds", took.Seconds()).Msg("snapshot loaded")
}

// warnUnknownParams logs a warning for each key of --params that is not the
// id of a target of pol: data.params is read by target id, so its
// parameters are read by nobody (a misspelt id, or a target removed).
func warnUnknownParams(log zerolog.Logger, params map[string]any, pol *checker.Policies) {
	ids := map[string]bool{}
	for _, t := range pol.Targets() {
		ids[t.ID] = true
	}
	var unknown []string
	for k := range params {
		if !ids[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		log.Warn().Str("params_key", k).Msg("--params has parameters for a target the policies do not have: they are not read")
	}
}
