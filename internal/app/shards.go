package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/hierarchy"
	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
)

// Sharded runs (issue 9). A shard of run R evaluates the communes that
// checker.WithShard assigns to it (the rule is internal/hierarchy's), with every subject below them, for the
// targets of the lower scopes, and writes
//
//	<name>/runs/<as_of>/<R>/shards/<I>-of-<N>/shard.json.gz
//
// under a does-not-exist precondition (the same shard retried may replace
// its own output). The shard that then finds all N outputs takes
// <name>/runs/<as_of>/<R>/shards/merge.lock (create-if-absent) and merges:
// it evaluates the province and district targets once, combines the
// results and waiver reports, and publishes the run folder as one
// unsharded run would, then moves latest.json (see mergeRun).

// upperScopes are the scopes no shard evaluates (the levels above the
// communes: province, district): the merge does, once.
func upperScopes() []string {
	var s []string
	for _, l := range snapshot.Levels() {
		if hierarchy.AboveCommunes(l) {
			s = append(s, string(l))
		}
	}
	return s
}

// lowerScopes are the scopes a shard evaluates (under its communes).
func lowerScopes() []string {
	var s []string
	for _, sc := range checker.Scopes() {
		if !hierarchy.AboveCommunes(snapshot.Level(sc)) {
			s = append(s, sc)
		}
	}
	return s
}

// shardOutput is shard.json.gz (gzipped JSON: about 17 times smaller): one
// shard's results and everything the merge
// needs to finish the run as the shards started it.
type shardOutput struct {
	APIVersion     string    `json:"apiVersion"`
	Kind           string    `json:"kind"` // ShardOutput
	RunID          string    `json:"run_id"`
	Index          int       `json:"index"`
	Count          int       `json:"count"`
	StartedAt      time.Time `json:"started_at"`
	FinishedAt     time.Time `json:"finished_at"`
	SnapshotName   string    `json:"snapshot_name"`
	AsOf           string    `json:"as_of"`
	SnapshotSHA256 string    `json:"snapshot_sha256"`
	PoliciesSHA256 string    `json:"policies_sha256"`
	// The settings the merge evaluates the upper scopes and renders with.
	Settings shardSettings `json:"settings"`
	// The checker's outcome for this shard's subjects.
	Targets []checker.Target     `json:"targets"`
	Results []checker.Result     `json:"results"`
	Waivers checker.WaiverReport `json:"waivers"`
}

// shardSettings are the run settings that must be the same in every shard
// and that the merge reuses.
type shardSettings struct {
	Params      json.RawMessage  `json:"params"` // the parsed --params, as JSON (null when unset)
	Waivers     []checker.Waiver `json:"waivers"`
	EvalTimeout string           `json:"eval_timeout"`
	Formats     []string         `json:"formats"`
	Lang        string           `json:"lang"`

	// The caps of --max-violations and --max-target-violations (0 in the
	// output of an older shard: the defaults).
	MaxViolations       int `json:"max_violations,omitempty"`
	MaxTargetViolations int `json:"max_target_violations,omitempty"`
}

// runDir is the run folder's key: <name>/runs/<as_of>/<run_id>.
func runDir(name, asOf, runID string) string { return path.Join(name, "runs", asOf, runID) }

// shardsDir is the folder of a run's shard outputs.
func shardsDir(name, asOf, runID string) string {
	return path.Join(runDir(name, asOf, runID), "shards")
}

// shardKey is the key of shard index's output among count.
func shardKey(name, asOf, runID string, index, count int) string {
	return path.Join(shardsDir(name, asOf, runID), fmt.Sprintf("%d-of-%d", index, count), shardFile)
}

// shardFile is the name of a shard's output in its folder.
const shardFile = "shard.json.gz"

// encodeShard returns the bytes of shard.json.gz.
func encodeShard(so *shardOutput) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(so); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeShard parses shard.json.gz.
func decodeShard(data []byte) (*shardOutput, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var so shardOutput
	dec := json.NewDecoder(zr)
	if err := dec.Decode(&so); err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, zr); err != nil { // checks the gzip trailer
		return nil, err
	}
	return &so, nil
}

// mergeLockKey is the lock object the merging shard creates.
func mergeLockKey(name, asOf, runID string) string {
	return path.Join(shardsDir(name, asOf, runID), "merge.lock")
}

// mergeLock is the content of merge.lock.
type mergeLock struct {
	RunID   string    `json:"run_id"`
	Index   int       `json:"index"` // the shard that took it
	Count   int       `json:"count"`
	TakenAt time.Time `json:"taken_at"`
}

// MissingShardsError says that some shard outputs of a run are not there
// (yet): a retry may bring them, so the exit code is 1.
type MissingShardsError struct {
	RunID   string
	Count   int
	Missing []int
}

