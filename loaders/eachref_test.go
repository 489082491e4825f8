package loaders

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// TestEachRef holds eachRef to a walk of every row: fn is called for the
// rows that are not bad, not null and whose value's status is not refOK,
// in row order, with that status and value, on dictionary and utf8
// columns, with statuses all refOK (no call), refOK and refExcluded only,
// and all of them.
func TestEachRef(t *testing.T) {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(12, 7))
	type call struct {
		i  int
		st refStatus
		v  string
	}
	mixes := map[string][]refStatus{
		"all ok":          {refOK},
		"ok and excluded": {refOK, refExcluded},
		"mixed":           {refOK, refOK, refUnknown, refExcluded, refDated},
	}
	for mixName, mix := range mixes {
		for _, dict := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, dictionary %v", mixName, dict), func(t *testing.T) {
				const n = 2000
				status := map[string]refStatus{}
				for k := range 50 {
					status[fmt.Sprint("u", k)] = mix[k%len(mix)]
				}
				sb := array.NewStringBuilder(mem)
				raw := &rawTable{table: snapshot.Members, bad: make([]bool, n)}
				for i := range n {
					raw.bad[i] = rng.IntN(10) == 0
					if rng.IntN(15) == 0 {
						sb.AppendNull()
						continue
					}
					sb.Append(fmt.Sprint("u", rng.IntN(50)))
				}
				col := sb.NewArray()
				sb.Release()
				defer col.Release()
				if dict {
					db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String})
					if err := db.AppendArray(col); err != nil {
						t.Fatal(err)
					}
					col.Release()
					col = db.NewArray()
					db.Release()
				}
				sch := arrow.NewSchema([]arrow.Field{{Name: "unit_id", Type: col.DataType(), Nullable: true}}, nil)
				raw.rec = array.NewRecord(sch, []arrow.Array{col}, n)
				defer raw.rec.Release()
				var want []call
				s := snapshot.Strings(col)
				for i := range n {
					if raw.bad[i] || s.IsNull(i) {
						continue
					}
					if st := status[s.Value(i)]; st != refOK {
						want = append(want, call{i, st, s.Value(i)})
					}
				}
				var got []call
				eachRef(raw, "unit_id", func(id string) refStatus { return status[id] }, func(i int, st refStatus, v string) {
					got = append(got, call{i, st, v})
				})
				if !slices.Equal(got, want) {
					t.Fatalf("%d calls, want %d: %v\nwant %v", len(got), len(want), got, want)
				}
				if len(mix) > 1 && len(want) == 0 {
					t.Fatal("no row to call fn for: the test tests nothing")
				}
			})
		}
	}
}
