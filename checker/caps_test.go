package checker

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMaxViolations: a target that returns 250 violations per subject
// keeps 100 per subject and 250 entries over its subjects, and every list
// counts what it left out, with either engine; warnings under the caps are
// kept whole.
func TestMaxViolations(t *testing.T) {
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	pols := loadTargets(t, `violation contains {"msg": sprintf("v%03d", [i]), "refs": [input.subject.id]} if some i in numbers.range(1, 250)
warning contains {"msg": sprintf("w%d", [i])} if some i in numbers.range(1, 3)`)
	_, got, want := evaluateBoth(t, pols, snap, WithMaxViolations(100, 250))
	if diff := cmp.Diff(want.Results, got.Results); diff != "" {
		t.Errorf("regovm and topdown differ (-topdown +regovm):\n%s", diff)
	}
	var kept []int
	entries := 0
	for _, r := range got.Results {
		if r.Status == StatusNotEvaluated {
			continue
		}
		if r.Status != StatusFail {
			t.Fatalf("%s: status %s, want fail", r.Subject, r.Status)
		}
		if len(r.Warnings) != 3 {
			t.Errorf("%s: %d warnings, want the 3 whole", r.Subject, len(r.Warnings))
		}
		entries += len(r.Violations)
		last := r.Violations[len(r.Violations)-1]
		n, ok := last.Details["omitted"].(int)
		if !ok {
			t.Fatalf("%s: the list does not end with what it left out: %+v", r.Subject, last)
		}
		real := r.Violations[:len(r.Violations)-1]
		for _, v := range real {
			if !strings.HasPrefix(v.Msg, "v") {
				t.Errorf("%s: kept %q", r.Subject, v.Msg)
			}
		}
		if c := Count(r.Violations); c != 250 {
			t.Errorf("%s: Count = %d, want 250", r.Subject, c)
		}
		if len(real)+n != 250 {
			t.Errorf("%s: %d kept + %d left out, want 250 counted", r.Subject, len(real), n)
		}
		if !strings.Contains(last.Msg, "Còn ") || !strings.Contains(last.Msg, " vi phạm khác không liệt kê") {
			t.Errorf("%s: last message %q", r.Subject, last.Msg)
		}
		kept = append(kept, len(real))
	}
	if diff := cmp.Diff([]int{100, 100, 48}, kept); diff != "" {
		t.Errorf("violations kept per subject (-want +got):\n%s", diff)
	}
	if entries > 250+len(kept) {
		t.Errorf("%d entries kept for the target, want at most 250 and one count per subject", entries)
	}
}

// TestCountReadBack: Count reads a capped list back from report.json, where
// the count is a JSON number.
func TestCountReadBack(t *testing.T) {
	vs := capList(make([]Violation, 7), 5, kindViolation, "--max-violations", 5)
	b, err := json.Marshal(vs)
	if err != nil {
		t.Fatal(err)
	}
	var back []Violation
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var num []Violation
	if err := dec.Decode(&num); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string][]Violation{"as built": vs, "float64": back, "json.Number": num} {
		if got := Count(l); got != 7 {
			t.Errorf("%s: Count = %d, want 7", name, got)
		}
	}
	if got := Count([]Violation{{Msg: "a", Details: map[string]any{"omitted": 3}}}); got != 1 {
		t.Errorf("Count of a list a policy ended with its own omitted = %d, want 1", got)
	}
}
