package hierarchy_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/hierarchy"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

const (
	P = snapshot.LevelProvince
	D = snapshot.LevelDistrict
	C = snapshot.LevelCommune
	B = snapshot.LevelBranch
	G = snapshot.LevelGroup
)

// ids returns the ids of nodes is.
func ids(t *hierarchy.Tree, is []int) []string {
	out := []string{}
	for _, i := range is {
		out = append(out, t.Node(i).ID)
	}
	return out
}

func mustTree(t *testing.T, nodes []hierarchy.Node) *hierarchy.Tree {
	t.Helper()
	tree, err := hierarchy.New(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// province: a province, two districts, communes, branches and groups,
// children given out of id order.
var province = []hierarchy.Node{
	{ID: "g2", Parent: "b1", Level: G},
	{ID: "p", Level: P},
	{ID: "d2", Parent: "p", Level: D},
	{ID: "d1", Parent: "p", Level: D},
	{ID: "c1", Parent: "d1", Level: C},
	{ID: "b1", Parent: "c1", Level: B},
	{ID: "g1", Parent: "b1", Level: G},
	{ID: "c2", Parent: "p", Level: C}, // a city commune right under the province
}

func TestTreeWalks(t *testing.T) {
	tree := mustTree(t, province)
	idx := func(id string) int {
		i, ok := tree.Index(id)
		if !ok {
			t.Fatalf("no node %s", id)
		}
		return i
	}
	cases := []struct {
		name string
		got  any
		want any
	}{
		{"ancestors of a group, root first", ids(tree, tree.Ancestors(idx("g2"))), []string{"p", "d1", "c1", "b1"}},
		{"ancestors of the root", ids(tree, tree.Ancestors(idx("p"))), []string{}},
		{"children sorted by id", ids(tree, tree.Children(idx("p"))), []string{"c2", "d1", "d2"}},
		{"descendants sorted by id", ids(tree, tree.Descendants(idx("d1"))), []string{"b1", "c1", "g1", "g2"}},
		{"descendants of a leaf", ids(tree, tree.Descendants(idx("g1"))), []string{}},
		{"parent", tree.Parent(idx("b1")), idx("c1")},
		{"no parent", tree.Parent(idx("p")), -1},
		{"commune of a group", tree.Commune(idx("g1")), idx("c1")},
		{"commune of a commune", tree.Commune(idx("c2")), idx("c2")},
		{"no commune above the communes", tree.Commune(idx("d1")), -1},
		{"branch of a group", tree.AtLevel(idx("g2"), snapshot.LevelBranch), idx("b1")},
		{"branch of a branch", tree.AtLevel(idx("b1"), snapshot.LevelBranch), idx("b1")},
		{"no branch above the branches", tree.AtLevel(idx("c1"), snapshot.LevelBranch), -1},
		{"district of a group", tree.AtLevel(idx("g1"), snapshot.LevelDistrict), idx("d1")},
		{"no cycle", slices.Contains(tree.OnCycle(), true), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := cmp.Diff(c.want, c.got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
	if id, ok := tree.CommuneID(idx("g2")); !ok || id != "c1" {
		t.Errorf("CommuneID(g2) = %q, %v; want c1, true", id, ok)
	}
	if _, ok := tree.CommuneID(idx("p")); ok {
		t.Error("CommuneID(p) found a commune above the communes")
	}
}

func TestTreeCyclesAndOrphans(t *testing.T) {
	tree := mustTree(t, []hierarchy.Node{
		{ID: "p", Level: P},
		{ID: "a", Parent: "b", Level: C}, // a and b: a cycle
		{ID: "b", Parent: "a", Level: B},
		{ID: "x", Parent: "a", Level: G},       // hangs below the cycle
		{ID: "self", Parent: "self", Level: C}, // its own parent
		{ID: "orphan", Parent: "gone", Level: C},
		{ID: "o2", Parent: "orphan", Level: B},
	})
	var onCycle []string
	for i, on := range tree.OnCycle() {
		if on {
			onCycle = append(onCycle, tree.Node(i).ID)
		}
	}
	if d := cmp.Diff([]string{"a", "b", "self"}, onCycle); d != "" {
		t.Errorf("OnCycle (-want +got)\n%s", d)
	}
	anc := func(id string) []string {
		i, _ := tree.Index(id)
		return ids(tree, tree.Ancestors(i))
	}
	cases := []struct {
		id   string
		want []string
	}{
		{"a", []string{"b"}},       // stops where the chain meets a again
		{"x", []string{"b", "a"}},  // below a cycle: the cycle once
		{"self", []string{}},       // its own parent
		{"orphan", []string{}},     // unknown parent
		{"o2", []string{"orphan"}}, // below an orphan
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			if d := cmp.Diff(c.want, anc(c.id)); d != "" {
				t.Errorf("Ancestors (-want +got)\n%s", d)
			}
		})
	}
	if o, _ := tree.Index("orphan"); tree.Parent(o) != -1 {
		t.Errorf("an unknown parent is a parent: %d", tree.Parent(o))
	}
	if x, _ := tree.Index("x"); tree.Commune(x) != must(tree.Index("a")) {
		t.Errorf("Commune(x) = %d: the commune in the cycle above it is a", tree.Commune(x))
	}
}

func must(i int, ok bool) int {
	if !ok {
		return -2
	}
	return i
}

func TestTreeDuplicate(t *testing.T) {
	_, err := hierarchy.New([]hierarchy.Node{{ID: "p", Level: P}, {ID: "c", Parent: "p", Level: C}, {ID: "c", Parent: "p", Level: C}})
	var dup *hierarchy.DuplicateError
	if !errors.As(err, &dup) || dup.ID != "c" {
		t.Fatalf("err = %v, want a DuplicateError for c", err)
	}
	if got, want := err.Error(), `duplicate unit_id "c"`; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestNestingOK(t *testing.T) {
	ok := map[[2]snapshot.Level]bool{{P, D}: true, {P, C}: true, {D, C}: true, {C, B}: true, {B, G}: true}
	for _, parent := range snapshot.Levels() {
		for _, child := range snapshot.Levels() {
			if got := hierarchy.NestingOK(parent, child); got != ok[[2]snapshot.Level{parent, child}] {
				t.Errorf("NestingOK(%s, %s) = %v", parent, child, got)
			}
		}
	}
	if hierarchy.NestingOK(P, "thôn") {
		t.Error("an unknown level may sit under a province")
	}
}

// unitsRecord builds a units record of nodes with a checked allocator; a
// parent "" is written as null.
func unitsRecord(t *testing.T, mem memory.Allocator, nodes []hierarchy.Node) arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "unit_id", Type: arrow.BinaryTypes.String},
		{Name: "parent_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "level", Type: arrow.BinaryTypes.String},
	}, nil))
	defer b.Release()
	for _, n := range nodes {
		b.Field(0).(*array.StringBuilder).Append(n.ID)
		if n.Parent == "" {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(n.Parent)
		}
		b.Field(2).(*array.StringBuilder).Append(string(n.Level))
	}
	return b.NewRecord()
}

