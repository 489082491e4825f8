package checker

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/rs/zerolog"

	"github.com/vungmanh/vungmanh/checker/regovm"
	"github.com/vungmanh/vungmanh/internal/hierarchy"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// DefaultEvalTimeout is the deadline of one (target, subject) evaluation.
const DefaultEvalTimeout = 5 * time.Second

// Checker evaluates compiled targets over snapshots. Build it with New; it is
// safe for concurrent use.
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

	maxViolations, maxTargetViolations int // caps.go

	mu        sync.Mutex                 // guards what prepare sets
	prepared  map[string]*preparedTarget // by target id; nil until prepared
	groups    map[string]*preparedGroup  // by plan key (scope, or model:type), scopes filtered
	store     storage.Store
	data      ast.Value         // the store's data, for regovm
	unplanned map[string]string // plan keys left to topdown, with regovm's reason

	engine    Engine
	fallbacks atomic.Int64 // subjects regovm gave no usable result for

	// printing: the logger logs at debug level, where the policies'
	// print() output is logged (print.go).
	printing bool
}

// preparedGroup is every target of one plan key (a scope, or a model type)
// in one query, so that a subject costs one evaluation: the query binds r to
// a list of three entries per target, in target order: its violation,
// warning and skip (groupQuery).
type preparedGroup struct {
	targets []*preparedTarget // sorted by id
	query   rego.PreparedEvalQuery
	keys    inputKeys       // the keys of input the scope's rules can read
	vm      *regovm.Program // nil: topdown only
}

type preparedTarget struct {
	Target
	query rego.PreparedEvalQuery
	rules ruleSet
}

// Option configures a Checker.
type Option func(*Checker)

// WithWorkers sets the number of evaluating goroutines (default: all CPUs).
func WithWorkers(n int) Option {
	return func(c *Checker) {
		if n > 0 {
			c.workers = n
		}
	}
}

