// Cells into column values: each column appends what a cell gives it, or
// returns the error finding of the row.

package loaders

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// text renders a cell as text for string-like columns.
func (l *tableLoader) text(c *column, v cell, row int) (s string, code snapshot.Code, val, msg string) {
	switch v.k {
	case cellString:
		out, changed, ok := cleanText(v.s)
		if !ok {
			return "", snapshot.DQType, v.s, "The text is not valid UTF-8; check the file's encoding in snapshot.yaml."
		}
		if changed && !c.silent {
			c.nfc++
			if c.nfc <= maxNormalisedFindings {
				l.finding(snapshot.DQNormalised, row, c.spec.Name, out, "The text was changed by Unicode (NFC) normalisation.")
			}
		}
		return out, "", "", ""
	case cellBool:
		if v.i != 0 {
			return "true", "", "", ""
		}
		return "false", "", "", ""
	case cellInt:
		return strconv.FormatInt(v.i, 10), "", "", ""
	case cellFloat:
		return strconv.FormatFloat(v.f, 'f', -1, 64), "", "", ""
	case cellDate:
		return formatDate(v.i), "", "", ""
	}
	return "", snapshot.DQType, v.s, "The value is not text."
}

func (c *column) mapAlias(s string) string {
	if c.alias == nil {
		return s
	}
	if v, ok := c.alias[s]; ok {
		return v
	}
	if v, ok := c.alias[strings.ToLower(s)]; ok {
		return v
	}
	return s
}

func enumMsg(c *column) string {
	return fmt.Sprintf("The value is not one of %s (after aliases).", strings.Join(snapshot.EnumValues(c.spec.Enum), ", "))
}

func requiredMsg(name string) string {
	return fmt.Sprintf("The required value %s is empty.", name)
}

// blank says whether s is empty once trimmed (an empty cell).
func blank(s string) bool {
	if s != "" && s[0] > ' ' && s[0] < utf8.RuneSelf {
		return false
	}
	return strings.TrimSpace(s) == ""
}

// setter appends a non-empty cell to a column, or nothing when it returns
// an error code (the row's finding). newColumn chooses one per column from
// its kind, so that no cell goes through a switch on the kind.
type setter func(l *tableLoader, c *column, v cell, row int) (code snapshot.Code, val, msg string)

// nullRule says what an empty cell gives a column.
type nullRule uint8

const (
	nullAppend   nullRule = iota // a null
	nullRequired                 // an error finding: the value is required
	nullFalse                    // false: members.needs, nothing recorded
	nullTrue                     // true: units.active defaults to true
	nullActive                   // "active": models.status defaults to active
)

// add appends v to c. A non-empty code is an error finding for the row; the
// column then gets a null.
func (l *tableLoader) add(c *column, v cell, row int) (code snapshot.Code, val, msg string) {
	if v.k == cellString && blank(v.s) {
		v = cell{}
	}
	if v.k == cellNull {
		code, val, msg = c.addNull()
	} else {
		code, val, msg = c.set(l, c, v, row)
	}
	if code != "" {
		c.b.AppendNull()
	}
	return code, val, msg
}

// addNull appends what an empty cell gives c, or nothing when the value is
// required.
func (c *column) addNull() (snapshot.Code, string, string) {
	switch c.null {
	case nullRequired:
		return snapshot.DQType, "", requiredMsg(c.spec.Name)
	case nullFalse, nullTrue:
		c.b.(*array.BooleanBuilder).Append(c.null == nullTrue)
	case nullActive:
		c.appendText("active")
	default:
		c.b.AppendNull()
	}
	return "", "", ""
}

// appendText appends s to a text column, as a dictionary index when the
// column is a dictionary (snapshot.Schema).
func (c *column) appendText(s string) {
	if c.dict != nil {
		c.b.(*array.Int32Builder).Append(c.dict.index(s))
	} else {
		c.b.(*array.StringBuilder).Append(s)
	}
}

// setNeeds records that members.needs holds something (never the text).
func setNeeds(_ *tableLoader, c *column, _ cell, _ int) (snapshot.Code, string, string) {
	c.b.(*array.BooleanBuilder).Append(true)
	return "", "", ""
}

