package loaders

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/vungmanh/vungmanh/internal/hierarchy"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Unit versions and lineage (docs/snapshot-format.md, "Unit versions"): the rows
// of units not valid on asOf are history, codes that lineage names as
// predecessors are known before its effective date, and dated references
// resolve through snapshot.Versions. A snapshot whose units have one open
// version each and that has no lineage builds nothing here.

// checkHistory checks the parent of each history version on the version's
// last day before asOf (or first day after it) and leaves every history
// row out of Records[Units]: history is never a subject.
func (v *crossCheck) checkHistory(raw *rawTable, hist []*unitRow, versions map[string][]*unitRow, first map[string]*unitRow) {
	asOf, _ := snapshot.ParseDay(v.snap.Manifest.AsOf)
	for _, u := range hist {
		raw.dropRow(u.row)
		if raw.bad[u.row] {
			continue
		}
		if u.parent == "" {
			if u.level != snapshot.LevelProvince {
				raw.flag(u.row, snapshot.DQNesting, "parent_id", "", fmt.Sprintf("Only a province may have no parent; this unit is a %s.", u.level))
			}
			continue
		}
		day := u.to
		if u.to > asOf {
			day = u.from
		}
		p := versionOn(versions[u.parent], first[u.parent], day)
		if p == nil {
			raw.flag(u.row, snapshot.DQUnknownRef, "parent_id", u.parent, fmt.Sprintf("The parent unit %s has no version on %s, the day this version of the unit is checked on.", clip(u.parent), snapshot.DayText(day)))
			continue
		}
		if !hierarchy.NestingOK(p.level, u.level) {
			raw.flag(u.row, snapshot.DQNesting, "parent_id", u.parent, fmt.Sprintf("A %s cannot be placed under a %s (%s).", u.level, p.level, clip(u.parent)))
		}
	}
}

// versionOn returns the version among vs (or the single version f) valid on d.
func versionOn(vs []*unitRow, f *unitRow, d arrow.Date32) *unitRow {
	if vs == nil && f != nil {
		vs = []*unitRow{f}
	}
	for _, w := range vs {
		if w.from <= d && d <= w.to {
			return w
		}
	}
	return nil
}

// lineageRow is one row of lineage that parsed.
type lineageRow struct {
	i          int
	pred, succ string
	eff        arrow.Date32
	kind       snapshot.LineageKind
	share      float64
	hasShare   bool
}

func readLineage(raw *rawTable) []lineageRow {
	if raw == nil {
		return nil
	}
	preds, succs := snapshot.Strings(raw.col("predecessor_id")), snapshot.Strings(raw.col("successor_id"))
	effs, _ := raw.col("effective").(*array.Date32)
	kinds := snapshot.Strings(raw.col("kind"))
	shares, _ := raw.col("share").(*array.Float64)
	var out []lineageRow
	for i := 0; i < preds.Len(); i++ {
		if raw.bad[i] || preds.IsNull(i) || succs.IsNull(i) || effs == nil || effs.IsNull(i) {
			continue
		}
		r := lineageRow{i: i, pred: preds.Value(i), succ: succs.Value(i), eff: effs.Value(i), kind: snapshot.LineageMerge}
		if !kinds.IsNull(i) {
			r.kind = snapshot.LineageKind(kinds.Value(i))
		}
		if shares != nil && shares.IsValid(i) {
			r.share, r.hasShare = shares.Value(i), true
		}
		out = append(out, r)
	}
	return out
}

