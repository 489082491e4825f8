package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// HTMLFindingsPerTarget caps the findings listed per target in report.html;
// the rest are counted, and all of them are in findings.csv and report.xlsx.
const HTMLFindingsPerTarget = 200

// WorstUnitsPerTarget is how many units the "needing attention" list shows.
const WorstUnitsPerTarget = 5

// modelsView is the "Mô hình" section: report.json's inventory.models, the
// models the snapshot holds whatever the policies. Shown is false when the
// inventory has no models list at all (a report built without one).
type modelsView struct {
	Shown     bool
	Types     []modelTypeRow
	Columns   []string // labels of the types in the district table
	Districts []modelUnitRow
	Total     modelUnitRow
}

// modelTypeRow is one model type: its active models, the communes and
// branches that have one, and its models of any other status.
type modelTypeRow struct {
	Type, Label                       string
	Count, Communes, Branches, Others string
	Improved                          string // improved pairs (details.improved), "" when none
}

// modelUnitRow is one district of the district table: a cell per column.
type modelUnitRow struct {
	Name  string
	Cells []modelCell
}

type modelCell struct{ Count, Communes, Branches string }

type kv struct{ Label, Value, Class string }

type card struct {
	ID, Title, Description, Severity string
	Pass, Eligible, Pct              string
	Width                            string // percent, one decimal
	Class                            string
	Change, ChangeClass              string
	// Errors and NotEvaluated are shown apart: they are not compliance,
	// and the rate leaves them out.
	Errors, NotEvaluated string
	// Trend: SVG polyline points, and the first and last values.
	Trend, TrendFrom, TrendTo, TrendCount string
	Pace, PaceClass                       string
	Worst                                 []worstRow
}

// worstRow is a unit of the "needing attention" list. Where is the name
// of its parent when that is not the province, so that two units of the
// same name (every branch has a "Tổ phụ nữ số 2") can be told apart; when
// name and parent still coincide, Name carries the unit id as well.
type worstRow struct {
	Name, Level, Value, Pct, Href string
}

type findingRow struct {
	Subject, Path, Status, StatusClass string
	Messages                           []string
}

type waiverRow struct{ Target, Unit, Expires, Reason string }

type dqRow struct{ Code, Severity, Table, Count string }

func ratio(pass, eligible int) float64 {
	if eligible <= 0 {
		return 0
	}
	return float64(pass) / float64(eligible)
}

func ratioClass(r float64, eligible int) string {
	switch {
	case eligible == 0:
		return "na"
	case r >= 0.9:
		return "good"
	case r >= 0.5:
		return "mid"
	}
	return "bad"
}

// buildModels builds the "Mô hình" section from r.Inventory. The figures
// are those of active models, as the targets count them and the source
// article reports them; models of any other status are one count per
// type, so that none goes unseen. The district table has a column per type
// with active models and a row per district (in Vietnamese order, named
// from the targets' roll-ups, else by id); a province without districts
// gets none, the type table being its total.
func buildModels(r *Report, lang Lang, name func(id string) string, col *collate.Collator) (modelsView, error) {
	var inv struct {
		Models *[]checker.ModelInventory `json:"models"`
	}
	if len(r.Inventory) > 0 {
		if err := json.Unmarshal(r.Inventory, &inv); err != nil {
			return modelsView{}, fmt.Errorf("read inventory: %w", err)
		}
	}
	if inv.Models == nil {
		return modelsView{}, nil
	}
	mv := modelsView{Shown: true}
	const active = "active"
	var types []string // in inventory order: the enum's
	activeOf := map[string]*checker.ModelInventory{}
	others := map[string]int{}
	var districts []UnitCount
	seen := map[string]bool{}
	for i := range *inv.Models {
		m := &(*inv.Models)[i]
		if _, ok := activeOf[m.Type]; !ok {
			types = append(types, m.Type)
			activeOf[m.Type] = nil
		}
		if m.Status == active {
			activeOf[m.Type] = m
		} else {
			others[m.Type] += m.Count
		}
		for _, u := range m.ByUnit {
			if u.Level == string(snapshot.LevelDistrict) && !seen[u.UnitID] {
				seen[u.UnitID] = true
				districts = append(districts, UnitCount{UnitID: u.UnitID, Level: u.Level, Name: name(u.UnitID)})
			}
		}
	}
	var columns []*checker.ModelInventory
	for _, typ := range types {
		label := lang.T("model_" + typ)
		if label == "model_"+typ {
			label = typ
		}
		row := modelTypeRow{Type: typ, Label: label, Count: lang.Int(0), Communes: lang.Int(0), Branches: lang.Int(0),
			Others: lang.Int(others[typ])}
		if m := activeOf[typ]; m != nil {
			row.Count, row.Communes, row.Branches = lang.Int(m.Count), lang.Int(m.UnitsWith.Commune), lang.Int(m.UnitsWith.Branch)
			if m.ImprovedPairs > 0 {
				row.Improved = lang.Int(m.ImprovedPairs)
			}
			if m.Count > 0 {
				columns = append(columns, m)
				mv.Columns = append(mv.Columns, label)
				mv.Total.Cells = append(mv.Total.Cells, modelCell{row.Count, row.Communes, row.Branches})
			}
		}
		mv.Types = append(mv.Types, row)
	}
	if len(columns) == 0 || len(districts) == 0 {
		mv.Columns, mv.Total = nil, modelUnitRow{}
		return mv, nil
	}
	mv.Total.Name = lang.T("total")
	slices.SortStableFunc(districts, func(a, b UnitCount) int { return compareUnitNames(col, a, b) })
	byUnit := make([]map[string]checker.ModelUnitCount, len(columns))
	for i, m := range columns {
		byUnit[i] = make(map[string]checker.ModelUnitCount, len(m.ByUnit))
		for _, u := range m.ByUnit {
			byUnit[i][u.UnitID] = u
		}
	}
	for _, d := range districts {
		row := modelUnitRow{Name: cmp.Or(d.Name, d.UnitID)}
		for i := range columns {
			c := byUnit[i][d.UnitID] // zero when the district has none
			row.Cells = append(row.Cells, modelCell{lang.Int(c.Count), lang.Int(c.CommunesWith), lang.Int(c.BranchesWith)})
		}
		mv.Districts = append(mv.Districts, row)
	}
	return mv, nil
}

