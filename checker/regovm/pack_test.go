package regovm_test

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/checker/regovm"
	"github.com/vungmanh/vungmanh/internal/sample"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/loaders"
	"github.com/vungmanh/vungmanh/policies"
)

// pack is the real policy pack, parsed once.
type pack struct {
	modules map[string]*ast.Module
	pols    *checker.Policies
	groups  []*group
}

// group is the targets evaluated together on one subject: one scope, or for
// models one model type (as the checker groups them).
type group struct {
	key         string // scope, or "model:<type>"
	scope       string
	modelType   string
	entrypoints []string

	progOnce sync.Once
	prog     *regovm.Program
	progErr  error
}

// program is the group's regovm program, planned once.
func (g *group) program(t testing.TB, pk *pack) *regovm.Program {
	t.Helper()
	g.progOnce.Do(func() {
		g.prog, g.progErr = regovm.Plan(context.Background(), pk.modules, g.entrypoints, checker.Capabilities())
	})
	if g.progErr != nil {
		t.Fatalf("%s: plan: %v", g.key, g.progErr)
	}
	return g.prog
}

var (
	packOnce sync.Once
	thePack  *pack
	packErr  error
)

// libEntrypoints are the complete rules of the library that every group
// evaluates too.
var libEntrypoints = []string{
	"lib/vungmanh/rating_rank", "lib/vungmanh/rating_label", "lib/vungmanh/field_label",
	"lib/vungmanh/role_label", "lib/vungmanh/component_label", "lib/vungmanh/level_label",
	"lib/vungmanh/as_of_year", "lib/vungmanh/as_of_month_index", "lib/vungmanh/month_text",
	"lib/vungmanh/params",
}

func loadPack(t testing.TB) *pack {
	t.Helper()
	packOnce.Do(func() { thePack, packErr = readPack() })
	if packErr != nil {
		t.Fatal(packErr)
	}
	return thePack
}

func readPack() (*pack, error) {
	ctx := context.Background()
	pols, err := checker.Load(ctx, policies.FS)
	if err != nil {
		return nil, err
	}
	modules, err := parseFS(policies.FS)
	if err != nil {
		return nil, err
	}
	rules := map[string]map[string]bool{} // package path -> rule names
	for _, m := range modules {
		p := strings.TrimPrefix(m.Package.Path.String(), "data.")
		if rules[p] == nil {
			rules[p] = map[string]bool{}
		}
		for _, r := range m.Rules {
			rules[p][r.Head.Ref().String()] = true
		}
	}
	pk := &pack{modules: modules, pols: pols}
	byKey := map[string]*group{}
	for _, tg := range pols.Targets() {
		key := tg.Scope
		if tg.Scope == "model" {
			key = "model:" + tg.ModelType
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key, scope: tg.Scope, modelType: tg.ModelType}
			byKey[key] = g
			pk.groups = append(pk.groups, g)
		}
		for _, r := range []string{"violation", "warning", "skip"} {
			if rules[tg.Package][r] {
				g.entrypoints = append(g.entrypoints, strings.ReplaceAll(tg.Package, ".", "/")+"/"+r)
			}
		}
	}
	for _, g := range pk.groups {
		g.entrypoints = append(g.entrypoints, libEntrypoints...)
	}
	sort.Slice(pk.groups, func(i, j int) bool { return pk.groups[i].key < pk.groups[j].key })
	return pk, nil
}

// parseFS parses every .rego file of fsys but the tests, as the checker does.
func parseFS(fsys fs.FS) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(p, string(b), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1, Capabilities: checker.Capabilities()})
		if err != nil {
			return err
		}
		modules[p] = m
		return nil
	})
	return modules, err
}

// topdownQuery is the reference evaluation of a group: topdown, strict
// builtin errors, the sandbox capabilities. Its query binds x<i> to [] when
// entrypoint i is undefined and to [value] otherwise.
type topdownQuery struct {
	pq  rego.PreparedEvalQuery
	eps []string
}

func compileModules(modules map[string]*ast.Module) (*ast.Compiler, error) {
	cp := map[string]*ast.Module{}
	for k, m := range modules {
		cp[k] = m.Copy()
	}
	c := ast.NewCompiler().WithCapabilities(checker.Capabilities()).WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(false)
	c.Compile(cp)
	if c.Failed() {
		return nil, c.Errors
	}
	return c, nil
}

func newTopdown(ctx context.Context, c *ast.Compiler, eps []string, data map[string]any) (*topdownQuery, error) {
	var parts []string
	for i, ep := range eps {
		parts = append(parts, fmt.Sprintf("x%d := [v%d | v%d := data.%s]", i, i, i, strings.ReplaceAll(ep, "/", ".")))
	}
	q, err := ast.ParseBodyWithOpts(strings.Join(parts, "; "), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, err
	}
	store := inmem.NewFromObjectWithOpts(data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	pq, err := rego.New(
		rego.ParsedQuery(q),
		rego.Compiler(c),
		rego.Store(store),
		rego.StoreReadAST(true),
		rego.StrictBuiltinErrors(true),
		rego.Capabilities(checker.Capabilities()),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	return &topdownQuery{pq: pq, eps: eps}, nil
}

var keepTerm = rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil })

