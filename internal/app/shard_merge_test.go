package app

import (
	"context"
	"encoding/json"
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/storage"
)

// TestMergeChecks: a merge refuses missing and mismatched shard outputs with
// errors that name them (exit code 1), retried shards replace their own
// output, the merge lock goes to one shard (or to a retry of the same
// index), and a second merge writes nothing.
func TestMergeChecks(t *testing.T) {
	f := loadShardFixture(t, shardSampleReform)
	name, asOf := snapIdent(f.snap)
	m := &mergeChecks{f: f, name: name, asOf: asOf}
	for _, c := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"missing shards are named", m.missingShards},
		{"mismatches", m.mismatches},
		{"retried shard replaces its output, not another object", m.retriedShard},
		{"merge lock", m.mergeLock},
		{"a dead merge is redone by the retried shard", m.deadMerge},
	} {
		t.Run(c.name, c.run)
	}
}

// mergeChecks are the cases of TestMergeChecks, on one fixture.
type mergeChecks struct {
	f          *shardFixture
	name, asOf string
}

// open is an empty bucket in a folder of its own.
func (m *mergeChecks) open(t *testing.T) storage.Bucket {
	b, err := storage.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// merge merges run "r" of count shards in b.
func (m *mergeChecks) merge(b storage.Bucket, pol *checker.Policies, count int) (*mergeResult, error) {
	return mergeRun(context.Background(), b, "out", &mergeInput{runID: "r", count: count, snap: m.f.snap, pol: pol, workers: 2, log: zerolog.Nop()})
}

// missingShards: a merge with shard outputs missing names them (exit code 1).
func (m *mergeChecks) missingShards(t *testing.T) {
	ctx := context.Background()
	b := m.open(t)
	if _, err := m.f.shard(ctx, b, "out", "r", 1, 4, []string{"json"}); err != nil {
		t.Fatal(err)
	}
	_, err := m.merge(b, m.f.pol, 4)
	var me *MissingShardsError
	if !errors.As(err, &me) {
		t.Fatalf("err %v, want *MissingShardsError", err)
	}
	if diff := cmp.Diff([]int{0, 2, 3}, me.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if exitCode(err) != ExitTransient || !strings.Contains(err.Error(), "index 0, 2, 3 of 4") {
		t.Errorf("exit %d, message %q", exitCode(err), err)
	}
}

// mismatches: a shard output of another snapshot, policies, params or
// run, or at the wrong index, is refused with an error naming it (exit code
// 1), and latest.json does not move.
func (m *mergeChecks) mismatches(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(so *shardOutput)
		want   string
	}{
		{"other snapshot", func(so *shardOutput) { so.SnapshotSHA256 = "00" }, "another snapshot"},
		{"other policies", func(so *shardOutput) { so.PoliciesSHA256 = "00" }, "other policies"},
		{"other params", func(so *shardOutput) { so.Settings.Params = json.RawMessage(`{"TB-04":{"min_size":9}}`) }, "other params"},
		{"other run", func(so *shardOutput) { so.RunID = "q" }, `run "q"`},
		{"wrong index", func(so *shardOutput) { so.Index = 0 }, "holds shard 0 of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := m.open(t)
			if _, err := m.f.shard(ctx, b, "out", "r", 0, 2, []string{"json"}); err != nil {
				t.Fatal(err)
			}
			so := m.f.shardOutput(t, 1, 2)
			tt.change(so)
			data, err := encodeShard(so)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Create(ctx, shardKey(m.name, m.asOf, "r", 1, 2), data, false); err != nil {
				t.Fatal(err)
			}
			_, err = m.merge(b, m.f.pol, 2)
			var me *ShardMismatchError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "1-of-2") {
				t.Fatalf("err %v, want a *ShardMismatchError with %q naming 1-of-2", err, tt.want)
			}
			if exitCode(err) != ExitTransient {
				t.Errorf("exit code %d", exitCode(err))
			}
			if _, ok := readLatestFrom(t, b, m.name); ok {
				t.Error("latest.json moved")
			}
		})
	}
}

