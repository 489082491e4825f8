package loaders

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// secret is a name and a phone number as an export may carry them, written
// in decomposed Unicode so that text columns also give DQ008.
const secret = "Nguye\u0302\u0303n Thi\u0323 Quyzet 0977444333"

// needles are the parts of secret that must never reach a finding.
var needles = []string{"Quyzet", "0977444333"}

// withSecret returns a table whose first data row is valid, then one row per
// column with secret in that column (the other cells valid, ids numbered),
// and, for the id column, a second row with secret (a duplicate id).
func withSecret(header []string, valid []string, id string) [][]string {
	rows := [][]string{header, valid}
	idx := slices.Index(header, id)
	for i := range header {
		r := slices.Clone(valid)
		if idx >= 0 {
			r[idx] += fmt.Sprint(len(rows))
		}
		r[i] = secret
		if i == idx {
			r[i] += " (id)" // not the secret of the other tables' references
		}
		rows = append(rows, r)
		if i == idx {
			rows = append(rows, slices.Clone(r))
		}
	}
	return rows
}

// TestFindingsQuoteNoPersonalData puts a name and a phone number into every
// column of members, cadres and participants (ids included: the secret in
// an id column differs from the one in the columns that refer to it, so the
// references are unknown) and checks that no finding
// field holds them, in every format, while the findings still say which
// cell is wrong and why.
func TestFindingsQuoteNoPersonalData(t *testing.T) {
	members := withSecret([]string{"member_id", "unit_id", "joined_on", "honorary", "party_member", "pioneer", "hardship", "needs", "special_group"},
		[]string{"m1", "chi-1", "2020-01-02", "false", "true", "false", "true", "vay vốn", "worker"}, "member_id")
	cadres := withSecret([]string{"cadre_id", "unit_id", "role", "competence", "strong_fields", "member_id", "party_member"},
		[]string{"c1", "chi-1", "branch_head", "good", "economy", "m1", "true"}, "cadre_id")
	models := "model_id,unit_id,type\nmo1,xa-1,one_plus_one\n"
	var participants [][]string
	for _, kind := range []string{"member", "cadre", "unit"} {
		p := withSecret([]string{"model_id", "participant_id", "kind", "role", "pair", "component"},
			[]string{"mo1", map[string]string{"member": "m1", "cadre": "c1", "unit": "chi-1"}[kind], kind, "helper", "p1", "branch_twinning"}, "")
		if participants == nil {
			participants = p
		} else {
			participants = append(participants, p[1:]...)
		}
	}
	// code column, one per finding, whatever the format's row numbers.
	want := []string{
		"DQ008 cadres cadre_id", "DQ008 cadres cadre_id", "DQ002 cadres cadre_id",
		"DQ008 cadres unit_id", "DQ003 cadres unit_id",
		"DQ008 cadres role", "DQ008 cadres competence", "DQ008 cadres strong_fields",
		"DQ006 cadres role", "DQ006 cadres competence", "DQ006 cadres strong_fields",
		"DQ008 cadres member_id", "DQ003 cadres member_id",
		"DQ007 cadres party_member",
		"DQ008 members member_id", "DQ008 members member_id", "DQ002 members member_id",
		"DQ008 members unit_id", "DQ003 members unit_id",
		"DQ007 members joined_on", "DQ007 members honorary", "DQ007 members party_member",
		"DQ007 members pioneer", "DQ007 members hardship", "DQ008 members special_group",
	}
	for range 3 { // kinds member, cadre, unit
		want = append(want, "DQ008 participants model_id", "DQ003 participants model_id",
			"DQ008 participants participant_id", "DQ008 participants kind", "DQ006 participants kind",
			"DQ008 participants role", "DQ006 participants role", "DQ008 participants pair",
			"DQ008 participants component", "DQ006 participants component")
	}
	want = append(want, "DQ003 participants participant_id", "DQ003 participants participant_id", "DQ003 participants participant_id")
	slices.Sort(want)

	type encode func(t testing.TB, rows [][]string) []byte
	formats := []struct {
		ext string
		enc encode
	}{
		{"csv", func(_ testing.TB, rows [][]string) []byte { return []byte(csvText(rows, ",")) }},
		{"ndjson", func(t testing.TB, rows [][]string) []byte { return ndjson(t, rows, false) }},
		{"parquet", parquetFile},
		{"xlsx", func(t testing.TB, rows [][]string) []byte { return xlsx(t, rows, "") }},
	}
	for _, f := range formats {
		t.Run(f.ext, func(t *testing.T) {
			fsys := mapFS(map[string]string{
				"snapshot.yaml": manifest(fmt.Sprintf("units: u.csv\nmembers: m.%[1]s\ncadres: c.%[1]s\nmodels: mo.csv\nparticipants: p.%[1]s", f.ext)),
				"u.csv":         unitsCSV, "mo.csv": models})
			fsys["m."+f.ext] = mapFile(f.enc(t, members))
			fsys["c."+f.ext] = mapFile(f.enc(t, cadres))
			fsys["p."+f.ext] = mapFile(f.enc(t, participants))
			snap, err := load(t, fsys, WithMaxBadRows(Limit{Share: 1, IsShare: true}))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, fd := range snap.Findings {
				for _, field := range []string{fd.File, fd.Column, fd.Value, fd.Message, fd.Error()} {
					for _, n := range needles {
						if strings.Contains(field, n) {
							t.Errorf("finding %s %s:%d %s quotes personal data: %q", fd.Code, fd.Table, fd.Row, fd.Column, field)
						}
					}
				}
				if fd.Row == 0 {
					t.Errorf("finding %s %s %s has no row", fd.Code, fd.Table, fd.Column)
				}
				got = append(got, fmt.Sprintf("%s %s %s", fd.Code, fd.Table, fd.Column))
			}
			slices.Sort(got)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			// The bad rows are still excluded: what remains is the valid
			// first row and the rows whose secret is a warning (DQ008 in
			// member_id, cadre_id, special_group) or nothing (needs).
			for tbl, n := range map[snapshot.Table]int64{snapshot.Members: 4, snapshot.Cadres: 2} {
				if got := snap.Table(tbl).NumRows(); got != n {
					t.Errorf("%s: %d rows kept, want %d", tbl, got, n)
				}
			}
		})
	}
}

// Tables that hold no people keep quoting the offending value, as the file
// has it (before aliases).
func TestFindingsQuoteOtherTables(t *testing.T) {
	fsys := mapFS(map[string]string{
		"snapshot.yaml": manifest("units: u.csv\nmodels: mo.csv\nratings: r.csv", "aliases:\n  ratings.rating: {\"Khá\": fairish}"),
		"u.csv":         unitsCSV,
		"mo.csv":        "model_id,unit_id,type\nmo1,ghost,one_plus_one\nmo2,xa-1,Mô hình\n",
		"r.csv":         "unit_id,year,rating\nxa-1,2024,Khá\n",
	})
	snap, err := load(t, fsys, WithMaxBadRows(Limit{Share: 1, IsShare: true}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range snap.Findings {
		got = append(got, fmt.Sprintf("%s %s:%d %s %q %s", f.Code, f.Table, f.Row, f.Column, f.Value, f.Message))
	}
	want := []string{
		`DQ003 models:2 unit_id "ghost" The unit ghost is not in the units table.`,
		`DQ006 models:3 type "Mô hình" ` + enumMsg(&column{spec: snapshot.ColumnSpec{Enum: "models.type"}}),
		`DQ006 ratings:2 rating "Khá" ` + enumMsg(&column{spec: snapshot.ColumnSpec{Enum: "ratings.rating"}}),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
}
