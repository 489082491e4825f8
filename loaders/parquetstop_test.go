package loaders

import (
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// allBadMembersParquet writes n members rows whose honorary column is text
// that is no boolean ("maybe"), in row groups of defaultParquetBatch rows.
func allBadMembersParquet(t *testing.T, n int) []byte {
	t.Helper()
	mem := memory.NewGoAllocator()
	names := []string{"member_id", "unit_id", "joined_on", "honorary"}
	fields := make([]arrow.Field, len(names))
	for i, name := range names {
		fields[i] = arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("m%07d", i))
		b.Field(1).(*array.StringBuilder).Append("chi-1")
		b.Field(2).(*array.StringBuilder).Append("2020-01-01")
		b.Field(3).(*array.StringBuilder).Append("maybe")
	}
	rec := b.NewRecord()
	defer rec.Release()
	return writeParquet(t, rec, parquet.WithMaxRowGroupLength(defaultParquetBatch))
}

// TestBadRowsStopEarlyParquet: a Parquet table stops after the batch where
// --max-bad-rows can no longer be met, a share judged against the rows
// its footer announces, instead of reading a file whose every row is
// wrong to its end.
func TestBadRowsStopEarlyParquet(t *testing.T) {
	const rows = 5 * defaultParquetBatch
	files := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.parquet"), "u.csv": unitsCSV})
	files["m.parquet"] = mapFile(allBadMembersParquet(t, rows))
	for _, tt := range []struct {
		name  string
		limit Limit
	}{
		{"a share", DefaultLimit()},
		{"a count", Limit{Count: 50}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, files, WithMaxBadRows(tt.limit))
			tm := wantStopped(t, err, rows, defaultParquetBatch, defaultParquetBatch) // after the first batch
			var listed int
			for _, f := range tm.Findings {
				if f.Code != snapshot.DQType || f.Column != "honorary" {
					t.Errorf("finding %+v, want DQ007 on honorary", f)
				}
				if f.Row > 0 {
					listed++
				}
			}
			if listed != maxListedFindings {
				t.Errorf("%d findings listed, want a located sample of %d", listed, maxListedFindings)
			}
		})
	}
	t.Run("a share the file can still meet", func(t *testing.T) {
		// A limit of 100 % is always met: no early stop (the load may fail later
		// for other reasons, not for the bad rows).
		_, err := load(t, files, WithMaxBadRows(Limit{Share: 1, IsShare: true}))
		var tm *TooManyBadRowsError
		if errors.As(err, &tm) {
			t.Fatalf("err = %v, want no stop with a limit of 100 %%", err)
		}
	})
}

// TestBadRowsStopEarlyXLSX: an XLSX sheet stops early on a share too, judged
// against the most rows its parts' declared sizes can hold.
func TestBadRowsStopEarlyXLSX(t *testing.T) {
	const rows = 3 * earlyStopRows
	table := [][]string{{"member_id", "unit_id", "joined_on", "honorary"}}
	for i := range rows {
		table = append(table, []string{fmt.Sprintf("m%07d", i), "chi-1", "x", "maybe"})
	}
	files := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.xlsx"), "u.csv": unitsCSV})
	files["m.xlsx"] = mapFile(xlsx(t, table, ""))
	_, err := load(t, files, WithMaxBadRows(DefaultLimit()))
	wantStopped(t, err, rows, earlyStopRows, earlyStopRows)
}
