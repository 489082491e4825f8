package report

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// This file writes report.json by hand, field by field, instead of with
// encoding/json's reflection: at national scale the report holds hundreds
// of thousands of findings, and reflection (plus the copy of the whole
// document from the encoder's buffer into ours) was most of its cost.
//
// The bytes are the ones encoding/json gives for the same *Report with
// SetEscapeHTML(false), newline included: struct fields in declaration
// order under their tag names, nil slices and maps as null, map keys
// sorted, strings escaped as appendString in encoding/json escapes them
// (control characters, invalid UTF-8 as \ufffd, U+2028 and U+2029).
// TestJSONMatchesEncodingJSON, FuzzJSONMatchesEncodingJSON and FuzzParse
// compare the two. A field added to one of these types must be added here
// too: TestJSONMatchesEncodingJSON fails until it is, as long as the field
// shows in its reports (an omitempty field needs a value in oddReport).
// Values of other types inside violation details (anything but strings,
// booleans, float64, int, int64, json.Number, nil, maps and lists) are
// handed to encoding/json itself.

// appendReport appends report.json (without the final newline) to b.
func appendReport(b []byte, r *Report) ([]byte, error) {
	var err error
	b = append(b, `{"apiVersion":`...)
	b = appendString(b, r.APIVersion)
	b = append(b, `,"kind":`...)
	b = appendString(b, r.Kind)
	b = append(b, `,"run":`...)
	b = appendRun(b, &r.Run)
	b = append(b, `,"summary":`...)
	b = appendSummary(b, &r.Summary)
	b = append(b, `,"targets":`...)
	b = appendList(b, r.Targets, appendTarget)
	b = append(b, `,"findings":`...)
	if r.Findings == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Findings {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendFinding(b, &r.Findings[i]); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"inventory":`...)
	if b, err = appendRaw(b, r.Inventory); err != nil {
		return nil, err
	}
	b = append(b, `,"data_quality":`...)
	b = appendList(b, r.DataQuality, appendDQ)
	b = append(b, `,"waivers":{"applied":`...)
	b = strconv.AppendInt(b, int64(r.Waivers.Applied), 10)
	b = append(b, `,"expired":`...)
	b = appendList(b, r.Waivers.Expired, appendWaiver)
	b = append(b, `,"unused":`...)
	b = appendList(b, r.Waivers.Unused, appendWaiver)
	b = append(b, '}')
	if r.Delta != nil {
		b = append(b, `,"delta":`...)
		b = appendDelta(b, r.Delta)
	}
	return append(b, '}'), nil
}

// appendList appends a JSON array of xs, each element by f; nil is null.
func appendList[T any](b []byte, xs []T, f func([]byte, *T) []byte) []byte {
	if xs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = f(b, &xs[i])
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendInt appends name (the punctuation and quoted key before the
// value, e.g. `,"total":`) and n.
func appendInt(b []byte, name string, n int) []byte {
	b = append(b, name...)
	return strconv.AppendInt(b, int64(n), 10)
}

func appendRun(b []byte, r *Run) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"started_at":`...)
	b = appendString(b, r.StartedAt)
	b = append(b, `,"finished_at":`...)
	b = appendString(b, r.FinishedAt)
	b = append(b, `,"tool_version":`...)
	b = appendString(b, r.ToolVersion)
	b = append(b, `,"opa_version":`...)
	b = appendString(b, r.OPAVersion)
	b = append(b, `,"snapshot":{"name":`...)
	b = appendString(b, r.Snapshot.Name)
	b = append(b, `,"title":`...)
	b = appendString(b, r.Snapshot.Title)
	b = append(b, `,"as_of":`...)
	b = appendString(b, r.Snapshot.AsOf)
	b = append(b, `,"sha256":`...)
	b = appendString(b, r.Snapshot.SHA256)
	b = append(b, `},"policies":{"sha256":`...)
	b = appendString(b, r.Policies.SHA256)
	b = appendInt(b, `,"targets":`, r.Policies.Targets)
	b = appendInt(b, `},"shards":{"count":`, r.Shards.Count)
	return append(b, "}}"...)
}

func appendSummary(b []byte, s *Summary) []byte {
	b = appendInt(b, `{"subjects":`, s.Subjects)
	b = appendInt(b, `,"pass":`, s.Pass)
	b = appendInt(b, `,"fail":`, s.Fail)
	b = appendInt(b, `,"waived":`, s.Waived)
	b = appendInt(b, `,"skipped":`, s.Skipped)
	b = appendInt(b, `,"error":`, s.Error)
	b = appendInt(b, `,"not_evaluated":`, s.NotEvaluated)
	b = appendInt(b, `,"data_quality":{"fatal":`, s.DataQuality.Fatal)
	b = appendInt(b, `,"error":`, s.DataQuality.Error)
	b = appendInt(b, `,"warning":`, s.DataQuality.Warning)
	return append(b, "}}"...)
}

func appendTarget(b []byte, t *TargetSummary) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, t.ID)
	b = append(b, `,"package":`...)
	b = appendString(b, t.Package)
	b = append(b, `,"title":`...)
	b = appendString(b, t.Title)
	b = append(b, `,"title_en":`...)
	b = appendString(b, t.TitleEn)
	b = append(b, `,"description":`...)
	b = appendString(b, t.Description)
	b = append(b, `,"scope":`...)
	b = appendString(b, t.Scope)
	b = append(b, `,"model_type":`...)
	b = appendString(b, t.ModelType)
	b = append(b, `,"severity":`...)
	b = appendString(b, t.Severity)
	b = appendInt(b, `,"total":`, t.Total)
	b = appendInt(b, `,"pass":`, t.Pass)
	b = appendInt(b, `,"fail":`, t.Fail)
	b = appendInt(b, `,"waived":`, t.Waived)
	b = appendInt(b, `,"skipped":`, t.Skipped)
	b = appendInt(b, `,"error":`, t.Error)
	b = append(b, `,"by_unit":`...)
	b = appendList(b, t.ByUnit, appendUnitCount)
	return append(b, '}')
}

