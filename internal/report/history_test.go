package report

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/storage"
)

// putSummary writes a summary.json of run id of asOf where TB-01 passes
// pass of 4 communes (2 in Thái Thụy).
func putSummary(t *testing.T, b storage.Bucket, asOf, id string, pass int) {
	t.Helper()
	s := RunSummary{APIVersion: APIVersion, Kind: "RunSummary", RunID: id, Snapshot: "thai-binh", AsOf: asOf,
		Targets: []SummaryTarget{{ID: "TB-01", Counts: checker.Counts{Total: 4, Pass: pass, Fail: 4 - pass},
			ByUnit: []SummaryUnit{{UnitID: "dist-tt", Counts: checker.Counts{Total: 2, Pass: min(pass, 2), Fail: 2 - min(pass, 2)}}}}}}
	data, err := marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Create(context.Background(), path.Join("thai-binh", "runs", asOf, id, SummaryName), data, false); err != nil {
		t.Fatal(err)
	}
}

// History reads, for each earlier as_of, the summary of its newest run;
// skips a damaged one with a warning, later as_of dates, the current run
// and runs without a summary; keeps the latest 24 dates; works the same on
// a folder and on Cloud Storage. The site draws the trend from it.
func TestHistory(t *testing.T) {
	for name, open := range bothBuckets {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			// A published run (summary.json written by Publish) ...
			prev, files := runOf(t, "20240630T190000Z-aaaaaaaa", "2024-06-30", time.Date(2024, 6, 30, 19, 0, 0, 0, time.UTC))
			if _, ok := files[SummaryName]; !ok {
				t.Fatal("Render wrote no summary.json")
			}
			if _, err := Publish(ctx, b, prev, files); err != nil {
				t.Fatal(err)
			}
			// ... an older run of the same date, 29 earlier dates, a damaged
			// summary, a date after the current one.
			putSummary(t, b, "2024-06-30", "20240630T010000Z-00000000", 4)
			for m := 0; m < 29; m++ {
				d := time.Date(2022, time.January, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*m).Format(time.DateOnly)
				putSummary(t, b, d, "20220101T000000Z-11111111", m%5)
			}
			if err := b.Create(ctx, "thai-binh/runs/2024-08-31/20240831T000000Z-22222222/summary.json", []byte("{torn"), false); err != nil {
				t.Fatal(err)
			}
			putSummary(t, b, "2024-12-31", "20241231T000000Z-33333333", 4)
			if err := b.Create(ctx, "thai-binh/runs/2024-07-31/20240731T000000Z-44444444/report.json", []byte("{}"), false); err != nil {
				t.Fatal(err)
			}

			cur := Build(fixture()) // as_of 2024-09-30
			var warnings []string
			h, err := History(ctx, b, cur, func(err error) { warnings = append(warnings, err.Error()) })
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != HistoryRuns {
				t.Fatalf("%d summaries, want %d", len(h), HistoryRuns)
			}
			last := h[len(h)-1]
			if last.AsOf != "2024-06-30" || last.RunID != prev.Run.ID {
				t.Errorf("newest summary %s/%s, want the published run of 2024-06-30", last.AsOf, last.RunID)
			}
			for i := 1; i < len(h); i++ {
				if h[i-1].AsOf >= h[i].AsOf {
					t.Errorf("summaries out of order: %s before %s", h[i-1].AsOf, h[i].AsOf)
				}
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "2024-08-31") {
				t.Errorf("warnings %q, want one about the damaged summary of 2024-08-31", warnings)
			}

			// The site: a trend on the root's TB-01 card, from the oldest
			// kept date to now, and on Thái Thụy's page from its rows.
			cur.History = h
			pages, err := Site(cur, Vietnamese)
			if err != nil {
				t.Fatal(err)
			}
			card := cardHTML(t, pages[HTMLName], "TB-01")
			for _, want := range []string{`<svg class="trend"`, "<span>" + Vietnamese.Date(h[0].AsOf) + ": ", "<span>30/09/2024: 25,0\u00a0%</span>",
				fmt.Sprintf("%d lần", HistoryRuns+1)} {
				if !strings.Contains(card, want) {
					t.Errorf("root TB-01 card lacks %q:\n%s", want, card)
				}
			}
			if c := cardHTML(t, pages["units/dist-tt.html"], "TB-01"); !strings.Contains(c, `<svg class="trend"`) {
				t.Errorf("Thái Thụy's TB-01 card has no trend:\n%s", c)
			}
		})
	}
}