func (e *MissingShardsError) Error() string {
	idx := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		idx[i] = fmt.Sprint(m)
	}
	return fmt.Sprintf("run %s: shard output missing for index %s of %d", e.RunID, strings.Join(idx, ", "), e.Count)
}

// ShardMismatchError says that a shard output does not belong with the
// others: another snapshot, other policies or other settings. Rerunning the
// shard with the run's settings replaces it, so the exit code is 1.
type ShardMismatchError struct {
	Key    string
	Reason string
}

func (e *ShardMismatchError) Error() string {
	return fmt.Sprintf("shard output %s: %s", e.Key, e.Reason)
}

// writeShard writes a shard's output with a does-not-exist precondition;
// an existing output of the same run and index (this shard retried) is
// replaced, anything else at that key is an error.
func writeShard(ctx context.Context, b storage.Bucket, so *shardOutput) (string, error) {
	key := shardKey(so.SnapshotName, so.AsOf, so.RunID, so.Index, so.Count)
	data, err := encodeShard(so)
	if err != nil {
		return "", fmt.Errorf("encode shard output: %w", err)
	}
	err = b.Create(ctx, key, data, false)
	if errors.Is(err, storage.ErrPrecondition) {
		old, rerr := b.Read(ctx, key)
		if rerr != nil {
			return "", fmt.Errorf("write shard output %q: %w", key, rerr)
		}
		prev, derr := decodeShard(old)
		if derr != nil || prev.Kind != "ShardOutput" || prev.RunID != so.RunID ||
			prev.Index != so.Index || prev.Count != so.Count {
			return "", fmt.Errorf("write shard output %q: another object is there: %w", key, err)
		}
		err = b.Create(ctx, key, data, true) // the same shard, retried
	}
	if err != nil {
		return "", fmt.Errorf("write shard output %q: %w", key, err)
	}
	return key, nil
}

// missingShards lists the indexes among count whose output is not in the
// bucket.
func missingShards(ctx context.Context, b storage.Bucket, name, asOf, runID string, count int) ([]int, error) {
	dir := shardsDir(name, asOf, runID) + "/"
	keys, err := b.List(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("list shard outputs: %w", err)
	}
	var missing []int
	for i := range count {
		if _, found := slices.BinarySearch(keys, shardKey(name, asOf, runID, i, count)); !found {
			missing = append(missing, i)
		}
	}
	return missing, nil
}

// takeMergeLock creates merge.lock for shard index. It returns true when
// this shard may merge: it created the lock, or the lock names this very
// index (an earlier attempt of this shard took it and died).
func takeMergeLock(ctx context.Context, b storage.Bucket, name, asOf, runID string, index, count int, log zerolog.Logger) (bool, error) {
	key := mergeLockKey(name, asOf, runID)
	data, err := json.Marshal(mergeLock{RunID: runID, Index: index, Count: count, TakenAt: time.Now().UTC()})
	if err != nil {
		return false, fmt.Errorf("encode merge lock: %w", err)
	}
	err = b.Create(ctx, key, data, false)
	if err == nil {
		log.Info().Str("lock", key).Msg("merge lock taken")
		return true, nil
	}
	if !errors.Is(err, storage.ErrPrecondition) {
		return false, fmt.Errorf("take merge lock %q: %w", key, err)
	}
	cur, err := b.Read(ctx, key)
	if err != nil {
		return false, fmt.Errorf("read merge lock %q: %w", key, err)
	}
	var l mergeLock
	if err := json.Unmarshal(cur, &l); err != nil {
		return false, fmt.Errorf("read merge lock %q: %w", key, err)
	}
	if l.Index == index {
		log.Info().Str("lock", key).Time("taken_at", l.TakenAt).Msg("merge lock held by an earlier attempt of this shard: merging again")
		return true, nil
	}
	log.Info().Str("lock", key).Int("merging_shard", l.Index).Msg("another shard merges this run")
	return false, nil
}

// shardResult is what a shard's run returns.
type shardResult struct {
	Key    string       // the shard output's key
	Merged *mergeResult // non-nil when this shard merged (or found the run merged)
}

