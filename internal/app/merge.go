package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
)

// mergeInput is what a merge needs besides the shard outputs: the snapshot
// and policies the shards used (checked against their digests), and
// optional overrides of the shards' formats and language.
type mergeInput struct {
	runID   string
	count   int
	snap    *snapshot.Snapshot
	pol     *checker.Policies
	workers int
	engine  checker.Engine
	formats []string // nil: the shards' formats
	lang    string   // "": the shards' language
	log     zerolog.Logger
	// heapAbort is the evaluation's heap ceiling (heapAbortBytes; 0: none),
	// taken by the caller: a run's last shard merges while its members are
	// still mapped, and the soft limit lowered for them (limitBeside).
	heapAbort uint64
}

// mergeResult is what mergeRun did.
type mergeResult struct {
	Dir    string         // the run folder's URL
	Counts map[string]int // results per status of the merged run (as published, when Done)
	Done   bool           // the run was already merged and published: nothing written
}

// mergeRun merges the shard outputs of m.runID and publishes the run
// folder, then moves latest.json. It is idempotent: when the run is already
// merged and published (see publishedMerge) it writes nothing and returns
// the published report's counts. Missing shard outputs give a
// *MissingShardsError, foreign ones a *ShardMismatchError.
func mergeRun(ctx context.Context, b storage.Bucket, out string, m *mergeInput) (*mergeResult, error) {
	_, asOf := snapIdent(m.snap)
	done, err := publishedMerge(ctx, b, out, m)
	if err != nil || done != nil {
		return done, err
	}
	parts, err := readShards(ctx, b, m)
	if err != nil {
		return nil, err
	}
	set := parts[0].Settings
	opts := []checker.Option{checker.WithWorkers(m.workers), checker.WithLogger(m.log), checker.WithEngine(m.engine),
		checker.WithHeapAbort(m.heapAbort)}
	if d, err := time.ParseDuration(set.EvalTimeout); err == nil && d > 0 {
		opts = append(opts, checker.WithEvalTimeout(d))
	}
	opts = append(opts, checker.WithMaxViolations(set.MaxViolations, set.MaxTargetViolations))
	var params map[string]any
	if len(set.Params) > 0 && !bytes.Equal(set.Params, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(set.Params))
		dec.UseNumber()
		var p map[string]any
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("decode the shards' params: %w", err)
		}
		opts = append(opts, checker.WithParams(p))
		params = p
	}
	if set.Waivers != nil {
		opts = append(opts, checker.WithWaivers(set.Waivers, asOf))
	}
	m.log.Debug().Uint64("heap_ceiling_bytes", m.heapAbort).Msg("merging")
	upper, err := evaluate(ctx, m.pol, m.snap, append(slices.Clone(opts), checker.WithScopes(upperScopes()...))...)
	if err != nil {
		return nil, fmt.Errorf("evaluate province and district targets: %w", err)
	}
	waivers := []checker.WaiverReport{upper.Waivers}
	results := [][]checker.Result{upper.Results}
	var strays []checker.Result
	var strayWaivers *checker.WaiverReport
	if m.count > 1 { // one shard evaluates every subject of the lower scopes
		strays, strayWaivers, err = strayResults(ctx, m.snap, m.pol, opts, set.Waivers, asOf)
		if err != nil {
			return nil, err
		}
	}
	if strayWaivers != nil {
		m.log.Info().Int("results", len(strays)).Msg("evaluated the subjects outside every commune")
		waivers, results = append(waivers, *strayWaivers), append(results, strays)
	}
	started := parts[0].StartedAt
	for _, p := range parts {
		waivers = append(waivers, p.Waivers)
		results = append(results, p.Results)
		if p.StartedAt.Before(started) {
			started = p.StartedAt
		}
	}
	outcome := mergeOutcomes(upper.Targets, waivers, results)
	formats, lang := set.Formats, set.Lang
	if m.formats != nil {
		formats = m.formats
	}
	if m.lang != "" {
		lang = m.lang
	}
	in := publishInput{runID: m.runID, started: started, snap: m.snap, polSHA: m.pol.SHA256(), outcome: outcome,
		shards: m.count, formats: formats, lang: lang, goals: goals(params), overwrite: true, log: m.log}
	// Counted before publishing: the report then owns the results array
	// (report.Inputs.GiveResults) and reorders it.
	counts := countStatuses(outcome.Results)
	url, err := publish(ctx, b, out, in)
	if err != nil {
		return nil, err
	}
	m.log.Info().Str("report", url).Int("shards", m.count).Interface("counts", counts).Msg("shards merged and published")
	return &mergeResult{Dir: url, Counts: counts}, nil
}

