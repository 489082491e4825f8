package loaders

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// reformManifest is snapshot.yaml of the tests below: the new Hưng Yên
// three months after the 1 July 2025 reform.
func reformManifest(tables string) string {
	return strings.Replace(manifest(tables), "asOf: 2024-09-30", "asOf: 2025-09-30", 1)
}

// A versioned export: the province of Thái Bình (34) and the district of
// TP Hưng Yên (323) end on 30 June 2025, code 11953 is Phường Hiến Nam
// until then and Phường Phố Hiến from 1 July, 11956 is known only through
// lineage, 12100 split, 12200 renamed, 12300 moved up to the province.
const reformUnits = `unit_id,parent_id,level,name,kind,active,valid_from,valid_to
33,,province,Tỉnh Hưng Yên,tỉnh,,,
34,,province,Tỉnh Thái Bình,tỉnh,,,2025-06-30
323,33,district,Thành phố Hưng Yên,thành phố,,,2025-06-30
11953,323,commune,Phường Hiến Nam,phường,,,2025-06-30
11953,33,commune,Phường Phố Hiến,phường,,2025-07-01,
12100,34,commune,Xã Cũ,xã,,,2025-06-30
12101,33,commune,Xã Mới Một,xã,,2025-07-01,
12102,33,commune,Xã Mới Hai,xã,,2025-07-01,
12200,33,commune,Xã Tên Mới,xã,,2025-07-01,
12200,323,commune,Xã Tên Cũ,xã,,,2025-06-30
12300,323,commune,Xã Lên Tỉnh,xã,,,2025-06-30
12300,33,commune,Xã Lên Tỉnh,xã,,2025-07-01,
`

const reformLineage = `predecessor_id,successor_id,effective,kind,share
11953,11953,2025-07-01,merge,
11956,11953,2025-07-01,,
323,33,2025-07-01,merge,
34,33,2025-07-01,merge,
12100,12101,2025-07-01,split,0.6
12100,12102,2025-07-01,split,0.4
12200,12200,2025-07-01,rename,
12300,12300,2025-07-01,move,
`

func TestUnitVersions(t *testing.T) {
	fsys := mapFS(map[string]string{
		"snapshot.yaml": reformManifest("units: u.csv\nlineage: l.csv\nratings: r.csv\nactivities: a.csv\nmodels: m.csv"),
		"u.csv":         reformUnits,
		"l.csv":         reformLineage,
		"r.csv":         "unit_id,year,rating\n11953,2023,good\n11953,2024,fair\n11953,2025,excellent\n11956,2024,weak\n12100,2025,good\n",
		"a.csv":         "unit_id,month\n11953,2025-06\n11953,2025-07\n11956,2025-06\n",
		"m.csv":         "model_id,unit_id,type,launched_on\nm-old,11953,other,2025-06-30\nm-new,11953,other,2025-07-01\nm-undated,11953,other,\n",
	})
	snap, err := load(t, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Findings) != 0 {
		t.Fatalf("findings: %v", brief(snap.Findings))
	}
	if diff := cmp.Diff([]string{"33", "11953", "12101", "12102", "12200", "12300"}, ids(snap, snapshot.Units)); diff != "" {
		t.Errorf("units are the versions valid on asOf (-want +got):\n%s", diff)
	}
	names := snapshot.Strings(snapshot.Column(snap.Table(snapshot.Units), "name"))
	if names.Value(1) != "Phường Phố Hiến" {
		t.Errorf("11953 is %q, want its current name", names.Value(1))
	}
	v := snap.Versions
	if v == nil {
		t.Fatal("no Versions")
	}
	var hist []string
	for _, h := range v.History {
		hist = append(hist, fmt.Sprintf("%s %q %s..%s implicit=%v", h.ID, h.Name, day(h.From), day(h.To), h.Implicit))
	}
	want := []string{
		`11953 "Phường Hiến Nam" ..2025-06-30 implicit=false`,
		`11956 "" ..2025-06-30 implicit=true`,
		`12100 "Xã Cũ" ..2025-06-30 implicit=false`,
		`12200 "Xã Tên Cũ" ..2025-06-30 implicit=false`,
		`12300 "Xã Lên Tỉnh" ..2025-06-30 implicit=false`,
		`323 "Thành phố Hưng Yên" ..2025-06-30 implicit=false`,
		`34 "Tỉnh Thái Bình" ..2025-06-30 implicit=false`,
	}
	if diff := cmp.Diff(want, hist); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	// Dated references at the boundary.
	name := func(id string, ver int) string {
		if ver == snapshot.Current {
			return id + " current"
		}
		return id + " " + v.History[ver].Name
	}
	at := func(id, d string) string {
		ver, _, ok := v.At(id, mustDay(d))
		if !ok {
			return "none"
		}
		return name(id, ver)
	}
	year := func(id string, y int) string {
		ver, _, ok := v.InYear(id, y)
		if !ok {
			return "none"
		}
		return name(id, ver)
	}
	cases := []struct{ got, want string }{
		{at("11953", "2025-06-30"), "11953 Phường Hiến Nam"},
		{at("11953", "2025-07-01"), "11953 current"},
		{year("11953", 2024), "11953 Phường Hiến Nam"},
		{year("11953", 2025), "11953 current"},
		{year("12100", 2025), "12100 Xã Cũ"}, // its last valid day in 2025
		{year("11956", 2024), "11956 "},
		{at("11956", "2025-07-01"), "none"},
		{at("33", "1999-01-01"), "none"}, // no spans: the caller takes the current unit
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: %s, want %s", i, c.got, c.want)
		}
	}
	if got := ids(snap, snapshot.Ratings); len(got) != 5 {
		t.Errorf("ratings %v, want all 5 (history ratings stay, the checker files them)", got)
	}
	if got := ids(snap, snapshot.Models); len(got) != 3 {
		t.Errorf("models %v, want 3", got)
	}
}