// runShard writes this shard's output and, when every shard of the run is
// there and the merge lock is this shard's, merges and publishes.
//
// When the run is already merged and published (a shard rerun after the
// merge) it writes nothing and returns the published run (see
// publishedMerge): its counts, not this shard's, decide the exit code.
func runShard(ctx context.Context, b storage.Bucket, out string, so *shardOutput, m *mergeInput, log zerolog.Logger) (*shardResult, error) {
	if done, err := publishedMerge(ctx, b, out, m); err != nil || done != nil {
		if done == nil {
			return nil, err
		}
		return &shardResult{Merged: done}, nil
	}
	key, err := writeShard(ctx, b, so)
	if err != nil {
		return nil, err
	}
	log.Info().Str("shard_output", key).Int("results", len(so.Results)).Msg("shard output written")
	res := &shardResult{Key: key}
	missing, err := missingShards(ctx, b, so.SnapshotName, so.AsOf, so.RunID, so.Count)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		log.Info().Ints("missing_shards", missing).Msg("not every shard is done: the last one merges")
		return res, nil
	}
	mine, err := takeMergeLock(ctx, b, so.SnapshotName, so.AsOf, so.RunID, so.Index, so.Count, log)
	if err != nil || !mine {
		return res, err
	}
	mr, err := mergeRun(ctx, b, out, m)
	if err != nil {
		return nil, err
	}
	res.Merged = mr
	return res, nil
}

// equalJSON reports whether two values encode to the same JSON.
func equalJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// mergeOutcomes combines the outcomes of the shards and of the merge's own
// evaluation of the upper scopes: results in the checker's order (target
// id, then subject id), applied waivers added up, each expired waiver
// listed once, and a waiver unused only when no part used it.
func mergeOutcomes(targets []checker.Target, parts []checker.WaiverReport, results [][]checker.Result) *checker.Outcome {
	out := &checker.Outcome{Targets: targets, Waivers: checker.WaiverReport{Expired: []checker.Waiver{}, Unused: []checker.Waiver{}}}
	n := 0
	for _, r := range results {
		n += len(r)
	}
	out.Results = make([]checker.Result, 0, n)
	for _, r := range results {
		out.Results = append(out.Results, r...)
	}
	checker.SortResults(out.Results)
	unusedIn := map[checker.Waiver]int{}
	expired := map[checker.Waiver]bool{}
	for _, p := range parts {
		out.Waivers.Applied += p.Applied
		for _, w := range p.Expired {
			if !expired[w] {
				expired[w] = true
				out.Waivers.Expired = append(out.Waivers.Expired, w)
			}
		}
		for _, w := range p.Unused {
			unusedIn[w]++
		}
	}
	if len(parts) > 0 {
		for _, w := range parts[0].Unused {
			if unusedIn[w] == len(parts) {
				out.Waivers.Unused = append(out.Waivers.Unused, w)
			}
		}
	}
	return out
}

// snapIdent returns the snapshot's name and as-of date, which place its
// run folders.
func snapIdent(snap *snapshot.Snapshot) (name, asOf string) {
	return snap.Manifest.Name, snap.Manifest.AsOf
}

// shardRun is what the run pipeline hands to publishShard.
type shardRun struct {
	runID   string
	snap    *snapshot.Snapshot
	pol     *checker.Policies
	params  map[string]any
	waivers []checker.Waiver
	outcome *checker.Outcome
	// heapAbort is the run's evaluation heap ceiling, for the merge.
	heapAbort uint64
}

// publishShard is the end of `run --shard-count N`: write the shard output,
// and merge when this shard completes the set.
func publishShard(ctx context.Context, b storage.Bucket, rc *runContext, r shardRun) (*runOutcome, error) {
	s := rc.s
	params, err := json.Marshal(r.params)
	if err != nil {
		return nil, fmt.Errorf("encode params: %w", err)
	}
	name, asOf := snapIdent(r.snap)
	so := &shardOutput{APIVersion: report.APIVersion, Kind: "ShardOutput", RunID: r.runID,
		Index: s.ShardIndex, Count: s.ShardCount, StartedAt: rc.started.UTC(), FinishedAt: time.Now().UTC(),
		SnapshotName: name, AsOf: asOf, SnapshotSHA256: r.snap.SHA256, PoliciesSHA256: r.pol.SHA256(),
		Settings: shardSettings{Params: params, Waivers: r.waivers, EvalTimeout: s.EvalTimeout.String(),
			MaxViolations: s.MaxViolations, MaxTargetViolations: s.MaxTargetViol,
			Formats: s.Formats, Lang: s.Lang},
		Targets: r.outcome.Targets, Results: r.outcome.Results, Waivers: r.outcome.Waivers}
	m := &mergeInput{runID: r.runID, count: s.ShardCount, snap: r.snap, pol: r.pol, workers: s.Workers, engine: s.engine, log: rc.log,
		heapAbort: r.heapAbort}
	res, err := runShard(ctx, b, s.Out, so, m, rc.log)
	if err != nil {
		return nil, err
	}
	if res.Merged != nil { // merged now, or earlier: the published run's counts
		return &runOutcome{RunID: r.runID, Counts: res.Merged.Counts, Report: res.Merged.Dir}, nil
	}
	return &runOutcome{RunID: r.runID, Counts: countStatuses(r.outcome.Results),
		Report: strings.TrimSuffix(s.Out, "/") + "/" + res.Key, Partial: true}, nil
}
