package checker

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// PolicyError is one problem found while loading policies, at a place in a
// .rego file.
type PolicyError struct {
	File    string `json:"file"`
	Row     int    `json:"row"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

// appendNew appends to errs the errors of more at a place (file, row,
// column) that errs does not name yet.
func appendNew(errs, more PolicyErrors) PolicyErrors {
	type place struct {
		file     string
		row, col int
	}
	seen := map[place]bool{}
	for _, e := range errs {
		seen[place{e.File, e.Row, e.Col}] = true
	}
	for _, e := range more {
		if p := (place{e.File, e.Row, e.Col}); !seen[p] {
			seen[p] = true
			errs = append(errs, e)
		}
	}
	return errs
}

func (e PolicyError) Error() string {
	if e.Row == 0 && e.Col == 0 {
		if e.File == "" {
			return e.Message // about a bundle as a whole
		}
		return e.File + ": " + e.Message
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Row, e.Col, e.Message)
}

// PolicyErrors lists every problem found while loading policies, sorted by
// file, row and column. Its Error prints one "file:row:col: message" per line.
type PolicyErrors []PolicyError

func (es PolicyErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es PolicyErrors) sorted() PolicyErrors {
	slices.SortStableFunc(es, func(a, b PolicyError) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Row, b.Row), cmp.Compare(a.Col, b.Col), strings.Compare(a.Message, b.Message))
	})
	// Drop exact duplicates: compiling per scope may report a library problem
	// more than once.
	return slices.Compact(es)
}

func astErrors(file string, err error) PolicyErrors {
	var out PolicyErrors
	add := func(e *ast.Error) {
		pe := PolicyError{File: file, Row: 1, Col: 1, Message: e.Code + ": " + e.Message}
		if name, ok := strings.CutPrefix(e.Message, "undefined function "); ok {
			if why := refusedReason(name); why != "" {
				pe.Message = fmt.Sprintf("%s: %s is not allowed: %s", e.Code, name, why)
			}
		}
		pe.Message += detailHints(e)
		if e.Location != nil {
			// A problem of the whole file (an empty module) has row 0: it
			// points at the file's start.
			pe.Row, pe.Col = e.Location.Row, e.Location.Col
			if pe.Row == 0 {
				pe.Row, pe.Col = 1, 1
			}
			if e.Location.File != "" {
				pe.File = e.Location.File
			}
		}
		if pe.File == "" {
			pe.File = "."
		}
		out = append(out, pe)
	}
	switch e := err.(type) {
	case ast.Errors:
		for _, x := range e {
			add(x)
		}
	case *ast.Error:
		add(e)
	default:
		out = append(out, PolicyError{File: file, Row: 1, Col: 1, Message: err.Error()})
	}
	return out
}

// metadataKeyLoc is the place of a key of the METADATA block a (the first
// of keys found), among the comments of a's module, so that a wrong value
// is reported at its line; the block's start when none is there.
func metadataKeyLoc(a *ast.Annotations, comments []*ast.Comment, keys ...string) *ast.Location {
	for _, key := range keys {
		if loc := commentKeyLoc(comments, a.Location.Row, key); loc != nil {
			return loc
		}
	}
	return a.Location
}

// commentKeyLoc is the place of "key:" in the run of comment lines that
// follows row without a gap (a METADATA block, or a nested map of it); nil
// when the run has no such line.
func commentKeyLoc(comments []*ast.Comment, row int, key string) *ast.Location {
	from := row
	for _, c := range comments {
		if c.Location == nil || c.Location.Row <= from {
			continue
		}
		if c.Location.Row != row+1 {
			break // the block ended
		}
		row = c.Location.Row
		text := string(c.Text)
		trimmed := strings.TrimLeft(text, " \t")
		if strings.HasPrefix(trimmed, key+":") {
			loc := *c.Location
			loc.Col += 1 + len(text) - len(trimmed)
			return &loc
		}
	}
	return nil
}

// detailHints is OPA's hints of an error (have: ..., want (one of):
// [...]) as " (hint; hint)", as `opa check` prints them below the error;
// "" when there are none. The lines that repeat the ref and point at the
// column are left out.
func detailHints(e *ast.Error) string {
	if e.Details == nil {
		return ""
	}
	lines := e.Details.Lines()
	switch e.Details.(type) {
	case *ast.RefErrInvalidDetail, *ast.RefErrUnsupportedDetail:
		if len(lines) < 2 {
			return ""
		}
		lines = lines[2:] // the ref again, and a caret under it
	}
	var out []string
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (" + strings.Join(out, "; ") + ")"
}
