package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rs/zerolog"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
	"github.com/vungmanh/vungmanh/loaders"
	"github.com/vungmanh/vungmanh/policies"
)

// The samples of the shard matrix: one with districts, one without (the
// July 2025 reform removed the district level).
const (
	shardSample       = "sample://national?scale=0.0005"
	shardSampleReform = "sample://national?scale=0.0012&reform=true"
)

// shardFixture is a snapshot and the built-in policies, loaded once.
type shardFixture struct {
	snap    *snapshot.Snapshot
	pol     *checker.Policies
	params  map[string]any
	waivers []checker.Waiver

	mu           sync.Mutex
	outcomes     map[[2]int]*checker.Outcome // by (index, count): evaluated once, published many times
	wholeOutcome *checker.Outcome
}

func loadShardFixture(t *testing.T, url string) *shardFixture {
	t.Helper()
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { alloc.AssertSize(t, 0) })
	ctx := context.Background()
	limit, err := loaders.ParseLimit("50%") // samples with defects
	if err != nil {
		t.Fatal(err)
	}
	snap, err := loadSnapshot(ctx, url, loaders.WithAllocator(alloc), loaders.WithMaxBadRows(limit))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(snap.Release)
	pol, err := loadPolicies(ctx, upperPolicyDir(t))
	if err != nil {
		t.Fatal(err)
	}
	params, err := readParams(ctx, upperParams)
	if err != nil {
		t.Fatal(err)
	}
	f := &shardFixture{snap: snap, pol: pol, params: params, outcomes: map[[2]int]*checker.Outcome{}}
	f.waivers = f.testWaivers(t)
	return f
}

// upperParams are the params of the sharding tests (integers and a
// fraction, read by the province and district targets).
const upperParams = "testdata/upper-params.yaml"

// upperPolicyDir returns a policy folder: the built-in policies plus a
// province and a district target (testdata/upper-policies), which only the
// merge of a sharded run evaluates.
func upperPolicyDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	copyFS := func(fsys fs.FS) {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, p), data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	copyFS(policies.FS)
	copyFS(os.DirFS("testdata/upper-policies"))
	return dir
}

// testWaivers waives the first failing result of each scope (so that some
// waivers are used in one shard only, or only by the merge's province and
// district targets), and adds one waiver that matches nothing and one that
// has expired.
func (f *shardFixture) testWaivers(t *testing.T) []checker.Waiver {
	t.Helper()
	out, err := checker.New(f.pol, checker.WithWorkers(2), checker.WithParams(f.params)).Evaluate(context.Background(), f.snap)
	if err != nil {
		t.Fatal(err)
	}
	ws := []checker.Waiver{
		{Target: "TB-01", Unit: "xa-khong-co", Reason: "no such commune", Expires: "2099-12-31", ApprovedBy: "Ban Thường vụ"},
		{Target: "TB-01", Unit: "xa-het-han", Reason: "expired", Expires: "2000-01-01", ApprovedBy: "Ban Thường vụ"},
	}
	seen := map[string]bool{}
	for _, r := range out.Results {
		if r.Status != checker.StatusFail || r.SubjectLevel == "model" || seen[r.SubjectLevel] {
			continue
		}
		seen[r.SubjectLevel] = true
		ws = append(ws, checker.Waiver{Target: r.Target, Unit: r.Subject, Reason: "test", Expires: "2099-12-31", ApprovedBy: "Ban Thường vụ"})
	}
	return ws
}

// whole publishes the unsharded run under out and returns its report.
func (f *shardFixture) whole(t *testing.T, b storage.Bucket, out string, formats []string) *report.Report {
	t.Helper()
	ctx := context.Background()
	f.mu.Lock()
	if f.wholeOutcome == nil {
		o, err := checker.New(f.pol, checker.WithWorkers(2), checker.WithParams(f.params),
			checker.WithWaivers(f.waivers, f.snap.Manifest.AsOf)).Evaluate(ctx, f.snap)
		if err != nil {
			f.mu.Unlock()
			t.Fatal(err)
		}
		f.wholeOutcome = o
	}
	o := f.wholeOutcome
	f.mu.Unlock()
	in := publishInput{runID: "whole", started: time.Now(), snap: f.snap, polSHA: f.pol.SHA256(), outcome: o,
		shards: 1, formats: formats, lang: "vi", overwrite: true}
	if _, err := publish(ctx, b, out, in); err != nil {
		t.Fatal(err)
	}
	return latestReport(t, b, f.snap.Manifest.Name)
}

