package checker

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/vungmanh/vungmanh/internal/sample"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/loaders"
	"github.com/vungmanh/vungmanh/policies"
)

// sampleSnap generates and loads a sample snapshot.
func sampleSnap(t *testing.T, opts sample.Options) *snapshot.Snapshot {
	t.Helper()
	dir := t.TempDir()
	if _, err := sample.Write(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	snap, err := loaders.Load(context.Background(), dir, loaders.WithMaxBadRows(loaders.Limit{Share: 1, IsShare: true}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(snap.Release)
	return snap
}

// evaluateBoth evaluates snap with regovm (the checker returned) and with
// topdown alone.
func evaluateBoth(t *testing.T, pols *Policies, snap *snapshot.Snapshot, opts ...Option) (vm *Checker, got, want *Outcome) {
	t.Helper()
	vm, td := mustNew(t, pols, opts...), mustNew(t, pols, append(opts, WithEngine(EngineTopdown))...)
	got, err := vm.Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	want, err = td.Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	return vm, got, want
}

// TestEnginesAgree evaluates the pack on generated provinces (clean and
// with defects, several seeds and parameter sets) with regovm and with
// topdown alone: every result must be the same, and regovm must have
// evaluated every subject itself (no fallback) on every group.
func TestEnginesAgree(t *testing.T) {
	pols, err := Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	snaps := map[string]*snapshot.Snapshot{
		"hung-yen seed 1":           sampleSnap(t, sample.Options{Profile: sample.ProfileHungYen, Seed: 1}),
		"national 0.002":            sampleSnap(t, sample.Options{Profile: sample.ProfileNational, Scale: 0.002, Seed: 3}),
		"national 0.002, defects":   sampleSnap(t, sample.Options{Profile: sample.ProfileNational, Scale: 0.002, Seed: 4, Defects: 0.1}),
		"synthetic province 40x3x5": synthProvince(memory.NewGoAllocator(), 40, 3, 5),
	}
	if !raceEnabled { // generating a province takes 15 s under the race detector
		snaps["hung-yen seed 7, defects"] = sampleSnap(t, sample.Options{Profile: sample.ProfileHungYen, Seed: 7, Defects: 0.05})
	}
	paramSets := []map[string]any{
		nil,
		{"TB-06": map[string]any{"min_size": 3, "max_size": 4}, "TB-07": map[string]any{"branch_size": 1, "group_min_size": 1, "group_max_size": 5}},
		{"TB-09": map[string]any{"months": 14, "recorded_share": 0.5}},
		{"TB-09": map[string]any{"months": 0}, "TB-06": map[string]any{"min_size": "two"}},
	}
	for name, snap := range snaps {
		for i, params := range paramSets {
			if raceEnabled && strings.HasPrefix(name, "hung-yen") && i > 0 {
				continue // under the race detector, a province with the defaults only
			}
			t.Run(fmt.Sprintf("%s/params %d", name, i), func(t *testing.T) {
				vm, got, want := evaluateBoth(t, pols, snap, WithParams(params), WithWorkers(2))
				if len(vm.unplanned) > 0 {
					t.Fatalf("regovm does not plan some groups of the pack: %v", vm.unplanned)
				}
				for k, g := range vm.groups {
					if g.vm == nil {
						t.Fatalf("group %s of the pack has no regovm program", k)
					}
				}
				if len(got.Results) != len(want.Results) {
					t.Fatalf("%d results with regovm, %d with topdown", len(got.Results), len(want.Results))
				}
				diffs := 0
				for k := range want.Results {
					if !reflect.DeepEqual(got.Results[k], want.Results[k]) {
						if diffs++; diffs <= 5 {
							t.Errorf("result %d differs:\nregovm:  %+v\ntopdown: %+v", k, got.Results[k], want.Results[k])
						}
					}
				}
				if diffs > 0 {
					t.Fatalf("%d of %d results differ", diffs, len(want.Results))
				}
				// Errors (a parameter of the wrong type) come from topdown,
				// after regovm failed; everything else from regovm.
				errs := 0
				for _, r := range want.Results {
					if r.Status == StatusError {
						errs++
					}
				}
				if n := vm.fallbacks.Load(); errs == 0 && n > 0 {
					t.Errorf("regovm fell back to topdown on %d subjects without an error result", n)
				}
			})
		}
	}
}

// TestEngineFallback: where regovm fails (a conflict, a builtin error), the
// subject's results are topdown's, target by target, within what remains
// of the subject's deadline.
func TestEngineFallback(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	policies := func(slow bool) *Policies {
		bodies := []string{`violation contains {"msg": "ok"} if true
x := 1 if input.subject.id
x := 2 if input.subject.level
warning contains {"msg": sprintf("%d", [x])} if true`,
			`violation contains {"msg": "n"} if to_number(input.subject.name) > 0`,
			`violation contains {"msg": input.subject.id} if true`,
		}
		if slow {
			bodies = append(bodies, `violation contains {"msg": "never"} if {
	some i in numbers.range(1, 300)
	some j in numbers.range(1, 300)
	some k in numbers.range(1, 300)
	i + j + k < 0
}`)
		}
		return loadTargets(t, bodies...)
	}
	// short is far beyond the fast targets (microseconds, even under the
	// race detector: an evaluation that finishes past its deadline is an
	// error) and far below the slow one (27 million iterations).
	const short = 100 * time.Millisecond
	for _, timeout := range []time.Duration{DefaultEvalTimeout, short} {
		pols := policies(timeout == short)
		vm, got, want := evaluateBoth(t, pols, snap, WithEvalTimeout(timeout))
		statuses := map[Status]int{}
		for k := range want.Results {
			statuses[want.Results[k].Status]++
			w, g := want.Results[k], got.Results[k]
			if timeout == short && w.Status == StatusError && g.Status == StatusError {
				continue // the deadline's message tells when each engine looked
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("timeout %v: result %d differs:\nregovm:  %+v\ntopdown: %+v", timeout, k, g, w)
			}
		}
		if statuses[StatusError] == 0 || statuses[StatusFail] == 0 {
			t.Errorf("timeout %v: statuses %v: the policies should give both errors and failures", timeout, statuses)
		}
		if vm.fallbacks.Load() == 0 {
			t.Errorf("timeout %v: regovm never fell back", timeout)
		}
	}
}

// TestSharedDeadline: the targets of a subject are evaluated together
// under one deadline. When they run past it, with either engine, every one
// of them is an error result for that subject, and the deadline is not
// spent a second time (topdown one by one) to find the slow one.
func TestSharedDeadline(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	pols := loadTargets(t,
		`violation contains {"msg": input.subject.id} if true`,
		`violation contains {"msg": "never"} if {
	some i in numbers.range(1, 10000)
	some j in numbers.range(1, 10000)
	i * j == -1
}`)
	_, got, want := evaluateBoth(t, pols, snap, WithEvalTimeout(100*time.Millisecond))
	for name, out := range map[string]*Outcome{"regovm": got, "topdown": want} {
		n := 0
		for _, r := range out.Results {
			if r.Status == StatusNotEvaluated {
				continue
			}
			n++
			if r.Status != StatusError || !strings.Contains(*r.Error, "evaluation deadline exceeded after 100ms: the subject's 2 targets were evaluated together and ran past it") {
				t.Errorf("%s: %s %s: %s %v, want the shared deadline's error", name, r.Target, r.Subject, r.Status, r.Error)
			}
		}
		if n == 0 {
			t.Errorf("%s: no result evaluated", name)
		}
	}
}

// loadTargets loads one commune target per body: X-0 (package targets.x0),
// X-1, ...
func loadTargets(t *testing.T, bodies ...string) *Policies {
	t.Helper()
	return loadTargetsWith(t, nil, bodies...)
}

// loadTargetsWith is loadTargets with load options.
func loadTargetsWith(t *testing.T, opts []LoadOption, bodies ...string) *Policies {
	t.Helper()
	fsys := fstest.MapFS{}
	for i, body := range bodies {
		meta := strings.NewReplacer("X-1", fmt.Sprintf("X-%d", i), "targets.x", fmt.Sprintf("targets.x%d", i)).Replace(okMeta)
		fsys[fmt.Sprintf("x%d.rego", i)] = &fstest.MapFile{Data: []byte(meta + body + "\n")}
	}
	p, err := Load(context.Background(), fsys, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEngineUnplanned: a group whose plan regovm cannot run (here `with`)
// is evaluated by topdown, with topdown's results.
func TestEngineUnplanned(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	body := `violation contains {"msg": "x"} if { is_named with input.subject.name as "" }
is_named if input.subject.name != ""`
	pols, err := Load(context.Background(), fstest.MapFS{"x.rego": {Data: []byte(okMeta + body + "\n")}})
	if err != nil {
		t.Fatal(err)
	}
	vm, got, want := evaluateBoth(t, pols, snap)
	if !reflect.DeepEqual(got.Results, want.Results) || len(want.Results) == 0 {
		t.Errorf("results differ:\nregovm: %+v\ntopdown: %+v", got.Results, want.Results)
	}
	if why := vm.unplanned["commune"]; !strings.Contains(why, "unsupported") || vm.groups["commune"].vm != nil {
		t.Errorf("the commune group should be left to topdown as unsupported; unplanned: %v", vm.unplanned)
	}
}

// TestRuleShapesAgree evaluates targets whose violation or warning is not a
// partial set (a complete rule giving a boolean, an object, a string, a
// number, null, an array) together with an ordinary target, so that both
// engines evaluate them as a group: every result must be what the target
// alone gives with topdown (evalOne, as `vungmanh eval`), a value that is not
// a set never passing silently.
func TestRuleShapesAgree(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	// Load refuses these shapes (shapeErrors); the engines must still agree
	// on them, as they would on a shape only the data reveals.
	load := func(bodies ...string) *Policies {
		return loadTargetsWith(t, []LoadOption{withoutShapeCheck()}, bodies...)
	}
	shapes := []string{
		`violation := true`,
		`violation := false`,
		`violation := {"msg": "an object"}`,
		`violation := "a string"`,
		`violation := 0`,
		`violation := null`,
		`violation := [{"msg": "an array"}]`,
		`violation := {{"msg": "a complete set"}}`,
		`violation := {"a string in a set"}`,
		`violation := true if input.subject.id == "none"`,
		`warning := true`,
		`warning := {"msg": "an object"}`,
		`warning := [{"msg": "an array"}]`,
	}
	ordinary := `violation contains {"msg": input.subject.id} if true`
	for _, shape := range shapes {
		alone := mustNew(t, load(shape), WithEngine(EngineTopdown))
		want, err := alone.Evaluate(context.Background(), snap)
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Results) == 0 {
			t.Fatalf("%s: no results", shape)
		}
		for _, r := range want.Results {
			if r.Status == StatusPass && strings.HasPrefix(shape, "violation") && !strings.Contains(shape, "none") {
				t.Errorf("%s alone: %s passes", shape, r.Subject)
			}
		}
		vm, got, td := evaluateBoth(t, load(shape, ordinary), snap)
		if vm.groups["commune"].vm == nil {
			t.Fatalf("%s: regovm did not plan the group: %v", shape, vm.unplanned)
		}
		for name, out := range map[string]*Outcome{"regovm": got, "topdown group": td} {
			var mine []Result
			for _, r := range out.Results {
				if r.Target == "X-0" {
					mine = append(mine, r)
				}
			}
			if !reflect.DeepEqual(mine, want.Results) {
				t.Errorf("%s with %s:\n got %+v\nwant %+v", shape, name, mine, want.Results)
			}
		}
	}
}

// TestTinyEvalTimeout: with a deadline shorter than any evaluation, every
// result is an error with both engines, although neither engine looks at
// its deadline before it has done some work.
func TestTinyEvalTimeout(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	pols, err := Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	_, got, want := evaluateBoth(t, pols, snap, WithEvalTimeout(time.Nanosecond))
	for name, out := range map[string]*Outcome{"regovm": got, "topdown": want} {
		if len(out.Results) == 0 {
			t.Fatalf("%s: no results", name)
		}
		for _, r := range out.Results {
			if r.Status == StatusNotEvaluated {
				continue // a subject excluded by a data-quality finding
			}
			if r.Status == StatusSkipped && r.SkipReason == reasonNotLaunched {
				continue // a model launched after as_of: never evaluated
			}
			if r.Status != StatusError || r.Error == nil || !strings.Contains(*r.Error, errTimeout.Error()) {
				t.Errorf("%s: %s %s is %s (%v), want a deadline error", name, r.Target, r.Subject, r.Status, r.Error)
			}
		}
	}
}

// TestNumberKeyIntoParams: a target that looks a number up in its params
// (params read from YAML or JSON have string keys, "2024") finds the key
// with regovm as with topdown, which reads the base document from the store
// (regovm/basedoc.go); regovm evaluates the group itself, without falling
// back. regovm once found nothing, and the violation was silently dropped.
func TestNumberKeyIntoParams(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	pols := loadTargets(t, `violation contains {"msg": sprintf("limit %v", [limit])} if {
	year := to_number(substring(input.snapshot.as_of, 0, 4))
	limit := data.params["X-0"].limit[year]
}
warning contains {"msg": "no limit"} if not data.params["X-0"].limit[2023]`)
	params := map[string]any{"X-0": map[string]any{"limit": map[string]any{"2024": 3, "2025": 4}}}
	vm, got, want := evaluateBoth(t, pols, snap, WithParams(params))
	if vm.groups["commune"].vm == nil {
		t.Fatalf("regovm did not plan the commune group: %v", vm.unplanned)
	}
	if n := vm.fallbacks.Load(); n > 0 {
		t.Errorf("regovm fell back to topdown on %d subjects", n)
	}
	if len(want.Results) == 0 {
		t.Fatal("no results")
	}
	for k, w := range want.Results {
		if w.Status == StatusNotEvaluated {
			continue // a subject excluded by a data-quality finding
		}
		if w.Status != StatusFail || len(w.Violations) != 1 || w.Violations[0].Msg != "limit 3" || len(w.Warnings) != 1 {
			t.Errorf("topdown: %s is %s %+v %+v, want a failure with limit 3 and the warning", w.Subject, w.Status, w.Violations, w.Warnings)
		}
		if !reflect.DeepEqual(got.Results[k], w) {
			t.Errorf("result %d differs:\nregovm:  %+v\ntopdown: %+v", k, got.Results[k], w)
		}
	}
}

// TestWithEngine: EngineTopdown prepares no regovm program; the default
// prepares one per group; ParseEngine reads the names String gives.
func TestWithEngine(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	pols := loadTargets(t, `violation contains {"msg": input.subject.id} if true`)
	for _, tc := range []struct {
		opts   []Option
		wantVM bool
	}{
		{nil, true},
		{[]Option{WithEngine(EngineRegovm)}, true},
		{[]Option{WithEngine(EngineTopdown)}, false},
	} {
		c := mustNew(t, pols, tc.opts...)
		if _, err := c.Evaluate(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
		if got := c.groups["commune"].vm != nil; got != tc.wantVM {
			t.Errorf("engine %v: regovm program %v, want %v", c.engine, got, tc.wantVM)
		}
	}
	for _, e := range []Engine{EngineRegovm, EngineTopdown} {
		for _, name := range []string{e.String(), strings.ToUpper(e.String())} {
			if got, err := ParseEngine(name); err != nil || got != e {
				t.Errorf("ParseEngine(%q) = %v, %v; want %v", name, got, err, e)
			}
		}
	}
	if got, err := ParseEngine(""); err != nil || got != EngineRegovm {
		t.Errorf(`ParseEngine("") = %v, %v; want regovm`, got, err)
	}
	if _, err := ParseEngine("wasm"); err == nil {
		t.Error(`ParseEngine("wasm"): no error`)
	}
}
