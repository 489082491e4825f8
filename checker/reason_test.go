package checker

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// The not_evaluated results carry their reason as a value and as text, and
// the value survives JSON (the shards hand their results to the merge so).
func TestNotEvaluatedReason(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	defer snap.Release()
	out, err := mustNew(t, loadTestPolicies(t, "testdata/policies")).Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]snapshot.Reason{
		"xa-9":  snapshot.RowReason("DQ003", 12),
		"ch-9a": snapshot.AncestorReason("xa-9"),
		"m-9":   snapshot.UnitReason("ch-9a"),
	}
	seen := map[string]bool{}
	for _, r := range out.Results {
		if r.Status != StatusNotEvaluated {
			if r.Reason != nil {
				t.Errorf("%s %s: %s with a reason %+v", r.Target, r.Subject, r.Status, *r.Reason)
			}
			continue
		}
		w, ok := want[r.Subject]
		if !ok || r.Reason == nil || *r.Reason != w || r.Error == nil || *r.Error != w.String() {
			t.Errorf("%s %s: reason %+v error %v, want %+v", r.Target, r.Subject, r.Reason, r.Error, w)
			continue
		}
		seen[r.Subject] = true
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Result
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r.Reason, back.Reason); diff != "" {
			t.Errorf("%s %s: reason after JSON (-want +got):\n%s", r.Target, r.Subject, diff)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("not_evaluated subjects %v, want %v", seen, want)
	}
}

func TestCountResults(t *testing.T) {
	var rs []Result
	for s, n := range map[Status]int{StatusPass: 3, StatusFail: 2, StatusError: 1, StatusNotEvaluated: 4} {
		for range n {
			rs = append(rs, Result{Status: s})
		}
	}
	c := CountResults(rs)
	if want := (Counts{Total: 10, Pass: 3, Fail: 2, Error: 1, NotEvaluated: 4}); c != want {
		t.Errorf("CountResults: %+v, want %+v", c, want)
	}
	// Statuses without results are left out of ByStatus.
	if diff := cmp.Diff(map[string]int{"pass": 3, "fail": 2, "error": 1, "not_evaluated": 4}, c.ByStatus()); diff != "" {
		t.Errorf("ByStatus (-want +got):\n%s", diff)
	}
}
