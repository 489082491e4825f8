package hierarchy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Node is one unit of a Tree: its id, its parent's id ("" for none) and
// its level.
type Node struct {
	ID, Parent string
	Level      snapshot.Level
}

// DuplicateError says that two nodes have the same id.
type DuplicateError struct{ ID string }

func (e *DuplicateError) Error() string { return fmt.Sprintf("duplicate unit_id %q", e.ID) }

// Tree is the unit hierarchy by index: node i is the i-th Node given to New.
// A parent that is not a node, or that leads back to the node, ends the
// node's chain of ancestors. A Tree is read-only once built and safe for
// concurrent use.
type Tree struct {
	nodes  []Node
	byID   map[string]int
	parent []int // -1 when none or unknown
	// Each node's children (sorted by id) and ancestors (root first,
	// without the node) are runs of one flat slice, node i's from off[i]
	// to off[i+1]: a slice per node held two slice headers and two small
	// allocations per unit for the whole run (about 60 MB at national
	// scale, and a million objects for the collector to walk).
	children, path    []int
	childOff, pathOff []int32
}

// New builds the tree of nodes. Two nodes with one id give a
// *DuplicateError.
func New(nodes []Node) (*Tree, error) {
	n := len(nodes)
	t := &Tree{nodes: nodes, byID: make(map[string]int, n), parent: make([]int, n),
		childOff: make([]int32, n+1), pathOff: make([]int32, n+1)}
	for i, u := range nodes {
		if _, dup := t.byID[u.ID]; dup {
			return nil, &DuplicateError{ID: u.ID}
		}
		t.byID[u.ID] = i
	}
	for i, u := range nodes {
		t.parent[i] = -1
		if p, ok := t.byID[u.Parent]; ok && u.Parent != "" {
			t.parent[i] = p
			t.childOff[p+1]++
		}
	}
	for i := 0; i < n; i++ {
		t.childOff[i+1] += t.childOff[i]
	}
	t.children = make([]int, t.childOff[n])
	next := slices.Clone(t.childOff[:n])
	for i := range nodes { // in node order, as appending did
		if p := t.parent[i]; p >= 0 {
			t.children[next[p]] = i
			next[p]++
		}
	}
	for i := 0; i < n; i++ {
		slices.SortFunc(t.Children(i), t.byIDOrder)
	}
	// mark[v] == i+1 while node i's chain is walked: a chain stops at the
	// first node it meets again (a cycle).
	mark := make([]int, n)
	for i := range nodes {
		mark[i] = i + 1
		start := len(t.path)
		for cur := t.parent[i]; cur >= 0 && mark[cur] != i+1; cur = t.parent[cur] {
			mark[cur] = i + 1
			t.path = append(t.path, cur)
		}
		slices.Reverse(t.path[start:])
		t.pathOff[i+1] = int32(len(t.path))
	}
	t.path = slices.Clip(t.path)
	return t, nil
}

// FromRecord builds the tree of a units record (unit_id, parent_id,
// level; a missing column reads as nulls, a null as ""). A nil record gives
// an empty tree.
func FromRecord(rec arrow.Record) (*Tree, error) {
	if rec == nil {
		return New(nil)
	}
	col := func(name string) snapshot.StringArray {
		if a := snapshot.Column(rec, name); a != nil {
			return snapshot.Strings(a)
		}
		return nil
	}
	ids, parents, levels := col("unit_id"), col("parent_id"), col("level")
	val := func(a snapshot.StringArray, i int) string {
		if a == nil || a.IsNull(i) {
			return ""
		}
		return a.Value(i)
	}
	nodes := make([]Node, rec.NumRows())
	for i := range nodes {
		nodes[i] = Node{ID: val(ids, i), Parent: val(parents, i), Level: snapshot.Level(val(levels, i))}
	}
	return New(nodes)
}

func (t *Tree) byIDOrder(a, b int) int { return strings.Compare(t.nodes[a].ID, t.nodes[b].ID) }

// Len is the number of nodes.
func (t *Tree) Len() int { return len(t.nodes) }

// Node returns node i.
func (t *Tree) Node(i int) Node { return t.nodes[i] }

// Index returns the node with id.
func (t *Tree) Index(id string) (int, bool) {
	i, ok := t.byID[id]
	return i, ok
}

// Indexes is the map from id to node, shared with the tree: read it, never
// write it.
func (t *Tree) Indexes() map[string]int { return t.byID }

// Parent is the parent of node i, -1 when it has none in the tree.
func (t *Tree) Parent(i int) int { return t.parent[i] }

// Children are the nodes whose parent is i, sorted by id (shared: do not
// modify).
func (t *Tree) Children(i int) []int {
	a, b := t.childOff[i], t.childOff[i+1]
	if a == b {
		return nil // as for a node without children before
	}
	return t.children[a:b:b] // capped: an append copies instead of writing over the next node's
}

// Ancestors are the nodes above i, root first, without i (shared: do not
// modify). The chain stops at an unknown parent or where it meets a node
// again.
func (t *Tree) Ancestors(i int) []int {
	a, b := t.pathOff[i], t.pathOff[i+1]
	if a == b {
		return nil
	}
	return t.path[a:b:b]
}

// Descendants are the nodes below i, sorted by id.
func (t *Tree) Descendants(i int) []int {
	var out []int
	stack := append([]int(nil), t.Children(i)...)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, v)
		stack = append(stack, t.Children(v)...)
	}
	slices.SortFunc(out, t.byIDOrder)
	return out
}

// Commune is the commune node i is or sits in (the first commune from the
// root), -1 when none: above the communes, or a broken chain.
func (t *Tree) Commune(i int) int { return t.AtLevel(i, snapshot.LevelCommune) }

// AtLevel is the node of the given level that node i is or sits in: the
// first from the root on i's path, i itself last; -1 when none.
func (t *Tree) AtLevel(i int, level snapshot.Level) int {
	for _, a := range t.Ancestors(i) {
		if t.nodes[a].Level == level {
			return a
		}
	}
	if t.nodes[i].Level == level {
		return i
	}
	return -1
}

// CommuneID is the id of Commune(i); false when there is none.
func (t *Tree) CommuneID(i int) (string, bool) {
	if c := t.Commune(i); c >= 0 {
		return t.nodes[c].ID, true
	}
	return "", false
}

// OnCycle reports, per node, whether following parents from it comes back
// to it.
func (t *Tree) OnCycle() []bool {
	const (
		white = iota
		grey
		black
	)
	state := make([]uint8, len(t.nodes))
	on := make([]bool, len(t.nodes))
	for i := range t.nodes {
		var chain []int
		cur := i
		for cur >= 0 && state[cur] == white {
			state[cur] = grey
			chain = append(chain, cur)
			cur = t.parent[cur]
		}
		if cur >= 0 && state[cur] == grey {
			for k := slices.Index(chain, cur); k < len(chain); k++ {
				on[chain[k]] = true
			}
		}
		for _, c := range chain {
			state[c] = black
		}
	}
	return on
}

// NestingOK reports whether a unit of level child may sit directly under
// one of level parent.
func NestingOK(parent, child snapshot.Level) bool {
	switch child {
	case snapshot.LevelDistrict:
		return parent == snapshot.LevelProvince
	case snapshot.LevelCommune:
		return parent == snapshot.LevelDistrict || parent == snapshot.LevelProvince
	case snapshot.LevelBranch:
		return parent == snapshot.LevelCommune
	case snapshot.LevelGroup:
		return parent == snapshot.LevelBranch
	}
	return false
}
