package checker

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/rs/zerolog"

	"github.com/vungmanh/vungmanh/checker/regovm"
	"github.com/vungmanh/vungmanh/internal/hierarchy"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// DefaultEvalTimeout is the deadline of one (target, subject) evaluation.
const DefaultEvalTimeout = 5 * time.Second

// Checker evaluates compiled targets over snapshots. Build it with New,
// which prepares every query; it is then read only, and safe for
// concurrent use.
type Checker struct {
	policies  *Policies
	heapAbort uint64 // WithHeapAbort
	workers   int
	timeout   time.Duration
	params    map[string]any
	waivers   []Waiver
	asOf      string
	shard     struct{ index, count int }
	progress  func(done, total int)
	log       zerolog.Logger
	scopes    map[string]bool // nil: every scope
	engine    Engine

	maxViolations, maxTargetViolations int // caps.go

	// What New prepares (prepare.go).
	prepared  map[string]*preparedTarget // by target id, every target
	groups    map[string]*preparedGroup  // by plan key (scope, or model:type), scopes filtered
	data      ast.Value                  // the store's data, for regovm
	unplanned map[string]string          // plan keys left to topdown, with regovm's reason

	fallbacks atomic.Int64 // subjects regovm gave no usable result for

	// printing: the logger logs at debug level, where the policies'
	// print() output is logged (print.go).
	printing bool
}

// preparedGroup is every target of one plan key (a scope, or a model type)
// in one evaluation, so that a subject costs one: a regovm program (vm),
// or without one, when the group has more than one target, a topdown query
// (query). Either binds a list of three entries per target, in target
// order: its violation, warning and skip (groupQueryAs).
type preparedGroup struct {
	targets []*preparedTarget // sorted by id
	query   rego.PreparedEvalQuery
	keys    inputKeys       // the keys of input the scope's rules can read
	vm      *regovm.Program // nil: topdown only
}

// preparedTarget is one target with its own topdown query (queryFor), by
// which it is evaluated alone (evalOne).
type preparedTarget struct {
	Target
	query rego.PreparedEvalQuery
	rules ruleSet
}

