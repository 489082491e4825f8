package hierarchy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/hierarchy"
	"github.com/vungmanh/vungmanh/internal/sample"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/loaders"
)

// TestShardOfIsPinned pins the rule: a shard output written by one version
// must be merged by the next, so the commune -> shard map never changes.
func TestShardOfIsPinned(t *testing.T) {
	cases := []struct {
		id    string
		count int
		want  int
	}{
		{"c1", 2, 1}, {"c1", 3, 2}, {"c1", 7, 4}, {"c1", 16, 9},
		{"xa-001", 2, 0}, {"xa-001", 3, 0}, {"xa-001", 7, 1}, {"xa-001", 16, 12},
		{"Phường Lê Hồng Phong", 3, 2}, {"Phường Lê Hồng Phong", 16, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s of %d", c.id, c.count), func(t *testing.T) {
			if got := hierarchy.ShardOf(c.id, c.count); got != c.want {
				t.Errorf("ShardOf = %d, want %d", got, c.want)
			}
		})
	}
}

// TestShardsPartitionTheCommunes: for every count, each commune's subjects
// are in exactly one shard, the shard of its commune whatever the order of
// the units; subjects without a commune are in none unless the run is
// whole.
func TestShardsPartitionTheCommunes(t *testing.T) {
	var nodes []hierarchy.Node
	nodes = append(nodes, hierarchy.Node{ID: "p", Level: P}, hierarchy.Node{ID: "d", Parent: "p", Level: D})
	for c := range 40 {
		cid := fmt.Sprintf("c%02d", c)
		nodes = append(nodes, hierarchy.Node{ID: cid, Parent: "d", Level: C},
			hierarchy.Node{ID: cid + "-b", Parent: cid, Level: B}, hierarchy.Node{ID: cid + "-b-g", Parent: cid + "-b", Level: G})
	}
	tree := mustTree(t, nodes)
	reversed := slices.Clone(nodes)
	slices.Reverse(reversed)
	other := mustTree(t, reversed)
	for _, count := range []int{0, 1, 2, 3, 5, 8, 13} {
		t.Run(fmt.Sprint(count), func(t *testing.T) {
			for i := range tree.Len() {
				var in []int
				for s := range max(count, 1) {
					if (hierarchy.Shard{Index: s, Count: count}).Holds(tree.CommuneID(i)) {
						in = append(in, s)
					}
				}
				id := tree.Node(i).ID
				j, _ := other.Index(id)
				cm, ok := tree.CommuneID(i)
				switch {
				case count <= 1:
					if d := cmp.Diff([]int{0}, in); d != "" {
						t.Errorf("%s in the whole run (-want +got)\n%s", id, d)
					}
				case !ok:
					if len(in) != 0 {
						t.Errorf("%s has no commune but is in shards %v", id, in)
					}
				default:
					if d := cmp.Diff([]int{hierarchy.ShardOf(cm, count)}, in); d != "" {
						t.Errorf("%s (commune %s) (-want +got)\n%s", id, cm, d)
					}
					if cm2, _ := other.CommuneID(j); cm2 != cm {
						t.Errorf("%s: commune %s, %s with the units in another order", id, cm, cm2)
					}
				}
			}
		})
	}
	for _, l := range snapshot.Levels() {
		if got, want := hierarchy.AboveCommunes(l), l == P || l == D; got != want {
			t.Errorf("AboveCommunes(%s) = %v", l, got)
		}
	}
}

// TestKnownPaths: the path of an excluded unit runs through excluded and
// loaded units; strays are the subjects with no commune on it.
func TestKnownPaths(t *testing.T) {
	tree := mustTree(t, province)
	excluded := []snapshot.ExcludedUnit{
		{ID: "c9", ParentID: "d2", Level: C},   // a bad commune under a loaded district
		{ID: "b9", ParentID: "c9", Level: B},   // below it
		{ID: "b8", ParentID: "gone", Level: B}, // an orphan branch
		{ID: "p", ParentID: "", Level: D},      // a loaded id wins
	}
	k := tree.WithExcluded(excluded)
	cases := []struct {
		id   string
		want []string
	}{
		{"b9", []string{"p", "d2", "c9", "b9"}},
		{"g1", []string{"p", "d1", "c1", "b1", "g1"}},
		{"b8", []string{"b8"}},
		{"", []string{}},
		{"unknown", []string{}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			if d := cmp.Diff(c.want, k.Path(c.id)); d != "" {
				t.Errorf("Path (-want +got)\n%s", d)
			}
		})
	}
	if lv, ok := k.Level("p"); !ok || lv != P {
		t.Errorf("Level(p) = %s, %v: the loaded unit wins", lv, ok)
	}
	if cm, ok := k.CommuneOn(k.Path("b9")...); !ok || cm != "c9" {
		t.Errorf("CommuneOn(b9's path) = %s, %v; want the excluded commune c9", cm, ok)
	}
	for id, want := range map[string]bool{"b9": true, "g2": true, "b8": false, "d1": false, "unknown": false} {
		if got := k.UnderCommune(id); got != want {
			t.Errorf("UnderCommune(%s) = %v", id, got)
		}
	}
	snap := &snapshot.Snapshot{ExcludedUnits: excluded}
	if !k.HasStrays(snap) {
		t.Error("the orphan branch b8 is a stray")
	}
	snap.ExcludedUnits = excluded[:2]
	if k := tree.WithExcluded(snap.ExcludedUnits); k.HasStrays(snap) {
		t.Error("strays found where every subject has a commune")
	}
	snap.ExcludedModels = []snapshot.ExcludedModel{{ID: "m", UnitID: "d1", Type: "x"}}
	if k := tree.WithExcluded(snap.ExcludedUnits); !k.HasStrays(snap) {
		t.Error("a model of a district is a stray")
	}
}

// TestVersionedUnits: in a snapshot whose units have versions (the merger
// of 2025), the tree holds one node per unit (the version valid on as_of),
// every unit at or below a commune has one, and each commune is the root of
// its own subtree.
func TestVersionedUnits(t *testing.T) {
	ctx := context.Background()
	for _, profile := range []string{"hung-yen-2025-09"} {
		t.Run(profile, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			o, ok, err := sample.ParseURL("sample://" + profile + "?format=csv")
			if !ok || err != nil {
				t.Fatalf("ParseURL: %v, %v", ok, err)
			}
			fsys, err := sample.FS(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := loaders.LoadFS(ctx, fsys, loaders.WithAllocator(mem))
			if err != nil {
				t.Fatal(err)
			}
			defer snap.Release()
			if snap.Versions == nil || len(snap.Versions.History) == 0 {
				t.Fatal("the sample has no unit versions: the test checks nothing")
			}
			tree, err := hierarchy.FromRecord(snap.Table(snapshot.Units))
			if err != nil {
				t.Fatal(err)
			}
			if tree.Len() == 0 {
				t.Fatal("no units")
			}
			communes := 0
			for i := range tree.Len() {
				n := tree.Node(i)
				if n.Level.Rank() >= C.Rank() && tree.Commune(i) < 0 {
					t.Errorf("%s %s has no commune", n.Level, n.ID)
				}
				if n.Level == C {
					communes++
					for _, d := range tree.Descendants(i) {
						if tree.Commune(d) != i {
							t.Errorf("%s below commune %s has commune %d", tree.Node(d).ID, n.ID, tree.Commune(d))
						}
					}
				}
			}
			if communes == 0 {
				t.Error("no commune")
			}
			if slices.Contains(tree.OnCycle(), true) {
				t.Error("a loaded snapshot has a cycle")
			}
		})
	}
}
