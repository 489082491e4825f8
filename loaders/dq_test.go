package loaders

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

func ids(snap *snapshot.Snapshot, t snapshot.Table) []string {
	rec := snap.Table(t)
	col := snapshot.IDColumn(t)
	if col == "" {
		col = "unit_id"
		if t == snapshot.Participants {
			col = "model_id"
		}
	}
	s := snapshot.Strings(snapshot.Column(rec, col))
	out := []string{}
	for i := 0; i < s.Len(); i++ {
		out = append(out, s.Value(i))
	}
	return out
}

func TestDataQuality(t *testing.T) {
	type files = map[string]string
	units := "unit_id,parent_id,level,name\ntinh,,province,T\nxa-1,tinh,commune,X1\nchi-1,xa-1,branch,C1\nto-1,chi-1,group,G1\n"
	cases := []struct {
		name          string
		tables        string
		extra         string
		files         files
		want          []string // brief findings
		wantUnits     []string
		wantExcluded  []string // "id: reason"
		wantModels    []string
		wantExclModel []string
		table         snapshot.Table // ids of this table to check (wantIDs)
		wantIDs       []string
	}{
		{
			name: "DQ002 duplicate unit and member", tables: "units: u.csv\nmembers: m.csv",
			files:     files{"u.csv": units + "xa-1,tinh,commune,X1 again\n", "m.csv": "member_id,unit_id\nm1,chi-1\nm1,to-1\nm2,to-1\n"},
			want:      []string{"DQ002 units:6 unit_id xa-1", "DQ002 members:3 member_id "},
			wantUnits: []string{"tinh", "xa-1", "chi-1", "to-1"}, table: snapshot.Members, wantIDs: []string{"m1", "m2"},
		},
		{
			name: "DQ003 unknown parent excludes the subtree", tables: "units: u.csv\nmembers: m.csv",
			files:        files{"u.csv": units + "xa-2,nowhere,commune,X2\nchi-2,xa-2,branch,C2\n", "m.csv": "member_id,unit_id\nm1,chi-2\nm2,chi-1\nm3,ghost\n"},
			want:         []string{"DQ003 units:6 parent_id nowhere", "DQ003 members:4 unit_id "},
			wantUnits:    []string{"tinh", "xa-1", "chi-1", "to-1"},
			wantExcluded: []string{"chi-2: ancestor xa-2 excluded", "xa-2: DQ003 on row 6"},
			table:        snapshot.Members, wantIDs: []string{"m2"},
		},
		{
			name: "DQ004 cycle", tables: "units: u.csv",
			files:        files{"u.csv": units + "a,b,branch,A\nb,a,branch,B\nc,a,group,C\n"},
			want:         []string{"DQ004 units:6 parent_id b", "DQ004 units:7 parent_id a"},
			wantUnits:    []string{"tinh", "xa-1", "chi-1", "to-1"},
			wantExcluded: []string{"a: DQ004 on row 6", "b: DQ004 on row 7", "c: ancestor a excluded"},
		},
		{
			name: "DQ005 nesting", tables: "units: u.csv",
			files:        files{"u.csv": units + "chi-x,chi-1,branch,B\nxa-x,,commune,X\n"},
			want:         []string{"DQ005 units:6 parent_id chi-1", "DQ005 units:7 parent_id "},
			wantUnits:    []string{"tinh", "xa-1", "chi-1", "to-1"},
			wantExcluded: []string{"chi-x: DQ005 on row 6", "xa-x: DQ005 on row 7"},
		},
		{
			name: "district level is optional", tables: "units: u.csv",
			files:     files{"u.csv": "unit_id,parent_id,level,name\np,,province,P\nd,p,district,D\nx1,d,commune,X1\nx2,p,commune,X2\n"},
			wantUnits: []string{"p", "d", "x1", "x2"},
		},
		{
			name: "DQ006 enum and DQ007 types", tables: "units: u.csv\nmodels: m.csv\nratings: r.csv\nactivities: a.csv",
			files: files{"u.csv": units,
				"m.csv": "model_id,unit_id,type,launched_on,status\nm1,xa-1,one_plus_one,2024-02-30,\nm2,xa-1,bogus,,\nm3,xa-1,other,,\n",
				"r.csv": "unit_id,year,rating,score,family\nxa-1,2023,good,101,\nxa-1,20x3,good,,\nxa-1,2024,good,50,meh\nxa-1,2022,,,\n",
				"a.csv": "unit_id,month,attendees\nxa-1,2024-13,3\nxa-1,2024-09,-1\nxa-1,2024-09,3\n"},
			want: []string{
				"DQ007 models:2 launched_on 2024-02-30", "DQ006 models:3 type bogus",
				"DQ007 ratings:2 score 101", "DQ007 ratings:3 year 20x3", "DQ006 ratings:4 family meh", "DQ007 ratings:5 rating ",
				"DQ007 activities:2 month 2024-13", "DQ007 activities:3 attendees -1",
			},
			wantUnits: []string{"tinh", "xa-1", "chi-1", "to-1"}, wantModels: []string{"m3"},
			wantExclModel: []string{"m1: DQ007 on row 2"},
			extra:         "--max-bad-rows=100%",
		},
		{
			name: "DQ010 field count and broken quotes", tables: "units: u.csv",
			files:     files{"u.csv": units + "xa-2,tinh,commune\nxa-3,tinh,commune,X3,extra\nxa-4,tinh,commune,X\"4\n"},
			want:      []string{"DQ010 units:6  ", "DQ010 units:7  ", "DQ010 units:8  "},
			wantUnits: []string{"tinh", "xa-1", "chi-1", "to-1"},
		},
		{
			name: "models under an excluded unit; participants follow", tables: "units: u.csv\nmodels: m.csv\nparticipants: p.csv\ncadres: c.csv",
			files: files{"u.csv": units + "xa-2,ghost,commune,X2\n",
				"m.csv": "model_id,unit_id,type\nm1,xa-1,one_plus_one\nm2,xa-2,accompany\nm3,nowhere,other\n",
				"c.csv": "cadre_id,unit_id,role,competence,strong_fields\nc1,chi-1,Chi hội trưởng,good,economy;Family\nc2,chi-1,branch_deputy,,sports\n",
				"p.csv": "model_id,participant_id,kind,role\nm1,chi-1,unit,helper\nm2,c1,cadre,helper\nm1,c9,cadre,helped\nm1,xa-2,unit,helped\nm7,c1,cadre,helper\n"},
			extra: "aliases:\n  cadres.role: {\"Chi hội trưởng\": branch_head}\n",
			want: []string{"DQ003 units:6 parent_id ghost", "DQ006 cadres:3 strong_fields ", "DQ003 models:4 unit_id nowhere",
				"DQ003 participants:4 participant_id ", "DQ003 participants:6 model_id "},
			wantUnits: []string{"tinh", "xa-1", "chi-1", "to-1"}, wantModels: []string{"m1"},
			wantExcluded:  []string{"xa-2: DQ003 on row 6"},
			wantExclModel: []string{"m2: unit xa-2 excluded", "m3: DQ003 on row 4"},
			table:         snapshot.Participants, wantIDs: []string{"m1"},
		},
		{
			name: "DQ002 ratings per unit and year", tables: "units: u.csv\nratings: r.csv",
			files:     files{"u.csv": units, "r.csv": "unit_id,year,rating\nxa-1,2023,Vững mạnh\nxa-1,2023,weak\n"},
			extra:     "aliases:\n  ratings.rating: {\"vững mạnh\": good}\n",
			want:      []string{"DQ002 ratings:3 year 2023"},
			wantUnits: []string{"tinh", "xa-1", "chi-1", "to-1"}, table: snapshot.Ratings, wantIDs: []string{"xa-1"},
		},
		{
			name: "DQ002 ratings per unit and year, apart", tables: "units: u.csv\nratings: r.csv",
			files:     files{"u.csv": units, "r.csv": "unit_id,year,rating\nxa-1,2023,good\nchi-1,2023,good\nxa-1,2022,good\nchi-1,2023,good\nchi-1,2022,good\nxa-1,2023,weak\n"},
			want:      []string{"DQ002 ratings:5 year 2023", "DQ002 ratings:7 year 2023"},
			wantUnits: []string{"tinh", "xa-1", "chi-1", "to-1"}, table: snapshot.Ratings, wantIDs: []string{"xa-1", "chi-1", "xa-1", "chi-1"},
		},
		{
			name: "DQ008 NFC and DQ009 ignored", tables: "units: u.csv",
			files:     files{"u.csv": "unit_id,parent_id,level,name,Phone\ntinh,,province,Tha\u0301i Bi\u0300nh,0912\n"},
			want:      []string{"DQ009 units:1 phone ", "DQ008 units:2 name Thái Bình"},
			wantUnits: []string{"tinh"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := map[string]string{"snapshot.yaml": manifest(tc.tables, strings.Split(tc.extra, "--")[0])}
			for k, v := range tc.files {
				fs[k] = v
			}
			var opts []Option
			if strings.Contains(tc.extra, "--max-bad-rows=100%") {
				opts = append(opts, WithMaxBadRows(Limit{Share: 1, IsShare: true}))
			} else {
				opts = append(opts, WithMaxBadRows(Limit{Count: 1000}))
			}
			snap, err := load(t, mapFS(fs), opts...)
			if err != nil {
				t.Fatal(err)
			}
			got := brief(snap.Findings)
			want := append([]string(nil), tc.want...)
			sort.Strings(got)
			sort.Strings(want)
			if d := cmp.Diff(want, got, cmpEmpty); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantUnits, ids(snap, snapshot.Units), cmpEmpty); d != "" {
				t.Errorf("units (-want +got):\n%s", d)
			}
			var ex []string
			for _, u := range snap.ExcludedUnits {
				ex = append(ex, u.ID+": "+u.Reason.String())
			}
			sort.Strings(ex)
			if d := cmp.Diff(tc.wantExcluded, ex, cmpEmpty); d != "" {
				t.Errorf("excluded units (-want +got):\n%s", d)
			}
			if tc.wantModels != nil {
				if d := cmp.Diff(tc.wantModels, ids(snap, snapshot.Models)); d != "" {
					t.Errorf("models (-want +got):\n%s", d)
				}
			}
			var em []string
			for _, m := range snap.ExcludedModels {
				em = append(em, m.ID+": "+m.Reason.String())
			}
			sort.Strings(em)
			if d := cmp.Diff(tc.wantExclModel, em, cmpEmpty); d != "" {
				t.Errorf("excluded models (-want +got):\n%s", d)
			}
			if tc.table != "" {
				if d := cmp.Diff(tc.wantIDs, ids(snap, tc.table)); d != "" {
					t.Errorf("%s (-want +got):\n%s", tc.table, d)
				}
			}
			for _, f := range snap.Findings {
				if f.Severity != snapshot.SeverityOf(f.Code) || f.Message == "" || f.File == "" {
					t.Errorf("incomplete finding %+v", f)
				}
			}
		})
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal(a, b)
})

