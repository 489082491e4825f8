package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/loaders"
	"github.com/vungmanh/vungmanh/policies"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// verdict is "target subject" -> pass or fail.
type verdict map[string]string

func run(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("floor", flag.ContinueOnError)
	dir := fl.String("snapshot", "", "snapshot folder")
	repeat := fl.Int("repeat", 5, "timed runs of each side; the fastest counts")
	workers := fl.Int("workers", 1, "our checker's workers")
	cpu := fl.String("cpuprofile", "", "write a CPU profile of our side's runs to this file")
	if err := fl.Parse(args); err != nil {
		return err
	}
	snap, err := loaders.Load(ctx, *dir)
	if err != nil {
		return fmt.Errorf("load snapshot %q: %w", *dir, err)
	}
	defer snap.Release()
	pols, err := checker.Load(ctx, twoTargets())
	if err != nil {
		return fmt.Errorf("load TB-01 and TB-02: %w", err)
	}

	var want verdict
	floorBest := time.Duration(1 << 62)
	for i := 0; i < max(1, *repeat); i++ {
		start := time.Now()
		want = Floor(snap)
		floorBest = min(floorBest, time.Since(start))
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return fmt.Errorf("create %q: %w", *cpu, err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	var got verdict
	oursBest := time.Duration(1 << 62)
	for i := 0; i < max(1, *repeat); i++ {
		c := checker.New(pols, checker.WithWorkers(*workers))
		start := time.Now()
		out, err := c.Evaluate(ctx, snap)
		if err != nil {
			return fmt.Errorf("evaluate: %w", err)
		}
		oursBest = min(oursBest, time.Since(start))
		got = verdict{}
		for _, r := range out.Results {
			got[r.Target+" "+r.Subject] = string(r.Status)
		}
	}
	evalBest, err := fastestEvaluateIndex(ctx, pols, snap, *repeat, *workers)
	if err != nil {
		return err
	}
	bounds, err := checker.Load(ctx, trivialTargets())
	if err != nil {
		return fmt.Errorf("load the trivial targets: %w", err)
	}
	boundBest, err := fastestEvaluateIndex(ctx, bounds, snap, *repeat, *workers)
	if err != nil {
		return err
	}
	if diffs := diff(want, got); len(diffs) > 0 {
		for _, d := range diffs[:min(20, len(diffs))] {
			fmt.Fprintln(os.Stderr, d)
		}
		return fmt.Errorf("the floor and our checker differ on %d of %d results", len(diffs), len(want))
	}
	f := floorBest.Seconds()
	fmt.Printf("floor_seconds=%.6f ours_seconds=%.6f ratio=%.1f ours_eval_seconds=%.6f eval_ratio=%.1f bound_seconds=%.6f bound_ratio=%.1f subjects=%d workers=%d\n",
		f, oursBest.Seconds(), oursBest.Seconds()/f, evalBest.Seconds(), evalBest.Seconds()/f,
		boundBest.Seconds(), boundBest.Seconds()/f, len(want)/2, *workers)
	return nil
}

// fastestEvaluateIndex indexes snap once, then times EvaluateIndex of pols
// repeat times and returns the fastest.
func fastestEvaluateIndex(ctx context.Context, pols *checker.Policies, snap *snapshot.Snapshot, repeat, workers int) (time.Duration, error) {
	idx, err := checker.Prepare(snap)
	if err != nil {
		return 0, fmt.Errorf("index: %w", err)
	}
	best := time.Duration(1 << 62)
	for i := 0; i < max(1, repeat); i++ {
		c := checker.New(pols, checker.WithWorkers(workers))
		start := time.Now()
		out, err := c.EvaluateIndex(ctx, idx)
		if err != nil {
			return 0, fmt.Errorf("evaluate: %w", err)
		}
		best = min(best, time.Since(start))
		if len(out.Results) == 0 {
			return 0, fmt.Errorf("evaluate: no results")
		}
	}
	return best, nil
}

// trivialTargets are two commune targets that read one field of the input
// and never fail: the cost of one evaluation per subject without policy work.
func trivialTargets() fs.FS {
	m := fstest.MapFS{}
	for _, id := range []string{"1", "2"} {
		m["t"+id+".rego"] = &fstest.MapFile{Data: []byte("# METADATA\n# title: T" + id + "\n# custom:\n#   id: B-" + id +
			"\n#   scope: commune\npackage targets.t" + id + "\n\nviolation contains {\"msg\": \"x\"} if input.subject.id == \"\"\n")}
	}
	return m
}

// twoTargets is the pack reduced to lib.rego and the TB-01 and TB-02 files.
func twoTargets() fs.FS {
	m := fstest.MapFS{}
	for _, name := range []string{"lib.rego", "tb01_one_plus_one.rego", "tb02_three_has_three_knows.rego"} {
		b, err := fs.ReadFile(policies.FS, name)
		if err != nil {
			panic("floor: the pack has no " + name)
		}
		m[name] = &fstest.MapFile{Data: b}
	}
	return m
}

// Floor computes TB-01 and TB-02 for every active commune from the Arrow
// columns: index the units, find each unit's commune, mark the communes that
// hold an active model of each type built by an active unit.
func Floor(snap *snapshot.Snapshot) verdict {
	units := snap.Table(snapshot.Units)
	ids := snapshot.Strings(snapshot.Column(units, "unit_id"))
	parents := snapshot.Strings(snapshot.Column(units, "parent_id"))
	levels := snapshot.Strings(snapshot.Column(units, "level"))
	active := snapshot.Column(units, "active").(*array.Boolean)
	n := ids.Len()
	byID := make(map[string]int32, n)
	for i := 0; i < n; i++ {
		byID[ids.Value(i)] = int32(i)
	}
	isActive := func(i int) bool { return active.IsNull(i) || active.Value(i) }

	// commune[i]: the commune unit i is or sits in; -1 none, -2 not yet known.
	commune := make([]int32, n)
	for i := range commune {
		commune[i] = -2
	}
	var find func(i int32, depth int) int32
	find = func(i int32, depth int) int32 {
		if commune[i] != -2 {
			return commune[i]
		}
		c := int32(-1)
		if levels.Value(int(i)) == string(snapshot.LevelCommune) {
			c = i
		} else if p, ok := byID[parents.Value(int(i))]; ok && !parents.IsNull(int(i)) && depth < 8 {
			c = find(p, depth+1)
		}
		commune[i] = c
		return c
	}

	models := snap.Table(snapshot.Models)
	mUnits := snapshot.Strings(snapshot.Column(models, "unit_id"))
	types := snapshot.Strings(snapshot.Column(models, "type"))
	status := snapshot.Strings(snapshot.Column(models, "status"))
	const onePlusOne, threeHas = 1, 2
	has := make([]uint8, n)
	for i := 0; i < mUnits.Len(); i++ {
		var bit uint8
		switch types.Value(i) {
		case "one_plus_one":
			bit = onePlusOne
		case "three_has_three_knows":
			bit = threeHas
		default:
			continue
		}
		if !status.IsNull(i) && status.Value(i) != "active" {
			continue
		}
		u, ok := byID[mUnits.Value(i)]
		if !ok || !isActive(int(u)) {
			continue
		}
		if c := find(u, 0); c >= 0 {
			has[c] |= bit
		}
	}
	out := verdict{}
	for i := 0; i < n; i++ {
		if levels.Value(i) != string(snapshot.LevelCommune) || !isActive(i) {
			continue
		}
		out["TB-01 "+ids.Value(i)] = passFail(has[i]&onePlusOne != 0)
		out["TB-02 "+ids.Value(i)] = passFail(has[i]&threeHas != 0)
	}
	return out
}

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "fail"
}

func diff(want, got verdict) []string {
	var out []string
	for k, w := range want {
		if g := got[k]; g != w {
			out = append(out, fmt.Sprintf("%s: floor %s, ours %q", k, w, g))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			out = append(out, fmt.Sprintf("%s: floor absent, ours %s", k, g))
		}
	}
	sort.Strings(out)
	return out
}
