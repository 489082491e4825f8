package checker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

var (
	benchOnce sync.Once
	benchSnap *snapshot.Snapshot
)

// provinceSnap is the benchmark snapshot: 242 communes, ~1,800 branches,
// ~7,300 groups, ~360,000 members (built once per test binary; never
// released, the process ends with it).
func provinceSnap() *snapshot.Snapshot {
	benchOnce.Do(func() {
		benchSnap = synthProvince(memory.NewGoAllocator(), 242, 7, 200)
	})
	return benchSnap
}

func benchPolicies(b testing.TB) map[string]*Policies {
	out := map[string]*Policies{"testdata": loadTestPolicies(b, "testdata/policies")}
	// The project's pack, when it is there and compiles.
	if m, _ := filepath.Glob("../policies/*.rego"); len(m) > 0 {
		if p, err := Load(context.Background(), os.DirFS("../policies")); err == nil {
			out["pack"] = p
		} else {
			b.Logf("policies pack does not load: %v", err)
		}
	}
	return out
}

func BenchmarkBuildIndex(b *testing.B) {
	snap := provinceSnap()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := buildIndex(snap); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

func BenchmarkInput(b *testing.B) {
	snap := provinceSnap()
	x, err := buildIndex(snap)
	if err != nil {
		b.Fatal(err)
	}
	for _, scope := range Scopes() {
		var subjects []subject
		if scope == "model" {
			for m, row := range x.models {
				subjects = append(subjects, subject{scope: scope, unit: row.unit, model: m})
			}
		} else {
			for u, row := range x.units {
				if string(row.level) == scope {
					subjects = append(subjects, subject{scope: scope, unit: u, model: -1})
				}
			}
		}
		b.Run(scope, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				_ = x.input(subjects[i%len(subjects)])
			}
			b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "inputs/cpu-s")
		})
	}
}

