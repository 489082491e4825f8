package loaders

import (
	"fmt"
	"sort"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/vungmanh/vungmanh/internal/hierarchy"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// status of a referenced id.
type refStatus uint8

const (
	refUnknown refStatus = iota
	refOK
	refExcluded
	refDated // the code has versions: resolve by the row's date
)

// crossCheck holds the ids the later tables refer to.
type crossCheck struct {
	// raw returns the table read from a file (nil: not listed, or not
	// read), once its read has ended: it waits for it.
	raw     func(snapshot.Table) *rawTable
	snap    *snapshot.Snapshot
	units   map[string]refStatus
	models  map[string]refStatus
	members *idIndex // every member id read (first copies)
	cadres  *idIndex
	// versions is snap.Versions (nil without versions and lineage).
	versions *snapshot.Versions
}

// validate makes the checks across tables, writing their findings and
// exclusions into the tables raw returns and the exclusions and versions
// into snap. raw waits for a table's read to end, so validate can run
// while the files are read (LoadFS): each check starts once the tables it
// reads are read and the checks it follows are done, and the findings do
// not depend on which read ends first, as each check flags only its own
// table:
//
//   - the units (and lineage) first: every other table refers to them;
//   - then each table's duplicate ids, side by side;
//   - then each table's references, once its own duplicates are flagged
//     and the tables it refers to have their index of ids: members after
//     members' duplicates, cadres after members' and cadres', models then
//     participants (they refer to models) after models', members' and
//     cadres', ratings and activities after the units.
//
// At national scale the members file takes the longest to read; the
// checks of the units and of the smaller tables (a few seconds of CPU)
// then run while it is read, not after it.
//
// failed reports that a read has failed (an error, a fatal finding, a
// stop): the load's findings are then not these, and the checks after
// the units' are not made (with the units unread, every reference would
// be flagged).
func validate(raw func(snapshot.Table) *rawTable, failed func() bool, snap *snapshot.Snapshot) {
	v := &crossCheck{raw: raw, snap: snap, units: map[string]refStatus{}, models: map[string]refStatus{}}
	v.checkUnits()
	if failed() {
		return
	}
	// dups[t] is closed once table t's duplicates are flagged (and its
	// index of ids kept, for members and cadres).
	dups := map[snapshot.Table]chan struct{}{}
	for _, t := range snapshot.Tables() {
		if id := snapshot.IDColumn(t); id != "" && t != snapshot.Units {
			dups[t] = make(chan struct{})
		}
	}
	var wg sync.WaitGroup
	for t, done := range dups {
		wg.Go(func() {
			defer close(done)
			raw := v.raw(t)
			if raw == nil {
				return
			}
			idx := v.duplicates(raw, snapshot.IDColumn(t))
			switch t {
			case snapshot.Members:
				v.members = idx
			case snapshot.Cadres:
				v.cadres = idx
			}
		})
	}
	after := func(ts ...snapshot.Table) {
		for _, t := range ts {
			<-dups[t]
		}
	}
	for _, check := range []func(){
		func() { after(snapshot.Members); v.checkMembers() },
		func() { after(snapshot.Members, snapshot.Cadres); v.checkCadres() },
		func() {
			after(snapshot.Models)
			v.checkModels()
			after(snapshot.Members, snapshot.Cadres)
			v.checkParticipants()
		},
		v.checkRatings,
		v.checkActivities,
	} {
		wg.Go(check)
	}
	wg.Wait()
}

func (r *rawTable) flag(i int, code snapshot.Code, column, value, msg string) {
	row := r.rows.at(i)
	r.add(snapshot.Finding{Code: code, Severity: snapshot.SeverityOf(code), Table: r.table,
		File: r.file, Row: row, Column: column, Value: quote(r.table, value), Message: msg})
	if !r.bad[i] {
		r.bad[i] = true
		r.setReason(i, code)
	}
}

// dupMsg says that id is used again, first on row first.
func dupMsg(t snapshot.Table, id string, first int) string {
	if personal(t) {
		return fmt.Sprintf("The id is used again; row %d has it first.", first)
	}
	return fmt.Sprintf("The id %s is used again; row %d has it first.", clip(id), first)
}

func (r *rawTable) dropRow(i int) {
	if r.drop == nil {
		r.drop = make([]bool, r.rows.len())
	}
	r.drop[i] = true
}

// duplicates flags every copy of an id after the first (DQ002) and returns
// the index of the first copies.
func (v *crossCheck) duplicates(raw *rawTable, column string) *idIndex {
	ids := snapshot.Strings(raw.col(column))
	if idx := sortedIDIndex(ids); idx != nil {
		return idx // strictly increasing: no duplicates
	}
	idx := newIDIndex(ids)
	for i := 0; i < ids.Len(); i++ {
		if ids.IsNull(i) {
			continue
		}
		if first := idx.insert(i); first >= 0 {
			raw.flag(i, snapshot.DQDuplicate, column, ids.Value(i), dupMsg(raw.table, ids.Value(i), raw.rows.at(first)))
		}
	}
	return idx
}

type unitRow struct {
	id, parent, name string
	level            snapshot.Level
	row              int          // index in raw
	from, to         arrow.Date32 // validity, NoStart / NoEnd when open
	current          bool         // the version valid on the snapshot date (checkUnits)
}

func (v *crossCheck) checkUnits() {
	raw := v.raw(snapshot.Units)
	if raw == nil {
		v.checkLineageVersions(nil, nil)
		return
	}
	all, first, versions, hist := v.readUnits(raw)
	// The units valid on asOf, in row order, are the nodes of the tree.
	for _, u := range first {
		u.current = true
	}
	cur := make([]*unitRow, 0, len(first))
	nodes := make([]hierarchy.Node, 0, len(first))
	for _, u := range all {
		if u.current {
			cur = append(cur, u)
			nodes = append(nodes, hierarchy.Node{ID: u.id, Parent: u.parent, Level: u.level})
		}
	}
	tree, err := hierarchy.New(nodes)
	if err != nil {
		panic(err) // first holds one version per id
	}
	// Cycles (DQ004) first: a unit on one is not checked further.
	for i, on := range tree.OnCycle() {
		if on {
			raw.flag(cur[i].row, snapshot.DQCycle, "parent_id", cur[i].parent, "The unit is its own ancestor: the parent chain loops back to it.")
		}
	}
	v.checkParents(raw, tree, cur, versions)
	v.excludeUnits(raw, tree, cur)
	v.checkHistory(raw, hist, versions, first)
	v.checkLineageVersions(versions, first)
}

// readUnits reads the rows of the units table. It returns every row (all),
// the version of each code valid on the snapshot date (first), every
// accepted version of a code with more than one or with a bounded range
// (versions), and the versions not valid on that date (hist). It flags a
// version that ends before it starts (DQ001) and one that overlaps another
// of its code, or repeats it (DQ002).
func (v *crossCheck) readUnits(raw *rawTable) (all []*unitRow, first map[string]*unitRow, versions map[string][]*unitRow, hist []*unitRow) {
	ids := snapshot.Strings(raw.col("unit_id"))
	parents := snapshot.Strings(raw.col("parent_id"))
	levels := snapshot.Strings(raw.col("level"))
	names := snapshot.Strings(raw.col("name"))
	vfrom, _ := raw.col("valid_from").(*array.Date32)
	vto, _ := raw.col("valid_to").(*array.Date32)
	asOf, _ := snapshot.ParseDay(v.snap.Manifest.AsOf)
	// The rows in one allocation, first at its final size: a national
	// snapshot has 600,000 units, and growing the map (or looking a code
	// up more than twice per row) was a second of the load's CPU.
	n := ids.Len()
	rows := make([]unitRow, n)
	all = make([]*unitRow, n)
	first, versions = make(map[string]*unitRow, n), map[string][]*unitRow{}
	for i := range n {
		u := &rows[i]
		*u = unitRow{id: ids.Value(i), parent: parents.Value(i), level: snapshot.Level(levels.Value(i)), name: names.Value(i), row: i,
			from: snapshot.NoStart, to: snapshot.NoEnd}
		if vfrom != nil && vfrom.IsValid(i) {
			u.from = vfrom.Value(i)
		}
		if vto != nil && vto.IsValid(i) {
			u.to = vto.Value(i)
		}
		all[i] = u
		if ids.IsNull(i) {
			continue
		}
		if u.from > u.to {
			raw.flag(i, snapshot.DQType, "valid_to", snapshot.DayText(u.to), fmt.Sprintf("The version ends (valid_to %s) before it starts (valid_from %s).", snapshot.DayText(u.to), snapshot.DayText(u.from)))
			continue
		}
		f := first[u.id]
		var vs []*unitRow
		if len(versions) > 0 {
			vs = versions[u.id]
		}
		if o := overlapping(vs, f, u); o != nil {
			raw.flag(i, snapshot.DQDuplicate, "unit_id", u.id, overlapMsg(raw, o, u))
			continue
		}
		if u.from == snapshot.NoStart && u.to == snapshot.NoEnd && f == nil && vs == nil {
			first[u.id] = u // the common case: one version, valid always
			continue
		}
		if f != nil && vs == nil {
			vs = []*unitRow{f}
			delete(first, u.id)
		}
		versions[u.id] = append(vs, u)
	}
	// The version valid on asOf is the unit; the others are history.
	for _, id := range sortedKeys(versions) {
		for _, u := range versions[id] {
			if u.from <= asOf && asOf <= u.to {
				first[id] = u
			} else {
				hist = append(hist, u)
			}
		}
	}
	return all, first, versions, hist
}

// overlapMsg says that version u repeats f, or shares a day with it.
func overlapMsg(raw *rawTable, f, u *unitRow) string {
	if f.from != snapshot.NoStart || f.to != snapshot.NoEnd || u.from != snapshot.NoStart || u.to != snapshot.NoEnd {
		return fmt.Sprintf("This version of unit %s (%s) overlaps the one on row %d (%s): the versions of one unit must not share a day.",
			clip(u.id), spanText(u.from, u.to), raw.rows.at(f.row), spanText(f.from, f.to))
	}
	return fmt.Sprintf("The id %s is used again; row %d has it first.", clip(u.id), raw.rows.at(f.row))
}

// checkParents flags, among the units of tree (cur[i] is node i) whose
// row is not bad yet, an unknown parent (DQ003) and a level that may not
// sit under its parent's, or a missing parent above a province (DQ005).
func (v *crossCheck) checkParents(raw *rawTable, tree *hierarchy.Tree, cur []*unitRow, versions map[string][]*unitRow) {
	for i, u := range cur {
		if raw.bad[u.row] {
			continue
		}
		if u.parent == "" {
			if u.level != snapshot.LevelProvince {
				raw.flag(u.row, snapshot.DQNesting, "parent_id", "", fmt.Sprintf("Only a province may have no parent; this unit is a %s.", u.level))
			}
			continue
		}
		pi := tree.Parent(i)
		if pi < 0 {
			msg := fmt.Sprintf("The parent unit %s is not in the units table.", clip(u.parent))
			if len(versions[u.parent]) > 0 {
				msg = fmt.Sprintf("The parent unit %s has no version valid on the snapshot date %s.", clip(u.parent), v.snap.Manifest.AsOf)
			}
			raw.flag(u.row, snapshot.DQUnknownRef, "parent_id", u.parent, msg)
			continue
		}
		if p := cur[pi]; !hierarchy.NestingOK(p.level, u.level) {
			raw.flag(u.row, snapshot.DQNesting, "parent_id", u.parent, fmt.Sprintf("A %s cannot be placed under a %s (%s).", u.level, p.level, clip(u.parent)))
		}
	}
}

// excludeUnits settles each unit of tree (cur[i] is node i): it is
// excluded when its row is bad (its own reason) or an ancestor's is (the
// reason names the nearest such ancestor, the root cause), and its row is
// then dropped.
func (v *crossCheck) excludeUnits(raw *rawTable, tree *hierarchy.Tree, cur []*unitRow) {
	if len(v.units) == 0 { // one allocation for the units of a national snapshot
		v.units = make(map[string]refStatus, len(cur))
	}
	for i, u := range cur {
		var reason snapshot.Reason
		excluded := raw.bad[u.row]
		if excluded {
			reason = raw.reasonOf(u.row)
		} else {
			anc := tree.Ancestors(i)
			for k := len(anc) - 1; k >= 0; k-- {
				if p := cur[anc[k]]; raw.bad[p.row] {
					excluded, reason = true, snapshot.AncestorReason(p.id)
					break
				}
			}
		}
		if !excluded {
			v.units[u.id] = refOK
			continue
		}
		v.units[u.id] = refExcluded
		if !raw.bad[u.row] {
			raw.dropRow(u.row)
		}
		v.snap.ExcludedUnits = append(v.snap.ExcludedUnits, snapshot.ExcludedUnit{ID: u.id, ParentID: u.parent, Level: u.level, Name: u.name, Reason: reason})
	}
}

// overlapping returns a version among vs (or the single version f) that
// shares a day with u, or nil.
func overlapping(vs []*unitRow, f, u *unitRow) *unitRow {
	if vs == nil && f != nil {
		vs = []*unitRow{f}
	}
	for _, w := range vs {
		if w.from <= u.to && u.from <= w.to {
			return w
		}
	}
	return nil
}

func spanText(from, to arrow.Date32) string {
	a, b := "since ever", "still valid"
	if from != snapshot.NoStart {
		a = "from " + snapshot.DayText(from)
	}
	if to != snapshot.NoEnd {
		b = "to " + snapshot.DayText(to)
	}
	return a + " " + b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// eachRef calls fn for every row of a string or dictionary column that is
// not bad and whose value's status is not refOK (every caller lets those
// rows be), with that status; dictionary values are looked up once, and a
// dictionary column whose values are all refOK (a clean snapshot's) is not
// read row by row at all: at national scale that walk, with a call of fn
// per row, cost about a second of CPU for the some 20 M rows that refer to
// a unit.
func eachRef(raw *rawTable, column string, status func(string) refStatus, fn func(i int, st refStatus, v string)) {
	a := raw.col(column)
	if d, ok := a.(*array.Dictionary); ok {
		dict := d.Dictionary().(*array.String)
		sts := make([]refStatus, dict.Len())
		allOK := true
		for k := range sts {
			sts[k] = status(dict.Value(k))
			allOK = allOK && sts[k] == refOK
		}
		if allOK {
			return
		}
		for i := 0; i < d.Len(); i++ {
			if raw.bad[i] || d.IsNull(i) {
				continue
			}
			k := d.GetValueIndex(i)
			if sts[k] != refOK {
				fn(i, sts[k], dict.Value(k))
			}
		}
		return
	}
	s := snapshot.Strings(a)
	for i := 0; i < s.Len(); i++ {
		if raw.bad[i] || s.IsNull(i) {
			continue
		}
		x := s.Value(i)
		if st := status(x); st != refOK {
			fn(i, st, x)
		}
	}
}

func (v *crossCheck) unitStatus(id string) refStatus { return v.units[id] }

// checkUnitRef flags unknown units (DQ003) and drops rows under excluded
// units.
func (v *crossCheck) checkUnitRef(raw *rawTable, column string, onExcluded func(i int, id string)) {
	eachRef(raw, column, v.unitStatus, func(i int, st refStatus, id string) {
		switch st {
		case refUnknown:
			raw.flag(i, snapshot.DQUnknownRef, column, id, fmt.Sprintf("The %s is not in the units table.", ref(raw.table, "unit", id)))
		case refExcluded:
			raw.dropRow(i)
			if onExcluded != nil {
				onExcluded(i, id)
			}
		}
	})
}

func (v *crossCheck) checkSimple(t snapshot.Table) {
	if raw := v.raw(t); raw != nil {
		v.checkUnitRef(raw, "unit_id", nil)
	}
}

func (v *crossCheck) checkMembers() { v.checkSimple(snapshot.Members) }

func (v *crossCheck) checkCadres() {
	raw := v.raw(snapshot.Cadres)
	if raw == nil {
		return
	}
	v.checkUnitRef(raw, "unit_id", nil)
	if v.members != nil {
		eachRef(raw, "member_id", func(id string) refStatus {
			if v.members.lookup(id) >= 0 {
				return refOK
			}
			return refUnknown
		}, func(i int, st refStatus, id string) {
			if st == refUnknown {
				raw.flag(i, snapshot.DQUnknownRef, "member_id", id, fmt.Sprintf("The %s is not in the members table.", ref(raw.table, "member", id)))
			}
		})
	}
}

func (v *crossCheck) checkModels() {
	raw := v.raw(snapshot.Models)
	if raw == nil {
		return
	}
	ids := snapshot.Strings(raw.col("model_id"))
	units := snapshot.Strings(raw.col("unit_id"))
	types := snapshot.Strings(raw.col("type"))
	launched, _ := raw.col("launched_on").(*array.Date32)
	v.checkDatedRef(raw, "unit_id", func(i int) (arrow.Date32, string, bool) {
		if launched == nil || launched.IsNull(i) {
			return 0, "", false
		}
		return launched.Value(i), snapshot.DayText(launched.Value(i)), true
	}, nil)
	seen := map[string]bool{}
	for i := 0; i < ids.Len(); i++ {
		id := ids.Value(i)
		if ids.IsNull(i) || seen[id] {
			continue // duplicates: the first copy decides
		}
		seen[id] = true
		switch {
		case raw.bad[i]:
			v.models[id] = refExcluded
			if !types.IsNull(i) {
				v.snap.ExcludedModels = append(v.snap.ExcludedModels, snapshot.ExcludedModel{ID: id, UnitID: units.Value(i), Type: types.Value(i), Reason: raw.reasonOf(i)})
			}
		case raw.drop != nil && raw.drop[i]:
			v.models[id] = refExcluded
			v.snap.ExcludedModels = append(v.snap.ExcludedModels, snapshot.ExcludedModel{ID: id, UnitID: units.Value(i), Type: types.Value(i), Reason: snapshot.UnitReason(units.Value(i))})
		default:
			v.models[id] = refOK
		}
	}
}

func (v *crossCheck) checkParticipants() {
	raw := v.raw(snapshot.Participants)
	if raw == nil {
		return
	}
	eachRef(raw, "model_id", func(id string) refStatus { return v.models[id] }, func(i int, st refStatus, id string) {
		switch st {
		case refUnknown:
			raw.flag(i, snapshot.DQUnknownRef, "model_id", id, fmt.Sprintf("The %s is not in the models table.", ref(raw.table, "model", id)))
		case refExcluded:
			raw.dropRow(i)
		}
	})
	kinds := snapshot.Strings(raw.col("kind"))
	pids := snapshot.Strings(raw.col("participant_id"))
	for i := 0; i < pids.Len(); i++ {
		if raw.bad[i] || pids.IsNull(i) {
			continue
		}
		id := pids.Value(i)
		switch kinds.Value(i) {
		case "unit":
			switch v.units[id] {
			case refUnknown:
				raw.flag(i, snapshot.DQUnknownRef, "participant_id", id, fmt.Sprintf("The %s is not in the units table.", ref(raw.table, "unit", id)))
			case refExcluded:
				raw.dropRow(i)
			}
		case "cadre":
			if v.cadres != nil && v.cadres.lookup(id) < 0 {
				raw.flag(i, snapshot.DQUnknownRef, "participant_id", id, fmt.Sprintf("The %s is not in the cadres table.", ref(raw.table, "cadre", id)))
			}
		case "member":
			if v.members != nil && v.members.lookup(id) < 0 {
				raw.flag(i, snapshot.DQUnknownRef, "participant_id", id, fmt.Sprintf("The %s is not in the members table.", ref(raw.table, "member", id)))
			}
		}
	}
}

func (v *crossCheck) checkRatings() {
	raw := v.raw(snapshot.Ratings)
	if raw == nil {
		return
	}
	units := snapshot.Strings(raw.col("unit_id"))
	years := raw.col("year").(*array.Int64)
	type unitYear struct {
		unit string
		year int64
	}
	// A unit id is its index in the column's dictionary (the loader's
	// dictColumn holds each value once): the pair is then one integer,
	// looked up in a map of integers. A map keyed by the string and the
	// year was most of this check's second at national scale. Other rows
	// (no dictionary, a null or empty id, a year past 32 bits) go by the
	// string, in a map of their own: a pair always takes the same way.
	dict, _ := raw.col("unit_id").(*array.Dictionary)
	var dictValues *array.String
	if dict != nil {
		dictValues, _ = dict.Dictionary().(*array.String)
	}
	pairKey := func(i int, y int64) (uint64, bool) {
		if dictValues == nil || dict.IsNull(i) || y != int64(int32(y)) {
			return 0, false
		}
		k := dict.GetValueIndex(i)
		if dictValues.Value(k) == "" {
			return 0, false
		}
		return uint64(k)<<32 | uint64(uint32(y)), true
	}
	seenKey := make(map[uint64]int, units.Len())
	var seen map[unitYear]int
	for i := 0; i < units.Len(); i++ {
		if raw.bad[i] {
			continue
		}
		y := years.Value(i)
		var f int
		var dup bool
		if key, ok := pairKey(i, y); ok {
			if f, dup = seenKey[key]; !dup {
				seenKey[key] = i
			}
		} else {
			if seen == nil {
				seen = map[unitYear]int{}
			}
			key := unitYear{units.Value(i), y}
			if f, dup = seen[key]; !dup {
				seen[key] = i
			}
		}
		if dup {
			raw.flag(i, snapshot.DQDuplicate, "year", fmt.Sprint(y), fmt.Sprintf("The unit %s already has a rating for %d on row %d.", units.Value(i), y, raw.rows.at(f)))
		}
	}
	v.checkDatedRef(raw, "unit_id", nil, func(i int) (int, bool) {
		if years.IsNull(i) {
			return 0, false
		}
		return int(years.Value(i)), true
	})
}

func (v *crossCheck) checkActivities() {
	raw := v.raw(snapshot.Activities)
	if raw == nil {
		return
	}
	months := snapshot.Strings(raw.col("month"))
	v.checkDatedRef(raw, "unit_id", func(i int) (arrow.Date32, string, bool) {
		if months.IsNull(i) {
			return 0, "", false
		}
		d, ok := snapshot.MonthEnd(months.Value(i))
		return d, months.Value(i), ok
	}, nil)
}

var _ arrow.Array = (*array.String)(nil)
