package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Strays. A shard evaluates the subjects with a commune on their path (the
// commune itself or an ancestor). A few subjects of the lower scopes may
// have none: a model of a district or province unit, a model or unit whose
// parent is missing or part of a cycle (the loaders exclude them and the
// report lists them as not evaluated). No shard evaluates those, so the
// merge does, once: it evaluates the lower scopes over the whole snapshot
// and keeps the results of subjects without a commune. That costs one more
// evaluation, and only when such subjects exist.

// unitTree maps unit ids (loaded or excluded) to their level and parent.
type unitTree struct {
	level  map[string]snapshot.Level
	parent map[string]string
}

func newUnitTree(snap *snapshot.Snapshot) *unitTree {
	t := &unitTree{level: map[string]snapshot.Level{}, parent: map[string]string{}}
	if rec := snap.Table(snapshot.Units); rec != nil {
		ids, parents, levels := snapshot.Column(rec, "unit_id"), snapshot.Column(rec, "parent_id"), snapshot.Column(rec, "level")
		if ids != nil && levels != nil {
			id, lv := snapshot.Strings(ids), snapshot.Strings(levels)
			var par snapshot.StringArray
			if parents != nil {
				par = snapshot.Strings(parents)
			}
			for i := range id.Len() {
				t.level[id.Value(i)] = snapshot.Level(lv.Value(i))
				if par != nil {
					t.parent[id.Value(i)] = par.Value(i)
				}
			}
		}
	}
	for _, e := range snap.ExcludedUnits {
		if _, ok := t.level[e.ID]; !ok {
			t.level[e.ID], t.parent[e.ID] = e.Level, e.ParentID
		}
	}
	return t
}

// underCommune reports whether unit id is a commune or has one above it.
func (t *unitTree) underCommune(id string) bool {
	for range len(t.level) + 1 { // bounded: parents may form a cycle
		lv, ok := t.level[id]
		if !ok {
			return false
		}
		if lv == snapshot.LevelCommune {
			return true
		}
		id = t.parent[id]
	}
	return false
}

// hasStrays reports whether some subject of the lower scopes may have no
// commune on its path. It may answer true for subjects that are not
// evaluated at all (an inactive unit's model); strayResults filters.
func (t *unitTree) hasStrays(snap *snapshot.Snapshot) bool {
	for _, e := range snap.ExcludedUnits {
		if snapshot.Level(e.Level).Rank() > snapshot.LevelCommune.Rank() && !t.underCommune(e.ID) {
			return true
		}
	}
	for _, e := range snap.ExcludedModels {
		if !t.underCommune(e.UnitID) {
			return true
		}
	}
	if rec := snap.Table(snapshot.Models); rec != nil {
		if col := snapshot.Column(rec, "unit_id"); col != nil {
			units := snapshot.Strings(col)
			for i := range units.Len() {
				if !t.underCommune(units.Value(i)) {
					return true
				}
			}
		}
	}
	return false
}

// strayResults evaluates the lower scopes over the whole snapshot when some
// subject has no commune on its path, and returns the results of those
// subjects with their waiver report (applied and unused judged on these
// results only). It returns nothing when there are no strays.
func strayResults(ctx context.Context, snap *snapshot.Snapshot, pol *checker.Policies, opts []checker.Option, waivers []checker.Waiver, asOf string) ([]checker.Result, *checker.WaiverReport, error) {
	tree := newUnitTree(snap)
	if !tree.hasStrays(snap) {
		return nil, nil, nil
	}
	opts = append(slices.Clone(opts), checker.WithScopes(lowerScopes()...))
	out, err := evaluate(ctx, pol, snap, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate subjects outside every commune: %w", err)
	}
	var keep []checker.Result
	for _, r := range out.Results {
		inCommune := tree.level[r.Subject] == snapshot.LevelCommune
		for _, id := range r.Path {
			inCommune = inCommune || tree.level[id] == snapshot.LevelCommune
		}
		if !inCommune {
			keep = append(keep, r)
		}
	}
	rep := &checker.WaiverReport{Expired: out.Waivers.Expired, Unused: []checker.Waiver{}}
	used := map[checker.Waiver]bool{}
	for _, r := range keep {
		if r.Waiver != nil {
			rep.Applied++
			used[*r.Waiver] = true
		}
	}
	expired := map[checker.Waiver]bool{}
	for _, w := range out.Waivers.Expired {
		expired[w] = true
	}
	for _, w := range waivers {
		if !expired[w] && !used[w] {
			rep.Unused = append(rep.Unused, w)
		}
	}
	return keep, rep, nil
}