// evaluate is a shard's evaluation as `run --shard-count` does it; the
// outcome is computed once per index and count.
func (f *shardFixture) evaluate(ctx context.Context, index, count int) (*checker.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o := f.outcomes[[2]int{index, count}]; o != nil {
		return o, nil
	}
	o, err := checker.New(f.pol, checker.WithWorkers(2), checker.WithParams(f.params), checker.WithWaivers(f.waivers, f.snap.Manifest.AsOf),
		checker.WithShard(index, count), checker.WithScopes(lowerScopes()...)).Evaluate(ctx, f.snap)
	if err != nil {
		return nil, err
	}
	f.outcomes[[2]int{index, count}] = o
	return o, nil
}

// shard runs shard index of count as `run --shard-count` does, from the
// evaluation on.
func (f *shardFixture) shard(ctx context.Context, b storage.Bucket, out, runID string, index, count int, formats []string) (*runOutcome, error) {
	o, err := f.evaluate(ctx, index, count)
	if err != nil {
		return nil, err
	}
	rc := &runContext{log: zerolog.Nop(), started: time.Now(), s: &runSettings{Out: out, RunID: runID,
		ShardIndex: index, ShardCount: count, Workers: 2, EvalTimeout: checker.DefaultEvalTimeout, Formats: formats, Lang: "vi"}}
	return publishShard(ctx, b, rc, shardRun{runID: runID, snap: f.snap, pol: f.pol, params: f.params, waivers: f.waivers, outcome: o})
}

