package report

import (
	"cmp"
	"slices"
)

// DeltaSection is report.json's "delta": what changed since the previous
// run of the same snapshot name.
type DeltaSection struct {
	PreviousRun     string         `json:"previous_run"`
	PreviousAsOf    string         `json:"previous_as_of"`
	PoliciesChanged bool           `json:"policies_changed"`
	New             []DeltaFinding `json:"new"`
	Resolved        []DeltaFinding `json:"resolved"`
	ByTarget        []DeltaTarget  `json:"by_target"`
}

// DeltaFinding names a finding by its key.
type DeltaFinding struct {
	Key     string `json:"key"`
	Target  string `json:"target"`
	Subject string `json:"subject"`
}

// DeltaTarget is one target's pass count before and now.
type DeltaTarget struct {
	ID         string `json:"id"`
	PassBefore int    `json:"pass_before"`
	PassNow    int    `json:"pass_now"`
}

// Delta compares cur with prev, the previous run's report (see Previous);
// nil when prev is nil. New findings have a key that prev lacks, resolved
// ones a key that cur lacks (a finding whose messages change is therefore
// both resolved and new). ByTarget lists every target of either report,
// with 0 on the side where it is absent. Lists are sorted by target,
// subject, key.
func Delta(prev, cur *Report) *DeltaSection {
	if prev == nil || cur == nil {
		return nil
	}
	d := &DeltaSection{
		PreviousRun:     prev.Run.ID,
		PreviousAsOf:    prev.Run.Snapshot.AsOf,
		PoliciesChanged: prev.Run.Policies.SHA256 != cur.Run.Policies.SHA256,
		New:             diffFindings(cur.Findings, prev.Findings),
		Resolved:        diffFindings(prev.Findings, cur.Findings),
		ByTarget:        []DeltaTarget{},
	}
	idx := map[string]int{}
	for _, t := range cur.Targets {
		idx[t.ID] = len(d.ByTarget)
		d.ByTarget = append(d.ByTarget, DeltaTarget{ID: t.ID, PassNow: t.Pass})
	}
	for _, t := range prev.Targets {
		if i, ok := idx[t.ID]; ok {
			d.ByTarget[i].PassBefore = t.Pass
			continue
		}
		d.ByTarget = append(d.ByTarget, DeltaTarget{ID: t.ID, PassBefore: t.Pass})
	}
	slices.SortFunc(d.ByTarget, func(a, b DeltaTarget) int { return cmp.Compare(a.ID, b.ID) })
	return d
}

// diffFindings returns the findings of a whose key is not in b.
func diffFindings(a, b []Finding) []DeltaFinding {
	seen := make(map[string]bool, len(b))
	for _, f := range b {
		seen[f.Key] = true
	}
	out := []DeltaFinding{}
	for _, f := range a {
		if !seen[f.Key] {
			out = append(out, DeltaFinding{Key: f.Key, Target: f.Target, Subject: f.Subject})
		}
	}
	slices.SortFunc(out, func(x, y DeltaFinding) int {
		return cmp.Or(cmp.Compare(x.Target, y.Target), cmp.Compare(x.Subject, y.Subject), cmp.Compare(x.Key, y.Key))
	})
	return out
}
