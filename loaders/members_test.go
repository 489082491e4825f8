package loaders

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Members through every path: Parquet (dictionary decoding of unit_id and
// special_group), CSV, NDJSON; aliases and NFC on the dictionary columns.
func TestMembersColumns(t *testing.T) {
	rows := [][]string{
		{"member_id", "unit_id", "joined_on", "hardship", "needs", "special_group"},
		{"m1", "chi-1", "2020-01-02", "true", "vay vốn", "worker"},
		{"m2", "to-1", "", "", "  ", "Công nhân"},
		{"m3", "chi-1", "", "false", "", ""},
		{"m4", "to-1", "", "", "", "Tha\u0301i"},
	}
	want := []string{
		"member_id=m1 unit_id=chi-1 joined_on=2020-01-02 hardship=true needs_recorded=true special_group=worker",
		"member_id=m2 unit_id=to-1 needs_recorded=false special_group=Công nhân",
		"member_id=m3 unit_id=chi-1 hardship=false needs_recorded=false",
		"member_id=m4 unit_id=to-1 needs_recorded=false special_group=Thái",
	}
	wantAlias := append([]string(nil), want...)
	wantAlias[1] = "member_id=m2 unit_id=to-1 needs_recorded=false special_group=worker"
	alias := "aliases:\n  members.special_group: {\"công nhân\": worker}"
	cases := []struct {
		name, file string
		data       []byte
		extra      string
		want       []string
		row        string
	}{
		{"parquet (record index)", "m.parquet", parquetFile(t, rows), "", want, "4"},
		{"parquet with alias", "m.parquet", parquetFile(t, rows), alias, wantAlias, "4"},
		{"csv", "m.csv", []byte(csvText(rows, ",")), "", want, ""},
		{"csv with alias", "m.csv", []byte(csvText(rows, ",")), alias, wantAlias, ""},
		{"ndjson (blank lines count)", "m.ndjson", ndjson(t, rows, false), "", want, "7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: "+tc.file, tc.extra), "u.csv": unitsCSV})
			fsys[tc.file] = mapFile(tc.data)
			snap, err := load(t, fsys)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, dump(snap.Table(snapshot.Members))); d != "" {
				t.Errorf("members (-want +got):\n%s", d)
			}
			row := tc.row
			if row == "" {
				row = "5"
			}
			if d := cmp.Diff([]string{"DQ008 members:" + row + " special_group "}, brief(snap.Findings)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			if !snap.Table(snapshot.Members).Schema().Equal(snapshot.Schema(snapshot.Members)) {
				t.Error("schema differs")
			}
		})
	}
}
