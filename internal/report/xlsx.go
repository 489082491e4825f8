package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"

	"github.com/vungmanh/vungmanh/checker"
)

// XLSX renders report.xlsx, the table for people, labels in lang:
//   - a summary sheet: one row per target, then one per district or
//     commune of its roll-up;
//   - a findings sheet: one row per violation, as findings.csv, with the
//     level and status worded and the unit path by names;
//   - a units sheet: one row per unit with a page on the site (province,
//     district, commune), its path by names and each target's rate;
//   - a models sheet: inventory.models, per type and status.
//
// Every sheet declares its real used range (<dimension>), freezes its
// header row, has an autofilter over its table and set column widths.
func XLSX(r *Report, lang Lang) ([]byte, error) {
	return xlsx(r, lang, sync.OnceValue(func() *siteTree { return buildTree(r) }))
}

// xlsx is XLSX with r's unit tree from tree (built on first use).
func xlsx(r *Report, lang Lang, tree func() *siteTree) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetZipWriter(fastZip)
	x := &xlsxWriter{f: f, lang: lang, tree: tree}
	x.bold, _ = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"F3E5F5"}, Pattern: 1},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	nf := xlsxNumFmts[lang]
	x.count, _ = f.NewStyle(&excelize.Style{CustomNumFmt: &nf.count})
	x.pct, _ = f.NewStyle(&excelize.Style{CustomNumFmt: &nf.percent})
	sheets := []func(*Report) error{x.summary, x.findings, x.units, x.models}
	for _, s := range sheets {
		if err := s(r); err != nil {
			return nil, fmt.Errorf("write report.xlsx: %w", err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write report.xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

type xlsxWriter struct {
	f                *excelize.File
	lang             Lang
	bold, count, pct int
	sheets           int              // sheets begun
	tree             func() *siteTree // the unit tree of the site, for the units and models sheets
}

// sheet streams one sheet: a bold header row of the catalogue's labels of
// keys (or the labels themselves), then rows. nrows is the number of rows
// below the header: the used range and the autofilter are declared before
// the rows are streamed.
func (x *xlsxWriter) sheet(name string, header []string, widths []float64, nrows int, rows func(add func([]any) error) error) error {
	f := x.f
	// The first sheet takes the place of the new file's Sheet1, which is
	// already the active one. Deleting Sheet1 (or setting the active sheet)
	// afterwards would make excelize parse every streamed sheet back in
	// (a third of report.xlsx's time).
	if x.sheets == 0 {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return err
	}
	x.sheets++
	last := cell(len(header), max(nrows+1, 2))
	if err := f.SetSheetDimension(name, "A1:"+cell(len(header), nrows+1)); err != nil {
		return err
	}
	if err := f.AutoFilter(name, "A1:"+last, nil); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = excelize.Cell{StyleID: x.bold, Value: h}
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	row := 1
	err = rows(func(vals []any) error {
		row++
		return sw.SetRow(cell(1, row), vals)
	})
	if err != nil {
		return err
	}
	if row-1 != nrows {
		return fmt.Errorf("sheet %s: %d rows written, %d declared", name, row-1, nrows)
	}
	return sw.Flush()
}

func (x *xlsxWriter) labels(keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = x.lang.T(k)
	}
	return out
}

func (x *xlsxWriter) n(v int) excelize.Cell     { return excelize.Cell{StyleID: x.count, Value: v} }
func (x *xlsxWriter) p(v float64) excelize.Cell { return excelize.Cell{StyleID: x.pct, Value: v} }

// rate is a rate cell: pass over the evaluated subjects, empty when none.
func (x *xlsxWriter) rate(c counts) any {
	if c.evaluated() == 0 {
		return ""
	}
	return x.p(ratio(int(c.Pass), c.evaluated()))
}

func (x *xlsxWriter) summary(r *Report) error {
	lang := x.lang
	col := newCollator() // this rendering's own: see Site
	type block struct {
		t    TargetSummary
		rows []UnitCount
	}
	var blocks []block
	n := 0
	for _, t := range r.Targets {
		units := unitRows(t, targetResults(r, t.ID))
		level := "commune"
		if slices.ContainsFunc(units, func(u UnitCount) bool { return u.Level == "district" }) {
			level = "district"
		}
		var rows []UnitCount
		for _, u := range units {
			if u.Level == level {
				rows = append(rows, u)
			}
		}
		slices.SortStableFunc(rows, func(a, b UnitCount) int { return compareUnitNames(col, a, b) })
		blocks = append(blocks, block{t, rows})
		n += 1 + len(rows)
	}
	header := x.labels("target", "title", "level", "unit", "total", "pass", "fail", "waived", "skipped", "error", "rate")
	widths := []float64{9, 50, 12, 28, 9, 9, 9, 9, 11, 11, 9}
	return x.sheet(lang.T("sheet_summary"), header, widths, n, func(add func([]any) error) error {
		for _, b := range blocks {
			t := b.t
			title := t.Title
			if lang == English && t.TitleEn != "" {
				title = t.TitleEn
			}
			tc := countsOf(t.Counts)
			if err := add([]any{t.ID, title, "", "", x.n(t.Total), x.n(t.Pass), x.n(t.Fail), x.n(t.Waived), x.n(t.Skipped), x.n(t.Error),
				x.rate(tc)}); err != nil {
				return err
			}
			for _, u := range b.rows {
				if err := add([]any{t.ID, "", lang.T("level_" + u.Level), u.Name, x.n(u.Total), x.n(u.Pass), x.n(u.Fail), x.n(u.Waived),
					x.n(u.Skipped), x.n(u.Error), x.rate(countsOf(u.Counts))}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (x *xlsxWriter) findings(r *Report) error {
	lang := x.lang
	names := unitNames(r)
	why := newReasons(lang, r, names)
	n := 0
	for _, fd := range r.Findings {
		n += rowCount(fd)
	}
	header := x.labels("target", "subject_id", "level", "unit", "path", "status", "messages", "finding_key")
	widths := []float64{9, 22, 12, 28, 40, 14, 70, 18}
	return x.sheet(lang.T("sheet_findings"), header, widths, n, func(add func([]any) error) error {
		for _, fd := range r.Findings {
			for _, m := range rowMessages(fd, why) {
				if err := add([]any{fd.Target, fd.Subject, lang.T("level_" + fd.SubjectLevel), fd.SubjectName,
					pathNames(fd.Path, names), lang.T(string(fd.Status)), m, fd.Key}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// units is the per-unit sheet: every unit with a page, in the site's
// order (depth first, children in Vietnamese order), with its path.
func (x *xlsxWriter) units(r *Report) error {
	if len(r.Targets) == 0 {
		return nil
	}
	t := x.tree()
	list := t.pages()
	header := x.labels("path", "level", "unit", "subject_id")
	widths := []float64{45, 12, 28, 22}
	for _, tg := range r.Targets {
		header = append(header, tg.ID)
		widths = append(widths, 9)
	}
	return x.sheet(x.lang.T("sheet_units"), header, widths, len(list), func(add func([]any) error) error {
		for _, n := range list {
			var up []string
			for p := n.parent; p != nil; p = p.parent {
				up = append(up, p.shown())
			}
			slices.Reverse(up)
			kind := ""
			if n != t.root {
				kind = capitalise(cmpOr(n.Kind, x.lang.T("level_"+n.Level)))
			}
			row := []any{strings.Join(up, " › "), kind, n.shown(), n.ID}
			for k := range r.Targets {
				row = append(row, x.rate(n.counts[k]))
			}
			if err := add(row); err != nil {
				return err
			}
		}
		return nil
	})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// models is the models sheet: inventory.models, one row per type and
// status for the whole snapshot, then one per province and district
// (by_unit), each with its improved pairs (TB-07 / TB-08's
// details.improved): the figure leaders ask of the twinning models.
func (x *xlsxWriter) models(r *Report) error {
	var inv struct {
		Models []checker.ModelInventory `json:"models"`
	}
	if len(r.Inventory) > 0 {
		if err := json.Unmarshal(r.Inventory, &inv); err != nil {
			return fmt.Errorf("read inventory: %w", err)
		}
	}
	lang := x.lang
	var t *siteTree
	if len(r.Targets) > 0 {
		t = x.tree()
	}
	nrows := 0
	for _, m := range inv.Models {
		nrows += 1 + len(m.ByUnit)
	}
	header := x.labels("model_type", "status", "unit", "count", "communes_with", "branches_with", "improved_pairs")
	widths := []float64{34, 14, 30, 12, 16, 16, 16}
	return x.sheet(lang.T("models"), header, widths, nrows, func(add func([]any) error) error {
		for _, m := range inv.Models {
			label := lang.T("model_" + m.Type)
			if label == "model_"+m.Type {
				label = m.Type
			}
			status := lang.T("model_status_" + m.Status)
			if status == "model_status_"+m.Status {
				status = m.Status
			}
			if err := add([]any{label, status, lang.T("all_units"), x.n(m.Count), x.n(m.UnitsWith.Commune), x.n(m.UnitsWith.Branch), x.n(m.ImprovedPairs)}); err != nil {
				return err
			}
			for _, u := range m.ByUnit {
				if err := add([]any{label, status, t.unitName(u.UnitID), x.n(u.Count), x.n(u.CommunesWith), x.n(u.BranchesWith), x.n(u.ImprovedPairs)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
