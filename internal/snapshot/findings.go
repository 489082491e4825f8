package snapshot

import "fmt"

// Code is a data-quality code of docs/snapshot-format.md.
type Code string

// The data-quality codes.
const (
	DQManifest   Code = "DQ001" // fatal: manifest, required table or column missing, unreadable file
	DQDuplicate  Code = "DQ002" // error: duplicate id
	DQUnknownRef Code = "DQ003" // error: reference to an unknown unit, model, cadre or member
	DQCycle      Code = "DQ004" // error: cycle in the unit hierarchy
	DQNesting    Code = "DQ005" // error: level nesting broken
	DQEnum       Code = "DQ006" // error: value not in the enum
	DQType       Code = "DQ007" // error: value not parseable as its type
	DQNormalised Code = "DQ008" // warning: text changed by NFC normalisation
	DQIgnored    Code = "DQ009" // warning: column ignored
	DQFieldCount Code = "DQ010" // error: wrong number of fields
)

// Severity of a finding.
type Severity string

// The severities.
const (
	SeverityFatal   Severity = "fatal"
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// SeverityOf returns the severity the spec gives a code.
func SeverityOf(c Code) Severity {
	switch c {
	case DQManifest:
		return SeverityFatal
	case DQNormalised, DQIgnored:
		return SeverityWarning
	}
	return SeverityError
}

// Finding is one data-quality problem. Row is the 1-based line of a CSV/TSV
// file (header = 1), or the 1-based record / sheet row index of other
// formats; 0 when the finding is about the whole file or table.
type Finding struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Table    Table    `json:"table"`
	File     string   `json:"file"`
	Row      int      `json:"row"`
	Column   string   `json:"column"`
	Value    string   `json:"value"`
	Message  string   `json:"message"`
}

// Error lets a fatal finding travel as an error.
func (f Finding) Error() string {
	loc := f.File
	if f.Row > 0 {
		loc = fmt.Sprintf("%s:%d", loc, f.Row)
	}
	if f.Column != "" {
		loc += " column " + f.Column
	}
	return fmt.Sprintf("%s %s: %s", f.Code, loc, f.Message)
}
