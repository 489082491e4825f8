package loaders

import (
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Dictionary decoding of members.unit_id must survive files without
// dictionary pages and dictionaries that overflow to plain pages.
func TestParquetPlainPages(t *testing.T) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "member_id", Type: arrow.BinaryTypes.String}, {Name: "unit_id", Type: arrow.BinaryTypes.String}}, nil)
	for _, props := range [][]parquet.WriterProperty{
		{parquet.WithDictionaryDefault(false)},
		{parquet.WithDictionaryPageSizeLimit(64), parquet.WithDataPageSize(64)},
	} {
		b := array.NewRecordBuilder(mem, schema)
		for i := 0; i < 5000; i++ {
			b.Field(0).(*array.StringBuilder).Append("m" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)))
			if i%2 == 0 {
				b.Field(1).(*array.StringBuilder).Append("chi-1")
			} else { // high cardinality: the dictionary overflows to plain pages
				b.Field(1).(*array.StringBuilder).Append("u" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)))
			}
		}
		rec := b.NewRecord()
		b.Release()
		data := writeParquet(t, rec, props...)
		rec.Release()
		fsys := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.parquet"), "u.csv": unitsCSV})
		fsys["m.parquet"] = mapFile(data)
		snap, err := load(t, fsys, WithMaxBadRows(Limit{Share: 1, IsShare: true}))
		if err != nil {
			t.Fatal(err)
		}
		// 2500 DQ003: the first maxListedFindings listed, the rest counted.
		last := snap.Findings[0] // row 0: the summary sorts first
		if n := snap.Table(snapshot.Members).NumRows(); n != 2500 || snap.Stats[snapshot.Members].Excluded != 2500 ||
			len(snap.Findings) != maxListedFindings+1 || !strings.HasPrefix(last.Message, "2400 more DQ003 findings") {
			t.Errorf("rows %d, excluded %d, findings %d ending %+v; want 2500, 2500 and %d DQ003 listed then 2400 counted",
				n, snap.Stats[snapshot.Members].Excluded, len(snap.Findings), last, maxListedFindings)
		}
	}
}
