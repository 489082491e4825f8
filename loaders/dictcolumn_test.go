package loaders

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// TestDictColumn holds dictColumn to a Go map of the values in the order
// they first appear: the index of each lookup, and the dictionary array it
// builds, through many growths of its table (with and without reserve),
// many chunks and pages of locations, the empty text, values that share
// prefixes and values longer than a chunk included.
func TestDictColumn(t *testing.T) {
	for _, reserve := range []int{0, 10, 5000} {
		t.Run(fmt.Sprint("reserve ", reserve), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(reserve)))
			typ := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
			d := newDictColumn(typ)
			d.reserve(reserve)
			want := map[string]int32{}
			var order []string
			for i := 0; i < 60000; i++ {
				var s string
				switch rng.IntN(5) {
				case 0:
					s = ""
				case 4:
					if rng.IntN(100) == 0 { // longer than a chunk: one of its own
						s = strings.Repeat("x", dictChunk+rng.IntN(3)) + fmt.Sprint(rng.IntN(4))
					} else {
						s = fmt.Sprintf("long-%d-%s", rng.IntN(5000), strings.Repeat("y", rng.IntN(300)))
					}
				case 1:
					s = fmt.Sprintf("xa-%d", rng.IntN(20000))
				default:
					s = fmt.Sprintf("xa-%d-%d", rng.IntN(3000), rng.IntN(7))
				}
				w, ok := want[s]
				if !ok {
					w = int32(len(order))
					want[s] = w
					order = append(order, s)
				}
				if got := d.index(s); got != w {
					t.Fatalf("lookup %d: index(%q) = %d, want %d", i, s, got, w)
				}
			}
			if d.len() != len(order) {
				t.Fatalf("%d values, want %d", d.len(), len(order))
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ib := array.NewInt32Builder(mem)
			ib.Append(0)
			idx := ib.NewArray()
			ib.Release()
			a := d.array(mem, idx)
			idx.Release()
			defer a.Release()
			vals := a.(*array.Dictionary).Dictionary().(*array.String)
			if vals.Len() != len(order) {
				t.Fatalf("dictionary of %d values, want %d", vals.Len(), len(order))
			}
			for k, s := range order {
				if vals.Value(k) != s {
					t.Fatalf("dictionary value %d = %q, want %q", k, vals.Value(k), s)
				}
			}
		})
	}
}

// TestDictColumnHashCollisions adds 300,000 values, among which some pairs
// share the 32 bits of hash a slot keeps (about ten pairs expected): each
// must still find its own index, the text compared, not only the hash.
func TestDictColumnHashCollisions(t *testing.T) {
	d := newDictColumn(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String})
	const n = 300000
	for round := range 2 {
		for i := range n {
			if got := d.index(fmt.Sprint("v", i)); got != int32(i) {
				t.Fatalf("round %d: index(v%d) = %d", round, i, got)
			}
		}
	}
	if d.len() != n {
		t.Fatalf("%d values, want %d", d.len(), n)
	}
}