// WithEvalTimeout sets the deadline of each evaluation (default 5s). An
// evaluation past it is an error result; the run goes on.
func WithEvalTimeout(d time.Duration) Option {
	return func(c *Checker) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithParams sets data.params (the parsed --params file).
func WithParams(p map[string]any) Option { return func(c *Checker) { c.params = p } }

// WithWaivers sets the waivers and the day they are judged on (YYYY-MM-DD;
// the snapshot's as-of date when empty). A waiver whose expires is before
// asOf is expired.
func WithWaivers(w []Waiver, asOf string) Option {
	return func(c *Checker) { c.waivers, c.asOf = w, asOf }
}

// WithShard evaluates only the communes whose FNV-1a hash of the id modulo
// count is index, and the subjects below them (branches, groups, their
// models). Province and district subjects are evaluated only when count is 1.
func WithShard(index, count int) Option {
	return func(c *Checker) {
		if count >= 1 && index >= 0 && index < count {
			c.shard.index, c.shard.count = index, count
		}
	}
}

// WithScopes evaluates only the targets of these scopes (default: all).
// With WithShard, a merge step can evaluate the province and district
// targets that no shard evaluates: New(p, WithScopes("province", "district")).
func WithScopes(scopes ...string) Option {
	return func(c *Checker) {
		c.scopes = map[string]bool{}
		for _, s := range scopes {
			c.scopes[s] = true
		}
	}
}

// WithProgress is called after each subject with the number of evaluations
// done and the total. Calls never overlap.
func WithProgress(f func(done, total int)) Option { return func(c *Checker) { c.progress = f } }

// WithLogger sets the logger (default zerolog.Nop()). Workers log at once:
// its writer must be safe for concurrent use (zerolog.SyncWriter).
func WithLogger(l zerolog.Logger) Option { return func(c *Checker) { c.log = l } }

// New returns a Checker for the policies.
func New(p *Policies, opts ...Option) *Checker {
	c := &Checker{policies: p, workers: runtime.GOMAXPROCS(0), timeout: DefaultEvalTimeout, log: zerolog.Nop(),
		maxViolations: DefaultMaxViolations, maxTargetViolations: DefaultMaxTargetViolations}
	c.shard.count = 1
	for _, o := range opts {
		o(c)
	}
	c.printing = c.log.Debug().Enabled()
	return c
}

// Outcome is the result of one Evaluate.
type Outcome struct {
	Targets []Target
	Results []Result // sorted by target id, then subject id
	Waivers WaiverReport
}

func (c *Checker) prepare(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prepared != nil {
		return nil
	}
	data, err := c.storeValue()
	if err != nil {
		return err
	}
	store, err := newStore(ctx, data)
	if err != nil {
		return err
	}
	prepared := map[string]*preparedTarget{}
	for _, t := range c.policies.targets {
		rs := c.policies.rules[t.Package]
		pq, err := c.prepareQuery(ctx, store, queryFor(t.Package, rs), t.Scope)
		if err != nil {
			return fmt.Errorf("prepare target %s: %w", t.ID, err)
		}
		prepared[t.ID] = &preparedTarget{Target: t, query: pq, rules: rs}
	}
	groups := map[string]*preparedGroup{}
	unplanned := map[string]string{}
	var keys []string
	for _, t := range c.policies.targets {
		if c.scopes != nil && !c.scopes[t.Scope] {
			continue
		}
		key := t.Scope
		if t.Scope == "model" {
			key = modelKey(t.ModelType)
		}
		g := groups[key]
		if g == nil {
			g = &preparedGroup{keys: allInputKeys}
			if k, ok := c.policies.inputKeys[t.Scope]; ok {
				g.keys = k
			}
			groups[key] = g
			keys = append(keys, key)
		}
		g.targets = append(g.targets, prepared[t.ID])
	}
	for _, key := range keys {
		g := groups[key]
		if c.engine == EngineRegovm {
			vm, err := c.planVM(ctx, store, g)
			if err != nil {
				unplanned[key] = err.Error()
			}
			g.vm = vm
		}
		if len(g.targets) < 2 || g.vm != nil {
			// One target: evalOne's query is the group's. With regovm,
			// topdown only ever evaluates target by target (evalGroup).
			continue
		}
		pq, err := c.prepareQuery(ctx, store, groupQuery(g.targets), g.targets[0].Scope)
		if err != nil {
			return fmt.Errorf("prepare targets of %s: %w", key, err)
		}
		g.query = pq
	}
	c.store, c.prepared, c.groups, c.data, c.unplanned = store, prepared, groups, data, unplanned
	return nil
}

// newStore is an in-memory store holding data (each key of it written as
// the AST value it is, and read back as such: topdown reads what regovm is
// given).
func newStore(ctx context.Context, data ast.Object) (storage.Store, error) {
	store := inmem.NewFromObjectWithOpts(map[string]any{}, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	txn, err := store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return nil, fmt.Errorf("store data: %w", err)
	}
	for _, k := range data.Keys() {
		key, ok := k.Value.(ast.String)
		if !ok {
			store.Abort(ctx, txn)
			return nil, fmt.Errorf("store data: key %v is not a string", k)
		}
		if err := store.Write(ctx, txn, storage.AddOp, storage.Path{string(key)}, data.Get(k).Value); err != nil {
			store.Abort(ctx, txn)
			return nil, fmt.Errorf("store %v: %w", k, err)
		}
	}
	if err := store.Commit(ctx, txn); err != nil {
		return nil, fmt.Errorf("store data: %w", err)
	}
	return store, nil
}

// prepareQuery prepares query against the compiled policies of scope and
// the data in store, in the sandbox (Capabilities) with strict builtin
// errors.
func (c *Checker) prepareQuery(ctx context.Context, store storage.Store, query ast.Body, scope string) (rego.PreparedEvalQuery, error) {
	return rego.New(regoOptions(c.policies.compilers[scope], store, query, Capabilities())...).PrepareForEval(ctx)
}

// regoOptions are the options of every query the checker prepares, with
// topdown (prepareQuery) or for regovm (planQuery): compiler's modules, the
// data in store read as AST values, strict builtin errors, caps.
func regoOptions(compiler *ast.Compiler, store storage.Store, query ast.Body, caps *ast.Capabilities) []func(*rego.Rego) {
	return []func(*rego.Rego){
		rego.ParsedQuery(query),
		rego.Compiler(compiler),
		rego.Store(store),
		rego.StoreReadAST(true),
		rego.StrictBuiltinErrors(true),
		rego.Capabilities(caps),
	}
}

// groupQuery is queryFor for several targets in one query with one
// binding: r is a list of three entries per target: its violation and
// warning sets ([] when the package has no such rule), and its skip ([] when
// undefined, [value] otherwise). One binding and one expression instead of
// three per target spare OPA's result building a map entry and an
// expression value per rule and subject; reading a partial set without a
// comprehension spares one comprehension per rule. A violation or warning
// that is not a partial set and is undefined makes the whole query
// undefined: evalGroup then evaluates the targets one by one.
func groupQuery(ts []*preparedTarget) ast.Body { return groupQueryAs(ts, "r") }

// groupQueryAs is groupQuery binding the list to name.
func groupQueryAs(ts []*preparedTarget, name string) ast.Body {
	var parts []string
	for i, t := range ts {
		for j, rule := range []string{"violation", "warning", "skip"} {
			has := [3]bool{t.rules.violation, t.rules.warning, t.rules.skip}[j]
			switch {
			case has && rule != "skip":
				// A partial set is never undefined (empty at worst): no
				// comprehension needed.
				parts = append(parts, fmt.Sprintf("data.%s.%s", t.Package, rule))
			case has:
				parts = append(parts, fmt.Sprintf("[x%d_%d | x%d_%d := data.%s.%s]", i, j, i, j, t.Package, rule))
			default:
				parts = append(parts, "[]")
			}
		}
	}
	return ast.MustParseBodyWithOpts(name+" := ["+strings.Join(parts, ", ")+"]", ast.ParserOptions{RegoVersion: ast.RegoV1})
}

// storeValue is the data document: {"params": ..., "vocab": ...}, the
// params with the defaults the targets declare (withParamDefaults).
func (c *Checker) storeValue() (ast.Object, error) {
	params := c.params
	if params == nil {
		params = map[string]any{}
	}
	if c.policies != nil {
		params = withParamDefaults(params, c.policies.targets)
	}
	v, err := ast.InterfaceToValue(map[string]any{"params": params, "vocab": vocabData()})
	if err != nil {
		return nil, fmt.Errorf("convert params: %w", err)
	}
	return v.(ast.Object), nil
}

// queryFor asks for the rules the package defines, each wrapped so that an
// undefined rule gives an empty list instead of an undefined query.
func queryFor(pkg string, rs ruleSet) ast.Body {
	var parts []string
	add := func(name string, has bool) {
		if has {
			parts = append(parts, fmt.Sprintf("%s := [x | x := data.%s.%s]", name, pkg, name))
		} else {
			parts = append(parts, name+" := []")
		}
	}
	add("violation", rs.violation)
	add("warning", rs.warning)
	add("skip", rs.skip)
	return ast.MustParseBodyWithOpts(strings.Join(parts, "; "), ast.ParserOptions{RegoVersion: ast.RegoV1})
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
// The index reads the members record only while Prepare runs: it keeps
// counts and its own copies of the records of members who take part in a
// model, no reference into that record. A caller short of memory may
// therefore release the members record (snapshot.Members) after Prepare,
// once it has read what else it needs from it (TakeInventory counts its
// rows). The other records (units, models, participants, cadres, ratings,
// activities) must stay alive as long as the Index is used.
type Index struct{ x *index }

// Prepare indexes snap for EvaluateIndex.
func Prepare(snap *snapshot.Snapshot) (*Index, error) {
	x, err := buildIndex(snap)
	if err != nil {
		return nil, err
	}
	return &Index{x: x}, nil
}

func (c *Checker) plan(ctx context.Context, snap *snapshot.Snapshot) (*plan, error) {
	idx, err := Prepare(snap)
	if err != nil {
		return nil, err
	}
	return c.planIndex(ctx, idx.x)
}

func (c *Checker) planIndex(ctx context.Context, x *index) (*plan, error) {
	if err := c.prepare(ctx); err != nil {
		return nil, err
	}
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
	return p, nil
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
	p, err := c.planIndex(ctx, idx.x)
	if err != nil {
		return nil, err
	}
	x := p.x
	total := 0
	for _, s := range p.subjects {
		total += len(p.targets[p.key(s)])
	}
	c.log.Debug().Int("subjects", len(p.subjects)).Int("evaluations", total).Int("workers", c.workers).Msg("evaluate")
	c.logEngine()
	fallbacks0 := c.fallbacks.Load()
	defer func() {
		c.log.Debug().Int64("subjects", c.fallbacks.Load()-fallbacks0).Msg("regovm gave no usable result: evaluated with topdown")
	}()

	results := make([][]Result, len(p.subjects))
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
			for batch := range jobs {
				var tc *termCache
				if len(batch) > 1 {
					tc = newTermCache()
				}
				for _, i := range batch {
					s := p.subjects[i]
					g := c.groups[p.key(s)]
					input := x.inputKeys(s, tc, g.keys)
					rs, err := c.evalGroup(ctx, x, s, g, input)
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						cancel()
						break
					}
					results[i] = rs
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
	out := &Outcome{Targets: c.policies.Targets()}
	n := 0
	for _, rs := range results {
		n += len(rs)
	}
	out.Results = make([]Result, 0, n)
	for _, rs := range results {
		out.Results = append(out.Results, rs...)
	}
	out.Results = append(out.Results, c.notEvaluated(x, p)...)
	for _, s := range p.notLaunched {
		for _, t := range p.targets[p.key(s)] {
			r := c.baseResult(x, s, t.ID)
			r.Status, r.SkipReason = StatusSkipped, reasonNotLaunched
			out.Results = append(out.Results, r)
		}
	}
	sort.Slice(out.Results, func(i, j int) bool {
		a, b := out.Results[i], out.Results[j]
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.Subject < b.Subject
	})
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

// evalGroup evaluates every target of g on one subject with one regovm
// evaluation (engine.go) or, without a regovm program, one topdown query,
// under one deadline (WithEvalTimeout) for the subject. When that
// evaluation fails (a runtime error, a conflict, an undefined rule), it
// evaluates the targets one by one with topdown within what remains of the
// deadline, so that only the faulty target gives an error result and every
// result is what evalOne gives. When it ran past the deadline, nothing
// remains: every target of the group gives an error result, and the
// deadline is not spent a second time to find the slow one. It returns an
// error only when ctx is done.
func (c *Checker) evalGroup(ctx context.Context, x *index, s subject, g *preparedGroup, input ast.Value) ([]Result, error) {
	at := time.Now().Add(c.timeout)
	var all *ast.Array
	timedOut := false
	pr := c.newPrinter()
	if g.vm != nil {
		if all = c.evalVM(ctx, g.vm, input, at, pr); all == nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			timedOut = !time.Now().Before(at)
			// Where regovm fails (an error, the deadline, an undefined
			// rule), topdown evaluates the targets one by one: their
			// results are topdown's, error or not (topdown's rule index
			// may skip a rule body before the statement that failed in
			// the plan).
			c.fallbacks.Add(1)
		}
	} else if len(g.targets) > 1 {
		rs, to, err := c.evalTimed(ctx, g.query, input, hooks{print: pr.hook()}, at)
		timedOut = to
		if err == nil && len(rs) == 1 {
			if t, ok := rs[0].Bindings["r"].(*ast.Term); ok {
				all, _ = t.Value.(*ast.Array)
			}
		}
		if all == nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	out := make([]Result, 0, len(g.targets))
	if all != nil && all.Len() == 3*len(g.targets) {
		for i, t := range g.targets {
			r := c.baseResult(x, s, t.ID)
			if err := decodeRules(ruleValue(all.Elem(3*i)), ruleValue(all.Elem(3*i+1)), all.Elem(3*i+2), &r); err != nil {
				msg := err.Error()
				r.Status = StatusError
				r.Error = &msg
				r.Violations, r.Warnings = []Violation{}, []Violation{}
			}
			c.capSubject(&r)
			x.redact.result(&r)
			out = append(out, r)
		}
		c.logPrints(x, s, g, pr)
		return out, nil
	}
	if timedOut {
		msg := fmt.Sprintf("%s after %s", errTimeout, c.timeout)
		if len(g.targets) > 1 {
			msg += fmt.Sprintf(": the subject's %d targets were evaluated together and ran past it", len(g.targets))
		}
		for _, t := range g.targets {
			r := c.baseResult(x, s, t.ID)
			r.Status, r.Error = StatusError, &msg
			out = append(out, r)
		}
		return out, nil
	}
	// What the group's evaluation printed is dropped: each target prints
	// again as topdown evaluates it.
	pr.reset()
	for _, t := range g.targets {
		pr.setTarget(t.ID)
		r, err := c.evalOne(ctx, x, s, t, input, hooks{print: pr.hook()}, at)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	c.logPrints(x, s, g, pr)
	return out, nil
}

// ruleValue is the value of a violation or warning rule in a group's list
// (groupQueryAs: the rule itself, defined whatever it holds when it is a
// partial set) as decodeRules reads it: the set itself, or [value] for
// anything else, as evalOne's query gives it. A complete rule that holds
// true, an object or an array is thus an error or a failure as with evalOne,
// never an empty list that passes.
func ruleValue(t *ast.Term) *ast.Term {
	if _, ok := t.Value.(ast.Set); ok {
		return t
	}
	return ast.ArrayTerm(t)
}

// evalTimed runs q on input until the deadline at; the bool tells whether
// the error came from that deadline. A deadline already past runs nothing.
func (c *Checker) evalTimed(ctx context.Context, q rego.PreparedEvalQuery, input ast.Value, h hooks, at time.Time) (rego.ResultSet, bool, error) {
	budget := time.Until(at)
	if budget <= 0 {
		return nil, true, errSpent
	}
	cancel := topdown.NewCancel()
	var timedOut bool
	var tmu sync.Mutex
	timer := time.AfterFunc(budget, func() {
		tmu.Lock()
		timedOut = true
		tmu.Unlock()
		cancel.Cancel()
	})
	stop := context.AfterFunc(ctx, cancel.Cancel)
	opts := []rego.EvalOption{rego.EvalParsedInput(input), rego.EvalExternalCancel(cancel), rego.EvalMetrics(noMetrics), rego.EvalGenerateJSON(keepTerm)}
	if h.tracer != nil {
		opts = append(opts, rego.EvalQueryTracer(h.tracer))
	}
	if h.print != nil {
		opts = append(opts, rego.EvalPrintHook(h.print))
	}
	start := time.Now()
	rs, err := q.Eval(ctx, opts...)
	end := time.Now()
	timer.Stop()
	stop()
	tmu.Lock()
	to := timedOut
	tmu.Unlock()
	if err == nil && end.After(at) {
		// topdown looks at its cancel every so often: a query that
		// finished past the deadline before it looked ran too long all the
		// same (docs/policy-input.md: a target that runs past it is an error).
		return nil, true, fmt.Errorf("finished after %s", end.Sub(start))
	}
	return rs, to, err
}

// noMetrics spares every evaluation the timers OPA keeps by default.
var noMetrics = metrics.NoOp()

// keepTerm leaves each binding of a result as its *ast.Term: decodeBindings
// reads violations straight from the terms, instead of OPA converting every
// binding to JSON-like Go values first (7% of the evaluation's garbage).
func keepTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// errTimeout marks an evaluation cancelled by its own deadline.
var errTimeout = errors.New("evaluation deadline exceeded")

// errSpent is the error of an evaluation whose deadline had passed before
// it began: other targets of the subject spent it.
var errSpent = errors.New("the subject's deadline was spent by the evaluations before this one")

// evalOne evaluates one target on one subject until the deadline at. It
// returns an error only when ctx is done: every policy problem becomes an
// error result.
func (c *Checker) evalOne(ctx context.Context, x *index, s subject, t *preparedTarget, input ast.Value, h hooks, at time.Time) (Result, error) {
	r := c.baseResult(x, s, t.ID)
	rs, to, err := c.evalTimed(ctx, t.query, input, h, at)
	if err != nil {
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		msg := errorText(err)
		if to {
			msg = fmt.Sprintf("%s after %s: %s", errTimeout, c.timeout, msg)
		}
		r.Status = StatusError
		r.Error = &msg
		x.redact.result(&r)
		return r, nil
	}
	if err := decodeResult(rs, &r); err != nil {
		msg := err.Error()
		r.Status = StatusError
		r.Error = &msg
		r.Violations, r.Warnings = []Violation{}, []Violation{}
	}
	c.capSubject(&r)
	x.redact.result(&r)
	return r, nil
}

func (c *Checker) baseResult(x *index, s subject, target string) Result {
	r := Result{Target: target, Violations: []Violation{}, Warnings: []Violation{}}
	if s.model >= 0 {
		m := x.models[s.model]
		r.Subject, r.SubjectLevel = m.id, "model"
		if n, ok := x.modelNames[s.model]; ok {
			r.SubjectName = n
		}
		r.Path = make([]string, 0, len(x.path[s.unit])+1)
		for _, a := range x.path[s.unit] {
			r.Path = append(r.Path, x.units[a].id)
		}
		r.Path = append(r.Path, x.units[s.unit].id)
		return r
	}
	u := x.units[s.unit]
	r.Subject, r.SubjectLevel, r.SubjectName = u.id, string(u.level), u.name
	r.Path = make([]string, len(x.path[s.unit]))
	for i, a := range x.path[s.unit] {
		r.Path[i] = x.units[a].id
	}
	return r
}