func TestFatal(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"no manifest", map[string]string{"units.csv": unitsCSV}, []string{"DQ001 :0  "}},
		{"bad yaml", map[string]string{"snapshot.yaml": "tables: [", "units.csv": unitsCSV}, []string{"DQ001 :0  "}},
		{"bad fields", map[string]string{"snapshot.yaml": "apiVersion: v0\nkind: Snap\nname: Bad_Name\nasOf: 30/09/2024\ntables: {units: u.csv}\n"},
			[]string{"DQ001 :0 apiVersion v0", "DQ001 :0 kind Snap", "DQ001 :0 name Bad_Name", "DQ001 :0 asOf 30/09/2024"}},
		{"units missing from manifest", map[string]string{"snapshot.yaml": manifest("members: m.csv")}, []string{"DQ001 :0 tables "}},
		{"dotdot", map[string]string{"snapshot.yaml": manifest("units: ../u.csv")}, []string{"DQ001 :0 tables.units ../u.csv"}},
		{"absolute", map[string]string{"snapshot.yaml": manifest("units: /etc/passwd.csv")}, []string{"DQ001 :0 tables.units /etc/passwd.csv"}},
		{"unknown format", map[string]string{"snapshot.yaml": manifest("units: u.txt")}, []string{"DQ001 :0 tables.units u.txt"}},
		{"bad encoding", map[string]string{"snapshot.yaml": manifest("units: {path: u.csv, encoding: latin1}")}, []string{"DQ001 :0 tables.units.encoding latin1"}},
		{"bad alias key", map[string]string{"snapshot.yaml": manifest("units: u.csv", "aliases:\n  role: {a: b}")}, []string{"DQ001 :0 aliases role"}},
		{"missing file", map[string]string{"snapshot.yaml": manifest("units: u.csv")}, []string{"DQ001 units:0  "}},
		{"empty file", map[string]string{"snapshot.yaml": manifest("units: u.csv"), "u.csv": ""}, []string{"DQ001 units:0  "}},
		{"missing required column", map[string]string{"snapshot.yaml": manifest("units: u.csv\ncadres: c.csv"), "u.csv": unitsCSV, "c.csv": "cadre_id,unit_id\nc1,xa-1\n"},
			[]string{"DQ001 cadres:1 role "}},
		{"utf-16 without bom", map[string]string{"snapshot.yaml": manifest("units: {path: u.csv, encoding: utf-16}"), "u.csv": unitsCSV}, []string{"DQ001 units:0  "}},
		{"bad gzip", map[string]string{"snapshot.yaml": manifest("units: u.csv.gz"), "u.csv.gz": "not gzip"}, []string{"DQ001 units:0  "}},
		{"bad parquet", map[string]string{"snapshot.yaml": manifest("units: u.parquet"), "u.parquet": "PAR1 nope"}, []string{"DQ001 units:0  "}},
		{"bad xlsx", map[string]string{"snapshot.yaml": manifest("units: u.xlsx"), "u.xlsx": "PK nope"}, []string{"DQ001 units:0  "}},
		{"duplicate column", map[string]string{"snapshot.yaml": manifest("units: u.csv"), "u.csv": "unit_id,level,name,Name\n"}, []string{"DQ001 units:1 name "}},
		{"unterminated quote at end", map[string]string{"snapshot.yaml": manifest("units: u.csv"), "u.csv": "unit_id,level,name\n\"a"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, mapFS(tc.files))
			var fe *FatalError
			if tc.want == nil {
				var tm *TooManyBadRowsError
				if !errors.As(err, &tm) && !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a data error", err)
				}
				return
			}
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *FatalError", err)
			}
			if d := cmp.Diff(tc.want, brief(fe.Findings)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			for _, f := range fe.Findings {
				if f.Code != snapshot.DQManifest || f.Severity != snapshot.SeverityFatal || f.Message == "" || f.File == "" {
					t.Errorf("incomplete finding %+v", f)
				}
			}
			t.Log(err)
		})
	}
}
