package report

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"f1": func(f float64) string { return fmt.Sprintf("%.1f", f) },
}).Parse(htmlSource))

// HTMLFindingsPerTarget caps the findings listed per target in report.html;
// the rest are counted, and all of them are in findings.csv and report.xlsx.
const HTMLFindingsPerTarget = 200

// WorstUnitsPerTarget is how many units the "needing attention" list shows.
const WorstUnitsPerTarget = 5

type htmlView struct {
	L               Lang
	Title           string
	Province        string
	AsOf, RunTime   string
	RunID           string
	Overall         string
	OverallWidth    float64
	Summary         []kv
	HasPrevious     bool
	PoliciesChanged bool
	Cards           []card
	WaiversApplied  string
	WaiversExpired  []waiverRow
	WaiversUnused   []waiverRow
	DQ              []kv
	DQRows          []dqRow
	Models          modelsView
}

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
	Width                            float64
	Class                            string
	Change, ChangeClass              string
	BarsLabel                        string
	Bars                             []barRow
	SVGHeight                        int
	Worst                            []worstRow
	Findings                         []findingRow
	FindingsCount                    string
	More                             string
}

type barRow struct {
	Name, Value, Fill string
	Y, TextY          int
	Width             float64
}

// worstRow is a unit of the "needing attention" list. Where is the name
// of its parent when that is not the province, so that two units of the
// same name (every branch has a "Tổ phụ nữ số 2") can be told apart; when
// name and parent still coincide, Name carries the unit id as well.
type worstRow struct {
	Name, Level, Where, Value, Pct string
	id                             string
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

var fills = map[string]string{"good": "#2e7d32", "mid": "#ef8f00", "bad": "#c62828", "na": "#9e9e9e"}

// HTML renders report.html: one self-contained page (inline CSS and SVG, no
// script, no external resource). Percentages are pass / (total - skipped).
func HTML(r *Report, lang Lang) ([]byte, error) {
	v := htmlView{
		L:               lang,
		Title:           lang.T("doc_title"),
		Province:        cmp.Or(r.Run.Snapshot.Title, r.Run.Snapshot.Name),
		AsOf:            lang.Date(r.Run.Snapshot.AsOf),
		RunTime:         lang.DateTime(r.Run.FinishedAt),
		RunID:           r.Run.ID,
		HasPrevious:     r.Delta != nil,
		PoliciesChanged: r.Delta != nil && r.Delta.PoliciesChanged,
		WaiversApplied:  lang.Int(r.Waivers.Applied),
	}
	names := unitNames(r)
	var pass, eligible int
	for _, t := range r.Targets {
		pass += t.Pass
		eligible += t.Total - t.Skipped
	}
	ov := ratio(pass, eligible)
	v.Overall, v.OverallWidth = lang.Percent(ov), 100*ov
	if eligible == 0 {
		v.Overall = "–"
	}
	s := r.Summary
	for _, x := range []struct {
		k     string
		n     int
		class string
	}{{"subjects", s.Subjects, ""}, {"pass", s.Pass, "good"}, {"fail", s.Fail, "bad"}, {"waived", s.Waived, ""},
		{"skipped", s.Skipped, ""}, {"error", s.Error, "bad"}, {"not_evaluated", s.NotEvaluated, ""}} {
		if x.n > 0 || x.k == "subjects" || x.k == "pass" || x.k == "fail" {
			v.Summary = append(v.Summary, kv{lang.T(x.k), lang.Int(x.n), x.class})
		}
	}
	before := map[string]int{}
	if r.Delta != nil {
		for _, d := range r.Delta.ByTarget {
			before[d.ID] = d.PassBefore
		}
	}
	byTarget := map[string][]Finding{}
	for _, f := range r.Findings {
		byTarget[f.Target] = append(byTarget[f.Target], f)
	}
	// One collator per rendering: a collate.Collator is not safe for
	// concurrent use, and Render renders the HTML and XLSX concurrently.
	col := newCollator()
	why := newReasons(lang, r, names)
	for _, t := range r.Targets {
		results := targetResults(r, t.ID)
		c := buildCard(t, unitRows(t, results), lang, r.Delta != nil, before, byTarget[t.ID], names, col, why)
		c.Worst = placeWorst(c.Worst, results, names)
		v.Cards = append(v.Cards, c)
	}
	for _, w := range r.Waivers.Expired {
		v.WaiversExpired = append(v.WaiversExpired, waiverRow{w.Target, nameOr(names, w.Unit), lang.Date(w.Expires), w.Reason})
	}
	for _, w := range r.Waivers.Unused {
		v.WaiversUnused = append(v.WaiversUnused, waiverRow{w.Target, nameOr(names, w.Unit), lang.Date(w.Expires), w.Reason})
	}
	dq := r.Summary.DataQuality
	v.DQ = []kv{{lang.T("dq_fatal"), lang.Int(dq.Fatal), "bad"}, {lang.T("dq_error"), lang.Int(dq.Error), "bad"},
		{lang.T("dq_warning"), lang.Int(dq.Warning), "mid"}}
	type dqKey struct {
		code snapshot.Code
		sev  snapshot.Severity
		tab  snapshot.Table
	}
	counts := map[dqKey]int{}
	for _, f := range r.DataQuality {
		counts[dqKey{f.Code, f.Severity, f.Table}]++
	}
	keys := make([]dqKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b dqKey) int { return cmp.Or(cmp.Compare(a.code, b.code), cmp.Compare(a.tab, b.tab)) })
	for _, k := range keys {
		v.DQRows = append(v.DQRows, dqRow{string(k.code), lang.T("dq_" + string(k.sev)), lang.TableName(k.tab), lang.Int(counts[k])})
	}
	models, err := buildModels(r, lang, names, col)
	if err != nil {
		return nil, fmt.Errorf("render report.html: %w", err)
	}
	v.Models = models
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("render report.html: %w", err)
	}
	return buf.Bytes(), nil
}

