package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/checker"
)

func TestSummariesFromRollups(t *testing.T) {
	rollups := []checker.TargetRollup{{
		Target: checker.Target{ID: "TB-01", Package: "targets.a", Title: "T", TitleEn: "E", Description: "D",
			Scope: "commune", Severity: "high", File: "a.rego"},
		Counts: checker.Counts{Total: 7, Pass: 2, Fail: 1, Waived: 1, Skipped: 1, Error: 1, NotEvaluated: 1},
		ByUnit: []checker.UnitCount{{UnitID: "h1", Level: "district", Name: "Vũ Thư",
			Counts: checker.Counts{Total: 7, Pass: 2, Fail: 1, Waived: 1, Skipped: 1, Error: 1, NotEvaluated: 1}}},
	}, {
		Target: checker.Target{ID: "TB-06", Scope: "model", ModelType: "cadres_progress", Severity: "medium"},
		ByUnit: []checker.UnitCount{},
	}}
	want := []TargetSummary{{
		ID: "TB-01", Package: "targets.a", Title: "T", TitleEn: "E", Description: "D", Scope: "commune", Severity: "high",
		Counts: checker.Counts{Total: 7, Pass: 2, Fail: 1, Waived: 1, Skipped: 1, Error: 1, NotEvaluated: 1},
		ByUnit: []UnitCount{{UnitID: "h1", Level: "district", Name: "Vũ Thư", Counts: checker.Counts{Total: 7, Pass: 2, Fail: 1, Waived: 1, Skipped: 1, Error: 1, NotEvaluated: 1}}},
	}, {
		ID: "TB-06", Scope: "model", ModelType: "cadres_progress", Severity: "medium", ByUnit: []UnitCount{},
	}}
	if diff := cmp.Diff(want, Summaries(rollups)); diff != "" {
		t.Errorf("Summaries (-want +got):\n%s", diff)
	}
	// report.json's rows leave not_evaluated out.
	if b, err := json.Marshal(Summaries(rollups)); err != nil || strings.Contains(string(b), "not_evaluated") {
		t.Errorf("Summaries as JSON: %s, %v; want no not_evaluated", b, err)
	}
}