// setText appends text and enum values, after aliases.
func setText(l *tableLoader, c *column, v cell, row int) (snapshot.Code, string, string) {
	s, code, val, msg := l.text(c, v, row)
	if code != "" {
		return code, val, msg
	}
	orig := s // the file's text, quoted when the enum check fails
	s = c.mapAlias(s)
	if s == "" {
		if c.spec.Required {
			return snapshot.DQType, "", requiredMsg(c.spec.Name)
		}
		c.b.AppendNull()
		return "", "", ""
	}
	if c.enum != nil {
		canon, ok := c.enum[strings.ToLower(s)]
		if !ok {
			return snapshot.DQEnum, orig, enumMsg(c)
		}
		s = canon
	}
	c.appendText(s)
	return "", "", ""
}

const notBool = "The value is not a yes/no value (true/false, 1/0, yes/no, x, có/không)."

func setBool(_ *tableLoader, c *column, v cell, _ int) (snapshot.Code, string, string) {
	b := c.b.(*array.BooleanBuilder)
	switch v.k {
	case cellBool:
		b.Append(v.i != 0)
		return "", "", ""
	case cellInt:
		if v.i == 0 || v.i == 1 {
			b.Append(v.i == 1)
			return "", "", ""
		}
		return snapshot.DQType, strconv.FormatInt(v.i, 10), notBool
	case cellString:
		s, _, _ := cleanText(v.s)
		if x, ok := parseBool(s); ok {
			b.Append(x)
			return "", "", ""
		}
		return snapshot.DQType, s, notBool
	}
	return snapshot.DQType, v.s, notBool
}

const notDate = "The value is not a date written YYYY-MM-DD or DD/MM/YYYY."

func setDate(l *tableLoader, c *column, v cell, _ int) (snapshot.Code, string, string) {
	b := c.b.(*array.Date32Builder)
	switch v.k {
	case cellDate:
		b.Append(arrow.Date32(v.i))
		return "", "", ""
	case cellString:
		s, _, _ := cleanText(v.s)
		if d, ok := parseDate(s); ok {
			b.Append(arrow.Date32(d))
			return "", "", ""
		}
		if l.xlsx {
			if d, ok := parseSerial(s); ok {
				b.Append(arrow.Date32(d))
				return "", "", ""
			}
		}
		return snapshot.DQType, s, notDate
	}
	return snapshot.DQType, cellString2(v), notDate
}

const notMonth = "The value is not a month written YYYY-MM."

func setMonth(l *tableLoader, c *column, v cell, _ int) (snapshot.Code, string, string) {
	switch v.k {
	case cellDate:
		c.appendText(formatDate(v.i)[:7])
		return "", "", ""
	case cellString:
		s, _, _ := cleanText(v.s)
		if parseMonth(s) {
			c.appendText(s)
			return "", "", ""
		}
		if l.xlsx {
			if d, ok := parseSerial(s); ok {
				c.appendText(formatDate(int64(d))[:7])
				return "", "", ""
			}
		}
		return snapshot.DQType, s, notMonth
	}
	return snapshot.DQType, cellString2(v), notMonth
}

const notWhole = "The value is not a whole number."

// wholeNumber reads v as a whole number (in an XLSX file, also one written
// as a float without a fraction).
func (l *tableLoader) wholeNumber(v cell) (n int64, code snapshot.Code, val, msg string) {
	switch v.k {
	case cellInt:
		return v.i, "", "", ""
	case cellFloat:
		if v.f != math.Trunc(v.f) || math.Abs(v.f) > 1<<53 {
			return 0, snapshot.DQType, cellString2(v), notWhole
		}
		return int64(v.f), "", "", ""
	case cellString:
		s, _, _ := cleanText(v.s)
		x, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			if !l.xlsx || ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return 0, snapshot.DQType, s, notWhole
			}
			x = int64(f)
		}
		return x, "", "", ""
	}
	return 0, snapshot.DQType, cellString2(v), notWhole
}

func setInt(l *tableLoader, c *column, v cell, _ int) (snapshot.Code, string, string) {
	n, code, val, msg := l.wholeNumber(v)
	if code != "" {
		return code, val, msg
	}
	c.b.(*array.Int64Builder).Append(n)
	return "", "", ""
}

// setAttendees is setInt for activities.attendees, which cannot be negative.
func setAttendees(l *tableLoader, c *column, v cell, _ int) (snapshot.Code, string, string) {
	n, code, val, msg := l.wholeNumber(v)
	if code != "" {
		return code, val, msg
	}
	if n < 0 {
		return snapshot.DQType, strconv.FormatInt(n, 10), "The number of attendees cannot be negative."
	}
	c.b.(*array.Int64Builder).Append(n)
	return "", "", ""
}

