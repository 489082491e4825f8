package report

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// The data quality of the snapshot on the site: the counts and the table of
// codes on the root page, and the page of a run stopped by data quality,
// which lists the findings one by one.

// dqLine is one finding listed on the page of a stopped run.
type dqLine struct{ Code, Severity, Table, Where, Message string }

// dqSections are the counts by severity and the rows by code and table.
func dqSections(r *Report, lang Lang) ([]kv, []dqRow) {
	dq := r.Summary.DataQuality
	head := []kv{{lang.T("dq_fatal"), lang.Int(dq.Fatal), "bad"}, {lang.T("dq_error"), lang.Int(dq.Error), "bad"},
		{lang.T("dq_warning"), lang.Int(dq.Warning), "mid"}}
	type dqKey struct {
		code snapshot.Code
		sev  snapshot.Severity
		tab  snapshot.Table
	}
	cnt := map[dqKey]int{}
	for _, f := range r.DataQuality {
		cnt[dqKey{f.Code, f.Severity, f.Table}]++
	}
	keys := slices.SortedFunc(maps.Keys(cnt), func(a, b dqKey) int { return cmp.Or(cmp.Compare(a.code, b.code), cmp.Compare(a.tab, b.tab)) })
	var rows []dqRow
	for _, k := range keys {
		rows = append(rows, dqRow{string(k.code) + " – " + lang.T("dq_"+string(k.code)), lang.T("dq_" + string(k.sev)),
			lang.TableName(k.tab), lang.Int(cnt[k])})
	}
	return head, rows
}

// DQListMax caps the data-quality findings listed one by one on the page
// of a stopped run; report.json holds them all.
const DQListMax = 1000

// stoppedPage is report.html of a run stopped by data quality: why, and
// the data-quality findings one by one, for the people who prepare the
// export.
func stoppedPage(r *Report, lang Lang) ([]byte, error) {
	v := pageView{
		L: lang, Title: lang.T("doc_title"), Unit: cmp.Or(r.Run.Snapshot.Title, r.Run.Snapshot.Name),
		Province: cmp.Or(r.Run.Snapshot.Title, r.Run.Snapshot.Name), AsOf: lang.Date(r.Run.Snapshot.AsOf),
		RunTime: lang.DateTimeIn(r.Run.FinishedAt, r.Location), RunID: r.Run.ID, Root: true, Stopped: true,
	}
	v.DQ, v.DQRows = dqSections(r, lang)
	for i, f := range r.DataQuality {
		if i == DQListMax {
			v.DQList = append(v.DQList, dqLine{Message: fmt.Sprintf(lang.T("dq_more"), lang.Int(len(r.DataQuality)-i))})
			break
		}
		where := lang.TableName(f.Table)
		if f.File != "" {
			where += " · " + f.File
		}
		if f.Row > 0 {
			where += " · " + strings.ToLower(lang.T("dq_row")) + " " + strconv.Itoa(f.Row)
		}
		if f.Column != "" {
			where += " · " + lang.T("dq_column") + " " + f.Column
		}
		msg := lang.T("dq_" + string(f.Code))
		if f.Value != "" {
			msg += " · " + lang.T("dq_value") + ": " + f.Value
		}
		if f.Message != "" {
			msg += " (" + f.Message + ")"
		}
		v.DQList = append(v.DQList, dqLine{Code: string(f.Code), Severity: lang.T("dq_" + string(f.Severity)), Where: where, Message: msg})
	}
	var buf bytes.Buffer
	if err := siteTemplate.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("render %s: %w", HTMLName, err)
	}
	return buf.Bytes(), nil
}
