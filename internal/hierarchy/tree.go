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
	nodes    []Node
	byID     map[string]int
	parent   []int   // -1 when none or unknown
	children [][]int // sorted by id
	path     [][]int // ancestors, root first, without the node
}

// New builds the tree of nodes. Two nodes with one id give a
// *DuplicateError.
func New(nodes []Node) (*Tree, error) {
	n := len(nodes)
	t := &Tree{nodes: nodes, byID: make(map[string]int, n), parent: make([]int, n),
		children: make([][]int, n), path: make([][]int, n)}
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
			t.children[p] = append(t.children[p], i)
		}
	}
	for _, ch := range t.children {
		slices.SortFunc(ch, t.byIDOrder)
	}
	// mark[v] == i+1 while node i's chain is walked: a chain stops at the
	// first node it meets again (a cycle).
	mark := make([]int, n)
	for i := range nodes {
		mark[i] = i + 1
		var p []int
		for cur := t.parent[i]; cur >= 0 && mark[cur] != i+1; cur = t.parent[cur] {
			mark[cur] = i + 1
			p = append(p, cur)
		}
		slices.Reverse(p)
		t.path[i] = p
	}
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
func (t *Tree) Children(i int) []int { return t.children[i] }

// Ancestors are the nodes above i, root first, without i (shared: do not
// modify). The chain stops at an unknown parent or where it meets a node
// again.
func (t *Tree) Ancestors(i int) []int { return t.path[i] }

// Descendants are the nodes below i, sorted by id.
func (t *Tree) Descendants(i int) []int {
	var out []int
	stack := append([]int(nil), t.children[i]...)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, v)
		stack = append(stack, t.children[v]...)
	}
	slices.SortFunc(out, t.byIDOrder)
	return out
}

// Commune is the commune node i is or sits in (the first commune from the
// root), -1 when none: above the communes, or a broken chain.
func (t *Tree) Commune(i int) int {
	if t.nodes[i].Level == snapshot.LevelCommune {
		return i
	}
	for _, a := range t.path[i] {
		if t.nodes[a].Level == snapshot.LevelCommune {
			return a
		}
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
