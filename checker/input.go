package checker

import (
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// subject is one thing a target is evaluated on: a unit (scope = its level)
// or a model (scope "model").
type subject struct {
	scope string
	unit  int // the unit, or the model's unit (-1 when unknown)
	model int // -1 for a unit subject
}

// descendants returns the units below u, sorted by id.
func (x *index) descendants(u int) []int {
	var out []int
	stack := append([]int(nil), x.children[u]...)
	for len(stack) > 0 {
		n := len(stack) - 1
		v := stack[n]
		stack = stack[:n]
		out = append(out, v)
		stack = append(stack, x.children[v]...)
	}
	sort.Slice(out, func(a, b int) bool { return x.units[out[a]].id < x.units[out[b]].id })
	return out
}

func (x *index) ancestors(u int) *ast.Term {
	p := x.path[u]
	ts := make([]*ast.Term, len(p))
	for i, a := range p {
		ts[i] = x.ancTerm[a]
	}
	return ast.ArrayTerm(ts...)
}

var memberLevels = map[snapshot.Level]bool{snapshot.LevelCommune: true, snapshot.LevelBranch: true, snapshot.LevelGroup: true}

// termCache keeps the per-unit terms (ratings, activities, member
// statistics, cadre records, unit and model records) built for one group of
// inputs: a commune's input and those of the branches, groups and models
// below it share them, instead of building a branch's terms again for each
// input that contains it. A nil
// *termCache builds every term afresh. Terms are immutable once built, so
// inputs may share them. Not safe for concurrent use: one per worker job.
type termCache struct {
	ratings, acts, stats, cadres, units, models map[int]*ast.Term
}

func newTermCache() *termCache {
	return &termCache{ratings: map[int]*ast.Term{}, acts: map[int]*ast.Term{}, stats: map[int]*ast.Term{}, cadres: map[int]*ast.Term{}, units: map[int]*ast.Term{}, models: map[int]*ast.Term{}}
}

// get returns m[k], building it with f (which may return nil) the first time.
func (tc *termCache) get(m map[int]*ast.Term, k int, f func(int) *ast.Term) *ast.Term {
	if tc == nil {
		return f(k)
	}
	if t, ok := m[k]; ok {
		return t
	}
	t := f(k)
	m[k] = t
	return t
}

func (tc *termCache) mapOf(which int) map[int]*ast.Term {
	if tc == nil {
		return nil
	}
	return [...]map[int]*ast.Term{tc.ratings, tc.acts, tc.stats, tc.cadres, tc.units, tc.models}[which]
}

// unitInput builds input for a unit subject (spec/policies.md).
func (x *index) unitInput(u int) ast.Value { return x.unitInputCached(u, nil) }

// unitInputCached is unitInput taking per-unit terms from tc.
func (x *index) unitInputCached(u int, tc *termCache) ast.Value {
	desc := x.descendants(u)
	all := make([]int, 0, len(desc)+1)
	all = append(all, u)
	all = append(all, desc...) // the subject first; the object keys are sorted anyway

	units := make([]*ast.Term, len(desc))
	for i, d := range desc {
		units[i] = tc.get(tc.mapOf(4), d, x.unitTerm)
	}
	var models, cadres []int
	ratings := make([][2]*ast.Term, 0, len(all))
	acts := make([][2]*ast.Term, 0, len(all))
	members := make([][2]*ast.Term, 0, len(all))
	for _, v := range all {
		models = append(models, x.modelsByUnit[v]...)
		cadres = append(cadres, x.cadresByUnit[v]...)
		key := ast.StringTerm(x.units[v].id)
		if r := tc.get(tc.mapOf(0), v, x.ratingsTerm); r != nil {
			ratings = append(ratings, [2]*ast.Term{key, r})
		}
		if a := tc.get(tc.mapOf(1), v, x.activitiesTerm); a != nil {
			acts = append(acts, [2]*ast.Term{key, a})
		}
		if v == u || memberLevels[x.units[v].level] {
			members = append(members, [2]*ast.Term{key, tc.get(tc.mapOf(2), v, x.statsTerm)})
		}
	}
	sort.Ints(models) // model and cadre indexes follow id order
	sort.Ints(cadres)
	mt := make([]*ast.Term, len(models))
	for i, m := range models {
		mt[i] = tc.get(tc.mapOf(5), m, x.modelTerm)
	}
	ct := make([]*ast.Term, len(cadres))
	for i, c := range cadres {
		ct[i] = tc.get(tc.mapOf(3), c, x.cadreTerm)
	}
	return ast.NewObject(
		[2]*ast.Term{kSubject, tc.get(tc.mapOf(4), u, x.unitTerm)},
		[2]*ast.Term{kAncestors, x.ancestors(u)},
		[2]*ast.Term{kUnits, ast.ArrayTerm(units...)},
		[2]*ast.Term{kModels, ast.ArrayTerm(mt...)},
		[2]*ast.Term{kCadres, ast.ArrayTerm(ct...)},
		[2]*ast.Term{kRatings, ast.NewTerm(ast.NewObject(ratings...))},
		[2]*ast.Term{kActivities, ast.NewTerm(ast.NewObject(acts...))},
		[2]*ast.Term{kMembers, ast.NewTerm(ast.NewObject(members...))},
		[2]*ast.Term{kSnapshot, x.snapshotTerm},
	)
}

// modelInput builds input for a model subject: the model, its unit and the
// unit's ancestors (root first, without the unit); terms come from tc.
func (x *index) modelInput(m int, tc *termCache) ast.Value {
	u := x.models[m].unit
	return ast.NewObject(
		[2]*ast.Term{kSubject, tc.get(tc.mapOf(5), m, x.modelTerm)},
		[2]*ast.Term{kUnit, tc.get(tc.mapOf(4), u, x.unitTerm)},
		[2]*ast.Term{kAncestors, x.ancestors(u)},
		[2]*ast.Term{kSnapshot, x.snapshotTerm},
	)
}

func (x *index) input(s subject) ast.Value { return x.inputCached(s, nil) }

// inputCached is input taking per-unit terms from tc (nil: none).
func (x *index) inputCached(s subject, tc *termCache) ast.Value {
	if s.model >= 0 {
		return x.modelInput(s.model, tc)
	}
	return x.unitInputCached(s.unit, tc)
}

func (x *index) subjectID(s subject) string {
	if s.model >= 0 {
		return x.models[s.model].id
	}
	return x.units[s.unit].id
}