// summary.json holds every target's counts and the units of the pages at
// most two levels below the root.
func TestSummarise(t *testing.T) {
	s := Summarise(Build(fixture()))
	var got []string
	for _, tg := range s.Targets {
		units := []string{}
		for _, u := range tg.ByUnit {
			units = append(units, fmt.Sprintf("%s:%d/%d", u.UnitID, u.Pass, u.Total))
		}
		got = append(got, fmt.Sprintf("%s %d/%d %s", tg.ID, tg.Pass, tg.Total, strings.Join(units, " ")))
	}
	want := []string{
		"TB-01 1/4 dist-tt:1/2 dist-vt:0/2 tb:1/4 xa-tt-1:1/1 xa-tt-2:0/1 xa-vt-1:0/1 xa-vt-2:0/1",
		"TB-02 4/4 dist-tt:2/2 dist-vt:2/2 tb:4/4 xa-tt-1:1/1 xa-tt-2:1/1 xa-vt-1:1/1 xa-vt-2:1/1",
		"TB-04 0/3 dist-tt:0/3 dist-vt:0/0 tb:0/3 xa-tt-1:0/3 xa-tt-2:0/0 xa-vt-1:0/0 xa-vt-2:0/0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	data, err := SummaryJSON(Build(fixture()))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSummary(data)
	if err != nil || back.RunID != s.RunID || len(back.Targets) != 3 {
		t.Errorf("summary.json does not read back: %v %+v", err, back)
	}
	if _, err := ParseSummary([]byte(`{"apiVersion":"x"}`)); err == nil {
		t.Error("a summary of another kind parses")
	}
}

// The pace to a goal: the points a month needed until the deadline, the
// pace so far from the trend, a reached goal and an overdue one.
func TestPace(t *testing.T) {
	g := Goal{Rate: 1, Deadline: "2026-12-31"}
	pts := []trendPoint{{"2024-03-31", 0.31, 0}, {"2024-09-30", 0.43, 0}}
	for _, tc := range []struct {
		name  string
		now   float64
		asOf  string
		pts   []trendPoint
		want  string
		class string
	}{
		{"needed", 0.43, "2024-09-30", nil, "Mục tiêu 100,0\u00a0% đến 31/12/2026: hiện 43,0\u00a0%, cần tăng +2,1 điểm mỗi tháng", "mid"},
		{"with the pace so far", 0.43, "2024-09-30", pts, "Mục tiêu 100,0\u00a0% đến 31/12/2026: hiện 43,0\u00a0%, cần tăng +2,1 điểm mỗi tháng; tốc độ đến nay +2,0 điểm mỗi tháng", "bad"},
		{"reached", 1, "2024-09-30", nil, "Đã đạt mục tiêu 100,0\u00a0%", "good"},
		{"overdue", 0.43, "2027-01-31", nil, "Mục tiêu 100,0\u00a0% đến 31/12/2026 đã quá hạn: hiện 43,0\u00a0%, còn thiếu 57,0 điểm", "bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, class := pace(Vietnamese, g, tc.asOf, tc.now, tc.pts)
			if got != tc.want || class != tc.class {
				t.Errorf("pace = %q (%s), want %q (%s)", got, class, tc.want, tc.class)
			}
		})
	}
	// On the card, from the report's goals.
	r := Build(fixture())
	r.Goals = map[string]Goal{"TB-01": {Rate: 1, Deadline: "2026-12-31"}}
	page, err := HTML(r, Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	if c := cardHTML(t, page, "TB-01"); !strings.Contains(c, "Mục tiêu 100,0\u00a0% đến 31/12/2026") {
		t.Errorf("TB-01 card shows no pace:\n%s", c)
	}
}

// Evaluation errors are not compliance: a target whose policy errs on 64
// of 65 subjects shows the errors apart, and its rate counts the one
// evaluated subject, not "1,5 % Đạt 1/65".
func TestErrorsApart(t *testing.T) {
	in := fixture()
	in.Targets = in.Targets[:1]
	in.Targets[0].ID = "TB-02"
	in.Results = nil
	for i := 0; i < 65; i++ {
		res := checker.Result{Target: "TB-02", Subject: fmt.Sprintf("xa-%02d", i), SubjectLevel: "commune",
			SubjectName: fmt.Sprintf("Xã %d", i), Path: []string{"tb", "dist-tt"}, Status: checker.StatusError,
			Error: strp("violation is a string, want an object")}
		if i == 0 {
			res.Status, res.Error = checker.StatusPass, nil
		}
		in.Results = append(in.Results, res)
	}
	page, err := HTML(Build(in), Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	c := cardHTML(t, page, "TB-02")
	for _, want := range []string{`<div class="errbox err">Lỗi đánh giá: 64 đối tượng (98,5`, "Đạt 1/1"} {
		if !strings.Contains(c, want) {
			t.Errorf("card lacks %q:\n%s", want, c)
		}
	}
	if strings.Contains(c, "1,5\u00a0%") || strings.Contains(c, "1/65") {
		t.Errorf("card counts the errors as failures:\n%s", c)
	}
}

// Trends join old units to their successors through lineage (spec "Across
// a reform"): a commune formed on 1 July from two old communes shows their
// summed counts of 30 June as the first point of its line.
func TestTrendsAcrossAReform(t *testing.T) {
	before := &RunSummary{AsOf: "2024-06-30", Targets: []SummaryTarget{{ID: "TB-01", Counts: checker.Counts{Total: 3, Pass: 1}, ByUnit: []SummaryUnit{
		{UnitID: "old-a", Counts: checker.Counts{Total: 1, Pass: 1}},
		{UnitID: "old-b", Counts: checker.Counts{Total: 1, Fail: 1}},
		{UnitID: "xa-tt-1", Counts: checker.Counts{Total: 1, Fail: 1}}, // the code, before its reuse
	}}}}
	links := []LineageLink{
		{Predecessor: "old-a", Successor: "xa-tt-1", Effective: "2024-07-01", Kind: "merge"},
		{Predecessor: "old-b", Successor: "xa-tt-1", Effective: "2024-07-01", Kind: "merge"},
	}
	page := "units/xa-tt-1.html"
	for _, tt := range []struct {
		name  string
		links []LineageLink
		want  string // the first point of the line, "" for no line
	}{
		{"no lineage: the old code alone", nil, "30/06/2024: 0,0\u00a0%"},
		{"merged", links, "30/06/2024: 50,0\u00a0%"},
		{"merged into a reused code", append(slices.Clone(links), LineageLink{Predecessor: "xa-tt-1", Successor: "xa-tt-1", Effective: "2024-07-01"}), "30/06/2024: 33,3\u00a0%"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cur := Build(fixture()) // as_of 2024-09-30
			cur.History = []*RunSummary{before}
			cur.Lineage = tt.links
			pages, err := Site(cur, Vietnamese)
			if err != nil {
				t.Fatal(err)
			}
			card := cardHTML(t, pages[page], "TB-01")
			if !strings.Contains(card, "<span>"+tt.want+"</span>") {
				t.Errorf("xa-tt-1's TB-01 card does not start its line at %q:\n%s", tt.want, card)
			}
		})
	}
	if got := unitsAt("xa-tt-1", "2024-07-01", links); !slices.Equal(got, []string{"xa-tt-1"}) {
		t.Errorf("on the day of the merger the successor is itself, got %q", got)
	}
	chain := []LineageLink{{Predecessor: "a", Successor: "b", Effective: "2020-01-01"}, {Predecessor: "b", Successor: "c", Effective: "2025-07-01"}}
	if got := unitsAt("c", "2019-12-31", chain); !slices.Equal(got, []string{"a"}) {
		t.Errorf("two reforms back: %q, want [a]", got)
	}
}
