package report

import (
	"encoding/json"
	"fmt"
	"github.com/vungmanh/vungmanh/checker"
	"slices"
)

// SummaryName is the file name of a run's summary.json.
const SummaryName = "summary.json"

// RunSummary is summary.json: the counts of a run per target and per unit,
// small enough that a run can read two dozen earlier ones to draw trends
// (docs/reports.md, History and trends).
//
// by_unit holds the units that have a page of their own at most two
// levels below the root page: a province's districts and communes, a
// post-reform province's communes, a national run's provinces and
// districts (or, after the reform, provinces and communes). A national
// run's commune pages therefore show no trend; a province's run does.
type RunSummary struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"` // RunSummary
	RunID      string          `json:"run_id"`
	Snapshot   string          `json:"snapshot"`
	AsOf       string          `json:"as_of"`
	FinishedAt string          `json:"finished_at"`
	Status     string          `json:"status,omitempty"` // "stopped" for a run stopped by data quality
	Policies   string          `json:"policies_sha256"`
	Targets    []SummaryTarget `json:"targets"`
}

// SummaryTarget is one target's counts, in total and per unit.
type SummaryTarget struct {
	ID string `json:"id"`
	checker.Counts
	ByUnit []SummaryUnit `json:"by_unit"`
}

// SummaryUnit is one target's counts under one unit.
type SummaryUnit struct {
	UnitID string `json:"unit_id"`
	checker.Counts
}

// summaryDepth is how many levels below the root page summary.json keeps.
const summaryDepth = 2

// Summarise returns the summary.json of a report. Lists are sorted (targets
// by id, units by id), so the same report gives the same bytes apart from
// run_id and finished_at.
func Summarise(r *Report) *RunSummary {
	return summarise(r, func() *siteTree { return buildTree(r) })
}

// summarise is Summarise with r's unit tree from tree (called only when r
// has targets).
func summarise(r *Report, tree func() *siteTree) *RunSummary {
	s := &RunSummary{APIVersion: APIVersion, Kind: "RunSummary", RunID: r.Run.ID, Snapshot: r.Run.Snapshot.Name,
		AsOf: r.Run.Snapshot.AsOf, FinishedAt: r.Run.FinishedAt, Status: r.Run.Status, Policies: r.Run.Policies.SHA256,
		Targets: make([]SummaryTarget, 0, len(r.Targets))}
	for _, t := range r.Targets {
		s.Targets = append(s.Targets, SummaryTarget{ID: t.ID, Counts: t.Counts, ByUnit: []SummaryUnit{}})
	}
	if len(r.Targets) == 0 {
		return s
	}
	tr := tree()
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		if depth > summaryDepth {
			return
		}
		if n.page && n.ID != "" {
			for k, c := range n.counts {
				s.Targets[k].ByUnit = append(s.Targets[k].ByUnit, SummaryUnit{UnitID: n.ID, Counts: c.wide()})
			}
		}
		for _, c := range n.children {
			if c.page {
				walk(c, depth+1)
			}
		}
	}
	walk(tr.root, 0)
	for k := range s.Targets {
		slices.SortFunc(s.Targets[k].ByUnit, func(a, b SummaryUnit) int {
			switch {
			case a.UnitID < b.UnitID:
				return -1
			case a.UnitID > b.UnitID:
				return 1
			}
			return 0
		})
	}
	return s
}

// SummaryJSON returns summary.json's bytes.
func SummaryJSON(r *Report) ([]byte, error) {
	return summaryJSON(Summarise(r))
}

func summaryJSON(s *RunSummary) ([]byte, error) {
	b, err := marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", SummaryName, err)
	}
	return append(b, '\n'), nil
}

// ParseSummary reads a summary.json, checking its header.
func ParseSummary(data []byte) (*RunSummary, error) {
	var s RunSummary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %w", SummaryName, err)
	}
	if s.APIVersion != APIVersion || s.Kind != "RunSummary" {
		return nil, fmt.Errorf("parse %s: apiVersion %q kind %q, want %q \"RunSummary\"", SummaryName, s.APIVersion, s.Kind, APIVersion)
	}
	return &s, nil
}

// counts of target id under unit (the total when unit is "") in s; ok
// false when s has none.
func (s *RunSummary) counts(target, unit string) (counts, bool) {
	for _, t := range s.Targets {
		if t.ID != target {
			continue
		}
		if unit == "" {
			return counts{int32(t.Total), int32(t.Pass), int32(t.Fail), int32(t.Waived), int32(t.Skipped), int32(t.Error)}, true
		}
		i, ok := slices.BinarySearchFunc(t.ByUnit, unit, func(u SummaryUnit, id string) int {
			switch {
			case u.UnitID < id:
				return -1
			case u.UnitID > id:
				return 1
			}
			return 0
		})
		if !ok {
			return counts{}, false
		}
		u := t.ByUnit[i]
		return counts{int32(u.Total), int32(u.Pass), int32(u.Fail), int32(u.Waived), int32(u.Skipped), int32(u.Error)}, true
	}
	return counts{}, false
}

// countsAcross returns the counts of target under unit in s, joined through
// lineage: for a unit that lineage made after s's as_of (a link to it whose
// effective date is later), the sum of its predecessors' counts then,
// followed back link by link; a reused code (predecessor == successor) is
// the old version under the same id. A split predecessor counts in full for
// each of its successors. The province's line and a new commune's line do
// not break on the day of a reform.
func (s *RunSummary) countsAcross(target, unit string, links []LineageLink) (counts, bool) {
	if unit == "" || len(links) == 0 {
		return s.counts(target, unit)
	}
	var sum counts
	found := false
	for _, u := range unitsAt(unit, s.AsOf, links) {
		if c, ok := s.counts(target, u); ok {
			found = true
			sum.merge(c)
		}
	}
	return sum, found
}

// unitsAt returns the ids that held, on date asOf, what unit holds today:
// unit itself when no lineage link made it after asOf, else its
// predecessors on asOf (each followed the same way), sorted and unique.
func unitsAt(unit, asOf string, links []LineageLink) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(u string, depth int)
	walk = func(u string, depth int) {
		var preds []string
		if depth < 16 { // lineage cycles are DQ004; this only bounds the walk
			for _, l := range links {
				if l.Successor == u && l.Effective > asOf {
					preds = append(preds, l.Predecessor)
				}
			}
		}
		if len(preds) == 0 {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
			return
		}
		for _, p := range preds {
			if p == u {
				// A reused code: the version that ended before the
				// link's date is the same id in the earlier run.
				if !seen[u] {
					seen[u] = true
					out = append(out, u)
				}
				continue
			}
			walk(p, depth+1)
		}
	}
	walk(unit, 0)
	slices.Sort(out)
	return out
}
