package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

// TestShardProcesses runs the shards of one run as separate processes of
// the binary at the same time, as the pods of an Indexed Job do: shard 1 is
// killed (SIGKILL) while it evaluates and rerun; the shard that completes
// the set merges; `vungmanh merge` run twice afterwards writes nothing. The
// final report equals the unsharded one and latest.json moved once.
func TestShardProcesses(t *testing.T) {
	t.Parallel() // mostly child processes: overlaps with the in-process tests
	bin := dockerBuild(t)
	tbDir := filepath.Join(t.TempDir(), "thai-binh")
	if b, err := exec.Command(bin, "sample", "--profile", "thai-binh-2024", "--format", "parquet", "--out", tbDir).CombinedOutput(); err != nil {
		t.Fatalf("sample: %v\n%s", err, b)
	}
	polDir := upperPolicyDir(t)
	srv := storagetest.NewServer(t, "reports")
	emulator := strings.TrimPrefix(srv.Proxy.URL, "http://")
	var prefixes atomic.Int64
	tests := []struct {
		name, snapshot, name2 string
		refusals              bool // also check the merges that must fail
		out                   func(t *testing.T) (string, storage.Bucket)
	}{
		{"thai-binh local", tbDir, "thai-binh", false, func(t *testing.T) (string, storage.Bucket) {
			dir := t.TempDir()
			b, err := storage.OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			return dir, b
		}},
		{"no district level on fake-gcs", shardSampleReform, "vietnam", true, func(t *testing.T) (string, storage.Bucket) {
			prefix := fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), prefixes.Add(1))
			return srv.URL(prefix), srv.Open(t, prefix)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The built-in policies plus a province and a district target
			// (evaluated by the merge only), with params.
			pol := []string{"--policies", polDir}
			p := &shardProcs{bin: bin, snapshot: tt.snapshot, name: tt.name2, pol: pol,
				env:      append(os.Environ(), "STORAGE_EMULATOR_HOST="+emulator, "VUNGMANH_TERMINATION_LOG=", "VUNGMANH_PROGRESS=false"),
				settings: append(slices.Clone(pol), "--params", upperParams)}
			wholeOut, wb := tt.out(t)
			if b, err := p.command(nil, append([]string{"run", "--snapshot", tt.snapshot, "--out", wholeOut, "--run-id", "whole", "--workers", "1"}, p.settings...)...).CombinedOutput(); err != nil {
				t.Fatalf("unsharded run: %v\n%s", err, b)
			}
			want := latestReport(t, wb, tt.name2)
			p.asOf = want.Run.Snapshot.AsOf
			out, b := tt.out(t)
			p.out = out
			p.killShard1(t)
			killedEarly := p.missingShard1(t, b)
			if killedEarly && tt.refusals {
				p.mergeRefusesMissing(t)
			}
			got := p.rerunAndMerge(t, b)
			p.checkMerged(t, want, got, wb, b)
			if tt.refusals {
				p.mergeRefusesOtherPolicies(t)
			}
		})
	}
}

// shardProcs runs the binary's shards and merges of one case of
// TestShardProcesses: run "job-1" of 3 shards of snapshot into out.
type shardProcs struct {
	bin, snapshot, out string
	name, asOf         string // the snapshot's name and date
	env                []string
	pol, settings      []string // --policies; --policies and --params
}

func (p *shardProcs) command(extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(p.bin, args...)
	cmd.Env = append(slices.Clone(p.env), extraEnv...)
	return cmd
}

func (p *shardProcs) shardArgs() []string {
	return append([]string{"run", "--snapshot", p.snapshot, "--out", p.out, "--run-id", "job-1", "--shard-count", "3", "--workers", "1"}, p.settings...)
}

func (p *shardProcs) mergeArgs() []string {
	return append([]string{"merge", "--snapshot", p.snapshot, "--out", p.out, "--run-id", "job-1", "--shard-count", "3"}, p.pol...)
}

// killShard1 starts the three shards at once and kills shard 1 as soon as
// its snapshot is loaded; shards 0 and 2 must succeed.
func (p *shardProcs) killShard1(t *testing.T) {
	victim := p.command([]string{"JOB_COMPLETION_INDEX=1"}, p.shardArgs()...)
	stderr, err := victim.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	others := make([]*exec.Cmd, 0, 2)
	outputs := make([]*strings.Builder, 0, 2)
	for _, i := range []string{"0", "2"} {
		cmd := p.command([]string{"JOB_COMPLETION_INDEX=" + i}, p.shardArgs()...)
		var buf strings.Builder
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		others, outputs = append(others, cmd), append(outputs, &buf)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "snapshot loaded") {
			break
		}
	}
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
	}
	if err := victim.Wait(); err == nil {
		t.Error("the killed shard exited 0")
	}
	for k, cmd := range others {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("shard %d: %v\n%s", 2*k, err, outputs[k])
		}
	}
}