// New prepares a Checker for the policies: every target's own topdown
// query, and for each group of targets (a scope, or a model type; only
// the scopes of WithScopes) the evaluation of its engine (WithEngine): a
// regovm program, or a topdown query of all its targets. Nothing is
// prepared afterwards: a query that cannot be prepared is New's error.
func New(ctx context.Context, p *Policies, opts ...Option) (*Checker, error) {
	if p == nil {
		return nil, errors.New("checker: no policies")
	}
	c := &Checker{policies: p, workers: runtime.GOMAXPROCS(0), timeout: DefaultEvalTimeout, log: zerolog.Nop(),
		maxViolations: DefaultMaxViolations, maxTargetViolations: DefaultMaxTargetViolations}
	c.shard.count = 1
	for _, o := range opts {
		o(c)
	}
	c.printing = c.log.Debug().Enabled()
	if err := c.prepare(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Outcome is the result of one Evaluate.
type Outcome struct {
	Targets []Target
	Results []Result // sorted by target id, then subject id
	Waivers WaiverReport
}

// modelKey is the key of plan.targets for the targets of one model type.
func modelKey(typ string) string { return "model:" + typ }

// key is the key of plan.targets for the targets that apply to s: the
// targets of its level, or for a model the targets of its model type.
func (p *plan) key(s subject) string {
	if s.model >= 0 {
		return modelKey(p.x.models[s.model].typ)
	}
	return s.scope
}

// plan is the work of one Evaluate.
type plan struct {
	x        *index
	targets  map[string][]*preparedTarget // by scope
	subjects []subject
	// notLaunched are the model subjects launched after the snapshot's
	// as_of: skipped, reason "not launched yet", without evaluation.
	notLaunched []subject
}

// reasonNotLaunched is the skip reason of a model launched after as_of.
const reasonNotLaunched = "not launched yet"

// batches splits the subjects into the jobs of the workers: the subjects of
// one commune's subtree (the commune, its branches and groups, and the
// models they built) form one job, whose inputs share the per-unit and
// per-model terms (termCache); every other subject is a job of its own.
// Results do not depend on the split.
func (p *plan) batches() [][]int {
	var out [][]int
	byCommune := map[int]int{} // commune -> index in out
	for i, s := range p.subjects {
		if s.unit >= 0 {
			if cm := p.x.communeOf(s.unit); cm >= 0 {
				if k, ok := byCommune[cm]; ok {
					out[k] = append(out[k], i)
					continue
				}
				byCommune[cm] = len(out)
			}
		}
		out = append(out, []int{i})
	}
	return out
}

// inShard reports whether c's shard evaluates unit u (or a model of u).
func (c *Checker) inShard(x *index, u int) bool {
	return c.shardRule().Holds(x.tree.CommuneID(u))
}

// shardRule is c's shard (WithShard).
func (c *Checker) shardRule() hierarchy.Shard {
	return hierarchy.Shard{Index: c.shard.index, Count: c.shard.count}
}

// Index is a snapshot indexed for evaluation: the hierarchy, per-unit
// lists and member statistics, computed once from the Arrow columns. Build
// it with Prepare; several Checkers and Evaluate calls may share it
// (EvaluateIndex), concurrently too.
//
// The index reads some records only while Prepare runs (Unread lists
// them): it keeps counts and its own copies of what it needs from them, no
// reference into them. A caller short of memory may therefore release those
// records after Prepare, once it has read what else it needs from them
// (Inventory counts their rows). The other records (units, models,
// participants, cadres, and ratings when Unread does not list them) must
// stay alive as long as the Index is used.
type Index struct{ x *index }

// Unread lists the tables whose records the index no longer reads once
// Prepare has returned:
//
//   - members: it keeps per-unit counts and copies of the records of the
//     members who take part in a model;
//   - activities: each distinct activity record is built into the index;
//   - ratings, when their distinct records were few enough to be built into
//     the index (maxSharedRatings); otherwise ratingsTerm reads the record.
//
// A national snapshot's members are most of its memory; ratings and
// activities are some 80 MB more at national scale.
func (idx *Index) Unread() []snapshot.Table {
	var out []snapshot.Table
	for _, t := range readOnce {
		if idx.x.unread(t) {
			out = append(out, t)
		}
	}
	return out
}

// readOnce are the tables the index may read only while it is built:
// Unread lists those it did (unread), and ReleaseRead releases them.
var readOnce = [...]snapshot.Table{snapshot.Members, snapshot.Activities, snapshot.Ratings}

// unread says whether the index, once built, no longer reads table t:
// members and activities always, the ratings when their records are
// built into it.
func (x *index) unread(t snapshot.Table) bool {
	return t != snapshot.Ratings || x.ratingRec != nil
}

// Prepare indexes snap for EvaluateIndex.
func Prepare(snap *snapshot.Snapshot, opts ...PrepareOption) (*Index, error) {
	var cfg prepareConfig
	for _, o := range opts {
		o(&cfg)
	}
	x, err := buildIndexWith(snap, cfg)
	if err != nil {
		return nil, err
	}
	return &Index{x: x}, nil
}

// PrepareOption is an option of Prepare.
type PrepareOption func(*prepareConfig)

type prepareConfig struct {
	release bool
	after   func(snapshot.Table)
}

// ReleaseRead has Prepare release the records of the tables Unread lists
// as soon as the index has read them, while it indexes the others (at
// national scale the members record, most of the snapshot's memory, goes
// before the models are indexed), and replace them in snap.Records by
// empty records of their schema before it returns. after, when not nil, is
// called once each is released, from the goroutine that read it (a caller
// may collect the memory there). Inventory still counts the members.
func ReleaseRead(after func(snapshot.Table)) PrepareOption {
	return func(c *prepareConfig) { c.release, c.after = true, after }
}

func (c *Checker) plan(snap *snapshot.Snapshot) (*plan, error) {
	idx, err := Prepare(snap)
	if err != nil {
		return nil, err
	}
	return c.planIndex(idx.x), nil
}

func (c *Checker) planIndex(x *index) *plan {
	p := &plan{x: x, targets: map[string][]*preparedTarget{}}
	modelTypes := map[string]bool{}
	for key, g := range c.groups {
		p.targets[key] = g.targets
		if t := g.targets[0]; t.Scope == "model" {
			modelTypes[t.ModelType] = true
		}
	}
	for u, row := range x.units {
		if !row.active || len(p.targets[string(row.level)]) == 0 || !c.inShard(x, u) {
			continue
		}
		p.subjects = append(p.subjects, subject{scope: string(row.level), unit: u, model: -1})
	}
	for m, row := range x.models {
		if !row.active || row.unit < 0 || !modelTypes[row.typ] || !x.units[row.unit].active || !c.inShard(x, row.unit) {
			continue
		}
		if row.launchedOn != "" && row.launchedOn > x.asOf {
			p.notLaunched = append(p.notLaunched, subject{scope: "model", unit: row.unit, model: m})
			continue
		}
		p.subjects = append(p.subjects, subject{scope: "model", unit: row.unit, model: m})
	}
	return p
}

// Evaluate evaluates every target on every subject of its scope and returns
// the results sorted by target id, then subject id. The results do not
// depend on the number of workers.
func (c *Checker) Evaluate(ctx context.Context, snap *snapshot.Snapshot) (*Outcome, error) {
	idx, err := Prepare(snap)
	if err != nil {
		return nil, err
	}
	return c.EvaluateIndex(ctx, idx)
}

// EvaluateIndex is Evaluate on a snapshot indexed by Prepare: the same
// results, without indexing the snapshot again (a merge of sharded runs
// evaluates one snapshot twice), and without reading the members record.
func (c *Checker) EvaluateIndex(ctx context.Context, idx *Index) (*Outcome, error) {
	start := time.Now()
	p := c.planIndex(idx.x)
	x := p.x
	// Every subject's results go straight to their place in one slice
	// (offset[i]: the first of subject i's), not to a slice per subject
	// copied into the outcome at the end: at national scale that copy
	// held the results twice (half a million of them) at the run's peak.
	// keys[i] is subject i's key of the plan (for a model, a string made
	// at each p.key call).
	keys := make([]string, len(p.subjects))
	offset := make([]int, len(p.subjects)+1)
	for i, s := range p.subjects {
		keys[i] = p.key(s)
		offset[i+1] = offset[i] + len(p.targets[keys[i]])
	}
	total := offset[len(p.subjects)]
	c.log.Debug().Int("subjects", len(p.subjects)).Int("evaluations", total).Int("workers", c.workers).Msg("evaluate")
	c.logEngine()
	fallbacks0 := c.fallbacks.Load()
	defer func() {
		c.log.Debug().Int64("subjects", c.fallbacks.Load()-fallbacks0).Msg("regovm gave no usable result: evaluated with topdown")
	}()

	notEval := c.notEvaluated(x, p)
	rest := len(notEval)
	for _, s := range p.notLaunched {
		rest += len(p.targets[p.key(s)])
	}
	results := make([]Result, total, total+rest)
	batches := p.batches()
	jobs := make(chan []int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var memErr *MemoryError // set by the heap watchdog before it cancels
	var watch sync.WaitGroup
	if c.heapAbort > 0 {
		watch.Go(func() {
			watchHeap(ctx, c.heapAbort, func(heap uint64) {
				mu.Lock()
				memErr = &MemoryError{Heap: heap, Limit: c.heapAbort}
				mu.Unlock()
				cancel()
			})
		})
	}
	var firstErr error
	workers := min(c.workers, max(1, len(p.subjects)))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			shared := newTermCache() // emptied for each job: one cache per job, the maps' room kept
			for batch := range jobs {
				tc := jobCache(shared, batch)
				for _, i := range batch {
					s := p.subjects[i]
					g := c.groups[keys[i]]
					input := x.inputKeys(s, tc, g.keys)
					rs, err := c.evalGroup(ctx, x, s, g, input)
					if err == nil && len(rs) != offset[i+1]-offset[i] {
						err = fmt.Errorf("subject %s: %d results for %d targets", x.subjectID(s), len(rs), offset[i+1]-offset[i])
					}
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						cancel()
						break
					}
					copy(results[offset[i]:], rs)
					if c.progress != nil {
						mu.Lock()
						done += len(rs)
						c.progress(done, total)
						mu.Unlock()
					}
				}
			}
		}()
	}
feed:
	for _, b := range batches {
		select {
		case jobs <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	c.log.Debug().Float64("seconds", time.Since(start).Seconds()).Msg("subjects evaluated")
	cancel() // ends the heap watchdog
	watch.Wait()
	if memErr != nil {
		return nil, memErr
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if err := parent.Err(); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	out := &Outcome{Targets: c.policies.Targets(), Results: results}
	out.Results = append(out.Results, notEval...)
	for _, s := range p.notLaunched {
		for _, t := range p.targets[p.key(s)] {
			r := c.baseResult(x, s, t.ID)
			r.Status, r.SkipReason = StatusSkipped, reasonNotLaunched
			out.Results = append(out.Results, r)
		}
	}
	SortResults(out.Results)
	c.capTargets(out.Results)
	asOf := c.asOf
	if asOf == "" {
		asOf = x.asOf
	}
	out.Waivers = applyWaivers(out.Results, c.waivers, asOf)
	return out, nil
}

// notEvaluated gives a not_evaluated result for each excluded unit or model
// for every target of its scope.
func (c *Checker) notEvaluated(x *index, p *plan) []Result {
	var out []Result
	known := x.tree.WithExcluded(x.excludedUnits)
	shard := c.shardRule()
	// The reason travels as a value (Reason) and as its text (Error).
	notEval := func(r Result, reason snapshot.Reason) Result {
		text := reason.String()
		r.Status, r.Violations, r.Warnings, r.Error = StatusNotEvaluated, []Violation{}, []Violation{}, &text
		if reason != (snapshot.Reason{}) {
			r.Reason = &reason
		}
		return r
	}
	for _, e := range x.excludedUnits {
		ts := p.targets[string(e.Level)]
		if len(ts) == 0 {
			continue
		}
		path := known.Path(e.ParentID)
		if !shard.Holds(known.CommuneOn(append(path[:len(path):len(path)], e.ID)...)) {
			continue
		}
		for _, t := range ts {
			out = append(out, notEval(Result{Target: t.ID, Subject: e.ID, SubjectLevel: string(e.Level), SubjectName: e.Name,
				Path: path}, e.Reason))
		}
	}
	for _, e := range x.excludedModels {
		for _, t := range p.targets[modelKey(e.Type)] {
			path := known.Path(e.UnitID)
			if !shard.Holds(known.CommuneOn(path...)) {
				continue
			}
			out = append(out, notEval(Result{Target: t.ID, Subject: e.ID, SubjectLevel: "model", Path: path}, e.Reason))
		}
	}
	return out
}

// evalGroup evaluates every target of g on one subject under one deadline
// (WithEvalTimeout) for the subject, by the path of the group's engine:
// regovm when New planned the group (evalRegovm, engine.go), topdown
// otherwise (evalTopdown, topdown.go). Both end in evalEach, topdown target
// by target, where their one evaluation of the group gave no result. It
// returns an error only when ctx is done.
func (c *Checker) evalGroup(ctx context.Context, x *index, s subject, g *preparedGroup, input ast.Value) ([]Result, error) {
	at := time.Now().Add(c.timeout)
	pr := c.newPrinter()
	var out []Result
	var err error
	if g.vm != nil {
		out, err = c.evalRegovm(ctx, x, s, g, input, at, pr)
	} else {
		out, err = c.evalTopdown(ctx, x, s, g, input, at, pr)
	}
	if err != nil {
		return out, err
	}
	c.logPrints(x, s, g, pr)
	return out, nil
}

// jobCache is the term cache of a job of subjects batch: shared, emptied
// (the records of one job's subjects repeat, not those of two jobs), or
// nil for a job of one subject, which shares nothing.
func jobCache(shared *termCache, batch []int) *termCache {
	if len(batch) < 2 {
		return nil
	}
	shared.reset()
	return shared
}