// checkLineageVersions adds the versions lineage implies (a predecessor
// known before the effective date without a row; a reused code's version
// cut at the effective date), builds snap.Versions, and checks lineage:
// its successor must have a version on the effective date (DQ003), its
// links must not form a cycle (DQ004), a merged predecessor must not still
// be active (DQ005), shares must lie in 0-1 and a split's sum to at most 1
// (DQ007).
func (v *crossCheck) checkLineageVersions(versions map[string][]*unitRow, first map[string]*unitRow) {
	lraw := v.raw(snapshot.Lineage)
	rows := readLineage(lraw)
	if len(versions) == 0 && len(rows) == 0 {
		return // v1: every code is its one row
	}
	asOf, _ := snapshot.ParseDay(v.snap.Manifest.AsOf)
	if versions == nil {
		versions = map[string][]*unitRow{}
	}
	of := func(id string) []*unitRow {
		if vs, ok := versions[id]; ok {
			return vs
		}
		if f := first[id]; f != nil {
			versions[id] = []*unitRow{f}
			return versions[id]
		}
		return nil
	}
	// Implied versions, in effective order so that a code merged twice
	// gets one implicit version per period.
	sorted := append([]lineageRow(nil), rows...)
	slices.SortStableFunc(sorted, func(a, b lineageRow) int { return cmp.Compare(a.eff, b.eff) })
	for _, r := range sorted {
		before := r.eff - 1
		vs := of(r.pred)
		w := versionOn(vs, nil, before)
		switch {
		case w == nil:
			start := snapshot.NoStart
			for _, x := range vs {
				if x.to < before && x.to+1 > start {
					start = x.to + 1
				}
			}
			versions[r.pred] = append(vs, &unitRow{id: r.pred, row: -1, from: start, to: before})
		case r.pred == r.succ && w.to >= r.eff && r.eff <= asOf && w.row >= 0:
			// A reused code with one row for before and after: the row is
			// the version from the effective date, the code before it an
			// implicit version.
			versions[r.pred] = append(vs, &unitRow{id: r.pred, row: -1, from: w.from, to: before})
			w.from = r.eff
		}
	}
	raw := v.raw(snapshot.Units)
	vers := snapshot.NewVersions()
	for _, id := range slices.Sorted(maps.Keys(versions)) {
		vs := versions[id]
		slices.SortFunc(vs, func(a, b *unitRow) int { return cmp.Compare(a.from, b.from) })
		for _, w := range vs {
			if w == first[id] {
				vers.Add(id, w.from, w.to, snapshot.Current, v.units[id] == refExcluded)
				continue
			}
			bad := w.row >= 0 && raw.bad[w.row]
			vers.Add(id, w.from, w.to, len(vers.History), bad)
			vers.History = append(vers.History, historyVersion(raw, w))
		}
	}
	vers.Seal()
	v.snap.Versions = vers
	v.versions = vers
	if lraw != nil {
		v.checkLineageRows(lraw, rows, first, asOf)
	}
}

// historyVersion is the snapshot record of a history version.
func historyVersion(raw *rawTable, w *unitRow) snapshot.UnitVersion {
	h := snapshot.UnitVersion{ID: w.id, From: w.from, To: w.to, Active: true, Implicit: w.row < 0}
	if w.row < 0 {
		return h
	}
	i := w.row
	h.Row = raw.rows.at(i)
	h.Name, h.Level = w.name, w.level
	h.ParentID, h.HasParent = w.parent, w.parent != ""
	if k := snapshot.Strings(raw.col("kind")); !k.IsNull(i) {
		h.Kind, h.HasKind = k.Value(i), true
	}
	if a, ok := raw.col("active").(*array.Boolean); ok && a.IsValid(i) {
		h.Active = a.Value(i)
	}
	return h
}

// node is one version of a code: Current or an index in History.
type node struct {
	id  string
	ver int
}

// verAt is the version of id on d: a span, else the current unit.
func (v *crossCheck) verAt(id string, d arrow.Date32) (n node, excluded, ok bool) {
	if v.versions.Has(id) {
		ver, ex, ok := v.versions.At(id, d)
		return node{id, ver}, ex, ok
	}
	switch v.units[id] {
	case refOK:
		return node{id, snapshot.Current}, false, true
	case refExcluded:
		return node{id, snapshot.Current}, true, true
	}
	return node{}, false, false
}