func TestFromRecord(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := unitsRecord(t, mem, province)
	defer rec.Release()
	got, err := hierarchy.FromRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := mustTree(t, province)
	for i := range want.Len() {
		if d := cmp.Diff(want.Node(i), got.Node(i)); d != "" {
			t.Errorf("node %d (-want +got)\n%s", i, d)
		}
		if d := cmp.Diff(want.Ancestors(i), got.Ancestors(i)); d != "" {
			t.Errorf("ancestors of %d (-want +got)\n%s", i, d)
		}
	}
	empty, err := hierarchy.FromRecord(nil)
	if err != nil || empty.Len() != 0 {
		t.Errorf("FromRecord(nil) = %d nodes, %v", empty.Len(), err)
	}
}

// TestTreeFlatRuns holds the flat children and ancestor runs to a tree
// built the plain way (a slice per node), on random forests with unknown
// parents and cycles, and checks that appending to one node's children
// leaves the next node's alone.
func TestTreeFlatRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := 0; round < 50; round++ {
		n := 1 + rng.IntN(60)
		nodes := make([]hierarchy.Node, n)
		for i := range nodes {
			nodes[i].ID = fmt.Sprintf("u%03d", rng.IntN(1000)*1000+i) // distinct, shuffled order
			switch r := rng.IntN(10); {
			case r == 0:
				nodes[i].Parent = "nowhere"
			case r == 1:
				nodes[i].Parent = ""
			default:
				nodes[i].Parent = "" // set below, once every id is known
			}
		}
		for i := range nodes {
			if nodes[i].Parent == "" && rng.IntN(10) > 1 {
				nodes[i].Parent = nodes[rng.IntN(n)].ID // may make cycles, or point at itself
			}
		}
		tree, err := hierarchy.New(nodes)
		if err != nil {
			t.Fatal(err)
		}
		// The plain way: a slice per node.
		byID := map[string]int{}
		for i, u := range nodes {
			byID[u.ID] = i
		}
		parent := make([]int, n)
		children := make([][]int, n)
		for i, u := range nodes {
			parent[i] = -1
			if p, ok := byID[u.Parent]; ok && u.Parent != "" {
				parent[i] = p
				children[p] = append(children[p], i)
			}
		}
		for _, ch := range children {
			sort.Slice(ch, func(a, b int) bool { return nodes[ch[a]].ID < nodes[ch[b]].ID })
		}
		for i := range nodes {
			seen := map[int]bool{i: true}
			var path []int
			for cur := parent[i]; cur >= 0 && !seen[cur]; cur = parent[cur] {
				seen[cur] = true
				path = append([]int{cur}, path...)
			}
			if got := tree.Ancestors(i); !slices.Equal(got, path) || (got == nil) != (path == nil) {
				t.Fatalf("round %d: Ancestors(%d) = %v; want %v", round, i, got, path)
			}
			if got := tree.Children(i); !slices.Equal(got, children[i]) || (got == nil) != (children[i] == nil) {
				t.Fatalf("round %d: Children(%d) = %v; want %v", round, i, got, children[i])
			}
		}
		for i := 0; i+1 < n; i++ {
			next := slices.Clone(tree.Children(i + 1))
			_ = append(tree.Children(i), -1)
			if !slices.Equal(tree.Children(i+1), next) {
				t.Fatalf("round %d: appending to Children(%d) changed Children(%d)", round, i, i+1)
			}
		}
	}
}
