package loaders

import (
	"testing"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// An NDJSON file with no record is an empty table: NDJSON has no header
// row, so there is no header to miss (a CSV file needs its header line).
func TestNDJSONWithoutRecords(t *testing.T) {
	cases := []struct {
		name, file string
		data       []byte
	}{
		{"empty .ndjson", "c.ndjson", nil},
		{"empty .jsonl", "c.jsonl", nil},
		{"blank lines only", "c.ndjson", []byte("\n  \n\r\n\t\n")},
		{"gzipped, empty", "c.ndjson.gz", gz(t, nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("optional table", func(t *testing.T) {
				fsys := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\ncadres: " + tc.file), "u.csv": unitsCSV})
				fsys[tc.file] = mapFile(tc.data)
				snap, err := load(t, fsys)
				if err != nil {
					t.Fatal(err)
				}
				if n := snap.Table(snapshot.Cadres).NumRows(); n != 0 {
					t.Errorf("cadres: %d rows, want 0", n)
				}
				if st := snap.Stats[snapshot.Cadres]; st.Rows != 0 || st.Excluded != 0 {
					t.Errorf("cadres stats = %+v, want zero", st)
				}
				if len(snap.Findings) != 0 {
					t.Errorf("findings: %v, want none", brief(snap.Findings))
				}
				if n := snap.Table(snapshot.Units).NumRows(); n != 4 {
					t.Errorf("units: %d rows, want 4", n)
				}
			})
			// The required table, empty, loads like a CSV file with only
			// its header line: a snapshot with no units.
			t.Run("units", func(t *testing.T) {
				fsys := mapFS(map[string]string{"snapshot.yaml": manifest("units: " + tc.file)})
				fsys[tc.file] = mapFile(tc.data)
				snap, err := load(t, fsys)
				if err != nil {
					t.Fatal(err)
				}
				if n := snap.Table(snapshot.Units).NumRows(); n != 0 || len(snap.Findings) != 0 {
					t.Errorf("units: %d rows, findings %v; want 0 and none", n, brief(snap.Findings))
				}
			})
		})
	}
}
