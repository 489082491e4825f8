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
	// Merged lists the previous run's findings of units that merged (or
	// split) into another since: they did not go away by being fixed
	// (docs/reports.md "Across a reform"). Empty without lineage.
	Merged   []DeltaMerged `json:"merged"`
	ByTarget []DeltaTarget `json:"by_target"`
}

// DeltaMerged is a previous finding of a unit that is now (part of) its
// successor.
type DeltaMerged struct {
	Key       string `json:"key"`
	Target    string `json:"target"`
	Subject   string `json:"subject"`
	Successor string `json:"successor"`
}

// LineageLink is one row of the current snapshot's lineage, as Delta reads
// it: kind is merge, split, rename or move ("" = merge), effective
// YYYY-MM-DD.
type LineageLink struct {
	Predecessor, Successor, Effective, Kind string
}

// DeltaOption changes how Delta compares two runs.
type DeltaOption func(*deltaConfig)

type deltaConfig struct{ lineage []LineageLink }

// AcrossLineage lets Delta map the previous run's units to this run's
// through lineage (the current snapshot's lineage table). Only the rows
// that took effect after the previous run's date and on or before this
// run's matter.
func AcrossLineage(links []LineageLink) DeltaOption {
	return func(c *deltaConfig) { c.lineage = links }
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
//
// With AcrossLineage, a previous finding of a unit that merged or split
// into a successor between the two runs' dates is merged, not resolved
// (with its successor; the first by id when it split); a current finding
// of a successor is not new when one of its predecessors had a finding of
// the same target; a unit renamed or moved to a new id carries its
// findings to that id (the same target there is neither resolved nor new).
func Delta(prev, cur *Report, opts ...DeltaOption) *DeltaSection {
	if prev == nil || cur == nil {
		return nil
	}
	var cfg deltaConfig
	for _, o := range opts {
		o(&cfg)
	}
	d := &DeltaSection{
		PreviousRun:     prev.Run.ID,
		PreviousAsOf:    prev.Run.Snapshot.AsOf,
		PoliciesChanged: prev.Run.Policies.SHA256 != cur.Run.Policies.SHA256,
		New:             diffFindings(cur.Findings, prev.Findings),
		Resolved:        diffFindings(prev.Findings, cur.Findings),
		Merged:          []DeltaMerged{},
		ByTarget:        []DeltaTarget{},
	}
	d.acrossLineage(cfg.lineage, prev, cur)
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

// acrossLineage moves the resolved findings of merged units to Merged and
// drops the new findings their successors inherited.
func (d *DeltaSection) acrossLineage(links []LineageLink, prev, cur *Report) {
	from, to := prev.Run.Snapshot.AsOf, cur.Run.Snapshot.AsOf
	succ := map[string][]LineageLink{} // predecessor -> links in the window
	for _, l := range links {
		if l.Effective > from && l.Effective <= to {
			succ[l.Predecessor] = append(succ[l.Predecessor], l)
		}
	}
	if len(succ) == 0 {
		return
	}
	for _, ls := range succ {
		slices.SortFunc(ls, func(a, b LineageLink) int { return cmp.Compare(a.Successor, b.Successor) })
	}
	// target + successor of the current findings, and the pairs a
	// predecessor's finding carries over to.
	has := map[[2]string]bool{}
	for _, f := range cur.Findings {
		has[[2]string{f.Target, f.Subject}] = true
	}
	inherited := map[[2]string]bool{}
	resolved := d.Resolved[:0]
	for _, f := range d.Resolved {
		ls := succ[f.Subject]
		if len(ls) == 0 {
			resolved = append(resolved, f)
			continue
		}
		carried := false
		for _, l := range ls {
			if has[[2]string{f.Target, l.Successor}] {
				inherited[[2]string{f.Target, l.Successor}] = true
				carried = true
			}
		}
		switch k := ls[0].Kind; {
		case k == "" || k == "merge" || k == "split":
			d.Merged = append(d.Merged, DeltaMerged{Key: f.Key, Target: f.Target, Subject: f.Subject, Successor: ls[0].Successor})
		case !carried: // renamed or moved, and the problem is gone
			resolved = append(resolved, f)
		}
	}
	d.Resolved = resolved
	news := d.New[:0]
	for _, f := range d.New {
		if !inherited[[2]string{f.Target, f.Subject}] {
			news = append(news, f)
		}
	}
	d.New = news
	slices.SortFunc(d.Merged, func(x, y DeltaMerged) int {
		return cmp.Or(cmp.Compare(x.Target, y.Target), cmp.Compare(x.Subject, y.Subject), cmp.Compare(x.Key, y.Key))
	})
}
