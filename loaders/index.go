package loaders

import (
	"hash/maphash"
	"sort"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// idIndex is an open-addressing hash set of the rows of a string column. It
// keeps row numbers and hash tags only (8 bytes a slot), the strings stay in Arrow memory.
//
// A column whose ids are already strictly increasing (exports usually come
// sorted by their primary key) needs no hash set: it has no duplicates and
// lookup is a binary search (see sortedIDIndex).
type idIndex struct {
	ids   snapshot.StringArray
	slots []uint64 // hash tag (high 32 bits) | row+1 (low 32 bits); 0 = empty
	mask  uint64
	seed  maphash.Seed
	// sorted: ids has no nulls and is strictly increasing; slots is nil.
	sorted bool
}

// sortedIDIndex returns an index over ids when they have no nulls and are
// strictly increasing (so unique), else nil. It costs one pass of string
// comparisons and no memory.
func sortedIDIndex(ids snapshot.StringArray) *idIndex {
	n := ids.Len()
	if n == 0 {
		return nil
	}
	if ids.IsNull(0) {
		return nil
	}
	prev := ids.Value(0)
	for i := 1; i < n; i++ {
		if ids.IsNull(i) {
			return nil
		}
		cur := ids.Value(i)
		if cur <= prev {
			return nil
		}
		prev = cur
	}
	return &idIndex{ids: ids, sorted: true}
}

func newIDIndex(ids snapshot.StringArray) *idIndex {
	n := 16
	for n < 2*ids.Len() {
		n <<= 1
	}
	return &idIndex{ids: ids, slots: make([]uint64, n), mask: uint64(n - 1), seed: maphash.MakeSeed()}
}

// insert adds row i; it returns the earlier row with the same id, or -1.
func (x *idIndex) insert(i int) int {
	s := x.ids.Value(i)
	hash := maphash.String(x.seed, s)
	tag := hash &^ 0xFFFFFFFF
	for h := hash & x.mask; ; h = (h + 1) & x.mask {
		e := x.slots[h]
		if e == 0 {
			x.slots[h] = tag | uint64(i+1)
			return -1
		}
		if e&^0xFFFFFFFF == tag {
			if r := int(e&0xFFFFFFFF) - 1; x.ids.Value(r) == s {
				return r
			}
		}
	}
}

// lookup returns the row of s, or -1.
func (x *idIndex) lookup(s string) int {
	if x == nil {
		return -1
	}
	if x.sorted {
		n := x.ids.Len()
		i := sort.Search(n, func(i int) bool { return x.ids.Value(i) >= s })
		if i < n && x.ids.Value(i) == s {
			return i
		}
		return -1
	}
	hash := maphash.String(x.seed, s)
	tag := hash &^ 0xFFFFFFFF
	for h := hash & x.mask; ; h = (h + 1) & x.mask {
		e := x.slots[h]
		if e == 0 {
			return -1
		}
		if e&^0xFFFFFFFF == tag {
			if r := int(e&0xFFFFFFFF) - 1; x.ids.Value(r) == s {
				return r
			}
		}
	}
}
