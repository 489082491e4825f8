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

// descendants returns the units below u, sorted by id (shared: do not
// modify). A unit whose children have none (a branch and its groups) has
// its children as they are, sorted by id already: no walk, no copy, no
// sort of ids for most unit subjects.
func (x *index) descendants(u int) []int {
	ch := x.tree.Children(u)
	for _, c := range ch {
		if len(x.tree.Children(c)) > 0 {
			return x.tree.Descendants(u)
		}
	}
	return ch
}

// ancestors is the array of the records of u's ancestors (root first,
// without u), each built once per cache.
func (x *index) ancestors(u int, tc *termCache) *ast.Term {
	p := x.tree.Ancestors(u)
	ts := make([]*ast.Term, len(p))
	for i, a := range p {
		ts[i] = tc.get(tc.mapOf(6), a, x.ancTerm)
	}
	return ast.ArrayTerm(ts...)
}

// ancTerm is the record of unit a as an ancestor: {id, level, name}. Built
// per input, as unitTerm is: a record kept for every unit with children
// held some 54 MB for the whole run at national scale.
func (x *index) ancTerm(a int) *ast.Term {
	r := &x.units[a]
	return ast.ObjectTerm([2]*ast.Term{kID, x.idTerm(a)}, [2]*ast.Term{kLevel, x.enumTerm(r.levelT, string(r.level))},
		[2]*ast.Term{kName, ast.StringTerm(r.name)})
}

var memberLevels = map[snapshot.Level]bool{snapshot.LevelCommune: true, snapshot.LevelBranch: true, snapshot.LevelGroup: true}

// termCache keeps the per-unit terms (ratings, activities, member
// statistics, cadre records, unit and model records) built for one group of
// inputs: a commune's input and those of the branches, groups and models
// below it share them, instead of building a branch's terms again for each
// input that contains it. A nil
// *termCache builds every term afresh. Terms are immutable once built, so
// inputs may share them. Not safe for concurrent use: one per worker,
// emptied (reset) for each of its jobs.
type termCache struct {
	ratings, acts, stats, cadres, units, models, anc map[int]*ast.Term
}

func newTermCache() *termCache {
	return &termCache{ratings: map[int]*ast.Term{}, acts: map[int]*ast.Term{}, stats: map[int]*ast.Term{}, cadres: map[int]*ast.Term{}, units: map[int]*ast.Term{}, models: map[int]*ast.Term{}, anc: map[int]*ast.Term{}}
}