// eval returns one value per entrypoint (nil: undefined), or topdown's error.
func (q *topdownQuery) eval(ctx context.Context, input ast.Value) ([]ast.Value, error) {
	rs, err := q.pq.Eval(ctx, rego.EvalParsedInput(input), keepTerm)
	if err != nil {
		return nil, err
	}
	out := make([]ast.Value, len(q.eps))
	if len(rs) != 1 {
		return nil, fmt.Errorf("topdown: %d results", len(rs))
	}
	for i := range q.eps {
		t, ok := rs[0].Bindings[fmt.Sprintf("x%d", i)].(*ast.Term)
		if !ok {
			return nil, fmt.Errorf("topdown: binding x%d is %T", i, rs[0].Bindings[fmt.Sprintf("x%d", i)])
		}
		arr := t.Value.(*ast.Array)
		switch arr.Len() {
		case 0:
		case 1:
			out[i] = arr.Elem(0).Value
		default:
			return nil, fmt.Errorf("topdown: %s has %d values", q.eps[i], arr.Len())
		}
	}
	return out, nil
}

// dataDoc is the data document: params and a vocabulary.
func dataDoc(params map[string]any) map[string]any {
	if params == nil {
		params = map[string]any{}
	}
	vocab := map[string]any{}
	for k, m := range checker.Vocab() {
		labels := map[string]any{}
		for v, l := range m {
			labels[v] = fmt.Sprint(l)
		}
		vocab[k] = labels
	}
	return map[string]any{"params": params, "vocab": vocab}
}

