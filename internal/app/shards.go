package app

import (
	"cmp"
	"context"
	"encoding/json"
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

// shardOutput is what one shard of a sharded run writes:
// <out>/<name>/shards/<as_of>/<run_id>/shard-<i>-of-<n>.json. The merge
// concatenates the results of every shard and builds the report exactly as
// one unsharded run would (roll-ups and inventory are pure functions of the
// snapshot and the results).
type shardOutput struct {
	APIVersion     string               `json:"apiVersion"`
	Kind           string               `json:"kind"` // ShardOutput
	RunID          string               `json:"run_id"`
	Index          int                  `json:"index"`
	Count          int                  `json:"count"`
	StartedAt      time.Time            `json:"started_at"`
	SnapshotSHA256 string               `json:"snapshot_sha256"`
	PoliciesSHA256 string               `json:"policies_sha256"`
	Targets        []checker.Target     `json:"targets"`
	Results        []checker.Result     `json:"results"`
	Waivers        checker.WaiverReport `json:"waivers"`
}

func shardDir(snap *snapshot.Snapshot, runID string) string {
	return path.Join(snap.Manifest.Name, "shards", snap.Manifest.AsOf, runID)
}

func shardKey(snap *snapshot.Snapshot, runID string, index, count int) string {
	return path.Join(shardDir(snap, runID), fmt.Sprintf("shard-%d-of-%d.json", index, count))
}

// publishShard writes this shard's output; when every shard of the run has
// written its own, it merges them and publishes the run folder (the shard
// that completes the set does the merge). It returns the run folder when it
// merged, else the shard file.
func publishShard(ctx context.Context, b storage.Bucket, out string, index int, in publishInput, log zerolog.Logger) (string, error) {
	so := shardOutput{APIVersion: report.APIVersion, Kind: "ShardOutput", RunID: in.runID, Index: index, Count: in.shards,
		StartedAt: in.started.UTC(), SnapshotSHA256: in.snap.SHA256, PoliciesSHA256: in.polSHA,
		Targets: in.outcome.Targets, Results: in.outcome.Results, Waivers: in.outcome.Waivers}
	data, err := json.Marshal(so)
	if err != nil {
		return "", fmt.Errorf("encode shard output: %w", err)
	}
	key := shardKey(in.snap, in.runID, index, in.shards)
	if err := b.Create(ctx, key, data, true); err != nil {
		return "", fmt.Errorf("write shard output %q: %w", key, err)
	}
	log.Info().Str("shard_output", key).Msg("shard output written")
	dir, merged, err := mergeShards(ctx, b, out, in, false)
	if err != nil {
		return "", err
	}
	if !merged {
		return strings.TrimSuffix(out, "/") + "/" + key, nil
	}
	log.Info().Str("report", dir).Msg("all shards done: merged and published")
	return dir, nil
}

// mergeShards reads the shard outputs of in.runID. When all in.shards of
// them are there it publishes the merged run folder and returns it with
// true; when some are missing it returns false, or an error when
// mustComplete.
func mergeShards(ctx context.Context, b storage.Bucket, out string, in publishInput, mustComplete bool) (string, bool, error) {
	var parts []shardOutput
	for i := range in.shards {
		key := shardKey(in.snap, in.runID, i, in.shards)
		data, err := b.Read(ctx, key)
		if err != nil {
			if ctx.Err() != nil {
				return "", false, fmt.Errorf("read shard output %q: %w", key, ctx.Err())
			}
			if !mustComplete {
				return "", false, nil
			}
			return "", false, fmt.Errorf("read shard output %q: %w", key, err)
		}
		var so shardOutput
		if err := json.Unmarshal(data, &so); err != nil {
			return "", false, fmt.Errorf("decode shard output %q: %w", key, err)
		}
		if so.SnapshotSHA256 != in.snap.SHA256 {
			return "", false, fmt.Errorf("shard output %q was made from another snapshot (sha256 %s, not %s)", key, so.SnapshotSHA256, in.snap.SHA256)
		}
		parts = append(parts, so)
	}
	merged := mergeOutcomes(parts)
	for _, p := range parts[1:] {
		if p.PoliciesSHA256 != parts[0].PoliciesSHA256 {
			return "", false, fmt.Errorf("shards %d and %d used different policies", parts[0].Index, p.Index)
		}
	}
	in.outcome = merged
	in.polSHA = parts[0].PoliciesSHA256
	in.started = parts[0].StartedAt
	for _, p := range parts {
		if p.StartedAt.Before(in.started) {
			in.started = p.StartedAt
		}
	}
	dir, err := publish(ctx, b, out, in)
	if err != nil {
		return "", false, err
	}
	return dir, true, nil
}

// mergeOutcomes concatenates the shards' results in the checker's order
// (target id, then subject id) and merges their waiver reports: applied
// counts add up, an expired waiver is listed once, and a waiver is unused
// only when no shard used it.
func mergeOutcomes(parts []shardOutput) *checker.Outcome {
	out := &checker.Outcome{Targets: parts[0].Targets}
	unusedIn := map[checker.Waiver]int{}
	expired := map[checker.Waiver]bool{}
	for _, p := range parts {
		out.Results = append(out.Results, p.Results...)
		out.Waivers.Applied += p.Waivers.Applied
		for _, w := range p.Waivers.Expired {
			if !expired[w] {
				expired[w] = true
				out.Waivers.Expired = append(out.Waivers.Expired, w)
			}
		}
		for _, w := range p.Waivers.Unused {
			unusedIn[w]++
		}
	}
	for _, w := range parts[0].Waivers.Unused {
		if unusedIn[w] == len(parts) {
			out.Waivers.Unused = append(out.Waivers.Unused, w)
		}
	}
	slices.SortStableFunc(out.Results, func(a, b checker.Result) int {
		return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.Subject, b.Subject))
	})
	return out
}

// merge is `vungmanh merge`: it publishes the run folder of a sharded run
// whose shards have all written their output.
func (a *app) merge(cmd *cobra.Command, o mergeOptions) error {
	ctx := cmd.Context()
	if o.snapshot == "" {
		return configErrorf("snapshot", "--snapshot is required (the snapshot the shards evaluated)")
	}
	snap, err := loadSnapshot(ctx, o.snapshot)
	if err != nil {
		return err
	}
	defer snap.Release()
	b, err := storage.Open(ctx, o.out)
	if err != nil {
		return fmt.Errorf("open --out %q: %w", o.out, err)
	}
	defer b.Close()
	in := publishInput{runID: o.runID, snap: snap, shards: o.shardCount, formats: o.formats, lang: o.lang, overwrite: true}
	dir, _, err := mergeShards(ctx, b, o.out, in, true)
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), dir)
	return nil
}