func appendUnitCount(b []byte, u *UnitCount) []byte {
	b = append(b, `{"unit_id":`...)
	b = appendString(b, u.UnitID)
	b = append(b, `,"level":`...)
	b = appendString(b, u.Level)
	b = append(b, `,"name":`...)
	b = appendString(b, u.Name)
	b = appendInt(b, `,"total":`, u.Total)
	b = appendInt(b, `,"pass":`, u.Pass)
	b = appendInt(b, `,"fail":`, u.Fail)
	b = appendInt(b, `,"waived":`, u.Waived)
	b = appendInt(b, `,"skipped":`, u.Skipped)
	b = appendInt(b, `,"error":`, u.Error)
	return append(b, '}')
}

func appendFinding(b []byte, f *Finding) ([]byte, error) {
	var err error
	b = append(b, `{"target":`...)
	b = appendString(b, f.Target)
	b = append(b, `,"subject":`...)
	b = appendString(b, f.Subject)
	b = append(b, `,"subject_level":`...)
	b = appendString(b, f.SubjectLevel)
	b = append(b, `,"subject_name":`...)
	b = appendString(b, f.SubjectName)
	b = append(b, `,"path":`...)
	b = appendStrings(b, f.Path)
	b = append(b, `,"status":`...)
	b = appendString(b, string(f.Status))
	b = append(b, `,"violations":`...)
	if b, err = appendViolations(b, f.Violations); err != nil {
		return nil, err
	}
	b = append(b, `,"warnings":`...)
	if b, err = appendViolations(b, f.Warnings); err != nil {
		return nil, err
	}
	b = append(b, `,"waiver":`...)
	if f.Waiver == nil {
		b = append(b, "null"...)
	} else {
		b = appendWaiver(b, f.Waiver)
	}
	b = append(b, `,"error":`...)
	if f.Error == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *f.Error)
	}
	b = append(b, `,"key":`...)
	b = appendString(b, f.Key)
	return append(b, '}'), nil
}

