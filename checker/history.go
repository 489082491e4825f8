package checker

import (
	"sort"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Unit versions and lineage (docs/policy-input.md, `history` on unit records).
// The loaders resolved which version each code means on each date
// (snapshot.Versions): the index holds the current versions only, so
// subjects, ancestors, roll-ups and the inventory never see history. Dated
// records of history versions (ratings, activities) are filed under them,
// and every unit record that lineage reaches carries `history`: its
// predecessors, nearest first, each with its ratings and its own history.

// currentOn reports whether a model's launch (row i of launched, null =
// undated) falls in the current version of unitID.
func (x *index) currentOn(unitID string, launched arrow.Array, i int) bool {
	if !x.versions.Has(unitID) {
		return true
	}
	d, ok := launched.(*array.Date32)
	if !ok || d.IsNull(i) {
		return true
	}
	ver, _, found := x.versions.At(unitID, d.Value(i))
	return found && ver == snapshot.Current
}

// vnode is one version of a code: a current unit (ver Current, u its
// index) or a history version (ver its index in versions.History).
type vnode struct {
	id  string
	ver int
}

type link struct {
	pred      vnode
	kind      string
	effective arrow.Date32
	share     float64
	hasShare  bool
}

// nodeAt is the version of id on d; ok is false when id is unknown then.
func (x *index) nodeAt(id string, d arrow.Date32) (vnode, bool) {
	if x.versions.Has(id) {
		ver, ex, ok := x.versions.At(id, d)
		return vnode{id, ver}, ok && !ex
	}
	_, ok := x.unitByID[id]
	return vnode{id, snapshot.Current}, ok
}

// buildHistory links each version to its predecessors through lineage and
// builds the history array of every current unit that lineage reaches.
func (x *index) buildHistory(c cols) {
	n := c.rows()
	if n == 0 {
		return
	}
	preds, succs, kinds := c.str("predecessor_id"), c.str("successor_id"), c.str("kind")
	effs, _ := c.arr("effective").(*array.Date32)
	shares, _ := c.arr("share").(*array.Float64)
	if effs == nil {
		return
	}
	links := map[vnode][]link{}
	for i := 0; i < n; i++ {
		p, _ := sval(preds, i)
		s, _ := sval(succs, i)
		if effs.IsNull(i) {
			continue
		}
		e := effs.Value(i)
		succ, ok := x.nodeAt(s, e)
		if !ok {
			continue
		}
		pred, ok := x.nodeAt(p, e-1)
		if !ok || pred == succ {
			continue
		}
		l := link{pred: pred, kind: string(snapshot.LineageMerge), effective: e}
		if k, ok := sval(kinds, i); ok {
			l.kind = k
		}
		if shares != nil && shares.IsValid(i) {
			l.share, l.hasShare = shares.Value(i), true
		}
		links[succ] = append(links[succ], l)
	}
	if len(links) == 0 {
		return
	}
	for _, ls := range links {
		sort.Slice(ls, func(a, b int) bool { // nearest first
			if ls[a].effective != ls[b].effective {
				return ls[a].effective > ls[b].effective
			}
			return ls[a].pred.id < ls[b].pred.id
		})
	}
	memo := map[vnode]*ast.Term{}
	onPath := map[vnode]bool{}
	var history func(v vnode) *ast.Term
	history = func(v vnode) *ast.Term {
		if t, ok := memo[v]; ok {
			return t
		}
		ls := links[v]
		if len(ls) == 0 || onPath[v] { // a cycle the loaders let through: cut it
			return nil
		}
		onPath[v] = true
		ts := make([]*ast.Term, 0, len(ls))
		for _, l := range ls {
			ts = append(ts, x.historyEntry(l, history(l.pred)))
		}
		delete(onPath, v)
		t := ast.ArrayTerm(ts...)
		memo[v] = t
		return t
	}
	x.historyTerms = map[int]*ast.Term{}
	for v := range links {
		if v.ver != snapshot.Current {
			continue
		}
		if u, ok := x.unitByID[v.id]; ok {
			x.historyTerms[u] = history(v)
		}
	}
}

// historyEntry is one predecessor of a history array: {id, name, level,
// kind, effective, share?, valid_from?, valid_to?, ratings, activities?,
// history?}; kind is the lineage kind (merge, split, rename, move).
func (x *index) historyEntry(l link, hist *ast.Term) *ast.Term {
	p := l.pred
	o := make(obj, 0, 24)
	o = append(o, kID, ast.StringTerm(p.id))
	var ratings, acts *ast.Term
	if p.ver == snapshot.Current {
		u := x.unitByID[p.id]
		r := &x.units[u]
		o = append(o, kName, ast.StringTerm(r.name), kLevel, x.in(string(r.level)))
		ratings, acts = x.ratingsTerm(u), x.activitiesTerm(u)
	} else {
		h := &x.versions.History[p.ver]
		if !h.Implicit {
			o = append(o, kName, ast.StringTerm(h.Name), kLevel, x.in(string(h.Level)))
		}
		ratings, acts = x.ratingsOf(x.histRatings[p.ver]), x.activitiesOf(x.histActs[p.ver])
	}
	o = append(o, kKind, x.in(l.kind), kEffective, ast.StringTerm(l.effective.FormattedString()))
	if l.hasShare {
		o = append(o, kShare, ast.FloatNumberTerm(l.share))
	}
	if from, to, ok := x.versions.Range(p.id, p.ver); ok {
		if from != snapshot.NoStart {
			o = append(o, kValidFrom, ast.StringTerm(from.FormattedString()))
		}
		if to != snapshot.NoEnd {
			o = append(o, kValidTo, ast.StringTerm(to.FormattedString()))
		}
	}
	if ratings == nil {
		ratings = ast.ArrayTerm()
	}
	o = append(o, kRatings, ratings)
	o.t(kActivities, acts)
	o.t(kHistory, hist)
	return o.term()
}
