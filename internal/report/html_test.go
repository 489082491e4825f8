package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/checker"
)

// noDistrictsInputs is a province without districts (Hưng Yên since 2025):
// communes sit right under the province, so the by_unit rows of a
// commune-scope target hold the province only (the units above the
// subjects, spec/reports.md).
func noDistrictsInputs() Inputs {
	in := fixture()
	in.Snapshot = SnapshotInfo{Name: "hung-yen", Title: "Tỉnh Hưng Yên", AsOf: "2026-09-30", SHA256: "hy"}
	in.DataQuality, in.Waivers = nil, checker.WaiverReport{}
	in.Targets = []TargetSummary{{ID: "TB-01", Package: "targets.one_plus_one", Title: "100% cơ sở hội có mô hình \"1+1\"",
		Scope: "commune", Severity: "high", Total: 3, Pass: 1, Fail: 2,
		ByUnit: []UnitCount{{UnitID: "hy", Level: "province", Name: "Tỉnh Hưng Yên", Total: 3, Pass: 1, Fail: 2}}}}
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
	barName   = regexp.MustCompile(`<g><text x="0" y="\d+">([^<]*)</text>`)
	worstName = regexp.MustCompile(`<tr><td>([^<]*) <span class="small">`)
)

func matches(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// In a province without districts, a commune-scope target gets a bar per
// commune (counted from its results) and its worst units are communes, not
// the province; report.json keeps by_unit as the spec defines it.
func TestHTMLBarsPerCommuneWithoutDistricts(t *testing.T) {
	r := Build(noDistrictsInputs())
	page, err := HTML(r, Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	c := cardHTML(t, page, "TB-01")
	if !strings.Contains(c, "Theo cơ sở hội") {
		t.Error("card lacks the label of commune bars")
	}
	if diff := cmp.Diff([]string{"Xã An Thi", "Xã Bãi Sậy", "Xã Chí Minh"}, matches(barName, c)); diff != "" {
		t.Errorf("bars (-want +got):\n%s", diff)
	}
	for _, v := range []string{">1/1 · 100,0\u00a0%<", ">0/1 · 0,0\u00a0%<"} {
		if !strings.Contains(c, v) {
			t.Errorf("card lacks bar value %q", v)
		}
	}
	if diff := cmp.Diff([]string{"Xã Bãi Sậy", "Xã Chí Minh"}, matches(worstName, c)); diff != "" {
		t.Errorf("worst units (-want +got):\n%s", diff)
	}
	if got := r.Targets[0].ByUnit; len(got) != 1 || got[0].Level != "province" {
		t.Errorf("report.json by_unit changed: %+v", got)
	}
}