func appendViolations(b []byte, vs []checker.Violation) ([]byte, error) {
	if vs == nil {
		return append(b, "null"...), nil
	}
	var err error
	b = append(b, '[')
	for i := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"msg":`...)
		b = appendString(b, vs[i].Msg)
		b = append(b, `,"refs":`...)
		b = appendStrings(b, vs[i].Refs)
		b = append(b, `,"details":`...)
		if b, err = appendObject(b, vs[i].Details); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

func appendWaiver(b []byte, w *checker.Waiver) []byte {
	b = append(b, `{"target":`...)
	b = appendString(b, w.Target)
	b = append(b, `,"unit":`...)
	b = appendString(b, w.Unit)
	b = append(b, `,"reason":`...)
	b = appendString(b, w.Reason)
	b = append(b, `,"expires":`...)
	b = appendString(b, w.Expires)
	b = append(b, `,"approved_by":`...)
	b = appendString(b, w.ApprovedBy)
	return append(b, '}')
}

func appendDQ(b []byte, f *snapshot.Finding) []byte {
	b = append(b, `{"code":`...)
	b = appendString(b, string(f.Code))
	b = append(b, `,"severity":`...)
	b = appendString(b, string(f.Severity))
	b = append(b, `,"table":`...)
	b = appendString(b, string(f.Table))
	b = append(b, `,"file":`...)
	b = appendString(b, f.File)
	b = appendInt(b, `,"row":`, f.Row)
	b = append(b, `,"column":`...)
	b = appendString(b, f.Column)
	b = append(b, `,"value":`...)
	b = appendString(b, f.Value)
	b = append(b, `,"message":`...)
	b = appendString(b, f.Message)
	return append(b, '}')
}

func appendDelta(b []byte, d *DeltaSection) []byte {
	b = append(b, `{"previous_run":`...)
	b = appendString(b, d.PreviousRun)
	b = append(b, `,"previous_as_of":`...)
	b = appendString(b, d.PreviousAsOf)
	b = append(b, `,"policies_changed":`...)
	b = strconv.AppendBool(b, d.PoliciesChanged)
	b = append(b, `,"new":`...)
	b = appendList(b, d.New, appendDeltaFinding)
	b = append(b, `,"resolved":`...)
	b = appendList(b, d.Resolved, appendDeltaFinding)
	b = append(b, `,"by_target":`...)
	b = appendList(b, d.ByTarget, func(b []byte, t *DeltaTarget) []byte {
		b = append(b, `{"id":`...)
		b = appendString(b, t.ID)
		b = appendInt(b, `,"pass_before":`, t.PassBefore)
		b = appendInt(b, `,"pass_now":`, t.PassNow)
		return append(b, '}')
	})
	return append(b, '}')
}

func appendDeltaFinding(b []byte, f *DeltaFinding) []byte {
	b = append(b, `{"key":`...)
	b = appendString(b, f.Key)
	b = append(b, `,"target":`...)
	b = appendString(b, f.Target)
	b = append(b, `,"subject":`...)
	b = appendString(b, f.Subject)
	return append(b, '}')
}

// appendRaw appends a json.RawMessage as encoding/json does: compacted,
// null when nil, an error when it is not valid JSON.
func appendRaw(b []byte, raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return append(b, "null"...), nil
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appendObject appends a map with its keys sorted; nil is null.
func appendObject(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var stack [16]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var err error
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if b, err = appendAny(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendAny appends a JSON-like value: the types OPA's results decode to
// are written here, any other through encoding/json.
func appendAny(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case json.Number:
		s := string(x)
		if s == "" {
			s = "0"
		}
		if isValidNumber(s) {
			return append(b, s...), nil
		}
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return appendFloat(b, x), nil
		}
	case map[string]any:
		return appendObject(b, x)
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		var err error
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendAny(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	// Anything else, and the values encoding/json refuses (NaN, an
	// invalid json.Number), go to encoding/json: same bytes, same errors.
	raw, err := marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// appendFloat formats a float64 as encoding/json does (ES6 number
// formatting: exponent form below 1e-6 and from 1e21 on).
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// isValidNumber reports whether s is a JSON number (RFC 8259), the check
// encoding/json makes on a json.Number.
func isValidNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	default:
		return false
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it with SetEscapeHTML(false): quote, backslash and control
// characters (\b \f \n \r \t or \u00XX), invalid UTF-8 as \ufffd, and
// U+2028 and U+2029; <, > and & stay as they are.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
