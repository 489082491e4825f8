package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vungmanh/vungmanh/checker"
)

// oddSiteInputs is fixture() with what a unit page can show at its
// edges: names and messages with every character html/template escapes,
// a commune with more findings of a target than a page lists (the "more"
// line), subjects sharing a name (shown with their ids), branches with
// and without a kind.
func oddSiteInputs() Inputs {
	in := fixture()
	odd := `<A & "B" 'c'+d>` + "\x00"
	in.Units = []Unit{{ID: "tb", Name: "Thái Bình " + odd, Level: "province", Kind: "tỉnh"},
		{ID: "dist-tt", Parent: "tb", Name: "Thái Thụy", Level: "district", Kind: "huyện"},
		{ID: "dist-vt", Parent: "tb", Name: "Vũ Thư " + odd, Level: "district"},
		{ID: "xa-tt-1", Parent: "dist-tt", Name: "Thụy Hải", Level: "commune", Kind: "xã"},
		{ID: "xa-tt-2", Parent: "dist-tt", Name: "Thụy Trường", Level: "commune", Kind: "xã"},
		{ID: "xa-vt-1", Parent: "dist-vt", Name: "Tam Quang " + odd, Level: "commune", Kind: "xã"},
		{ID: "xa-vt-2", Parent: "dist-vt", Name: "Song An", Level: "commune"}}
	for i := 0; i < HTMLFindingsPerTarget+40; i++ {
		id := fmt.Sprintf("xa-tt-2-c%03d", i)
		name := fmt.Sprintf("Chi hội %d", i%7)
		if i%5 == 0 {
			name += " " + odd
		}
		in.Units = append(in.Units, Unit{ID: id, Parent: "xa-tt-2", Name: name, Level: "branch", Kind: []string{"thôn", ""}[i%2]})
		res := checker.Result{Target: "TB-02", Subject: id, SubjectLevel: "branch", Path: []string{"tb", "dist-tt", "xa-tt-2"},
			Status: checker.StatusFail, Violations: []checker.Violation{{Msg: "thiếu " + odd}, {Msg: "m2 +1"}}}
		switch i % 9 {
		case 1:
			res.Status, res.Violations = checker.StatusPass, nil
		case 2:
			res.Status, res.Violations, res.Error = checker.StatusError, nil, strp("eval error "+odd)
		case 3:
			res.Status, res.Waiver = checker.StatusWaived, &checker.Waiver{Target: "TB-02", Unit: id, Reason: "lý do " + odd, Expires: "2025-01-31"}
		}
		in.Results = append(in.Results, res)
	}
	// Two models of one name in one commune: shown with their ids.
	for _, id := range []string{"mh-a", "mh-b"} {
		in.Results = append(in.Results, checker.Result{Target: "TB-04", Subject: id, SubjectLevel: "model", SubjectName: "Nhóm " + odd,
			Path: []string{"tb", "dist-tt", "xa-tt-2"}, Status: checker.StatusFail, Violations: []checker.Violation{{Msg: "chưa đủ"}}})
	}
	return in
}

// Every unit page writeUnitPage writes is the template's page of the
// same view, byte for byte: sites of several shapes, in both languages,
// with a delta, trends, goals and changed policies.
func TestUnitPagesAreTheTemplates(t *testing.T) {
	type site struct {
		name string
		in   Inputs
	}
	sites := []site{{"fixture", fixture()}, {"odd", oddSiteInputs()}, {"not-evaluated", notEvaluatedInputs()},
		{"no-districts", noDistrictsInputs()}, {"national", nationalSite(false, 1, 2)}, {"national-reform", nationalSite(true, 2, 3)}}
	// What the pages compared must have shown between them, so that the
	// comparison covers each branch of the page.
	seen := map[string]bool{}
	for _, sc := range sites {
		for _, lang := range []Lang{Vietnamese, English} {
			r := Build(sc.in)
			if sc.name == "fixture" || sc.name == "odd" {
				r.Delta = Delta(previous(), r)
				r.Delta.PoliciesChanged = sc.name == "odd"
				r.Goals = map[string]Goal{"TB-01": {Rate: 1, Deadline: "2026-12-31"}, "TB-02": {Rate: 0.9, Deadline: "2025-06-30"}}
				prev := previous()
				r.History = []*RunSummary{summarise(prev, func() *siteTree { return buildTree(prev) })}
			}
			s := newSiteRender(r, lang, buildTree(r))
			pages := 0
			for _, n := range s.t.pages() {
				if n == s.t.root {
					continue
				}
				v, err := s.view(n)
				if err != nil {
					t.Fatal(err)
				}
				got := writePage(&v)
				want, err := templatePage(&v, n.file)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					t.Errorf("%s (%s) %s: written differs from the template at byte %d:\n%q\nwant\n%q", sc.name, lang, n.file, i,
						got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
					continue
				}
				pages++
				page := string(got)
				for k, cond := range map[string]bool{
					"crumbs": len(v.Crumbs) > 1, "matrix": len(v.Matrix.Rows) > 0,
					"no matrix": len(v.Matrix.Rows) == 0, "findings": len(v.Groups) > 0, "more": slices.ContainsFunc(v.Groups, func(g findingGroup) bool { return g.More != "" }),
					"subject ids": slices.ContainsFunc(v.Groups, func(g findingGroup) bool {
						return slices.ContainsFunc(g.Rows, func(r findingRow) bool { return strings.HasSuffix(r.Subject, " (mh-b)") })
					}),
					"policies": v.PoliciesChanged, "escaped": strings.Contains(page, "&lt;A &amp; &#34;B&#34; &#39;c&#39;&#43;d&gt;\uFFFD"),
					"trend": strings.Contains(page, "<polyline"), "pace": strings.Contains(page, "note pace"), "errors": strings.Contains(page, "errbox"),
				} {
					seen[k] = seen[k] || cond
				}
			}
			if pages == 0 {
				t.Errorf("%s (%s): no unit page", sc.name, lang)
			}
			// The site writes its unit pages so.
			site, err := Site(r, lang)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range s.t.pages() {
				if v, _ := s.view(n); n != s.t.root && !bytes.Equal(site[n.file], writePage(&v)) {
					t.Errorf("%s (%s): the site's %s is not writeUnitPage's", sc.name, lang, n.file)
				}
			}
		}
	}
	for _, k := range []string{"crumbs", "matrix", "no matrix", "findings", "more", "subject ids", "policies", "escaped", "trend", "pace", "errors"} {
		if !seen[k] {
			t.Errorf("no unit page compared shows %s", k)
		}
	}
}