func (v *crossCheck) checkLineageRows(raw *rawTable, rows []lineageRow, first map[string]*unitRow, asOf arrow.Date32) {
	active, _ := v.raw(snapshot.Units).col("active").(*array.Boolean)
	type split struct {
		pred string
		eff  arrow.Date32
	}
	sums := map[split][]lineageRow{}
	edges := map[node][]int{} // predecessor node -> indexes in rows
	succOf := make([]node, len(rows))
	ok := make([]bool, len(rows))
	for k, r := range rows {
		s, sEx, sOK := v.verAt(r.succ, r.eff)
		if !sOK {
			msg := fmt.Sprintf("The successor unit %s is not in the units table.", clip(r.succ))
			if v.versions.Has(r.succ) {
				msg = fmt.Sprintf("The successor unit %s has no version on %s, the effective date.", clip(r.succ), snapshot.DayText(r.eff))
			}
			raw.flag(r.i, snapshot.DQUnknownRef, "successor_id", r.succ, msg)
			continue
		}
		p, pEx, _ := v.verAt(r.pred, r.eff-1) // always known: implied above
		if sEx || pEx {
			raw.dropRow(r.i)
			continue
		}
		if r.hasShare && (r.share < 0 || r.share > 1) {
			raw.flag(r.i, snapshot.DQType, "share", fmt.Sprint(r.share), "A share is the part of the predecessor's members that went to this successor: a number from 0 to 1.")
			continue
		}
		if r.kind == snapshot.LineageMerge && r.pred != r.succ && r.eff <= asOf && p.ver == snapshot.Current {
			if f := first[r.pred]; f != nil && (active == nil || active.IsNull(f.row) || active.Value(f.row)) {
				raw.flag(r.i, snapshot.DQNesting, "predecessor_id", r.pred, fmt.Sprintf("The unit %s merged into %s on %s but is still an active unit on the snapshot date: mark it inactive, end its version (valid_to) or make the row a split.", clip(r.pred), clip(r.succ), snapshot.DayText(r.eff)))
				continue
			}
		}
		if r.kind == snapshot.LineageSplit && r.hasShare {
			key := split{r.pred, r.eff}
			sums[key] = append(sums[key], r)
		}
		succOf[k], ok[k] = s, true
		edges[p] = append(edges[p], k)
	}
	// In the order of the keys' text ("{xa-1 20089}"), as always.
	splits := slices.SortedFunc(maps.Keys(sums), func(a, b split) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	for _, key := range splits {
		rs := sums[key]
		total := 0.0
		for _, r := range rs {
			total += r.share
		}
		if total > 1+1e-9 {
			for _, r := range rs {
				raw.flag(r.i, snapshot.DQType, "share", fmt.Sprint(r.share), fmt.Sprintf("The shares of the split of %s on %s sum to %.4g, more than 1.", clip(key.pred), snapshot.DayText(key.eff), total))
			}
		}
	}
	// Cycles (DQ004) among versions: a row whose successor version leads
	// back, through later rows, to the version it starts from.
	const (
		white = iota
		grey
		black
	)
	state := map[node]uint8{}
	var onPath []int // rows on the current path
	var visit func(n node)
	visit = func(n node) {
		state[n] = grey
		for _, k := range edges[n] {
			if !ok[k] || raw.bad[rows[k].i] {
				continue
			}
			onPath = append(onPath, k)
			s := succOf[k]
			switch state[s] {
			case white:
				visit(s)
			case grey:
				// the rows from the one that left s to here form the cycle
				start := len(onPath) - 1
				for start > 0 && !leaves(rows, onPath[start], s, v) {
					start--
				}
				for _, c := range onPath[start:] {
					r := rows[c]
					raw.flag(r.i, snapshot.DQCycle, "successor_id", r.succ, fmt.Sprintf("The lineage of %s leads back to itself through %s: a unit cannot be its own predecessor.", clip(r.pred), clip(r.succ)))
				}
			}
			onPath = onPath[:len(onPath)-1]
		}
		state[n] = black
	}
	starts := make([]node, 0, len(edges))
	for n := range edges {
		starts = append(starts, n)
	}
	slices.SortFunc(starts, func(a, b node) int { return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.ver, b.ver)) })
	for _, n := range starts {
		if state[n] == white {
			visit(n)
		}
	}
}

// leaves reports whether lineage row k starts from node n.
func leaves(rows []lineageRow, k int, n node, v *crossCheck) bool {
	p, _, _ := v.verAt(rows[k].pred, rows[k].eff-1)
	return p == n
}

// checkDatedRef is checkUnitRef for a dated reference: a code with
// versions or lineage resolves to its version on the row's day (day
// returns false for an undated row: the current version); any other code
// is checked as an undated reference.
func (v *crossCheck) checkDatedRef(raw *rawTable, column string, day func(i int) (arrow.Date32, string, bool), year func(i int) (int, bool)) {
	if v.versions == nil {
		v.checkUnitRef(raw, column, nil)
		return
	}
	eachRef(raw, column, func(id string) refStatus {
		if v.versions.Has(id) {
			return refDated
		}
		return v.units[id]
	}, func(i int, st refStatus, id string) {
		switch st {
		case refUnknown:
			raw.flag(i, snapshot.DQUnknownRef, column, id, fmt.Sprintf("The %s is not in the units table.", ref(raw.table, "unit", id)))
		case refExcluded:
			raw.dropRow(i)
		case refDated:
			var (
				ex, found bool
				when      string
			)
			if y, ok := yearOf(year, i); ok {
				_, ex, found = v.versions.InYear(id, y)
				when = fmt.Sprintf("in %d", y)
			} else if d, text, ok := dayOf(day, i); ok {
				_, ex, found = v.versions.At(id, d)
				when = "on " + text
			} else {
				_, ex, found = v.versions.At(id, mustDay(v.snap.Manifest.AsOf))
				when = "on the snapshot date"
			}
			switch {
			case !found:
				raw.flag(i, snapshot.DQUnknownRef, column, id, fmt.Sprintf("The %s has no version %s (see its valid_from / valid_to and lineage).", ref(raw.table, "unit", id), when))
			case ex:
				raw.dropRow(i)
			}
		}
	})
}

func yearOf(f func(int) (int, bool), i int) (int, bool) {
	if f == nil {
		return 0, false
	}
	return f(i)
}

func dayOf(f func(int) (arrow.Date32, string, bool), i int) (arrow.Date32, string, bool) {
	if f == nil {
		return 0, "", false
	}
	return f(i)
}

func mustDay(s string) arrow.Date32 {
	d, _ := snapshot.ParseDay(s)
	return d
}
