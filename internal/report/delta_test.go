package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runOn is a report of a run on asOf with findings "target/subject".
func runOn(asOf string, findings ...[2]string) *Report {
	r := &Report{}
	r.Run.ID = "run-" + asOf
	r.Run.Snapshot.AsOf = asOf
	for _, f := range findings {
		r.Findings = append(r.Findings, Finding{Target: f[0], Subject: f[1], Key: f[0] + "/" + f[1]})
	}
	return r
}

// docs/reports.md "Across a reform": the findings of units that merged are
// merged, not resolved; a successor's finding that a predecessor had is
// not new; renamed and moved units carry their findings.
func TestDeltaAcrossAReform(t *testing.T) {
	prev := runOn("2025-06-30",
		[2]string{"TB-01", "11953"}, // reused code: merged into the new 11953
		[2]string{"TB-01", "11956"}, // merged into 11953, which has TB-01 too
		[2]string{"TB-02", "11956"}, // merged, 11953 has no TB-02
		[2]string{"TB-02", "12100"}, // split into 12101 and 12102
		[2]string{"TB-01", "12200"}, // renamed to 12201, which still fails TB-01
		[2]string{"TB-02", "12300"}, // moved to 12301 and fixed: resolved
		[2]string{"TB-01", "99999"}, // no lineage: resolved
		[2]string{"TB-01", "55555"}, // merged long ago: resolved as usual
	)
	cur := runOn("2025-09-30",
		[2]string{"TB-01", "11953"},
		[2]string{"TB-01", "12201"},
		[2]string{"TB-02", "12101"},
		[2]string{"TB-01", "70000"}, // new, no lineage
	)
	// "11953/TB-01" keeps its key: neither new nor resolved.
	cur.Findings[0].Key = "TB-01/11953-new-messages"
	links := []LineageLink{
		{"11953", "11953", "2025-07-01", "merge"},
		{"11956", "11953", "2025-07-01", ""},
		{"12100", "12102", "2025-07-01", "split"},
		{"12100", "12101", "2025-07-01", "split"},
		{"12200", "12201", "2025-07-01", "rename"},
		{"12300", "12301", "2025-07-01", "move"},
		{"55555", "11953", "2019-01-01", "merge"},
	}
	d := Delta(prev, cur, AcrossLineage(links))
	want := &DeltaSection{
		PreviousRun: "run-2025-06-30", PreviousAsOf: "2025-06-30",
		New: []DeltaFinding{{Key: "TB-01/70000", Target: "TB-01", Subject: "70000"}},
		Resolved: []DeltaFinding{
			{Key: "TB-01/55555", Target: "TB-01", Subject: "55555"},
			{Key: "TB-01/99999", Target: "TB-01", Subject: "99999"},
			{Key: "TB-02/12300", Target: "TB-02", Subject: "12300"},
		},
		Merged: []DeltaMerged{
			{Key: "TB-01/11953", Target: "TB-01", Subject: "11953", Successor: "11953"},
			{Key: "TB-01/11956", Target: "TB-01", Subject: "11956", Successor: "11953"},
			{Key: "TB-02/11956", Target: "TB-02", Subject: "11956", Successor: "11953"},
			{Key: "TB-02/12100", Target: "TB-02", Subject: "12100", Successor: "12101"},
		},
		ByTarget: []DeltaTarget{},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("delta (-want +got):\n%s", diff)
	}
	// Without lineage the same runs resolve everything that went away.
	plain := Delta(prev, cur)
	if len(plain.Merged) != 0 || len(plain.Resolved) != len(prev.Findings) {
		t.Errorf("without lineage: merged %v, resolved %d of %d", plain.Merged, len(plain.Resolved), len(prev.Findings))
	}
}
