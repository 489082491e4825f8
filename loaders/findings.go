// Data-quality findings of a table: listed up to a cap per code and column,
// the rest summed up; their order in the snapshot.

package loaders

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// maxNormalisedFindings caps the DQ008 findings listed per column; the rest
// is summed up in one finding with row 0.
const maxNormalisedFindings = 100

// maxListedFindings caps the findings of one code listed per column of a
// table (per table for DQ009, whose column is the ignored one): the rest
// are counted and summed up in one finding with row 0, so that a file whose
// every row is wrong costs a count, not a finding per row.
const maxListedFindings = 100

type findingKey struct {
	code   snapshot.Code
	column string
}

// add lists f, or only counts it once maxListedFindings of its code and
// column are listed.
func (t *rawTable) add(f snapshot.Finding) {
	if t.listed == nil {
		t.findings = append(t.findings, f)
		return
	}
	k := findingKey{f.Code, f.Column}
	if f.Code == snapshot.DQIgnored {
		k.column = ""
	}
	if t.listed[k] >= maxListedFindings {
		t.unlisted[k]++
		return
	}
	t.listed[k]++
	t.findings = append(t.findings, f)
}

// summariseUnlisted adds one finding (row 0) per code and column whose
// findings were not all listed, saying how many were left out.
func (t *rawTable) summariseUnlisted() {
	t.findings = append(t.findings, t.unlistedFindings(t.unlisted)...)
	clear(t.unlisted)
}

// unlistedFindings are the findings that count the findings of unlisted
// (code and column -> how many) that are not listed one by one.
func (t *rawTable) unlistedFindings(unlisted map[findingKey]int) []snapshot.Finding {
	keys := slices.SortedFunc(maps.Keys(unlisted), func(a, b findingKey) int {
		return cmp.Or(cmp.Compare(a.code, b.code), cmp.Compare(a.column, b.column))
	})
	var out []snapshot.Finding
	for _, k := range keys {
		msg := fmt.Sprintf("%d more %s findings of this column are not listed one by one (the first %d are).", unlisted[k], k.code, maxListedFindings)
		if k.code == snapshot.DQIgnored {
			msg = fmt.Sprintf("%d more columns of this file are not part of the snapshot format and were not loaded; they are not listed one by one.", unlisted[k])
		}
		out = append(out, snapshot.Finding{Code: k.code, Severity: snapshot.SeverityOf(k.code), Table: t.table,
			File: t.file, Column: k.column, Message: msg})
	}
	return out
}

func (l *tableLoader) finding(code snapshot.Code, row int, column, value, msg string) {
	l.out.add(l.newFinding(code, row, column, value, msg))
}

func (l *tableLoader) newFinding(code snapshot.Code, row int, column, value, msg string) snapshot.Finding {
	return snapshot.Finding{Code: code, Severity: snapshot.SeverityOf(code),
		Table: l.t, File: l.file, Row: row, Column: column, Value: strings.Clone(quote(l.t, value)), Message: msg}
}

func (l *tableLoader) summarise() {
	for _, c := range l.cols {
		if c.nfc > maxNormalisedFindings {
			l.finding(snapshot.DQNormalised, 0, c.spec.Name, "", fmt.Sprintf("%d more values of this column were changed by Unicode (NFC) normalisation; they are not listed one by one.", c.nfc-maxNormalisedFindings))
		}
	}
}

func (l *tableLoader) ignore(name string, row int) {
	if name == "" {
		return
	}
	l.out.ignored = append(l.out.ignored, name)
	l.finding(snapshot.DQIgnored, row, name, "", "This column is not part of the snapshot format; it was not loaded.")
}

// stoppedEarly returns the *TooManyBadRowsError of a load in which a table
// stopped reading early (nil when none did): that of the first table in
// table order that stopped or is over the limit by its own excluded rows
// (the checks across tables do not count: the tables that stopped are not
// whole). Its Findings are those of every table read, as for a load that
// read every file to its end: what each read left (readState), without
// what the checks across tables, run meanwhile, added.
func stoppedEarly(reads []*tableRead, raws map[snapshot.Table]*rawTable, limit Limit, findings []snapshot.Finding) error {
	var first *TooManyBadRowsError
	for _, r := range reads {
		if r.stopped != nil && first == nil {
			first = r.stopped
		}
	}
	if first == nil {
		return nil
	}
	first = nil
	for _, r := range reads {
		if r.stopped != nil {
			findings = append(findings, r.stopped.Findings...)
			if first == nil {
				first = r.stopped
			}
			continue
		}
		raw := raws[r.t]
		if raw == nil {
			continue
		}
		// What the read left, before the checks across tables added to it.
		findings = append(findings, raw.findings[:r.read.findings]...)
		findings = append(findings, raw.unlistedFindings(r.read.unlisted)...)
		excluded := r.read.excluded
		if first == nil && limit.Exceeded(excluded, raw.rows.len()) {
			first = &TooManyBadRowsError{Table: r.t, Excluded: excluded, Rows: raw.rows.len(), Limit: limit}
		}
	}
	sortFindings(findings)
	first.Findings = findings
	return first
}

// sortFindings orders findings by table (in snapshot.Tables order), file,
// row, column, code, value and message.
func sortFindings(fs []snapshot.Finding) {
	order := make(map[snapshot.Table]int, len(snapshot.Tables()))
	for i, t := range snapshot.Tables() {
		order[t] = i + 1
	}
	slices.SortStableFunc(fs, func(a, b snapshot.Finding) int {
		return cmp.Or(cmp.Compare(order[a.Table], order[b.Table]), strings.Compare(a.File, b.File), cmp.Compare(a.Row, b.Row),
			strings.Compare(a.Column, b.Column), cmp.Compare(a.Code, b.Code), strings.Compare(a.Value, b.Value),
			strings.Compare(a.Message, b.Message))
	})
}