// reset empties tc for the next job of its worker. The maps keep their
// room: growing seven maps again for each commune's subtree was some 6 %
// of the bytes allocated while building inputs.
func (tc *termCache) reset() {
	for _, m := range [...]map[int]*ast.Term{tc.ratings, tc.acts, tc.stats, tc.cadres, tc.units, tc.models, tc.anc} {
		clear(m)
	}
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

// sortedArray is the array of the records at indexes idx (sorted in place:
// model and cadre indexes follow id order), each built by f once per cache
// (which: see mapOf).
func (tc *termCache) sortedArray(idx []int, which int, f func(int) *ast.Term) *ast.Term {
	sort.Ints(idx)
	ts := make([]*ast.Term, len(idx))
	m := tc.mapOf(which)
	for i, k := range idx {
		ts[i] = tc.get(m, k, f)
	}
	return ast.ArrayTerm(ts...)
}

func (tc *termCache) mapOf(which int) map[int]*ast.Term {
	if tc == nil {
		return nil
	}
	return [...]map[int]*ast.Term{tc.ratings, tc.acts, tc.stats, tc.cadres, tc.units, tc.models, tc.anc}[which]
}

// unitInput builds input for a unit subject (docs/policy-input.md).
func (x *index) unitInput(u int) ast.Value { return x.unitInputCached(u, nil, allInputKeys) }

// unitInputCached is unitInput taking per-unit terms from tc, with only the
// keys in keys: a list whose key is left out is not built at all.
func (x *index) unitInputCached(u int, tc *termCache, keys inputKeys) ast.Value {
	items := make([][2]*ast.Term, 0, 9)
	if keys&inSubject != 0 {
		items = append(items, [2]*ast.Term{kSubject, tc.get(tc.mapOf(4), u, x.unitTerm)})
	}
	if keys&inAncestors != 0 {
		items = append(items, [2]*ast.Term{kAncestors, x.ancestors(u, tc)})
	}
	if keys&inSnapshot != 0 {
		items = append(items, [2]*ast.Term{kSnapshot, x.snapshotTerm})
	}
	if keys&inMembers == 0 && keys&inOwnMembers != 0 {
		// Only the subject's own statistics are read: its entry alone,
		// as the whole document has it (the subject always has one).
		own := [1][2]*ast.Term{{x.idTerm(u), tc.get(tc.mapOf(2), u, x.statsTerm)}}
		items = append(items, [2]*ast.Term{kMembers, ast.NewTerm(ast.NewObject(own[:]...))})
	}
	if keys&(inUnits|inModels|inCadres|inRatings|inActivities|inMembers) == 0 {
		return ast.NewObject(items...)
	}
	desc := x.descendants(u)
	all := make([]int, 0, len(desc)+1)
	all = append(all, u)
	all = append(all, desc...) // the subject first; the object keys are sorted anyway

	if keys&inUnits != 0 {
		units := make([]*ast.Term, len(desc))
		for i, d := range desc {
			units[i] = tc.get(tc.mapOf(4), d, x.unitTerm)
		}
		items = append(items, [2]*ast.Term{kUnits, ast.ArrayTerm(units...)})
	}
	var models, cadres []int
	var ratings, acts, members [][2]*ast.Term
	if keys&inRatings != 0 {
		ratings = make([][2]*ast.Term, 0, len(all))
	}
	if keys&inActivities != 0 {
		acts = make([][2]*ast.Term, 0, len(all))
	}
	if keys&inMembers != 0 {
		members = make([][2]*ast.Term, 0, len(all))
	}
	for _, v := range all {
		if keys&inModels != 0 {
			models = append(models, x.modelsByUnit.of(v)...)
		}
		if keys&inCadres != 0 {
			cadres = append(cadres, x.cadresByUnit.of(v)...)
		}
		if keys&(inRatings|inActivities|inMembers) == 0 {
			continue
		}
		key := x.idTerm(v) // interned for every unit with children
		if keys&inRatings != 0 {
			if r := tc.get(tc.mapOf(0), v, x.ratingsTerm); r != nil {
				ratings = append(ratings, [2]*ast.Term{key, r})
			}
		}
		if keys&inActivities != 0 {
			if a := tc.get(tc.mapOf(1), v, x.activitiesTerm); a != nil {
				acts = append(acts, [2]*ast.Term{key, a})
			}
		}
		if keys&inMembers != 0 && (v == u || memberLevels[x.units[v].level]) {
			members = append(members, [2]*ast.Term{key, tc.get(tc.mapOf(2), v, x.statsTerm)})
		}
	}
	if keys&inModels != 0 {
		items = append(items, [2]*ast.Term{kModels, tc.sortedArray(models, 5, x.modelTerm)})
	}
	if keys&inCadres != 0 {
		items = append(items, [2]*ast.Term{kCadres, tc.sortedArray(cadres, 3, x.cadreTerm)})
	}
	if keys&inRatings != 0 {
		items = append(items, [2]*ast.Term{kRatings, ast.NewTerm(ast.NewObject(ratings...))})
	}
	if keys&inActivities != 0 {
		items = append(items, [2]*ast.Term{kActivities, ast.NewTerm(ast.NewObject(acts...))})
	}
	if keys&inMembers != 0 {
		items = append(items, [2]*ast.Term{kMembers, ast.NewTerm(ast.NewObject(members...))})
	}
	return ast.NewObject(items...)
}

// modelInput builds input for a model subject: the model, its unit and the
// unit's ancestors (root first, without the unit), with only the keys in
// keys; terms come from tc.
func (x *index) modelInput(m int, tc *termCache, keys inputKeys) ast.Value {
	u := x.models[m].unit
	items := make([][2]*ast.Term, 0, 4)
	if keys&inSubject != 0 {
		items = append(items, [2]*ast.Term{kSubject, tc.get(tc.mapOf(5), m, x.modelTerm)})
	}
	if keys&inUnit != 0 {
		items = append(items, [2]*ast.Term{kUnit, tc.get(tc.mapOf(4), u, x.unitTerm)})
	}
	if keys&inAncestors != 0 {
		items = append(items, [2]*ast.Term{kAncestors, x.ancestors(u, tc)})
	}
	if keys&inSnapshot != 0 {
		items = append(items, [2]*ast.Term{kSnapshot, x.snapshotTerm})
	}
	return ast.NewObject(items...)
}

// input is the whole input document of s, as `vungmanh eval` prints it.
func (x *index) input(s subject) ast.Value { return x.inputCached(s, nil) }

// inputCached is input taking per-unit terms from tc (nil: none).
func (x *index) inputCached(s subject, tc *termCache) ast.Value {
	return x.inputKeys(s, tc, allInputKeys)
}

// inputKeys is inputCached with only the keys in keys.
func (x *index) inputKeys(s subject, tc *termCache, keys inputKeys) ast.Value {
	if s.model >= 0 {
		return x.modelInput(s.model, tc, keys)
	}
	return x.unitInputCached(s.unit, tc, keys)
}

func (x *index) subjectID(s subject) string {
	if s.model >= 0 {
		return x.models[s.model].id
	}
	return x.units[s.unit].id
}
