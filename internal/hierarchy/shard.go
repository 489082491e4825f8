package hierarchy

import (
	"hash/fnv"
	"slices"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// ShardOf is the shard, among count, of the commune with id: the FNV-1a
// hash of the id modulo count. It depends on the id and the count only.
func ShardOf(commune string, count int) int {
	h := fnv.New32a()
	h.Write([]byte(commune))
	return int(h.Sum32() % uint32(count))
}

// Shard is shard Index of Count. A Count of 0 or 1 is the whole run.
type Shard struct{ Index, Count int }

// Holds reports whether the shard evaluates a subject whose commune is
// commune (ok false: the subject has no commune on its path). The whole
// run holds every subject; a shard of several, only those under one of its
// communes.
func (s Shard) Holds(commune string, ok bool) bool {
	if s.Count <= 1 {
		return true
	}
	return ok && ShardOf(commune, s.Count) == s.Index
}

// Known is a Tree of loaded units together with the units the loaders
// excluded (which are not in the units record but may sit on the path of
// a result). A loaded unit wins over an excluded one with the same id.
type Known struct {
	t        *Tree
	excluded map[string]snapshot.ExcludedUnit
}

// WithExcluded joins the excluded units ex to t.
func (t *Tree) WithExcluded(ex []snapshot.ExcludedUnit) *Known {
	k := &Known{t: t, excluded: make(map[string]snapshot.ExcludedUnit, len(ex))}
	for _, e := range ex {
		k.excluded[e.ID] = e
	}
	return k
}

// OfSnapshot is the Known hierarchy of snap: its units record and its
// excluded units.
func OfSnapshot(snap *snapshot.Snapshot) (*Known, error) {
	t, err := FromRecord(snap.Table(snapshot.Units))
	if err != nil {
		return nil, err
	}
	return t.WithExcluded(snap.ExcludedUnits), nil
}

// Level is the level of unit id, loaded or excluded.
func (k *Known) Level(id string) (snapshot.Level, bool) {
	if i, ok := k.t.byID[id]; ok {
		return k.t.nodes[i].Level, true
	}
	if e, ok := k.excluded[id]; ok {
		return e.Level, true
	}
	return "", false
}

// Path is unit id and the units above it, root first, through excluded and
// loaded units; empty (not nil) when id is "" or unknown.
func (k *Known) Path(id string) []string {
	var rev []string
	seen := map[string]bool{}
	for cur := id; cur != "" && !seen[cur]; {
		seen[cur] = true
		if u, ok := k.t.byID[cur]; ok {
			rev = append(rev, cur)
			p := k.t.Ancestors(u)
			for i := len(p) - 1; i >= 0; i-- {
				rev = append(rev, k.t.nodes[p[i]].ID)
			}
			break
		}
		e, ok := k.excluded[cur]
		if !ok {
			break
		}
		rev = append(rev, cur)
		cur = e.ParentID
	}
	slices.Reverse(rev)
	if rev == nil {
		rev = []string{}
	}
	return rev
}

// CommuneOn is the first commune among ids (a path, root first, and
// possibly the subject itself); false when there is none.
func (k *Known) CommuneOn(ids ...string) (string, bool) {
	for _, id := range ids {
		if lv, _ := k.Level(id); lv == snapshot.LevelCommune {
			return id, true
		}
	}
	return "", false
}

// UnderCommune reports whether unit id is a commune or has one above it.
func (k *Known) UnderCommune(id string) bool {
	_, ok := k.CommuneOn(k.Path(id)...)
	return ok
}

// HasStrays reports whether some subject below the communes' level may
// have no commune on its path, so that no shard evaluates it: an excluded
// unit or model, or a model, outside every commune. It may answer true for
// subjects that are not evaluated at all (an inactive unit's model).
func (k *Known) HasStrays(snap *snapshot.Snapshot) bool {
	for _, e := range snap.ExcludedUnits {
		if e.Level.Rank() > snapshot.LevelCommune.Rank() && !k.UnderCommune(e.ID) {
			return true
		}
	}
	for _, e := range snap.ExcludedModels {
		if !k.UnderCommune(e.UnitID) {
			return true
		}
	}
	if rec := snap.Table(snapshot.Models); rec != nil {
		if col := snapshot.Column(rec, "unit_id"); col != nil {
			units := snapshot.Strings(col)
			for i := range units.Len() {
				if !k.UnderCommune(units.Value(i)) {
					return true
				}
			}
		}
	}
	return false
}

// AboveCommunes reports whether units of level l sit above every commune
// (a province, a district): no shard of several evaluates them, since no
// commune is on their path; the merge of the shards does, once.
func AboveCommunes(l snapshot.Level) bool {
	return l.Rank() >= 0 && l.Rank() < snapshot.LevelCommune.Rank()
}
