package report

import (
	"fmt"
	"testing"

	"github.com/vungmanh/vungmanh/checker"
)

// nationalSite returns a national run as the site sees it: before the
// reform 63 provinces × 11 districts × 15 communes (10,395 communes, 705
// districts at scale), after it 34 provinces × 98 communes directly under
// them (3,332), each commune with branches branches (communes: per
// district, or per province after the reform); 11 targets, 5 of commune
// scope and 6 of branch scope, failing some subjects.
func nationalSite(reform bool, branches, communes int) Inputs {
	in := fixture()
	in.Snapshot.Name, in.Snapshot.Title = "vietnam", "Hội LHPN Việt Nam"
	in.Targets = nil
	for k := 1; k <= 11; k++ {
		in.Targets = append(in.Targets, TargetSummary{ID: fmt.Sprintf("TB-%02d", k), Title: fmt.Sprintf("Chỉ tiêu số %d của cơ sở hội", k),
			Scope: "commune", Severity: "high"})
	}
	in.Units = []Unit{{ID: "vn", Name: "Việt Nam"}}
	in.Results = nil
	provinces, districts := 63, 11
	if reform {
		provinces, districts = 34, 1
	}
	for p := 0; p < provinces; p++ {
		pid := fmt.Sprintf("p%02d", p)
		in.Units = append(in.Units, Unit{ID: pid, Parent: "vn", Level: "province", Name: fmt.Sprintf("Tỉnh số %d", p), Kind: "tỉnh"})
		for d := 0; d < districts; d++ {
			parent, path := pid, []string{"vn", pid}
			if !reform {
				parent = fmt.Sprintf("%s-h%02d", pid, d)
				path = append(path, parent)
				in.Units = append(in.Units, Unit{ID: parent, Parent: pid, Level: "district", Name: "Châu Thành", Kind: "huyện"})
			}
			for c := 0; c < communes; c++ {
				cid := fmt.Sprintf("%s-x%03d", parent, c)
				in.Units = append(in.Units, Unit{ID: cid, Parent: parent, Level: "commune", Name: fmt.Sprintf("Phường %d", c+1), Kind: "phường"})
				for k := 1; k <= 5; k++ {
					res := checker.Result{Target: fmt.Sprintf("TB-%02d", k), Subject: cid, SubjectLevel: "commune", Path: path, Status: checker.StatusPass}
					if (c+k)%3 == 0 {
						res.Status, res.Violations = checker.StatusFail, []checker.Violation{{Msg: "chưa có mô hình \"1+1\" đang hoạt động"}}
					}
					in.Results = append(in.Results, res)
				}
				for br := 0; br < branches; br++ {
					bid := fmt.Sprintf("%s-c%d", cid, br)
					in.Units = append(in.Units, Unit{ID: bid, Parent: cid, Level: "branch", Name: fmt.Sprintf("Chi hội thôn %d", br+1), Kind: "thôn"})
					for k := 6; k <= 11; k++ {
						res := checker.Result{Target: fmt.Sprintf("TB-%02d", k), Subject: bid, SubjectLevel: "branch",
							Path: append(append([]string{}, path...), cid), Status: checker.StatusPass}
						if (br+k)%4 == 0 {
							res.Status, res.Violations = checker.StatusFail, []checker.Violation{{Msg: "chưa xây dựng mô hình"}}
						}
						in.Results = append(in.Results, res)
					}
				}
			}
		}
	}
	return in
}

// The report site at national scale, before and after the reform: pages
// and the largest page (max-page-bytes; spec: under 2 MB).
func BenchmarkSite(b *testing.B) {
	for _, reform := range []bool{false, true} {
		name := "national"
		if reform {
			name = "national-reform"
		}
		b.Run(name, func(b *testing.B) {
			communes := 15
			if reform {
				communes = 98
			}
			r := Build(nationalSite(reform, 6, communes))
			b.ReportAllocs()
			c0 := cpuTime()
			var pages map[string][]byte
			for b.Loop() {
				var err error
				if pages, err = Site(r, Vietnamese); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
			largest, total := 0, 0
			for _, p := range pages {
				largest = max(largest, len(p))
				total += len(p)
			}
			b.ReportMetric(float64(len(pages)), "pages")
			b.ReportMetric(float64(largest), "max-page-bytes")
			b.ReportMetric(float64(total), "site-bytes")
		})
	}
}

// No page of a national site reaches 2 MB, and every commune has one.
func TestSiteNationalPageSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a national run")
	}
	for _, reform := range []bool{false, true} {
		// The largest pages are those with the most rows: the root (63
		// provinces) before the reform, a province (98 communes) after it;
		// 3 communes a district are enough for the first.
		per := 3
		if reform {
			per = 98
		}
		in := nationalSite(reform, 1, per)
		r := Build(in)
		pages, err := Site(r, Vietnamese)
		if err != nil {
			t.Fatal(err)
		}
		communes := 0
		for _, u := range in.Units {
			if u.Level == "commune" {
				communes++
			}
		}
		largest := ""
		for k, p := range pages {
			if len(p) > len(pages[largest]) {
				largest = k
			}
		}
		t.Logf("reform %v: %d pages, largest %s %d bytes", reform, len(pages), largest, len(pages[largest]))
		if len(pages[largest]) >= 2<<20 {
			t.Errorf("reform %v: %s is %d bytes, over 2 MB", reform, largest, len(pages[largest]))
		}
		if len(pages) < communes+1 {
			t.Errorf("reform %v: %d pages for %d communes", reform, len(pages), communes)
		}
	}
}