func day(d arrow.Date32) string {
	if d == snapshot.NoStart || d == snapshot.NoEnd {
		return ""
	}
	return d.FormattedString()
}

// An export that keeps only the current units: codes that lineage names are
// known before the effective date, a reused code's one row starts on it.
func TestCurrentOnlyExportWithLineage(t *testing.T) {
	fsys := mapFS(map[string]string{
		"snapshot.yaml": reformManifest("units: u.csv\nlineage: l.csv\nratings: r.csv"),
		"u.csv":         "unit_id,parent_id,level,name\n33,,province,Tỉnh Hưng Yên\n11953,33,commune,Phường Phố Hiến\n",
		"l.csv":         "predecessor_id,successor_id,effective\n11953,11953,2025-07-01\n11956,11953,2025-07-01\n11959,11953,2025-07-01\n",
		"r.csv":         "unit_id,year,rating\n11953,2024,fair\n11956,2024,good\n11959,2024,weak\n11953,2025,good\n",
	})
	snap, err := load(t, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Findings) != 0 {
		t.Fatalf("findings: %v", brief(snap.Findings))
	}
	v := snap.Versions
	for _, c := range []struct {
		id   string
		y    int
		hist bool
	}{{"11953", 2024, true}, {"11953", 2025, false}, {"11956", 2024, true}, {"11959", 2024, true}} {
		ver, _, ok := v.InYear(c.id, c.y)
		if !ok || (ver != snapshot.Current) != c.hist {
			t.Errorf("%s in %d: version %d ok=%v, want history=%v", c.id, c.y, ver, ok, c.hist)
		}
	}
	if from, _, _ := v.Range("11953", snapshot.Current); from != snapshot.Day(2025, time.July, 1) {
		t.Errorf("current 11953 starts %s, want 2025-07-01", from.FormattedString())
	}
}

