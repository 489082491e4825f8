package loaders

import (
	"fmt"
	"strings"

	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
)

// ErrCredentials is returned (wrapped) when no Cloud Storage client can be
// made for a gs:// snapshot (no credentials found, an unreadable key file):
// a setting to fix, not a fault of the data nor one to retry. It is
// storage.ErrCredentials.
var ErrCredentials = storage.ErrCredentials

// ErrBadURL is returned (wrapped) for a gs:// snapshot URL without a
// bucket or whose prefix has "..", "." or empty elements: a setting to fix.
// It is storage.ErrBadURL.
var ErrBadURL = storage.ErrBadURL

// FatalError reports DQ001 findings: the snapshot cannot be used at all (the
// manifest is missing or invalid, a required table or column is missing, a
// file cannot be read). Nothing must be published. Err, when set, is the
// underlying cause (often a ParseError or an I/O error) and is returned by
// Unwrap.
type FatalError struct {
	Findings []snapshot.Finding
	Err      error
}

func (e *FatalError) Error() string {
	if len(e.Findings) == 0 {
		return "snapshot unusable"
	}
	msgs := make([]string, 0, len(e.Findings))
	for _, f := range e.Findings {
		msgs = append(msgs, f.Error())
	}
	return "snapshot unusable: " + strings.Join(msgs, "; ")
}

// Unwrap returns the cause, if any.
func (e *FatalError) Unwrap() error { return e.Err }

// TooManyBadRowsError says that a table has more excluded rows than the
// limit allows (--max-bad-rows). Nothing must be published.
type TooManyBadRowsError struct {
	Table    snapshot.Table
	Excluded int // rows excluded because of their own error findings
	Rows     int // data rows read
	Limit    Limit
	// Stopped says that the table's file was not read to its end: Excluded
	// rows of the first Rows were already more than the limit can allow
	// whatever the rest of the file holds (for a share, even if every row
	// still to come were good and as short as a row can be).
	Stopped bool
	// Findings are the data-quality findings of the snapshot, for the log
	// (at most maxListedFindings per code and column of a table, then a
	// count).
	Findings []snapshot.Finding
}

func (e *TooManyBadRowsError) Error() string {
	if e.Stopped {
		return fmt.Sprintf("table %s: %d of the first %d rows excluded, more than the limit of %s allows whatever the rest of the file holds (reading stopped there)", e.Table, e.Excluded, e.Rows, e.Limit)
	}
	return fmt.Sprintf("table %s: %d of %d rows excluded, more than the limit of %s", e.Table, e.Excluded, e.Rows, e.Limit)
}

// ParseError is a located error of a parser, like encoding/csv.ParseError.
// Row is the 1-based physical line of a CSV/TSV/NDJSON file, the 1-based
// sheet row of an XLSX file, or the 1-based record of a Parquet file; 0 when
// unknown. Column is 1-based (a byte offset in the line for text formats, the
// field index otherwise); 0 when unknown.
type ParseError struct {
	File   string
	Row    int
	Column int
	Err    error
}

func (e *ParseError) Error() string {
	switch {
	case e.Row > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Row, e.Column, e.Err)
	case e.Row > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Row, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }
