package checker

import (
	"encoding/json"
	"runtime"
	"slices"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Counts are result counts by status: the one tally of results, used by
// the roll-ups, the report, the site and the command's summary line. Total
// counts every result, including not_evaluated ones: Total = Pass + Fail +
// Waived + Skipped + Error + NotEvaluated. The rows of report.json and
// summary.json leave not_evaluated out (it is Total minus the others), so
// it is not part of Counts' JSON.
type Counts struct {
	Total        int `json:"total"`
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Waived       int `json:"waived"`
	Skipped      int `json:"skipped"`
	Error        int `json:"error"`
	NotEvaluated int `json:"-"`
}

// Add counts one result of status s.
func (c *Counts) Add(s Status) {
	c.Total++
	switch s {
	case StatusPass:
		c.Pass++
	case StatusFail:
		c.Fail++
	case StatusWaived:
		c.Waived++
	case StatusSkipped:
		c.Skipped++
	case StatusError:
		c.Error++
	case StatusNotEvaluated:
		c.NotEvaluated++
	}
}

// CountResults counts results by status.
func CountResults(results []Result) Counts {
	var c Counts
	for i := range results {
		c.Add(results[i].Status)
	}
	return c
}

// ByStatus returns the statuses that have results, with their counts
// (the "counts" of the run's log and summary line).
func (c Counts) ByStatus() map[string]int {
	m := map[string]int{}
	for s, n := range map[Status]int{StatusPass: c.Pass, StatusFail: c.Fail, StatusWaived: c.Waived,
		StatusSkipped: c.Skipped, StatusError: c.Error, StatusNotEvaluated: c.NotEvaluated} {
		if n > 0 {
			m[string(s)] = n
		}
	}
	return m
}

// TargetRollup is one target's totals and its by_unit rows (docs/reports.md).
type TargetRollup struct {
	Target
	Counts
	ByUnit []UnitCount
}

// UnitCount counts the results of the subjects below one unit: a by_unit
// row of the roll-ups and of report.json.
type UnitCount struct {
	UnitID string `json:"unit_id"`
	Level  string `json:"level"`
	Name   string `json:"name"`
	Counts
}

type unitInfo struct {
	level snapshot.Level
	name  string
}

func unitInfos(snap *snapshot.Snapshot) map[string]unitInfo {
	m := map[string]unitInfo{}
	c := table(snap, snapshot.Units)
	ids, levels, names := c.str("unit_id"), c.str("level"), c.str("name")
	for i := 0; i < c.rows(); i++ {
		id, _ := sval(ids, i)
		lv, _ := sval(levels, i)
		n, _ := sval(names, i)
		m[id] = unitInfo{snapshot.Level(lv), n}
	}
	for _, e := range snap.ExcludedUnits {
		if _, ok := m[e.ID]; !ok {
			m[e.ID] = unitInfo{e.Level, e.Name}
		}
	}
	return m
}

// Rollup counts the results of each target, in total and per unit above
// its subjects (every unit on the subjects' paths: for unit scopes their
// ancestors, for models also the model's unit). Rows are sorted by level,
// top first, then unit id. It is a pure function of its arguments, so the
// merge of shards can call it on the concatenated results.
func Rollup(snap *snapshot.Snapshot, targets []Target, results []Result) []TargetRollup {
	var info map[string]unitInfo
	var wg sync.WaitGroup
	wg.Go(func() { info = unitInfos(snap) })
	byTarget := map[string][]int{}
	for i, r := range results {
		byTarget[r.Target] = append(byTarget[r.Target], i)
	}
	wg.Wait()
	ts := append([]Target(nil), targets...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
	// Each target is counted on its own (GOMAXPROCS at a time): they share
	// only what they read.
	out := make([]TargetRollup, len(ts))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k, t := range ts {
		g.Go(func() error {
			out[k] = rollupTarget(t, byTarget[t.ID], results, info)
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// rollupTarget counts target t's results (the indexes rs of results) in
// total and per unit of their paths, the units in level order, then by id.
func rollupTarget(t Target, rs []int, results []Result, info map[string]unitInfo) TargetRollup {
	var tot Counts
	per := map[string]*Counts{}
	for _, i := range rs {
		r := results[i]
		tot.Add(r.Status)
		for _, u := range r.Path {
			c := per[u]
			if c == nil {
				c = &Counts{}
				per[u] = c
			}
			c.Add(r.Status)
		}
	}
	tr := TargetRollup{Target: t, Counts: tot, ByUnit: []UnitCount{}}
	for id, c := range per {
		in := info[id]
		tr.ByUnit = append(tr.ByUnit, UnitCount{UnitID: id, Level: string(in.level), Name: in.name, Counts: *c})
	}
	sort.Slice(tr.ByUnit, func(i, j int) bool {
		a, b := tr.ByUnit[i], tr.ByUnit[j]
		ra, rb := snapshot.Level(a.Level).Rank(), snapshot.Level(b.Level).Rank()
		if ra != rb {
			return ra < rb
		}
		return a.UnitID < b.UnitID
	})
	return tr
}

// Inventory is the policy-free part of report.json (docs/reports.md).
type Inventory struct {
	Units   map[string]int   `json:"units"`
	Models  []ModelInventory `json:"models"`
	Members MembersInventory `json:"members"`
}

// ModelInventory counts the models of one type and status.
type ModelInventory struct {
	Type      string           `json:"type"`
	Status    string           `json:"status"`
	Count     int              `json:"count"`
	UnitsWith UnitsWith        `json:"units_with"`
	ByUnit    []ModelUnitCount `json:"by_unit"`
	// NotCounted: models of status active that do not count (domain.md,
	// How the guidance is read 3) and are left out of Count and the rows
	// above: launched after as_of, or built by a unit that is not active all
	// the way up (or unknown). Only on the active row; absent when none.
	NotCounted NotCounted `json:"not_counted,omitzero"`
	// ImprovedPairs counts the pairs whose weaker unit has since become
	// strong (details.improved of the targets of this model type); set by
	// AddImproved, only on the active row.
	ImprovedPairs int `json:"improved_pairs,omitempty"`
}

// NotCounted counts the models of status active that do not count.
type NotCounted struct {
	NotLaunched  int `json:"not_launched"`
	InactiveUnit int `json:"inactive_unit"`
}

// UnitsWith counts communes whose subtree holds at least one such model and
// branches that built one (the model's unit is the branch or one of its
// groups).
type UnitsWith struct {
	Commune int `json:"commune"`
	Branch  int `json:"branch"`
}

// ModelUnitCount is one province or district row of a ModelInventory.
type ModelUnitCount struct {
	UnitID       string `json:"unit_id"`
	Level        string `json:"level"`
	Count        int    `json:"count"`
	CommunesWith int    `json:"communes_with"`
	BranchesWith int    `json:"branches_with"`
	// ImprovedPairs: improved pairs of models in the unit's subtree (see
	// ModelInventory.ImprovedPairs).
	ImprovedPairs int `json:"improved_pairs,omitempty"`
}

// MembersInventory counts members.
type MembersInventory struct {
	Total int `json:"total"`
}

// TakeInventory counts what the snapshot holds, whatever the policies:
// active units by level (levels with none are left out), models by type and
// status (in enum order; combinations with none are left out) with the
// communes and branches that have them, overall and for each province and
// district, and the members.
func TakeInventory(snap *snapshot.Snapshot) Inventory {
	x := &index{versions: snap.Versions}
	_ = x.buildUnits(table(snap, snapshot.Units))
	return x.inventory(snap)
}

// Inventory is TakeInventory on the units idx has indexed already (snap is
// the snapshot Prepare indexed; the members are counted from the index, so
// their record may be released).
func (idx *Index) Inventory(snap *snapshot.Snapshot) Inventory { return idx.x.inventory(snap) }

func (x *index) inventory(snap *snapshot.Snapshot) Inventory {
	inv := Inventory{Units: map[string]int{}, Models: []ModelInventory{}}
	for _, u := range x.units {
		if u.active {
			inv.Units[string(u.level)]++
		}
	}
	inv.Members.Total = table(snap, snapshot.Members).rows()
	if x.membersIndexed { // the record may be released (ReleaseRead)
		inv.Members.Total = x.memberRows
	}

	var tops []int // provinces and districts, sorted by rank then id
	for i, u := range x.units {
		if u.level == snapshot.LevelProvince || u.level == snapshot.LevelDistrict {
			tops = append(tops, i)
		}
	}
	sort.Slice(tops, func(a, b int) bool {
		ua, ub := x.units[tops[a]], x.units[tops[b]]
		if ua.level.Rank() != ub.level.Rank() {
			return ua.level.Rank() < ub.level.Rank()
		}
		return ua.id < ub.id
	})

	type key struct{ typ, status string }
	type acc struct {
		count    int
		communes map[int]bool
		branches map[int]bool
		perTop   map[int]int
	}
	accs := map[key]*acc{}
	notCounted := map[string]*NotCounted{}
	c := table(snap, snapshot.Models)
	units, types, statuses := c.str("unit_id"), c.str("type"), c.str("status")
	launched := c.arr("launched_on")
	for i := 0; i < c.rows(); i++ {
		uid, _ := sval(units, i)
		if !x.currentOn(uid, launched, i) {
			continue // a model of a history version (before a reform): not counted
		}
		typ, _ := sval(types, i)
		st, ok := sval(statuses, i)
		if !ok {
			st = "active"
		}
		if st == "active" {
			// A model counts only when launched by as_of and built by a unit
			// active all the way up.
			nc := notCounted[typ]
			if nc == nil {
				nc = &NotCounted{}
				notCounted[typ] = nc
			}
			if u, ok := x.unitByID[uid]; !ok || !x.units[u].active {
				nc.InactiveUnit++
				continue
			}
			if d, ok := dval(launched, i); ok && d > snap.Manifest.AsOf {
				nc.NotLaunched++
				continue
			}
		}
		k := key{typ, st}
		a := accs[k]
		if a == nil {
			a = &acc{communes: map[int]bool{}, branches: map[int]bool{}, perTop: map[int]int{}}
			accs[k] = a
		}
		a.count++
		u, ok := x.unitByID[uid]
		if !ok {
			continue
		}
		// The commune and branch the model's unit is or sits in.
		if cm := x.tree.Commune(u); cm >= 0 {
			a.communes[cm] = true
		}
		if br := x.tree.AtLevel(u, snapshot.LevelBranch); br >= 0 {
			a.branches[br] = true
		}
		for _, p := range append(append([]int(nil), x.tree.Ancestors(u)...), u) {
			if lv := x.units[p].level; lv == snapshot.LevelProvince || lv == snapshot.LevelDistrict {
				a.perTop[p]++
			}
		}
	}
	// tally[t] counts the members of set (communes or branches) in the subtree
	// of each province or district t: one walk up each member's path, so the
	// work is linear in the set, not set × tops.
	tally := func(set map[int]bool) map[int]int {
		n := map[int]int{}
		for u := range set {
			n[u]++
			for _, p := range x.tree.Ancestors(u) {
				n[p]++
			}
		}
		return n
	}
	for _, typ := range snapshot.EnumValues("models.type") {
		for _, st := range snapshot.EnumValues("models.status") {
			a := accs[key{typ, st}]
			var nc NotCounted
			if st == "active" && notCounted[typ] != nil {
				nc = *notCounted[typ]
			}
			if a == nil && nc == (NotCounted{}) {
				continue
			}
			if a == nil {
				a = &acc{}
			}
			mi := ModelInventory{Type: typ, Status: st, Count: a.count, NotCounted: nc,
				UnitsWith: UnitsWith{Commune: len(a.communes), Branch: len(a.branches)}, ByUnit: []ModelUnitCount{}}
			communes, branches := tally(a.communes), tally(a.branches)
			for _, t := range tops {
				mi.ByUnit = append(mi.ByUnit, ModelUnitCount{UnitID: x.units[t].id, Level: string(x.units[t].level),
					Count: a.perTop[t], CommunesWith: communes[t], BranchesWith: branches[t]})
			}
			inv.Models = append(inv.Models, mi)
		}
	}
	return inv
}

// AddImproved counts, on the active row of each model type and on its
// province and district rows, the improved pairs the targets report: the
// length of details.improved (a list of unit ids, one per pair whose weaker
// unit has since become strong: TB-07, TB-08 branch twinning) in the
// warnings and violations of each evaluated model result. The figure comes
// from the pack's judgement, so it is added after evaluation.
func (inv *Inventory) AddImproved(targets []Target, results []Result) {
	typeOf := map[string]string{}
	for _, t := range targets {
		if t.Scope == "model" {
			typeOf[t.ID] = t.ModelType
		}
	}
	row := map[string]*ModelInventory{}
	for i := range inv.Models {
		if inv.Models[i].Status == "active" {
			row[inv.Models[i].Type] = &inv.Models[i]
		}
	}
	for _, r := range results {
		mi := row[typeOf[r.Target]]
		if mi == nil || r.Status == StatusSkipped || r.Status == StatusError || r.Status == StatusNotEvaluated {
			continue
		}
		n := 0
		for _, v := range append(append([]Violation(nil), r.Violations...), r.Warnings...) {
			n += improvedCount(v.Details["improved"])
		}
		if n == 0 {
			continue
		}
		mi.ImprovedPairs += n
		for j := range mi.ByUnit {
			if slices.Contains(r.Path, mi.ByUnit[j].UnitID) {
				mi.ByUnit[j].ImprovedPairs += n
			}
		}
	}
}

// improvedCount is the number of pairs a details.improved value names: the
// length of a list, or a count.
func improvedCount(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case []string:
		return len(x)
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	case float64:
		return int(x)
	case int:
		return x
	}
	return 0
}
