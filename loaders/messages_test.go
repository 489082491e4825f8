package loaders

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The messages a data clerk reads name the problem in the file's terms: no
// Go type names, no float noise.
func TestManifestMessages(t *testing.T) {
	cases := []struct {
		name, extra string
		want        []string // "column value: message"
	}{
		{"unknown key", "foo: bar\nbaz: 1",
			[]string{"foo : The snapshot description (snapshot.yaml) has an unknown key foo on line 8; the known keys are apiVersion, kind, name, title, asOf, tables, aliases.",
				"baz : The snapshot description (snapshot.yaml) has an unknown key baz on line 9; the known keys are apiVersion, kind, name, title, asOf, tables, aliases."}},
		{"alias of an unknown column", "aliases:\n  cadres.rol: {\"Trưởng\": branch_head}",
			[]string{"aliases cadres.rol: The cadres table has no column rol; its columns are cadre_id, unit_id, role, competence, strong_fields, member_id, party_member."}},
		{"alias of an unknown table", "aliases:\n  cadre.role: {\"Trưởng\": branch_head}",
			[]string{"aliases cadre.role: There is no table cadre; the tables are units, members, cadres, models, participants, ratings, activities, lineage."}},
		{"alias without a table", "aliases:\n  role: {\"Trưởng\": branch_head}",
			[]string{`aliases role: Aliases must be given per column as "table.column", e.g. ratings.rating.`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, fs := ParseManifest([]byte(manifest("units: u.csv", tc.extra)))
			var got []string
			for _, f := range fs {
				got = append(got, f.Column+" "+f.Value+": "+f.Message)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestNDJSONLineMessages(t *testing.T) {
	data := `{"unit_id": "tinh", "level": "province", "name": "T"}
[1,2]
"tinh"
42
true
null
{"unit_id": "x"} {"unit_id": "y"}
{"unit_id":
`
	fsys := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.ndjson"), "u.ndjson": data})
	_, err := load(t, fsys)
	var tm *TooManyBadRowsError
	if !errors.As(err, &tm) {
		t.Fatalf("err = %v, want *TooManyBadRowsError", err)
	}
	var got []string
	for _, f := range tm.Findings {
		got = append(got, string(f.Code)+" "+f.Message)
	}
	want := []string{
		`DQ010 The line is a JSON array, not a JSON object ({"column": value, ...}).`,
		`DQ010 The line is a JSON string, not a JSON object ({"column": value, ...}).`,
		`DQ010 The line is a JSON number, not a JSON object ({"column": value, ...}).`,
		`DQ010 The line is a JSON true or false, not a JSON object ({"column": value, ...}).`,
		`DQ010 The line is JSON null, not a JSON object ({"column": value, ...}).`,
		`DQ010 The line holds more than one JSON value.`,
		`DQ010 The line is not valid JSON: unexpected EOF`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, f := range tm.Findings {
		if strings.Contains(f.Message, "Go value") || strings.Contains(f.Message, "interface") {
			t.Errorf("message names Go types: %s", f.Message)
		}
	}
}

func TestLimitString(t *testing.T) {
	for _, in := range []string{"1%", "0.5%", "52.9%", "33.3%", "0.1%", "100%", "0%", "12.345%", "250", "0"} {
		l, err := ParseLimit(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.String(); got != in {
			t.Errorf("ParseLimit(%q).String() = %q", in, got)
		}
	}
	err := &TooManyBadRowsError{Table: "models", Excluded: 20, Rows: 30, Limit: Limit{Share: 0.529, IsShare: true}}
	if want := "table models: 20 of 30 rows excluded, more than the limit of 52.9%"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
