package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// noDistrictsInputs is a province without districts (Hưng Yên since 2025):
// communes sit right under the province, so the by_unit rows of a
// commune-scope target hold the province only (the units above the
// subjects, docs/reports.md).
func noDistrictsInputs() Inputs {
	in := fixture()
	in.Snapshot = SnapshotInfo{Name: "hung-yen", Title: "Tỉnh Hưng Yên", AsOf: "2026-09-30", SHA256: "hy"}
	in.DataQuality, in.Waivers = nil, checker.WaiverReport{}
	in.Targets = []TargetSummary{{ID: "TB-01", Package: "targets.one_plus_one", Title: "100% cơ sở hội có mô hình \"1+1\"",
		Scope: "commune", Severity: "high", Counts: checker.Counts{Total: 3, Pass: 1, Fail: 2},
		ByUnit: []UnitCount{{UnitID: "hy", Level: "province", Name: "Tỉnh Hưng Yên", Counts: checker.Counts{Total: 3, Pass: 1, Fail: 2}}}}}
	fail := []checker.Violation{{Msg: "chưa có mô hình \"1+1\" đang hoạt động"}}
	in.Results = []checker.Result{
		{Target: "TB-01", Subject: "hy-xa-a", SubjectLevel: "commune", SubjectName: "Xã An Thi", Path: []string{"hy"}, Status: checker.StatusPass},
		{Target: "TB-01", Subject: "hy-xa-b", SubjectLevel: "commune", SubjectName: "Xã Bãi Sậy", Path: []string{"hy"}, Status: checker.StatusFail, Violations: fail},
		{Target: "TB-01", Subject: "hy-xa-c", SubjectLevel: "commune", SubjectName: "Xã Chí Minh", Path: []string{"hy"}, Status: checker.StatusFail, Violations: fail},
	}
	return in
}

// cardHTML returns the <article> of target id in page.
func cardHTML(t *testing.T, page []byte, id string) string {
	t.Helper()
	s := string(page)
	i := strings.Index(s, `id="target-`+id+`"`)
	if i < 0 {
		t.Fatalf("no card for %s", id)
	}
	j := strings.Index(s[i:], "</article>")
	return s[i : i+j]
}

var (
	worstName = regexp.MustCompile(`<tr><td>(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</td><td class="n">`)
)

