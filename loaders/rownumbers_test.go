package loaders

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Rows 1, 2, ... n are counted, not stored; the first row out of that
// sequence stores them all, and every location reads back as added.
func TestRowNumbers(t *testing.T) {
	cases := map[string][]int{
		"parquet, in order":     {1, 2, 3, 4, 5},
		"csv after its header":  {2, 3, 4, 7, 8},
		"a gap after the start": {1, 2, 3, 5, 6, 9},
		"none":                  {},
	}
	for name, rows := range cases {
		t.Run(name, func(t *testing.T) {
			var r rowNumbers
			implicit := true
			for i, row := range rows {
				r.add(row)
				implicit = implicit && row == i+1
				if stored := r.explicit != nil; stored == implicit {
					t.Fatalf("after row %d: stored %v, want %v", row, stored, !implicit)
				}
			}
			if r.len() != len(rows) {
				t.Fatalf("len %d, want %d", r.len(), len(rows))
			}
			for i, want := range rows {
				if got := r.at(i); got != want {
					t.Errorf("at(%d) = %d, want %d", i, got, want)
				}
			}
		})
	}
}

// A Parquet file's findings name the rows of their records (the first
// record is row 1), though its row numbers are counted, not stored: a
// bad value on the fourth record and a duplicate id that the second
// record had first.
func TestParquetFindingRows(t *testing.T) {
	models := [][]string{
		{"model_id", "unit_id", "type", "launched_on", "status"},
		{"m1", "xa-1", "one_plus_one", "2024-03-08", ""},
		{"m2", "chi-1", "one_plus_one", "2024-03-08", ""},
		{"m3", "chi-1", "one_plus_one", "2024-03-08", ""},
		{"m4", "chi-1", "no_such_type", "2024-03-08", ""},
		{"m2", "xa-1", "one_plus_one", "2024-03-08", ""},
	}
	fsys := mapFS(nil)
	fsys["snapshot.yaml"] = &fstest.MapFile{Data: []byte(manifest("units: u.parquet\nmodels: m.parquet"))}
	fsys["u.parquet"] = &fstest.MapFile{Data: parquetFile(t, unitRows)}
	fsys["m.parquet"] = &fstest.MapFile{Data: parquetFile(t, models)}
	limit, err := ParseLimit("100%")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := load(t, fsys, WithMaxBadRows(limit))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[snapshot.Code][]int{}
	for _, f := range snap.Findings {
		if f.Table == snapshot.Models {
			rows[f.Code] = append(rows[f.Code], f.Row)
		}
	}
	if got := rows[snapshot.DQEnum]; len(got) != 1 || got[0] != 4 {
		t.Errorf("the bad type's finding on rows %v, want [4] (findings %v)", got, snap.Findings)
	}
	dups := rows[snapshot.DQDuplicate]
	if len(dups) == 0 {
		t.Fatalf("no duplicate finding: %v", snap.Findings)
	}
	for _, f := range snap.Findings {
		if f.Code == snapshot.DQDuplicate && !strings.Contains(f.Message, "row 2") {
			t.Errorf("duplicate finding %q does not name row 2, where m2 is first", f.Message)
		}
	}
}