func dataValue(t testing.TB, params map[string]any) ast.Value {
	t.Helper()
	v, err := ast.InterfaceToValue(dataDoc(params))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// subjects are the inputs of a sample snapshot, by group key.
type subjectInput struct {
	id    string
	input ast.Value
}

func sampleInputs(t testing.TB, pk *pack, opts sample.Options, limit int) map[string][]subjectInput {
	t.Helper()
	ctx := context.Background()
	fsys, err := sample.FS(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := loaders.LoadFS(ctx, fsys)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	c, err := checker.New(ctx, pk.pols)
	if err != nil {
		t.Fatal(err)
	}
	// The group of each subject, from the tables (Input rebuilds the
	// snapshot's index on every call: only the chosen subjects are built).
	byKey := map[string][]string{}
	var keys []string
	add := func(key, id string) {
		if _, ok := byKey[key]; !ok {
			keys = append(keys, key)
		}
		byKey[key] = append(byKey[key], id)
	}
	units := snap.Table(snapshot.Units)
	uid, lvl := snapshot.Strings(snapshot.Column(units, "unit_id")), snapshot.Strings(snapshot.Column(units, "level"))
	for i := 0; i < uid.Len(); i++ {
		add(lvl.Value(i), uid.Value(i))
	}
	models := snap.Table(snapshot.Models)
	mid, typ := snapshot.Strings(snapshot.Column(models, "model_id")), snapshot.Strings(snapshot.Column(models, "type"))
	for i := 0; i < mid.Len(); i++ {
		add("model:"+typ.Value(i), mid.Value(i))
	}
	wanted := map[string]bool{}
	for _, g := range pk.groups {
		wanted[g.key] = true
	}
	out := map[string][]subjectInput{}
	for _, key := range keys {
		if !wanted[key] {
			continue // no group evaluates these subjects
		}
		ids := byKey[key]
		step := 1
		if limit > 0 && len(ids) > limit {
			step = (len(ids) + limit - 1) / limit
		}
		for i := 0; i < len(ids); i += step {
			in, _, err := c.Input(snap, ids[i])
			if err != nil {
				continue // excluded subject
			}
			out[key] = append(out[key], subjectInput{id: ids[i], input: in})
		}
	}
	return out
}

func TestPlanPack(t *testing.T) {
	pk := loadPack(t)
	for _, g := range pk.groups {
		p, err := regovm.Plan(context.Background(), pk.modules, g.entrypoints, checker.Capabilities())
		if err != nil {
			t.Errorf("%s: %v", g.key, err)
			continue
		}
		// The pack's `object.get(x, k, {})` defaults and the like are
		// shared empties (empty.go): none would mean the planner now
		// fills collections some other way, and every evaluation makes
		// them anew.
		if regovm.SharedEmpties(p) == 0 {
			t.Errorf("%s: no shared empty collection", g.key)
		}
	}
}

// paramSets are data.params variations: the defaults, other numbers, and
// values of the wrong type (builtin errors, comparisons across types).
var paramSets = []map[string]any{
	nil,
	{"TB-06": map[string]any{"min_size": 3, "max_size": 4}, "TB-07": map[string]any{"branch_size": 3, "group_min_size": 1, "group_max_size": 2},
		"TB-09": map[string]any{"months": 6, "recorded_share": 0.5}},
	{"TB-09": map[string]any{"months": 14, "recorded_share": 1}},
	{"TB-09": map[string]any{"months": 30000}},
	{"TB-09": map[string]any{"months": 0, "recorded_share": "x"}, "TB-06": map[string]any{"min_size": "2"}},
	{"TB-07": map[string]any{"branch_size": 2.0, "group_max_size": 1e30}, "TB-06": map[string]any{"max_size": -1}},
	{"TB-09": map[string]any{"months": 2.5}},
}

type diffStats struct {
	subjects, comparisons, errorsBoth int
}

// diffQuery is the reference query of a group with one parameter set, and
// the data document regovm gets, prepared once for every sample.
type diffQuery struct {
	td   *topdownQuery
	data ast.Value
}

func diffGroup(t *testing.T, ctx context.Context, pk *pack, g *group, q diffQuery, params map[string]any, inputs []subjectInput, st *diffStats) {
	t.Helper()
	prog := g.program(t, pk)
	td, data := q.td, q.data
	for _, in := range inputs {
		want, werr := td.eval(ctx, in.input)
		got, gerr := prog.Eval(ctx, in.input, data, nil)
		st.subjects++
		if (werr != nil) != (gerr != nil) {
			t.Errorf("%s %s params %v: topdown error %v, regovm error %v", g.key, in.id, params, werr, gerr)
			continue
		}
		if werr != nil {
			st.errorsBoth++
			continue
		}
		for i, ep := range g.entrypoints {
			st.comparisons++
			if !sameValue(want[i], got[i]) {
				t.Errorf("%s %s params %v: %s:\n topdown %v\n regovm  %v", g.key, in.id, params, ep, want[i], got[i])
			}
		}
	}
}

func sameValue(a, b ast.Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return ast.Compare(a, b) == 0 && a.String() == b.String()
}

func TestDifferentialPack(t *testing.T) {
	pk := loadPack(t)
	ctx := context.Background()
	comp, err := compileModules(pk.modules)
	if err != nil {
		t.Fatal(err)
	}
	samples := []sample.Options{
		{Profile: sample.ProfileThaiBinh, Seed: 1},
		{Profile: sample.ProfileThaiBinh, Seed: 2, Defects: 0.005},
		{Profile: sample.ProfileNational, Scale: 0.002, Seed: 3},
		{Profile: sample.ProfileNational, Scale: 0.002, Seed: 4, Reform: true, Defects: 0.005},
	}
	// limit subjects per group and sample with the default parameters,
	// paramLimit (the first of those) with each other parameter set.
	limit, paramLimit := 200, 50
	switch {
	case testing.Short():
		samples, limit, paramLimit = samples[:1], 60, 15
	case raceEnabled:
		limit, paramLimit = 5, 2
	}
	queries := make([][]diffQuery, len(pk.groups)) // by group, parameter set
	for gi, g := range pk.groups {
		for _, params := range paramSets {
			td, err := newTopdown(ctx, comp, g.entrypoints, dataDoc(params))
			if err != nil {
				t.Fatalf("%s: topdown: %v", g.key, err)
			}
			queries[gi] = append(queries[gi], diffQuery{td: td, data: dataValue(t, params)})
		}
	}
	var st diffStats
	for _, opts := range samples {
		inputs := sampleInputs(t, pk, opts, limit)
		for gi, g := range pk.groups {
			if len(inputs[g.key]) == 0 {
				t.Errorf("sample %+v: no subject for group %s", opts, g.key)
			}
			for pi, params := range paramSets {
				in := inputs[g.key]
				if pi > 0 && len(in) > paramLimit {
					in = in[:paramLimit]
				}
				diffGroup(t, ctx, pk, g, queries[gi][pi], params, in, &st)
			}
		}
	}
	t.Logf("compared %d evaluations (%d entrypoint values, %d evaluations where both engines erred)", st.subjects, st.comparisons, st.errorsBoth)
}

// TestConcurrentEval evaluates one program from several goroutines at once:
// each gets the values of a lone evaluation.
func TestConcurrentEval(t *testing.T) {
	pk := loadPack(t)
	ctx := context.Background()
	inputs := sampleInputs(t, pk, sample.Options{Profile: sample.ProfileNational, Scale: 0.002, Seed: 5}, 15)
	data := dataValue(t, nil)
	for _, g := range pk.groups {
		prog := g.program(t, pk)
		in := inputs[g.key]
		want := make([][]ast.Value, len(in))
		for i, s := range in {
			v, err := prog.Eval(ctx, s.input, data, nil)
			if err != nil {
				t.Fatal(err)
			}
			want[i] = v
		}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Go(func() {
				for i, s := range in {
					got, err := prog.Eval(ctx, s.input, data, topdown.NewCancel())
					if err != nil {
						t.Error(err)
						return
					}
					for j := range got {
						if !sameValue(got[j], want[i][j]) {
							t.Errorf("%s %s: concurrent value %v, alone %v", g.key, s.id, got[j], want[i][j])
						}
					}
				}
			})
		}
		wg.Wait()
	}
}