// missingShard1 reports whether shard 1 died before writing its output;
// latest.json must not have moved then.
func (p *shardProcs) missingShard1(t *testing.T, b storage.Bucket) bool {
	killedEarly := true
	if _, err := b.Read(context.Background(), shardKey(p.name, p.asOf, "job-1", 1, 3)); err == nil {
		killedEarly = false // it wrote its output before the signal landed
		t.Log("shard 1 wrote its output before it was killed")
	}
	if _, published := readLatestFrom(t, b, p.name); killedEarly && published {
		t.Fatal("latest.json moved while shard 1 was missing")
	}
	return killedEarly
}

// mergeRefusesMissing: a merge by hand names the missing shard and exits 1.
func (p *shardProcs) mergeRefusesMissing(t *testing.T) {
	var buf strings.Builder
	cmd := p.command(nil, p.mergeArgs()...)
	cmd.Stderr = &buf
	var ee *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(buf.String(), "missing for index 1 of 3") {
		t.Errorf("merge without shard 1: %v\n%s", err, buf.String())
	}
}

// rerunAndMerge reruns shard 1 (the retried pod), which merges, then
// merges twice by hand: latest.json and the report must not move again.
// It returns the merged report.
func (p *shardProcs) rerunAndMerge(t *testing.T, b storage.Bucket) *report.Report {
	ctx := context.Background()
	if out, err := p.command([]string{"JOB_COMPLETION_INDEX=1"}, p.shardArgs()...).CombinedOutput(); err != nil {
		t.Fatalf("shard 1 rerun: %v\n%s", err, out)
	}
	latest1, gen1, err := b.ReadGen(ctx, report.LatestKey(p.name))
	if err != nil || gen1 == 0 {
		t.Fatalf("latest.json after the last shard: gen %d, %v", gen1, err)
	}
	got := latestReport(t, b, p.name)
	for range 2 {
		stdout, err := p.command(nil, p.mergeArgs()...).Output()
		if err != nil {
			t.Fatalf("merge: %v", err)
		}
		if !strings.HasSuffix(strings.TrimSpace(string(stdout)), runDir(p.name, p.asOf, "job-1")) {
			t.Errorf("merge printed %q", stdout)
		}
	}
	latest2, gen2, err := b.ReadGen(ctx, report.LatestKey(p.name))
	if err != nil || gen2 != gen1 || string(latest2) != string(latest1) {
		t.Errorf("latest.json moved again: generation %d -> %d (%v)", gen1, gen2, err)
	}
	if again := latestReport(t, b, p.name); !cmp.Equal(got, again) {
		t.Error("report.json changed after the merges")
	}
	if _, ok := b.(*storage.Dir); ok && gen1 != 1 {
		t.Errorf("latest.json generation %d, want 1 (moved once)", gen1)
	}
	return got
}

// checkMerged compares the merged report and run folder (in b) with the
// unsharded ones (in wb).
func (p *shardProcs) checkMerged(t *testing.T, want, got *report.Report, wb, b storage.Bucket) {
	if got.Run.ID != "job-1" || got.Run.Shards.Count != 3 {
		t.Errorf("run id %q, shards.count %d", got.Run.ID, got.Run.Shards.Count)
	}
	if diff := cmp.Diff(want, got, ignoreRunIdentity, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("merged report differs from the unsharded one (-whole +merged):\n%s", diff)
	}
	if want.Run.Policies.Targets != 13 {
		t.Errorf("%d targets, want the 11 built-in ones and the 2 of testdata/upper-policies", want.Run.Policies.Targets)
	}
	if diff := cmp.Diff(runFiles(t, wb, report.RunDir(want)), runFiles(t, b, report.RunDir(got))); diff != "" {
		t.Errorf("run folder files (-whole +merged):\n%s", diff)
	}
}

// mergeRefusesOtherPolicies: a shard made with the built-in policies does
// not merge with these.
func (p *shardProcs) mergeRefusesOtherPolicies(t *testing.T) {
	if b, err := p.command([]string{"JOB_COMPLETION_INDEX=0"}, "run", "--snapshot", p.snapshot, "--out", p.out,
		"--run-id", "job-2", "--shard-count", "3", "--formats", "json").CombinedOutput(); err != nil {
		t.Fatalf("shard of job-2: %v\n%s", err, b)
	}
	var buf strings.Builder
	cmd := p.command(nil, append([]string{"merge", "--snapshot", p.snapshot, "--out", p.out, "--run-id", "job-2", "--shard-count", "3"}, p.pol...)...)
	cmd.Stderr = &buf
	var ee *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(buf.String(), "0-of-3/shard.json.gz: made with other policies") {
		t.Errorf("merge with other policies: %v\n%s", err, buf.String())
	}
}