const notNumber = "The value is not a number."

// number reads v as a finite number; text may have a decimal comma.
func number(v cell) (f float64, code snapshot.Code, val, msg string) {
	switch v.k {
	case cellInt:
		return float64(v.i), "", "", ""
	case cellFloat:
		return v.f, "", "", ""
	case cellString:
		s, _, _ := cleanText(v.s)
		x, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, snapshot.DQType, s, notNumber
		}
		return x, "", "", ""
	}
	return 0, snapshot.DQType, cellString2(v), notNumber
}

func setFloat(_ *tableLoader, c *column, v cell, _ int) (snapshot.Code, string, string) {
	f, code, val, msg := number(v)
	if code != "" {
		return code, val, msg
	}
	c.b.(*array.Float64Builder).Append(f)
	return "", "", ""
}

// setScore is setFloat for ratings.score, between 0 and 100.
func setScore(_ *tableLoader, c *column, v cell, _ int) (snapshot.Code, string, string) {
	f, code, val, msg := number(v)
	if code != "" {
		return code, val, msg
	}
	if f < 0 || f > 100 {
		return snapshot.DQType, strconv.FormatFloat(f, 'f', -1, 64), "The score must be between 0 and 100."
	}
	c.b.(*array.Float64Builder).Append(f)
	return "", "", ""
}

// setList appends a ";"-separated list, each item after aliases (and
// checked against the enum, if any); no item is a null.
func setList(l *tableLoader, c *column, v cell, row int) (snapshot.Code, string, string) {
	s, code, val, msg := l.text(c, v, row)
	if code != "" {
		return code, val, msg
	}
	var items []string
	for _, item := range strings.Split(s, ";") {
		item = strings.TrimSpace(item)
		p := c.mapAlias(item)
		if p == "" {
			continue
		}
		if c.enum != nil {
			canon, ok := c.enum[strings.ToLower(p)]
			if !ok {
				return snapshot.DQEnum, item, enumMsg(c)
			}
			p = canon
		}
		items = append(items, p)
	}
	b := c.b.(*array.ListBuilder)
	if len(items) == 0 {
		b.AppendNull()
		return "", "", ""
	}
	b.Append(true)
	vb := b.ValueBuilder().(*array.StringBuilder)
	for _, it := range items {
		vb.Append(it)
	}
	return "", "", ""
}

func setUnknown(_ *tableLoader, _ *column, v cell, _ int) (snapshot.Code, string, string) {
	return snapshot.DQType, cellString2(v), "The column has an unknown type."
}

// setterOf chooses the setter of a column of table t.
func setterOf(t snapshot.Table, spec snapshot.ColumnSpec) setter {
	switch {
	case t == snapshot.Members && spec.Name == "needs":
		return setNeeds
	case t == snapshot.Activities && spec.Name == "attendees" && spec.Kind == snapshot.KindInt:
		return setAttendees
	case t == snapshot.Ratings && spec.Name == "score" && spec.Kind == snapshot.KindFloat:
		return setScore
	}
	switch spec.Kind {
	case snapshot.KindString, snapshot.KindEnum:
		return setText
	case snapshot.KindBool:
		return setBool
	case snapshot.KindDate:
		return setDate
	case snapshot.KindMonth:
		return setMonth
	case snapshot.KindInt:
		return setInt
	case snapshot.KindFloat:
		return setFloat
	case snapshot.KindList:
		return setList
	}
	return setUnknown
}

// nullRuleOf chooses what an empty cell gives a column of table t.
func nullRuleOf(t snapshot.Table, spec snapshot.ColumnSpec) nullRule {
	switch {
	case t == snapshot.Members && spec.Name == "needs":
		return nullFalse
	case spec.Required:
		return nullRequired
	case t == snapshot.Units && spec.Name == "active":
		return nullTrue
	case t == snapshot.Models && spec.Name == "status":
		return nullActive
	}
	return nullAppend
}

func cellString2(v cell) string {
	switch v.k {
	case cellBool:
		if v.i != 0 {
			return "true"
		}
		return "false"
	case cellInt:
		return strconv.FormatInt(v.i, 10)
	case cellFloat:
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case cellDate:
		return formatDate(v.i)
	}
	return v.s
}