// publishedMerge returns the result of run m.runID when it is already
// merged and published (see alreadyMerged), with the counts of the
// published report; nil when it is not. A published run made from another
// snapshot or with other policies than m's is refused (a *ConfigError on
// run-id around a *report.RunExistsError): it is never rewritten, and its
// counts are not this command's.
func publishedMerge(ctx context.Context, b storage.Bucket, out string, m *mergeInput) (*mergeResult, error) {
	name, asOf := snapIdent(m.snap)
	dir := runDir(name, asOf, m.runID)
	done, err := alreadyMerged(ctx, b, name, asOf, dir, m.runID)
	if err != nil || !done {
		return nil, err
	}
	data, err := b.Read(ctx, path.Join(dir, report.JSONName))
	if err != nil {
		return nil, fmt.Errorf("read the published report: %w", err)
	}
	rep, err := report.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("read the published report %s: %w", dir, err)
	}
	var reason string
	switch {
	case rep.Run.Snapshot.SHA256 != m.snap.SHA256:
		reason = fmt.Sprintf("made from another snapshot (sha256 %s, not %s)", rep.Run.Snapshot.SHA256, m.snap.SHA256)
	case rep.Run.Policies.SHA256 != m.pol.SHA256():
		reason = fmt.Sprintf("made with other policies (sha256 %s, not %s)", rep.Run.Policies.SHA256, m.pol.SHA256())
	}
	if reason != "" {
		return nil, &ConfigError{Setting: "run-id", Err: &report.RunExistsError{Dir: dir, Reason: reason}}
	}
	url := strings.TrimSuffix(out, "/") + "/" + dir
	counts := reportCounts(rep)
	m.log.Info().Str("report", url).Interface("counts", counts).Msg("run already merged and published: nothing to do")
	return &mergeResult{Dir: url, Counts: counts, Done: true}, nil
}

// reportCounts returns the results per status of a published report, as
// countStatuses counts them.
func reportCounts(r *report.Report) map[string]int {
	s := r.Summary
	return map[string]int{"pass": s.Pass, "fail": s.Fail, "waived": s.Waived, "skipped": s.Skipped,
		"error": s.Error, "not_evaluated": s.NotEvaluated}
}

// alreadyMerged reports whether the run folder dir of runID is published:
// latest.json points at it, or its manifest is written and latest.json
// points at a newer run.
func alreadyMerged(ctx context.Context, b storage.Bucket, name, asOf, dir, runID string) (bool, error) {
	data, err := b.Read(ctx, report.LatestKey(name))
	if errors.Is(err, storage.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read latest.json: %w", err)
	}
	var l report.Latest
	if err := json.Unmarshal(data, &l); err != nil {
		return false, fmt.Errorf("read latest.json: %w", err)
	}
	if l.RunID == runID && l.Path == dir {
		return true, nil
	}
	mj, err := b.Read(ctx, path.Join(dir, report.ManifestName))
	if errors.Is(err, storage.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the run's manifest: %w", err)
	}
	var man report.Manifest
	if err := json.Unmarshal(mj, &man); err != nil {
		return false, nil // a damaged manifest: publish again
	}
	if l.AsOf != asOf {
		return l.AsOf > asOf, nil
	}
	lt, err1 := time.Parse(time.RFC3339, l.FinishedAt)
	mt, err2 := time.Parse(time.RFC3339, man.FinishedAt)
	return err1 == nil && err2 == nil && lt.After(mt), nil
}