func latestReport(t *testing.T, b storage.Bucket, name string) *report.Report {
	t.Helper()
	l, ok := readLatestFrom(t, b, name)
	if !ok {
		t.Fatal("latest.json not written")
	}
	data, err := b.Read(context.Background(), path.Join(l.Path, report.JSONName))
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readLatestFrom(t *testing.T, b storage.Bucket, name string) (report.Latest, bool) {
	t.Helper()
	data, err := b.Read(context.Background(), report.LatestKey(name))
	if errors.Is(err, storage.ErrNotExist) {
		return report.Latest{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var l report.Latest
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	return l, true
}

// runFiles lists the files of a run folder, shard outputs left out.
func runFiles(t *testing.T, b storage.Bucket, dir string) []string {
	t.Helper()
	keys, err := b.List(context.Background(), dir+"/")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		if rel := strings.TrimPrefix(k, dir+"/"); !strings.HasPrefix(rel, "shards/") {
			names = append(names, rel)
		}
	}
	return names
}

var ignoreRunIdentity = cmpopts.IgnoreFields(report.Run{}, "ID", "StartedAt", "FinishedAt", "Shards")

// modelsAboveCommunes writes the small national sample as CSV with its
// first model moved to a district and its second to a province.
func modelsAboveCommunes(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if code, _, stderr := runMain(t, nil, "sample", "--profile", "national", "--scale", "0.0005", "--out", dir); code != 0 {
		t.Fatalf("sample: exit %d\n%s", code, stderr)
	}
	p := filepath.Join(dir, "models.csv")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(string(data), "mh000001,ha-noi-h01-x001-c01,", "mh000001,ha-noi-h01,", 1)
	moved = strings.Replace(moved, "mh000002,ha-noi-h01-x001-c02,", "mh000002,ha-noi,", 1)
	if strings.Count(moved, ",ha-noi-h01,")+strings.Count(moved, ",ha-noi,") != 2 {
		t.Fatalf("models.csv does not start as expected:\n%.300s", data)
	}
	if err := os.WriteFile(p, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestShardMatrix: the merged report of N = 1, 2, 3 and 7 shards equals
// the unsharded report (apart from run id, times and run.shards), with and
// without a district level, on a local folder and on fake-gcs-server.
func TestShardMatrix(t *testing.T) {
	t.Parallel()
	samples := []struct {
		name, url string
		counts    []int // shard counts
		local     bool  // only on a local folder
	}{
		{"with districts", shardSample, []int{1, 2, 3, 7}, false},
		{"no district level", shardSampleReform, []int{1, 2, 3, 7}, false},
		// Subjects outside every commune: excluded units (an orphan
		// group, a cycle), models of a district and of a province. No
		// shard evaluates them, the merge does.
		{"data defects", shardSample + "&defects=0.02", []int{3}, true},
		{"models above communes", modelsAboveCommunes(t), []int{3}, true},
	}
	srv := storagetest.NewServer(t, "reports")
	stores := []struct {
		name string
		open func(t *testing.T, prefix string) (storage.Bucket, string)
	}{
		{"local", func(t *testing.T, _ string) (storage.Bucket, string) {
			dir := t.TempDir()
			b, err := storage.Open(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			return b, dir
		}},
		{"fake-gcs", func(t *testing.T, prefix string) (storage.Bucket, string) {
			return srv.Open(t, prefix), srv.URL(prefix)
		}},
	}
	for _, sm := range samples {
		t.Run(sm.name, func(t *testing.T) {
			f := loadShardFixture(t, sm.url)
			units := checker.TakeInventory(f.snap).Units
			hasDistricts := units[string(snapshot.LevelDistrict)] > 0
			if hasDistricts != (sm.url != shardSampleReform) {
				t.Fatalf("%s: units by level %v", sm.url, units)
			}
			for _, st := range stores {
				if sm.local && st.name != "local" {
					continue
				}
				t.Run(st.name, func(t *testing.T) {
					prefix := strings.ReplaceAll(t.Name(), "/", "-")
					wb, wout := st.open(t, prefix+"-whole")
					want := f.whole(t, wb, wout, []string{"json"})
					wantFiles := runFiles(t, wb, report.RunDir(want))
					if want.Waivers.Applied == 0 || len(want.Waivers.Unused) == 0 || len(want.Waivers.Expired) == 0 {
						t.Errorf("the waivers test nothing: %+v", want.Waivers)
					}
					upper := map[string]int{}
					for _, tg := range want.Targets {
						if tg.Scope == "province" || tg.Scope == "district" {
							upper[tg.Scope] += tg.Fail + tg.Waived
						}
					}
					if upper["province"] == 0 || (upper["district"] == 0) == hasDistricts {
						t.Errorf("failed or waived results of the merge's own targets: %v (districts: %v)", upper, hasDistricts)
					}
					for _, n := range sm.counts {
						t.Run(fmt.Sprint(n), func(t *testing.T) {
							b, out := st.open(t, fmt.Sprintf("%s-%d", prefix, n))
							ctx := context.Background()
							name := f.snap.Manifest.Name
							// The shards finish in an order where the last index is not last.
							order := make([]int, n)
							for i := range n {
								order[i] = (i + 1) % n
							}
							// report.json only: TestShardProcesses compares every format.
							formats := []string{"json"}
							for k, i := range order {
								o, err := f.shard(ctx, b, out, "sharded", i, n, formats)
								if err != nil {
									t.Fatalf("shard %d: %v", i, err)
								}
								last := k == n-1
								if _, published := readLatestFrom(t, b, name); published != last || o.Partial == last {
									t.Errorf("after shard %d (%d-th): latest.json written %v, partial %v", i, k+1, published, o.Partial)
								}
							}
							empty := 0
							for i := range n {
								if o, _ := f.evaluate(ctx, i, n); len(o.Results) == 0 {
									empty++
								}
							}
							// The samples are tiny (a handful of communes): some
							// shards of 7 are empty, which the merge must handle
							// too; but the work is split.
							if n >= 2 && n-empty < 2 {
								t.Errorf("%d of %d shards have no results: the sample is not split", empty, n)
							}
							got := latestReport(t, b, name)
							if got.Run.ID != "sharded" || got.Run.Shards.Count != n {
								t.Errorf("run id %q, shards.count %d, want sharded and %d", got.Run.ID, got.Run.Shards.Count, n)
							}
							if diff := cmp.Diff(want, got, ignoreRunIdentity, cmpopts.EquateEmpty()); diff != "" {
								t.Errorf("merged report differs from the unsharded one (-whole +merged):\n%s", diff)
							}
							if diff := cmp.Diff(wantFiles, runFiles(t, b, report.RunDir(got))); diff != "" {
								t.Errorf("run folder files (-whole +merged):\n%s", diff)
							}
						})
					}
				})
			}
		})
	}
}

// shardOutput evaluates shard index of count and returns its output
// without writing it.
func (f *shardFixture) shardOutput(t *testing.T, index, count int) *shardOutput {
	t.Helper()
	o, err := f.evaluate(context.Background(), index, count)
	if err != nil {
		t.Fatal(err)
	}
	name, asOf := snapIdent(f.snap)
	params, err := json.Marshal(f.params)
	if err != nil {
		t.Fatal(err)
	}
	return &shardOutput{APIVersion: report.APIVersion, Kind: "ShardOutput", RunID: "r", Index: index, Count: count,
		StartedAt: time.Now().UTC(), FinishedAt: time.Now().UTC(), SnapshotName: name, AsOf: asOf,
		SnapshotSHA256: f.snap.SHA256, PoliciesSHA256: f.pol.SHA256(),
		Settings: shardSettings{Params: params, Waivers: f.waivers, EvalTimeout: checker.DefaultEvalTimeout.String(),
			Formats: []string{"json"}, Lang: "vi"},
		Targets: o.Targets, Results: o.Results, Waivers: o.Waivers}
}

func TestLowerScopes(t *testing.T) {
	all := append(upperScopes(), lowerScopes()...)
	slices.Sort(all)
	want := slices.Clone(checker.Scopes)
	slices.Sort(want)
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("upper + lower scopes (-want +got):\n%s", diff)
	}
}

// FuzzShardOutput feeds arbitrary bytes as a shard output to the merge's
// reader: it never panics, and it either accepts a well-formed output of
// the run or refuses it with a *ShardMismatchError that names the object.
func FuzzShardOutput(f *testing.F) {
	ctx := context.Background()
	snap, err := loadSnapshot(ctx, smallSample)
	if err != nil {
		f.Fatal(err)
	}
	defer snap.Release()
	pol, err := loadPolicies(ctx, "")
	if err != nil {
		f.Fatal(err)
	}
	name, asOf := snapIdent(snap)
	valid, _ := json.Marshal(shardOutput{APIVersion: report.APIVersion, Kind: "ShardOutput", RunID: "r", Index: 0, Count: 1,
		SnapshotName: name, AsOf: asOf, SnapshotSHA256: snap.SHA256, PoliciesSHA256: pol.SHA256(),
		Settings: shardSettings{Params: json.RawMessage("null"), Formats: []string{"json"}, Lang: "vi"}})
	for _, seed := range []string{string(valid), "", "{}", "null", `{"kind":"ShardOutput","run_id":"r","count":1}`, `{"results":[{"status":1}]}`, "\x00"} {
		f.Add([]byte(seed), true)
	}
	f.Add(valid, false)              // not gzipped
	f.Add([]byte("\x1f\x8b"), false) // a truncated gzip header
	key := shardKey(name, asOf, "r", 0, 1)
	f.Fuzz(func(t *testing.T, data []byte, zip bool) {
		b, err := storage.OpenDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if zip { // fuzz the JSON inside the gzip stream
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if _, err := zw.Write(data); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			data = buf.Bytes()
		}
		if err := b.Create(ctx, key, data, false); err != nil {
			t.Fatal(err)
		}
		parts, err := readShards(ctx, b, &mergeInput{runID: "r", count: 1, snap: snap, pol: pol, log: zerolog.Nop()})
		if err != nil {
			var me *ShardMismatchError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), key) {
				t.Fatalf("error %v: want a *ShardMismatchError naming %s", err, key)
			}
			return
		}
		if len(parts) != 1 || parts[0].RunID != "r" || parts[0].SnapshotSHA256 != snap.SHA256 {
			t.Fatalf("accepted %+v", parts)
		}
	})
}

// BenchmarkMergeRun measures the merge of 4 shard outputs: reading and
// checking them, evaluating the province and district targets, combining,
// rendering report.json and publishing.
func BenchmarkMergeRun(b *testing.B) {
	ctx := context.Background()
	snap, err := loadSnapshot(ctx, shardSample)
	if err != nil {
		b.Fatal(err)
	}
	defer snap.Release()
	pol, err := loadPolicies(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	name, asOf := snapIdent(snap)
	const count = 4
	var outputs [][]byte
	for i := range count {
		o, err := checker.New(pol, checker.WithShard(i, count), checker.WithScopes(lowerScopes()...)).Evaluate(ctx, snap)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := encodeShard(&shardOutput{APIVersion: report.APIVersion, Kind: "ShardOutput", RunID: "r", Index: i, Count: count,
			SnapshotName: name, AsOf: asOf, SnapshotSHA256: snap.SHA256, PoliciesSHA256: pol.SHA256(),
			Settings: shardSettings{Params: json.RawMessage("null"), Formats: []string{"json"}, Lang: "vi"},
			Targets:  o.Targets, Results: o.Results, Waivers: o.Waivers})
		outputs = append(outputs, data)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		bk, err := storage.OpenDir(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		for i, data := range outputs {
			if err := bk.Create(ctx, shardKey(name, asOf, "r", i, count), data, false); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if _, err := mergeRun(ctx, bk, "out", &mergeInput{runID: "r", count: count, snap: snap, pol: pol, log: zerolog.Nop()}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMergeCommandSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no run id", []string{"merge", "--snapshot", smallSample, "--shard-count", "2"}, ExitConfig, "--run-id is required"},
		{"no snapshot", []string{"merge", "--run-id", "r", "--shard-count", "2"}, ExitConfig, "--snapshot is required"},
		{"zero shards", []string{"merge", "--snapshot", smallSample, "--run-id", "r", "--shard-count", "0"}, ExitConfig, "want at least 1"},
		{"bad fail-on", []string{"merge", "--snapshot", smallSample, "--run-id", "r", "--shard-count", "2", "--fail-on", "warn"}, ExitConfig, "--fail-on"},
		{"bad policies", []string{"merge", "--snapshot", smallSample, "--run-id", "r", "--shard-count", "2", "--policies", "/nonexistent"}, ExitConfig, "policies"},
		{"nothing to merge", []string{"merge", "--snapshot", smallSample, "--run-id", "r", "--shard-count", "2"}, ExitTransient, "missing for index 0, 1 of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, nil, append(tt.args, "--out", t.TempDir())...)
			if code != tt.code || !strings.Contains(stderr, tt.msg) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s", code, tt.code, tt.msg, stderr)
			}
		})
	}
}