// targetResults returns the results of target id: r.Results is sorted by
// target, then subject (Build).
func targetResults(r *Report, id string) []checker.Result {
	lo, _ := slices.BinarySearchFunc(r.Results, id, func(res checker.Result, id string) int { return cmp.Compare(res.Target, id) })
	hi := lo
	for hi < len(r.Results) && r.Results[hi].Target == id {
		hi++
	}
	return r.Results[lo:hi]
}

// unitRows returns the roll-up rows of target t that the HTML and XLSX
// show: t.ByUnit, plus one row per commune subject when t.ByUnit has
// neither district nor commune rows. That is a commune-scope target in a
// province without districts: by_unit holds the units above the subjects
// (the province only), and docs/reports.md wants a bar per commune there,
// so those rows are counted from the target's results (results, sorted by
// subject).
func unitRows(t TargetSummary, results []checker.Result) []UnitCount {
	if slices.ContainsFunc(t.ByUnit, func(u UnitCount) bool {
		return u.Level == string(snapshot.LevelDistrict) || u.Level == string(snapshot.LevelCommune)
	}) {
		return t.ByUnit
	}
	var communes []UnitCount
	for _, res := range results {
		if res.SubjectLevel != string(snapshot.LevelCommune) {
			continue
		}
		if n := len(communes); n == 0 || communes[n-1].UnitID != res.Subject {
			communes = append(communes, UnitCount{UnitID: res.Subject, Level: res.SubjectLevel, Name: res.SubjectName})
		}
		communes[len(communes)-1].Add(res.Status)
	}
	if communes == nil {
		return t.ByUnit
	}
	return append(slices.Clip(t.ByUnit), communes...)
}

func statusClass(s checker.Status) string {
	switch s {
	case checker.StatusFail, checker.StatusError:
		return "bad"
	case checker.StatusWaived:
		return "mid"
	}
	return "na"
}

func findingMessages(f Finding, lang Lang, why *reasons) []string {
	var out []string
	for _, v := range f.Violations {
		out = append(out, v.Msg)
	}
	if f.Error != nil {
		out = append(out, why.text(f))
	}
	if f.Waiver != nil {
		out = append(out, lang.T("waived")+": "+f.Waiver.Reason+" ("+lang.T("expires")+" "+lang.Date(f.Waiver.Expires)+")")
	}
	return out
}

// newCollator returns a collator of Vietnamese: "Đông Hưng" sorts after
// "Dương" and before "Vũ Thư", "Ân Thi" after "An Lão" (byte order puts
// every accented capital after Z).
// Numbers inside names compare by value: Phường 2 before Phường 10.
func newCollator() *collate.Collator { return collate.New(language.Vietnamese, collate.Numeric) }

// compareUnitNames orders units by their shown name in Vietnamese order,
// then by unit id.
func compareUnitNames(col *collate.Collator, a, b UnitCount) int {
	return cmp.Or(col.CompareString(cmp.Or(a.Name, a.UnitID), cmp.Or(b.Name, b.UnitID)), cmp.Compare(a.UnitID, b.UnitID))
}

// unitNames maps unit ids to names from the roll-ups and the findings.
func unitNames(r *Report) map[string]string {
	m := map[string]string{}
	for _, t := range r.Targets {
		for _, u := range t.ByUnit {
			if u.Name != "" {
				m[u.UnitID] = u.Name
			}
		}
	}
	for _, f := range r.Findings {
		if f.SubjectName != "" && f.SubjectLevel != "model" {
			if _, ok := m[f.Subject]; !ok {
				m[f.Subject] = f.SubjectName
			}
		}
	}
	return m
}

func nameOr(m map[string]string, id string) string {
	if n, ok := m[id]; ok {
		return n + " (" + id + ")"
	}
	return id
}

func pathNames(path []string, m map[string]string) string {
	parts := make([]string, 0, len(path))
	for _, id := range path {
		parts = append(parts, cmp.Or(m[id], id))
	}
	return strings.Join(parts, " › ")
}