// buildModels builds the "Mô hình" section from r.Inventory. The figures
// are those of active models, as the targets count them and the source
// article reports them; models of any other status are one count per
// type, so that none goes unseen. The district table has a column per type
// with active models and a row per district (in Vietnamese order, named
// from the targets' roll-ups, else by id); a province without districts
// gets none, the type table being its total.
func buildModels(r *Report, lang Lang, names map[string]string, col *collate.Collator) (modelsView, error) {
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
				districts = append(districts, UnitCount{UnitID: u.UnitID, Level: u.Level, Name: names[u.UnitID]})
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
// (the province only), and spec/reports.md wants a bar per commune there,
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
		u := &communes[len(communes)-1]
		// As checker.Rollup counts: not_evaluated adds to the total only.
		u.Total++
		switch res.Status {
		case checker.StatusPass:
			u.Pass++
		case checker.StatusFail:
			u.Fail++
		case checker.StatusWaived:
			u.Waived++
		case checker.StatusSkipped:
			u.Skipped++
		case checker.StatusError:
			u.Error++
		}
	}
	if communes == nil {
		return t.ByUnit
	}
	return append(slices.Clip(t.ByUnit), communes...)
}

// buildCard builds the card of target t; units are its rows (unitRows).
func buildCard(t TargetSummary, units []UnitCount, lang Lang, hasPrev bool, before map[string]int, fs []Finding, names map[string]string, col *collate.Collator, why *reasons) card {
	el := t.Total - t.Skipped
	rt := ratio(t.Pass, el)
	c := card{
		ID: t.ID, Title: t.Title, Description: t.Description,
		Pass: lang.Int(t.Pass), Eligible: lang.Int(el), Pct: lang.Percent(rt),
		Width: 100 * rt, Class: ratioClass(rt, el),
		Severity:      lang.T("severity_" + cmp.Or(t.Severity, "medium")),
		FindingsCount: lang.Int(len(fs)),
	}
	if lang == English && t.TitleEn != "" {
		c.Title = t.TitleEn
	}
	if el == 0 {
		c.Pct = "–"
	}
	switch {
	case !hasPrev:
		c.Change, c.ChangeClass = lang.T("no_previous"), "na"
	default:
		d := t.Pass - before[t.ID]
		switch {
		case d > 0:
			c.Change, c.ChangeClass = "▲ +"+lang.Int(d), "good"
		case d < 0:
			c.Change, c.ChangeClass = "▼ "+lang.Int(d), "bad"
		default:
			c.Change, c.ChangeClass = "= "+lang.T("unchanged"), "na"
		}
	}
	level := ""
	deepest := -1
	for _, u := range units {
		if u.Level == string(snapshot.LevelDistrict) {
			level = u.Level
		}
		deepest = max(deepest, levelRank(u.Level))
	}
	if level == "" {
		level = string(snapshot.LevelCommune)
	}
	if level == string(snapshot.LevelDistrict) {
		c.BarsLabel = lang.T("by_district")
	} else {
		c.BarsLabel = lang.T("by_commune")
	}
	var rows []UnitCount
	var worst []UnitCount
	for _, u := range units {
		if u.Level == level {
			rows = append(rows, u)
		}
		if levelRank(u.Level) == deepest && u.Fail+u.Error > 0 {
			worst = append(worst, u)
		}
	}
	slices.SortStableFunc(rows, func(a, b UnitCount) int { return compareUnitNames(col, a, b) })
	for i, u := range rows {
		ue := u.Total - u.Skipped
		ur := ratio(u.Pass, ue)
		c.Bars = append(c.Bars, barRow{
			Name: cmp.Or(u.Name, u.UnitID), Value: lang.Int(u.Pass) + "/" + lang.Int(ue) + " · " + lang.Percent(ur),
			Fill: fills[ratioClass(ur, ue)], Y: i * 22, TextY: i*22 + 14, Width: 250 * ur,
		})
	}
	c.SVGHeight = len(rows) * 22
	slices.SortStableFunc(worst, func(a, b UnitCount) int {
		ra, rb := ratio(a.Pass, a.Total-a.Skipped), ratio(b.Pass, b.Total-b.Skipped)
		return cmp.Or(cmp.Compare(ra, rb), cmp.Compare(b.Fail+b.Error, a.Fail+a.Error), compareUnitNames(col, a, b))
	})
	for _, u := range worst[:min(len(worst), WorstUnitsPerTarget)] {
		ue := u.Total - u.Skipped
		c.Worst = append(c.Worst, worstRow{
			Name: cmp.Or(u.Name, u.UnitID), id: u.UnitID, Level: lang.T("level_" + u.Level),
			Value: lang.Int(u.Pass) + "/" + lang.Int(ue), Pct: lang.Percent(ratio(u.Pass, ue)),
		})
	}
	for i, f := range fs {
		if i == HTMLFindingsPerTarget {
			c.More = fmt.Sprintf(lang.T("more_findings"), lang.Int(len(fs)-i))
			break
		}
		c.Findings = append(c.Findings, findingRow{
			Subject:     cmp.Or(f.SubjectName, f.Subject) + " (" + f.Subject + ")",
			Path:        pathNames(f.Path, names),
			Status:      lang.T(string(f.Status)),
			StatusClass: statusClass(f.Status),
			Messages:    findingMessages(f, lang, why),
		})
	}
	return c
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
func newCollator() *collate.Collator { return collate.New(language.Vietnamese) }

// compareUnitNames orders units by their shown name in Vietnamese order,
// then by unit id.
func compareUnitNames(col *collate.Collator, a, b UnitCount) int {
	return cmp.Or(col.CompareString(cmp.Or(a.Name, a.UnitID), cmp.Or(b.Name, b.UnitID)), cmp.Compare(a.UnitID, b.UnitID))
}

// placeWorst sets each row's Where to the name of the unit's parent, taken
// from the paths of the target's results, when that parent is not the root
// (the province). Rows whose name and parent still coincide get their unit
// id after the name.
func placeWorst(rows []worstRow, results []checker.Result, names map[string]string) []worstRow {
	if len(rows) == 0 {
		return rows
	}
	type place struct {
		parent string // "" when the parent is the root
		known  bool
	}
	parent := make(map[string]place, len(rows))
	for _, w := range rows {
		parent[w.id] = place{}
	}
	found := 0
	for i := 0; i < len(results) && found < len(parent); i++ {
		res := &results[i]
		if len(res.Path) > 0 {
			if p, ok := parent[res.Path[0]]; ok && !p.known {
				parent[res.Path[0]] = place{known: true}
				found++
			}
		}
		// The units of the path below the root, then the subject: the
		// parent of the one at k is at k-1.
		for k := 1; k <= len(res.Path); k++ {
			id := res.Subject
			if k < len(res.Path) {
				id = res.Path[k]
			}
			if p, ok := parent[id]; ok && !p.known {
				p.known = true
				if k > 1 {
					p.parent = res.Path[k-1]
				}
				parent[id] = p
				found++
			}
		}
	}
	seen := map[[2]string]int{}
	for i := range rows {
		if p := parent[rows[i].id].parent; p != "" {
			rows[i].Where = cmp.Or(names[p], p)
		}
		seen[[2]string{rows[i].Name, rows[i].Where}]++
	}
	for i := range rows {
		if seen[[2]string{rows[i].Name, rows[i].Where}] > 1 {
			rows[i].Name += " (" + rows[i].id + ")"
		}
	}
	return rows
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