// retriedShard: a retried shard replaces its own output, never another object.
func (m *mergeChecks) retriedShard(t *testing.T) {
	ctx := context.Background()
	b := m.open(t)
	key := shardKey(m.name, m.asOf, "r", 0, 2)
	for range 2 {
		if _, err := m.f.shard(ctx, b, "out", "r", 0, 2, []string{"json"}); err != nil {
			t.Fatalf("shard 0 retried: %v", err)
		}
	}
	other := m.open(t)
	if err := other.Create(ctx, key, []byte(`{"kind":"Other"}`), false); err != nil {
		t.Fatal(err)
	}
	if _, err := m.f.shard(ctx, other, "out", "r", 0, 2, []string{"json"}); err == nil || !errors.Is(err, storage.ErrPrecondition) {
		t.Errorf("shard over a foreign object: err %v, want a precondition error", err)
	}
}

// mergeLock: the merge lock goes to one shard, or to a retry of the same index.
func (m *mergeChecks) mergeLock(t *testing.T) {
	ctx := context.Background()
	b := m.open(t)
	log := zerolog.Nop()
	got := []bool{}
	for _, i := range []int{2, 0, 2, 1} {
		ok, err := takeMergeLock(ctx, b, m.name, m.asOf, "r", i, 3, log)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ok)
	}
	if diff := cmp.Diff([]bool{true, false, true, false}, got); diff != "" {
		t.Errorf("lock taken (-want +got):\n%s", diff)
	}
}

// deadMerge: a merge that died is redone by its retried shard, and a
// second merge writes nothing.
func (m *mergeChecks) deadMerge(t *testing.T) {
	ctx := context.Background()
	b := m.open(t)
	// Shard 1 completed the set, took the lock and died before publishing.
	for _, i := range []int{0, 1} {
		if _, err := writeShard(ctx, b, m.f.shardOutput(t, i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := takeMergeLock(ctx, b, m.name, m.asOf, "r", 1, 2, zerolog.Nop()); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	// Shard 0 retried: all present, lock held by 1: it does not merge.
	if o, err := m.f.shard(ctx, b, "out", "r", 0, 2, []string{"json"}); err != nil || !o.Partial {
		t.Fatalf("shard 0: %+v %v", o, err)
	}
	if _, ok := readLatestFrom(t, b, m.name); ok {
		t.Fatal("shard 0 merged although shard 1 holds the lock")
	}
	// Shard 1 retried: takes its lock over and merges.
	o, err := m.f.shard(ctx, b, "out", "r", 1, 2, []string{"json"})
	if err != nil || o.Partial {
		t.Fatalf("shard 1 retried: %+v %v", o, err)
	}
	first, gen1, _ := b.ReadGen(ctx, report.LatestKey(m.name))
	rep1, _ := b.Read(ctx, path.Join(runDir(m.name, m.asOf, "r"), report.JSONName))
	// Merged again, by hand and by shard 1 retried once more: nothing moves.
	if r, err := m.merge(b, m.f.pol, 2); err != nil || !r.Done {
		t.Fatalf("second merge: %+v %v", r, err)
	}
	if o, err := m.f.shard(ctx, b, "out", "r", 1, 2, []string{"json"}); err != nil || o.Report != "out/"+runDir(m.name, m.asOf, "r") {
		t.Fatalf("shard 1 retried after the merge: %+v %v", o, err)
	}
	second, gen2, _ := b.ReadGen(ctx, report.LatestKey(m.name))
	rep2, _ := b.Read(ctx, path.Join(runDir(m.name, m.asOf, "r"), report.JSONName))
	if gen1 != 1 || gen2 != gen1 || string(first) != string(second) || string(rep1) != string(rep2) {
		t.Errorf("latest.json generation %d then %d (want 1, 1); latest same %v, report same %v",
			gen1, gen2, string(first) == string(second), string(rep1) == string(rep2))
	}
}