// BenchmarkInputJobs builds every subject's input as EvaluateIndex does
// (one term cache per job, only the keys the scope's rules read), without
// evaluating them: the input building part of a province's evaluation.
func BenchmarkInputJobs(b *testing.B) {
	snap := provinceSnap()
	for name, p := range benchPolicies(b) {
		c := mustNew(b, p, WithWorkers(1))
		plan, err := c.plan(snap)
		if err != nil {
			b.Fatal(err)
		}
		batches := plan.batches()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			shared := newTermCache()
			for i := 0; i < b.N; i++ {
				for _, batch := range batches {
					tc := jobCache(shared, batch)
					for _, k := range batch {
						s := plan.subjects[k]
						_ = plan.x.inputKeys(s, tc, c.groups[plan.key(s)].keys)
					}
				}
			}
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkEvaluate evaluates one target per scope on every subject of the
// scope, single-threaded: evals/s is per core.
func BenchmarkEvaluate(b *testing.B) {
	snap := provinceSnap()
	for name, p := range benchPolicies(b) {
		c := mustNew(b, p, WithWorkers(1))
		plan, err := c.plan(snap)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range p.Targets() {
			var subjects []subject
			for _, s := range plan.subjects {
				if s.scope == t.Scope && (s.model < 0 || plan.x.models[s.model].typ == t.ModelType) {
					subjects = append(subjects, s)
				}
			}
			if len(subjects) == 0 {
				continue
			}
			inputs := make([]valueT, len(subjects))
			for i, s := range subjects {
				inputs[i] = plan.x.input(s)
			}
			pt := c.prepared[t.ID]
			b.Run(name+"/"+t.ID+"-"+t.Scope, func(b *testing.B) {
				b.ReportAllocs()
				cpu0 := cpuTime()
				for i := 0; i < b.N; i++ {
					k := i % len(subjects)
					if _, err := c.evalOne(context.Background(), plan.x, subjects[k], pt, inputs[k], hooks{}, time.Now().Add(c.timeout)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
				b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "evals/cpu-s")
			})
		}
	}
}

// BenchmarkProvince is a whole-province Evaluate with every CPU.
func BenchmarkProvince(b *testing.B) {
	snap := provinceSnap()
	for name, p := range benchPolicies(b) {
		c := mustNew(b, p)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			evals := 0
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				out, err := c.Evaluate(context.Background(), snap)
				if err != nil {
					b.Fatal(err)
				}
				evals = len(out.Results)
			}
			b.ReportMetric(float64(evals), "results")
			b.ReportMetric(float64(evals)*float64(b.N)/b.Elapsed().Seconds(), "evals/s")
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

type valueT = ast.Value

// cpuTime is the CPU time (user + system) the process has used: the
// machine is shared, so wall time alone overstates the cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEvalOverhead measures the checker's and OPA's fixed cost per
// evaluation: a target that looks at one field of a commune's input.
func BenchmarkEvalOverhead(b *testing.B) {
	snap := provinceSnap()
	p, err := Load(context.Background(), fstest.MapFS{"a.rego": {Data: []byte(okMeta +
		"violation contains {\"msg\": \"x\"} if input.subject.id == \"none\"\n")}})
	if err != nil {
		b.Fatal(err)
	}
	c := mustNew(b, p, WithWorkers(1))
	plan, err := c.plan(snap)
	if err != nil {
		b.Fatal(err)
	}
	s := plan.subjects[0]
	input := plan.x.input(s)
	pt := c.prepared["X-1"]
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := c.evalOne(context.Background(), plan.x, s, pt, input, hooks{}, time.Now().Add(c.timeout)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "evals/cpu-s")
}

// BenchmarkEvaluateScope evaluates every target of a scope (or model type)
// on each of its subjects with one query (evalGroup), single-threaded:
// evals/cpu-s counts (target, subject) evaluations per core.
func BenchmarkEvaluateScope(b *testing.B) {
	snap := provinceSnap()
	for name, p := range benchPolicies(b) {
		c := mustNew(b, p, WithWorkers(1))
		plan, err := c.plan(snap)
		if err != nil {
			b.Fatal(err)
		}
		byKey := map[string][]subject{}
		var keys []string
		for _, s := range plan.subjects {
			k := plan.key(s)
			if byKey[k] == nil {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], s)
		}
		sort.Strings(keys)
		for _, k := range keys {
			subjects := byKey[k]
			inputs := make([]valueT, len(subjects))
			for i, s := range subjects {
				inputs[i] = plan.x.input(s)
			}
			g := c.groups[k]
			b.Run(name+"/"+k, func(b *testing.B) {
				b.ReportAllocs()
				cpu0 := cpuTime()
				for i := 0; i < b.N; i++ {
					j := i % len(subjects)
					if _, err := c.evalGroup(context.Background(), plan.x, subjects[j], g, inputs[j]); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*len(g.targets))/(cpuTime()-cpu0).Seconds(), "evals/cpu-s")
			})
		}
	}
}

// BenchmarkTakeInventory counts the province's units and models by type,
// status and province or district (linear in units and models).
func BenchmarkTakeInventory(b *testing.B) {
	snap := provinceSnap()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = TakeInventory(snap)
	}
}

// BenchmarkBuildMembers counts a members table of a million rows into the
// province's branches and groups (buildMembers, the part of Prepare that
// reads every member): "grouped" lists a unit's members together, as
// exports do (the national sample too); "scattered" gives each row a unit at
// random, the worst case of counting by runs.
func BenchmarkBuildMembers(b *testing.B) {
	x, err := buildIndex(provinceSnap())
	if err != nil {
		b.Fatal(err)
	}
	var leaves []string
	for _, u := range x.units {
		if u.level == snapshot.Level("group") || u.level == snapshot.Level("branch") {
			leaves = append(leaves, u.id)
		}
	}
	sgs := []any{nil, nil, nil, "worker", "religious", "migrant"}
	for _, order := range []string{"grouped", "scattered"} {
		s := newSnap(memory.NewGoAllocator(), "m", "2024-09-30")
		rng := rand.New(rand.NewPCG(3, 4))
		const n = 1_000_000
		for i := 0; i < n; i++ {
			u := leaves[(i/40)%len(leaves)]
			if order == "scattered" {
				u = leaves[rng.IntN(len(leaves))]
			}
			var hardship any
			if rng.IntN(3) > 0 {
				hardship = rng.IntN(8) == 0
			}
			s.member(fmt.Sprintf("hv%08d", i), u, fmt.Sprintf("%d-%02d-%02d", 2000+rng.IntN(25), 1+rng.IntN(12), 1+rng.IntN(28)),
				rng.IntN(50) == 0, rng.IntN(10) == 0, rng.IntN(6) == 0, hardship, rng.IntN(4) == 0, sgs[rng.IntN(len(sgs))])
		}
		members := table(s.build(), snapshot.Members)
		// One member in 500 takes part in a model (thai-binh-2024: 636 of
		// 357,293); buildMembers fills in their records.
		pend := &pendingModels{member: map[string]*memberRow{}}
		for k := 7; k < n; k += 500 {
			pend.member[fmt.Sprintf("hv%08d", k)] = nil
		}
		b.Run(order, func(b *testing.B) {
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				x.buildMembers(members, pend.member)
			}
			b.ReportMetric(float64(n*b.N)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
		})
	}
}
