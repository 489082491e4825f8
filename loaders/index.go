package loaders

import (
	"hash/maphash"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// idIndex is an open-addressing hash set of the rows of a string column. It
// keeps row numbers only (4 bytes a slot), the strings stay in Arrow memory.
type idIndex struct {
	ids   snapshot.StringArray
	slots []int32 // row+1; 0 = empty
	mask  uint64
	seed  maphash.Seed
}

func newIDIndex(ids snapshot.StringArray) *idIndex {
	n := 16
	for n < 2*ids.Len() {
		n <<= 1
	}
	return &idIndex{ids: ids, slots: make([]int32, n), mask: uint64(n - 1), seed: maphash.MakeSeed()}
}

// insert adds row i; it returns the earlier row with the same id, or -1.
func (x *idIndex) insert(i int) int {
	s := x.ids.Value(i)
	for h := maphash.String(x.seed, s) & x.mask; ; h = (h + 1) & x.mask {
		r := x.slots[h]
		if r == 0 {
			x.slots[h] = int32(i + 1)
			return -1
		}
		if x.ids.Value(int(r-1)) == s {
			return int(r - 1)
		}
	}
}

// lookup returns the row of s, or -1.
func (x *idIndex) lookup(s string) int {
	if x == nil {
		return -1
	}
	for h := maphash.String(x.seed, s) & x.mask; ; h = (h + 1) & x.mask {
		r := x.slots[h]
		if r == 0 {
			return -1
		}
		if x.ids.Value(int(r-1)) == s {
			return int(r - 1)
		}
	}
}