// Without versions and lineage a snapshot means what v1 meant.
func TestNoVersionsIsV1(t *testing.T) {
	snap, err := load(t, mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv"), "u.csv": unitsCSV}))
	if err != nil {
		t.Fatal(err)
	}
	if snap.Versions != nil {
		t.Errorf("Versions = %+v, want nil", snap.Versions)
	}
}

func TestVersionDataQuality(t *testing.T) {
	base := "unit_id,parent_id,level,name,kind,active,valid_from,valid_to\n33,,province,P,,,,\n"
	cases := []struct {
		name    string
		units   string
		lineage string
		ratings string
		want    []string
	}{
		{
			name:  "DQ002 overlapping versions",
			units: base + "11953,33,commune,A,,,,2025-06-30\n11953,33,commune,B,,,2025-06-01,\n",
			want:  []string{"DQ002 units:4 unit_id 11953"},
		},
		{
			name:  "DQ007 version ends before it starts",
			units: base + "11953,33,commune,A,,,2025-07-01,2025-06-30\n",
			want:  []string{"DQ007 units:3 valid_to 2025-06-30"},
		},
		{
			name:  "DQ003 history version under a parent without a version then",
			units: base + "11953,999,commune,A,,,,2025-06-30\n11953,33,commune,B,,,2025-07-01,\n999,33,district,D,,,2025-07-01,\n",
			want:  []string{"DQ003 units:3 parent_id 999"},
		},
		{
			name:    "DQ003 successor unknown",
			units:   base + "11953,33,commune,B,,,,\n",
			lineage: "predecessor_id,successor_id,effective\n11956,ghost,2025-07-01\n",
			want:    []string{"DQ003 lineage:2 successor_id ghost"},
		},
		{
			name:    "DQ003 successor without a version on the effective date",
			units:   base + "11953,33,commune,B,,,2025-07-01,\n",
			lineage: "predecessor_id,successor_id,effective\n11956,11953,2025-01-01\n",
			want:    []string{"DQ003 lineage:2 successor_id 11953"},
		},
		{
			name:    "DQ003 dated reference without a version",
			units:   base + "11953,33,commune,B,,,2025-07-01,\n",
			ratings: "unit_id,year,rating\n11953,2024,good\n11953,2025,good\n",
			want:    []string{"DQ003 ratings:2 unit_id 11953"},
		},
		{
			name:    "DQ004 lineage cycle",
			units:   base + "a,33,commune,A,,,,\nb,33,commune,B,,,,\n",
			lineage: "predecessor_id,successor_id,effective,kind\na,b,2025-07-01,rename\nb,a,2025-07-01,rename\n",
			want:    []string{"DQ004 lineage:2 successor_id b", "DQ004 lineage:3 successor_id a"},
		},
		{
			name:    "DQ005 merged predecessor still active",
			units:   base + "11953,33,commune,A,,,,\n11956,33,commune,B,,,,\n11959,33,commune,C,,false,,\n",
			lineage: "predecessor_id,successor_id,effective\n11956,11953,2025-07-01\n11959,11953,2025-07-01\n",
			want:    []string{"DQ005 lineage:2 predecessor_id 11956"},
		},
		{
			name:    "DQ007 split shares above 1",
			units:   base + "s1,33,commune,A,,,,\ns2,33,commune,B,,,,\ns3,33,commune,C,,,,\n",
			lineage: "predecessor_id,successor_id,effective,kind,share\np,s1,2025-07-01,split,0.6\np,s2,2025-07-01,split,0.5\nq,s3,2025-07-01,split,1.5\nq,s1,2025-07-01,split,0\n",
			want:    []string{"DQ007 lineage:2 share 0.6", "DQ007 lineage:3 share 0.5", "DQ007 lineage:4 share 1.5"},
		},
		{
			name:    "DQ006 unknown lineage kind",
			units:   base + "s1,33,commune,A,,,,\n",
			lineage: "predecessor_id,successor_id,effective,kind\np,s1,2025-07-01,absorb\n",
			want:    []string{"DQ006 lineage:2 kind absorb"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"u.csv": c.units}
			tables := "units: u.csv"
			if c.lineage != "" {
				files["l.csv"] = c.lineage
				tables += "\nlineage: l.csv"
			}
			if c.ratings != "" {
				files["r.csv"] = c.ratings
				tables += "\nratings: r.csv"
			}
			files["snapshot.yaml"] = reformManifest(tables)
			snap, err := load(t, mapFS(files), WithMaxBadRows(Limit{Share: 1, IsShare: true}))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range snap.Findings {
				if f.Severity != snapshot.SeverityWarning {
					got = append(got, brief([]snapshot.Finding{f})[0])
				}
				if f.File == "" || (f.Row == 0) || f.Column == "" {
					t.Errorf("finding without a place: %+v", f)
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
