package loaders

import (
	"hash/maphash"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// idIndex is an open-addressing hash set of the rows of a string column. It
// keeps row numbers and hash tags only (8 bytes a slot), the strings stay in Arrow memory.
type idIndex struct {
	ids   snapshot.StringArray
	slots []uint64 // hash tag (high 32 bits) | row+1 (low 32 bits); 0 = empty
	mask  uint64
	seed  maphash.Seed
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