// readShards reads every shard output of the run and checks that they
// belong together and to m's snapshot and policies.
func readShards(ctx context.Context, b storage.Bucket, m *mergeInput) ([]shardOutput, error) {
	name, asOf := snapIdent(m.snap)
	parts := make([]shardOutput, 0, m.count)
	var missing []int
	for i := range m.count {
		key := shardKey(name, asOf, m.runID, i, m.count)
		data, err := b.Read(ctx, key)
		if errors.Is(err, storage.ErrNotExist) {
			missing = append(missing, i)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read shard output %q: %w", key, err)
		}
		sop, err := decodeShard(data)
		if err != nil {
			return nil, &ShardMismatchError{Key: key, Reason: fmt.Sprintf("not a shard output: %v", err)}
		}
		so := *sop
		bad := func(format string, args ...any) error {
			return &ShardMismatchError{Key: key, Reason: fmt.Sprintf(format, args...)}
		}
		switch {
		case so.Kind != "ShardOutput":
			return nil, bad("kind %q, want ShardOutput", so.Kind)
		case so.RunID != m.runID || so.Index != i || so.Count != m.count:
			return nil, bad("holds shard %d of %d of run %q, want %d of %d of run %q", so.Index, so.Count, so.RunID, i, m.count, m.runID)
		case so.SnapshotSHA256 != m.snap.SHA256:
			return nil, bad("made from another snapshot (sha256 %s, not %s)", so.SnapshotSHA256, m.snap.SHA256)
		case so.PoliciesSHA256 != m.pol.SHA256():
			return nil, bad("made with other policies (sha256 %s, not %s)", so.PoliciesSHA256, m.pol.SHA256())
		case len(parts) > 0 && !equalJSON(so.Settings, parts[0].Settings):
			return nil, bad("made with other params, waivers or report settings than shard %d", parts[0].Index)
		}
		parts = append(parts, so)
	}
	if len(missing) > 0 {
		return nil, &MissingShardsError{RunID: m.runID, Count: m.count, Missing: missing}
	}
	return parts, nil
}

// merge is `vungmanh merge`: it merges the shard outputs of a run by hand
// (or again, when the shard that took the merge lock cannot finish). It
// behaves as run does: settings from flags, VUNGMANH_ variables and the
// --config file; JSON logs with severity; one summary line at the end, also
// in the termination log.
func (a *app) merge(cmd *cobra.Command, o *mergeOptions) error {
	return a.operate(cmd, operation{ops: &o.ops, runID: &o.runID,
		validate: o.validate, body: func(ctx context.Context, log zerolog.Logger, sum *summary) error {
			if o.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, o.timeout)
				defer cancel()
			}
			log.Info().Str("snapshot", o.snapshot).Str("out", o.out).Str("version", Version).
				Int("shard_count", o.shardCount).Msg("merge started")
			res, err := mergeCommandRun(ctx, cmd, o, log)
			if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("merge stopped (%w): %v", ctx.Err(), err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Dir)
			sum.Counts, sum.Report = res.Counts, res.Dir
			return failOn(o.failOn, res.Counts)
		}})
}

// mergeCommandRun loads what merge needs and merges.
func mergeCommandRun(ctx context.Context, cmd *cobra.Command, o *mergeOptions, log zerolog.Logger) (*mergeResult, error) {
	pol, err := loadPolicies(ctx, o.policies)
	if err != nil {
		return nil, err
	}
	snap, err := loadSnapshot(ctx, o.snapshot)
	if err != nil {
		return nil, err
	}
	defer snap.Release()
	b, err := storage.Open(ctx, o.out)
	if err != nil {
		return nil, fmt.Errorf("open --out %q: %w", o.out, err)
	}
	defer b.Close()
	m := &mergeInput{runID: o.runID, count: o.shardCount, snap: snap, pol: pol, workers: o.workers, engine: o.engine, log: log,
		heapAbort: heapAbortBytes()}
	if cmd.Flags().Changed("formats") {
		m.formats = o.formats
	}
	if cmd.Flags().Changed("lang") {
		m.lang = o.lang
	}
	return mergeRun(ctx, b, o.out, m)
}