func matches(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// matrixRows returns the unit names of the matrix rows of page.
func matrixRows(page []byte) []string {
	return matches(matrixName, string(page))
}

var matrixName = regexp.MustCompile(`<tr><td class="u">(?:<a href="[^"]*">)?([^<]*)`)

// In a province without districts, the root page's matrix has a row per
// commune (linking to its page), whose cells count its results; report.json
// keeps by_unit as the spec defines it.
func TestMatrixPerCommuneWithoutDistricts(t *testing.T) {
	r := Build(noDistrictsInputs())
	pages, err := Site(r, Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	page := pages[HTMLName]
	if diff := cmp.Diff([]string{"Xã An Thi", "Xã Bãi Sậy", "Xã Chí Minh"}, matrixRows(page)); diff != "" {
		t.Errorf("matrix rows (-want +got):\n%s", diff)
	}
	for _, v := range []string{"<td class=\"c good\"><b>100,0\u00a0%</b><span>1/1</span>", "<td class=\"c bad\"><b>0,0\u00a0%</b><span>0/1</span>",
		`<a href="units/hy-xa-b.html">Xã Bãi Sậy</a>`} {
		if !strings.Contains(string(page), v) {
			t.Errorf("root page lacks %q", v)
		}
	}
	c := cardHTML(t, page, "TB-01")
	if diff := cmp.Diff([]string{"Xã Bãi Sậy", "Xã Chí Minh"}, matches(worstName, c)); diff != "" {
		t.Errorf("worst units (-want +got):\n%s", diff)
	}
	commune := string(pages["units/hy-xa-b.html"])
	for _, v := range []string{`<a href="../report.html">Tỉnh Hưng Yên</a>`, "chưa có mô hình", "Xã Bãi Sậy"} {
		if !strings.Contains(commune, v) {
			t.Errorf("commune page lacks %q", v)
		}
	}
	if got := r.Targets[0].ByUnit; len(got) != 1 || got[0].Level != "province" {
		t.Errorf("report.json by_unit changed: %+v", got)
	}
}

// Matrix rows and the XLSX rows follow Vietnamese alphabetical order (d <
// đ, a < â), not byte order, which puts every accented capital after Z;
// numbers in names compare by value (Phường 2 before Phường 10).
func TestMatrixVietnameseOrder(t *testing.T) {
	in := fixture()
	in.Targets = in.Targets[:1] // TB-02
	names := []string{"Vũ Thư", "Đông Hưng", "Thái Thụy", "Dương Kinh", "Ân Thi", "An Lão", "Quận 10", "Quận 2"}
	in.Targets[0].ByUnit = nil
	in.Results = nil
	in.Units = []Unit{{ID: "tb", Level: "province", Name: "Thái Bình", Kind: "tỉnh"}}
	for i, n := range names {
		id := fmt.Sprintf("d%d", i)
		in.Targets[0].ByUnit = append(in.Targets[0].ByUnit, UnitCount{UnitID: id, Level: "district", Name: n, Counts: checker.Counts{Total: 1, Pass: 1}})
		in.Units = append(in.Units, Unit{ID: id, Parent: "tb", Level: "district", Name: n},
			Unit{ID: id + "-x", Parent: id, Level: "commune", Name: "Xã " + n})
		in.Results = append(in.Results, checker.Result{Target: "TB-02", Subject: id + "-x", SubjectLevel: "commune",
			Path: []string{"tb", id}, Status: checker.StatusPass})
	}
	want := []string{"An Lão", "Ân Thi", "Dương Kinh", "Đông Hưng", "Quận 2", "Quận 10", "Thái Thụy", "Vũ Thư"}
	r := Build(in)
	page, err := HTML(r, Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, matrixRows(page)); diff != "" {
		t.Errorf("matrix rows (-want +got):\n%s", diff)
	}
	f := openXLSX(t, r, Vietnamese)
	rows, err := f.GetRows(Vietnamese.T("sheet_summary"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows[2:] {
		got = append(got, r[3])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("XLSX rows (-want +got):\n%s", diff)
	}
}

// Labels follow each unit's kind (a city is not "Huyện"), and names that
// collide carry their parent: "Huyện Châu Thành (Tiền Giang)".
func TestUnitLabels(t *testing.T) {
	in := fixture()
	in.Targets = in.Targets[:1]
	in.Units = []Unit{
		{ID: "vn", Level: "", Name: "Việt Nam"},
		{ID: "tg", Parent: "vn", Level: "province", Name: "Tiền Giang", Kind: "tỉnh"},
		{ID: "bt", Parent: "vn", Level: "province", Name: "Bến Tre", Kind: "tỉnh"},
		{ID: "tg-ct", Parent: "tg", Level: "district", Name: "Châu Thành", Kind: "huyện"},
		{ID: "bt-ct", Parent: "bt", Level: "district", Name: "Châu Thành", Kind: "huyện"},
		{ID: "tg-mt", Parent: "tg", Level: "district", Name: "TP Mỹ Tho", Kind: "thành phố"},
		{ID: "tg-ct-1", Parent: "tg-ct", Level: "commune", Name: "Tân Hương", Kind: "xã"},
		{ID: "bt-ct-1", Parent: "bt-ct", Level: "commune", Name: "Xã Tân Thạch", Kind: "xã"},
		{ID: "tg-mt-1", Parent: "tg-mt", Level: "commune", Name: "Phường 1", Kind: "phường"},
	}
	in.Results = nil
	for _, u := range in.Units[6:] {
		in.Results = append(in.Results, checker.Result{Target: "TB-02", Subject: u.ID, SubjectLevel: "commune",
			Path: []string{"vn", u.Parent[:2], u.Parent}, Status: checker.StatusPass})
	}
	tr := buildTree(Build(in))
	got := map[string]string{}
	for _, id := range []string{"tg-ct", "bt-ct", "tg-mt", "tg-ct-1", "bt-ct-1", "tg-mt-1", "tg"} {
		got[id] = tr.nodes[id].label
	}
	want := map[string]string{"tg-ct": "Huyện Châu Thành (Tiền Giang)", "bt-ct": "Huyện Châu Thành (Bến Tre)",
		"tg-mt": "TP Mỹ Tho", "tg-ct-1": "Xã Tân Hương", "bt-ct-1": "Xã Tân Thạch", "tg-mt-1": "Phường 1", "tg": "Tỉnh Tiền Giang"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if tr.root.ID != "vn" || tr.nodes["tg-mt"].file != "units/tg-mt.html" {
		t.Errorf("root %q, page of tg-mt %q", tr.root.ID, tr.nodes["tg-mt"].file)
	}
}

// A unit the site does not count (a group) keeps no label in the tree,
// and is named by its display name all the same where the site shows it:
// the unit of a model's finding, and the path of a finding below a page.
func TestUnitLabelsUncounted(t *testing.T) {
	in := fixture()
	in.Targets = in.Targets[:1] // TB-02
	in.Units = []Unit{
		{ID: "tb", Level: "province", Name: "Thái Bình", Kind: "tỉnh"},
		{ID: "tb-x1", Parent: "tb", Level: "commune", Name: "Đông Hưng", Kind: "xã"},
		{ID: "tb-x1-c1", Parent: "tb-x1", Level: "branch", Name: "Thôn 1", Kind: "chi hội"},
		{ID: "tb-x1-c1-t2", Parent: "tb-x1-c1", Level: "group", Name: "Số 2", Kind: "tổ"},
	}
	in.Results = []checker.Result{
		{Target: "TB-02", Subject: "tb-x1", SubjectLevel: "commune", SubjectName: "Đông Hưng",
			Path: []string{"tb"}, Status: checker.StatusPass},
		{Target: "TB-02", Subject: "mh-7", SubjectLevel: "model", SubjectName: "Nhóm 1+1 số 7",
			Path: []string{"tb", "tb-x1", "tb-x1-c1", "tb-x1-c1-t2"}, Status: checker.StatusFail,
			Violations: []checker.Violation{{Msg: "thiếu cặp", Refs: []string{"mh-7"}, Details: map[string]any{}}}},
	}
	r := Build(in)
	tr := buildTree(r)
	group := tr.nodes["tb-x1-c1-t2"]
	if group == nil || group.counts != nil || group.label != "" {
		t.Fatalf("the group: %+v, want a node without counts nor label", group)
	}
	if got, want := group.shown(), "Tổ Số 2"; got != want {
		t.Errorf("the group shown as %q, want %q", got, want)
	}
	s := newSiteRender(r, Vietnamese, tr)
	if got, want := s.subjectText(&r.Findings[0]), "Nhóm 1+1 số 7 · Tổ Số 2"; got != want {
		t.Errorf("the model's finding names its subject %q, want %q", got, want)
	}
	if got, want := s.pathText(tr.nodes["tb-x1"], &r.Findings[0]), "Thôn 1"; got != want {
		t.Errorf("the finding's path below its commune %q, want %q", got, want)
	}
	pages, err := Site(r, Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	var site strings.Builder
	for _, p := range pages {
		site.WriteString(html.UnescapeString(string(p)))
	}
	if !strings.Contains(site.String(), "Nhóm 1+1 số 7 · Tổ Số 2") {
		t.Errorf("the site does not name the model's unit by its label")
	}
}

// Page files are safe and stable whatever the id holds.
func TestPageFile(t *testing.T) {
	for _, tc := range []struct {
		id     string
		folded bool
		plain  bool
	}{{"xa-1", false, true}, {"../etc/passwd", false, false}, {"a/b", false, false}, {"<b>", false, false},
		{".hidden", false, false}, {"XA-1", true, false}, {"", false, false}} {
		got := PageFile(tc.id, tc.folded)
		if (got == "units/"+tc.id+".html") != tc.plain || !validFileName(got) || got != PageFile(tc.id, tc.folded) {
			t.Errorf("PageFile(%q, %v) = %q", tc.id, tc.folded, got)
		}
	}
	if PageFile("a/b", false) == PageFile("a/c", false) {
		t.Error("two ids share a page")
	}
}

// notEvaluatedInputs has results left out for data errors: a commune whose
// units row is bad and two models below it; their
// error text is the loader's machine text (report.json keeps it).
func notEvaluatedInputs() Inputs {
	in := fixture()
	in.Results = append(in.Results,
		checker.Result{Target: "TB-02", Subject: "xa-tx", SubjectLevel: "commune", SubjectName: "Xã Thái Xuyên",
			Path: []string{"tb", "dist-tt"}, Status: checker.StatusNotEvaluated, Error: strp("DQ007 on row 5124"), Reason: reasonp(snapshot.RowReason("DQ007", 5124))},
		checker.Result{Target: "TB-04", Subject: "mh-9", SubjectLevel: "model", SubjectName: "Nhóm 9",
			Path: []string{"tb", "dist-tt", "xa-tx", "xa-tx-ch01"}, Status: checker.StatusNotEvaluated, Error: strp("unit xa-tx-ch01 excluded"), Reason: reasonp(snapshot.UnitReason("xa-tx-ch01"))},
		checker.Result{Target: "TB-04", Subject: "mh-8", SubjectLevel: "model", SubjectName: "Nhóm 8",
			Path: []string{"tb", "dist-tt", "xa-tx"}, Status: checker.StatusNotEvaluated, Error: strp("ancestor xa-tx excluded"), Reason: reasonp(snapshot.AncestorReason("xa-tx"))},
	)
	in.DataQuality = append(in.DataQuality, snapshot.Finding{Code: snapshot.DQType, Severity: snapshot.SeverityError,
		Table: snapshot.Units, File: "units.csv", Row: 5124, Column: "active", Value: "maybe", Message: "not a boolean"})
	return in
}

// The reason a result was not evaluated reads in the report's language in
// the HTML, the XLSX and findings.csv (no "DQ007 on row 5124"), and table
// names are translated; report.json keeps its machine values.
func TestNotEvaluatedWorded(t *testing.T) {
	r := Build(notEvaluatedInputs())
	want := map[Lang][]string{
		Vietnamese: {
			"Dữ liệu lỗi DQ007 (giá trị sai kiểu dữ liệu) ở dòng 5124 của tệp units.csv, cột active",
			"Đơn vị cấp trên Xã Thái Xuyên (xa-tx) không được đánh giá vì có lỗi dữ liệu",
			"Đơn vị xa-tx-ch01 của mô hình không được đánh giá vì có lỗi dữ liệu",
		},
		English: {
			"Data error DQ007 (value not parseable as its type) on row 5124 of units.csv, column active",
			"The unit above, Xã Thái Xuyên (xa-tx), is not evaluated: it has a data error",
			"The model's unit xa-tx-ch01 is not evaluated: it has a data error",
		},
	}
	machine := []string{"DQ007 on row 5124", "unit xa-tx-ch01 excluded", "ancestor xa-tx excluded"}
	for _, lang := range []Lang{Vietnamese, English} {
		t.Run(string(lang), func(t *testing.T) {
			pages, err := Site(r, lang)
			if err != nil {
				t.Fatal(err)
			}
			page := pages[HTMLName]
			var site strings.Builder
			for _, p := range pages {
				site.Write(p)
			}
			csvData, err := FindingsCSV(r, lang)
			if err != nil {
				t.Fatal(err)
			}
			f := openXLSX(t, r, lang)
			rows, err := f.GetRows(lang.T("sheet_findings"))
			if err != nil {
				t.Fatal(err)
			}
			var sheet strings.Builder
			for _, row := range rows {
				sheet.WriteString(strings.Join(row, "\t") + "\n")
			}
			for name, text := range map[string]string{"the site": html.UnescapeString(site.String()),
				"findings.csv": string(csvData), "report.xlsx": sheet.String()} {
				for _, w := range want[lang] {
					if name == "the site" { // units by their names, no ids
						w = strings.ReplaceAll(w, " (xa-tx)", "")
					}
					if !strings.Contains(text, w) {
						t.Errorf("%s lacks %q", name, w)
					}
				}
				for _, m := range machine {
					if strings.Contains(text, m) {
						t.Errorf("%s shows the machine text %q", name, m)
					}
				}
			}
			table := map[Lang]string{Vietnamese: "<td>Đơn vị (units)</td>", English: "<td>Units</td>"}[lang]
			if !strings.Contains(string(page), table) {
				t.Errorf("data-quality table lacks %q", table)
			}
		})
	}
	j, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(machine, `"table":"units"`) {
		if !bytes.Contains(j, []byte(m)) {
			t.Errorf("report.json lacks its machine value %q", m)
		}
	}
}

// inventoryInputs is the fixture with the inventory of a Thái Bình-like
// run: the article's "1+1" and "3 có, 3 biết" figures, a type with
// inactive models only, a count in the thousands, and a district that no
// target names (dist-kx).
func inventoryInputs() Inputs {
	in := fixture()
	in.Inventory = json.RawMessage(`{"units":{"commune":242,"branch":1797},"members":{"total":357293},"models":[
	 {"type":"one_plus_one","status":"active","count":376,"improved_pairs":1203,"units_with":{"commune":104,"branch":305},"by_unit":[
	  {"unit_id":"tb","level":"province","count":376,"communes_with":104,"branches_with":305},
	  {"unit_id":"dist-kx","level":"district","count":8,"communes_with":8,"branches_with":7},
	  {"unit_id":"dist-tt","level":"district","count":184,"communes_with":36,"branches_with":184},
	  {"unit_id":"dist-vt","level":"district","count":146,"communes_with":22,"branches_with":84}]},
	 {"type":"three_has_three_knows","status":"active","count":443,"units_with":{"commune":98,"branch":370},"by_unit":[
	  {"unit_id":"tb","level":"province","count":443,"communes_with":98,"branches_with":370},
	  {"unit_id":"dist-kx","level":"district","count":11,"communes_with":11,"branches_with":6},
	  {"unit_id":"dist-tt","level":"district","count":254,"communes_with":36,"branches_with":254},
	  {"unit_id":"dist-vt","level":"district","count":148,"communes_with":22,"branches_with":91}]},
	 {"type":"special_members","status":"inactive","count":16,"units_with":{"commune":16,"branch":4},"by_unit":[
	  {"unit_id":"tb","level":"province","count":16,"communes_with":16,"branches_with":4}]},
	 {"type":"other","status":"active","count":1234,"units_with":{"commune":68,"branch":49},"by_unit":[
	  {"unit_id":"tb","level":"province","count":1234,"communes_with":68,"branches_with":49},
	  {"unit_id":"dist-tt","level":"district","count":1200,"communes_with":36,"branches_with":40}]},
	 {"type":"other","status":"inactive","count":25,"units_with":{"commune":25,"branch":19},"by_unit":[]}]}`)
	return in
}

var (
	modelTypeRowRe = regexp.MustCompile(`<tr data-type="([^"]+)"><td>([^<]*)</td><td class="n">([^<]*)</td><td class="n">([^<]*)</td><td class="n">([^<]*)</td><td class="n">([^<]*)</td><td class="n">([^<]*)</td></tr>`)
	modelCellRe    = regexp.MustCompile(`<t[dh] class="n"><b>([^<]*)</b><br><span class="small">([^<]*) · ([^<]*)</span></t[dh]>`)
	modelUnitRe    = regexp.MustCompile(`<tr><t[dh]>([^<]*)</t[dh]>((?:<t[dh] class="n">.*?</t[dh]>)+)</tr>`)
	modelHeadRe    = regexp.MustCompile(`<th>([^<]*)</th>`)
)

// modelsHTML returns the "Mô hình" section of page, "" when it has none.
func modelsHTML(t *testing.T, page []byte) string {
	t.Helper()
	s := string(page)
	i := strings.Index(s, `<h2 id="models">`)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], "<h2>")
	if j < 0 {
		t.Fatal("nothing follows the models section")
	}
	return s[i : i+j]
}

// report.html shows report.json's inventory.models after the target
// cards: per model type (catalogue label) the active models, the communes
// and branches with one and the models not active; per district (in
// Vietnamese order, unnamed ones by id) the same for each type that has
// active models, then the totals. Numbers are formatted per language.
func TestHTMLModels(t *testing.T) {
	r := Build(inventoryInputs())
	type want struct {
		types [][]string
		heads []string
		units []string
		cells [][]string // per unit row: count|communes|branches of each column
	}
	for _, tc := range []struct {
		lang Lang
		want want
	}{
		{Vietnamese, want{
			types: [][]string{
				{"one_plus_one", `"1+1"`, "376", "104", "305", "0", "1.203"},
				{"three_has_three_knows", `"3 có, 3 biết"`, "443", "98", "370", "0", ""},
				{"special_members", "Thu hút hội viên đặc thù", "0", "0", "0", "16", ""},
				{"other", "Mô hình khác", "1.234", "68", "49", "25", ""},
			},
			heads: []string{"Loại mô hình", "Đang hoạt động", "Cơ sở hội có", "Chi hội có", "Không hoạt động", "Cặp, nhóm đã tiến bộ",
				"Đơn vị", `"1+1"`, `"3 có, 3 biết"`, "Mô hình khác", "Tổng số"},
			units: []string{"dist-kx", "Thái Thụy", "Vũ Thư", "Tổng số"},
			cells: [][]string{
				{"8|8|7", "11|11|6", "0|0|0"},
				{"184|36|184", "254|36|254", "1.200|36|40"},
				{"146|22|84", "148|22|91", "0|0|0"},
				{"376|104|305", "443|98|370", "1.234|68|49"},
			},
		}},
		{English, want{
			types: [][]string{
				{"one_plus_one", `"1+1"`, "376", "104", "305", "0", "1,203"},
				{"three_has_three_knows", `"3 có, 3 biết" (3 haves, 3 knows)`, "443", "98", "370", "0", ""},
				{"special_members", "Attracting special members", "0", "0", "0", "16", ""},
				{"other", "Other models", "1,234", "68", "49", "25", ""},
			},
			heads: []string{"Model type", "Active", "Communes with one", "Branches with one", "Not active", "Improved pairs",
				"Unit", `"1+1"`, `"3 có, 3 biết" (3 haves, 3 knows)`, "Other models", "Total"},
			units: []string{"dist-kx", "Thái Thụy", "Vũ Thư", "Total"},
			cells: [][]string{
				{"8|8|7", "11|11|6", "0|0|0"},
				{"184|36|184", "254|36|254", "1,200|36|40"},
				{"146|22|84", "148|22|91", "0|0|0"},
				{"376|104|305", "443|98|370", "1,234|68|49"},
			},
		}},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			page, err := HTML(r, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			sec := html.UnescapeString(modelsHTML(t, page))
			if sec == "" {
				t.Fatal("report.html has no models section")
			}
			if !strings.HasPrefix(sec, `<h2 id="models">`+tc.lang.T("models")+"</h2>") {
				t.Errorf("section heading: %.80q", sec)
			}
			s := string(page)
			if a, m, w := strings.LastIndex(s, "</article>"), strings.Index(s, `<h2 id="models">`), strings.Index(s, "<h2>"+tc.lang.T("waivers")+"</h2>"); !(a < m && m < w) {
				t.Errorf("the models section is not between the target cards and the waivers: %d, %d, %d", a, m, w)
			}
			var types [][]string
			for _, m := range modelTypeRowRe.FindAllStringSubmatch(sec, -1) {
				types = append(types, m[1:])
			}
			if diff := cmp.Diff(tc.want.types, types); diff != "" {
				t.Errorf("type rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want.heads, matches(modelHeadRe, sec)); diff != "" {
				t.Errorf("headings (-want +got):\n%s", diff)
			}
			var units []string
			var cells [][]string
			for _, m := range modelUnitRe.FindAllStringSubmatch(sec, -1) {
				units = append(units, m[1])
				var row []string
				for _, c := range modelCellRe.FindAllStringSubmatch(m[2], -1) {
					row = append(row, c[1]+"|"+c[2]+"|"+c[3])
				}
				cells = append(cells, row)
			}
			if diff := cmp.Diff(tc.want.units, units); diff != "" {
				t.Errorf("district rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want.cells, cells); diff != "" {
				t.Errorf("district cells (-want +got):\n%s", diff)
			}
		})
	}
}

// Districts in the models table follow Vietnamese order as the bars do,
// and a province without districts gets the type table only.
func TestHTMLModelsDistricts(t *testing.T) {
	names := []string{"Vũ Thư", "Đông Hưng", "Thái Thụy", "Dương Kinh", "Ân Thi", "An Lão"}
	in := fixture()
	in.Targets = in.Targets[:1]
	in.Targets[0].ByUnit = nil
	var rows []string
	for i, n := range names {
		id := fmt.Sprintf("d%d", i+1)
		in.Targets[0].ByUnit = append(in.Targets[0].ByUnit, UnitCount{UnitID: id, Level: "district", Name: n, Counts: checker.Counts{Total: 1, Pass: 1}})
		rows = append(rows, fmt.Sprintf(`{"unit_id":%q,"level":"district","count":%d,"communes_with":1,"branches_with":1}`, id, i+1))
	}
	in.Inventory = json.RawMessage(`{"models":[{"type":"one_plus_one","status":"active","count":21,"units_with":{"commune":6,"branch":6},"by_unit":[` +
		strings.Join(rows, ",") + `]}]}`)
	page, err := HTML(Build(in), Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"An Lão", "Ân Thi", "Dương Kinh", "Đông Hưng", "Thái Thụy", "Vũ Thư", "Tổng số"}
	if diff := cmp.Diff(want, matches(modelUnitRe, modelsHTML(t, page))); diff != "" {
		t.Errorf("district rows (-want +got):\n%s", diff)
	}

	in = noDistrictsInputs()
	in.Inventory = json.RawMessage(`{"models":[{"type":"one_plus_one","status":"active","count":2,"units_with":{"commune":1,"branch":2},"by_unit":[` +
		`{"unit_id":"hy","level":"province","count":2,"communes_with":1,"branches_with":2}]}]}`)
	page, err = HTML(Build(in), Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	sec := modelsHTML(t, page)
	if got := matches(modelTypeRowRe, sec); len(got) != 1 {
		t.Errorf("type rows %v, want one_plus_one only", got)
	}
	if strings.Contains(sec, "models-by-unit") {
		t.Error("a province without districts has a district table of models")
	}
}

// Without a models list there is no section; with an empty one the
// section says so; an inventory that is not an object is a clear error.
func TestHTMLModelsAbsent(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inventory any
		section   string // "" when none
		err       string
	}{
		{name: "no inventory", inventory: nil},
		{name: "no models", inventory: json.RawMessage(`{"units":{"commune":4}}`)},
		{name: "empty models", inventory: json.RawMessage(`{"models":[]}`), section: "Chưa có mô hình nào."},
		{name: "not an object", inventory: json.RawMessage(`12`), err: "render report.html: read inventory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fixture()
			in.Inventory = tc.inventory
			page, err := HTML(Build(in), Vietnamese)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sec := modelsHTML(t, page)
			switch {
			case tc.section == "" && sec != "":
				t.Errorf("unexpected models section: %q", sec)
			case tc.section != "" && !strings.Contains(sec, tc.section):
				t.Errorf("models section %q lacks %q", sec, tc.section)
			}
		})
	}
}

func reasonp(r snapshot.Reason) *snapshot.Reason { return &r }
