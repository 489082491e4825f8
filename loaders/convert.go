// Cells into column values: each column appends what a cell gives it, or
// returns the error finding of the row.

package loaders

import (
	"fmt"
	"math"
	"strconv"
	"strings"

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
	return fmt.Sprintf("The value is not one of %s (after aliases).", strings.Join(snapshot.Enums[c.spec.Enum], ", "))
}

func requiredMsg(name string) string {
	return fmt.Sprintf("The required value %s is empty.", name)
}

// add appends v to c. A non-empty code is an error finding for the row; the
// column then gets a null.
func (l *tableLoader) add(c *column, v cell, row int) (code snapshot.Code, val, msg string) {
	code, val, msg = l.addValue(c, v, row)
	if code != "" && !c.needs {
		c.b.AppendNull()
	}
	return code, val, msg
}

// addValue appends v to c, or nothing when it returns an error code.
func (l *tableLoader) addValue(c *column, v cell, row int) (code snapshot.Code, val, msg string) {
	if c.needs {
		rec := false
		if v.k != cellNull {
			rec = v.k != cellString || strings.TrimSpace(v.s) != ""
		}
		c.b.(*array.BooleanBuilder).Append(rec)
		return "", "", ""
	}
	if v.k == cellString && strings.TrimSpace(v.s) == "" {
		v = cell{}
	}
	if v.k == cellNull {
		switch {
		case c.spec.Required:
			return snapshot.DQType, "", requiredMsg(c.spec.Name)
		case l.t == snapshot.Units && c.spec.Name == "active":
			c.b.(*array.BooleanBuilder).Append(true)
		case l.t == snapshot.Models && c.spec.Name == "status":
			c.b.(*array.StringBuilder).Append("active")
		default:
			c.b.AppendNull()
		}
		return "", "", ""
	}
	switch c.spec.Kind {
	case snapshot.KindString, snapshot.KindEnum:
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
		if c.dict != nil {
			c.b.(*array.Int32Builder).Append(c.dict.index(s))
		} else {
			c.b.(*array.StringBuilder).Append(s)
		}
		return "", "", ""
	case snapshot.KindBool:
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
			return snapshot.DQType, strconv.FormatInt(v.i, 10), "The value is not a yes/no value (true/false, 1/0, yes/no, x, có/không)."
		case cellString:
			s, _, _ := cleanText(v.s)
			if x, ok := parseBool(s); ok {
				b.Append(x)
				return "", "", ""
			}
			return snapshot.DQType, s, "The value is not a yes/no value (true/false, 1/0, yes/no, x, có/không)."
		}
		return snapshot.DQType, v.s, "The value is not a yes/no value (true/false, 1/0, yes/no, x, có/không)."
	case snapshot.KindDate:
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
			return snapshot.DQType, s, "The value is not a date written YYYY-MM-DD or DD/MM/YYYY."
		}
		return snapshot.DQType, cellString2(v), "The value is not a date written YYYY-MM-DD or DD/MM/YYYY."
	case snapshot.KindMonth:
		b := c.b.(*array.StringBuilder)
		switch v.k {
		case cellDate:
			b.Append(formatDate(v.i)[:7])
			return "", "", ""
		case cellString:
			s, _, _ := cleanText(v.s)
			if parseMonth(s) {
				b.Append(s)
				return "", "", ""
			}
			if l.xlsx {
				if d, ok := parseSerial(s); ok {
					b.Append(formatDate(int64(d))[:7])
					return "", "", ""
				}
			}
			return snapshot.DQType, s, "The value is not a month written YYYY-MM."
		}
		return snapshot.DQType, cellString2(v), "The value is not a month written YYYY-MM."
	case snapshot.KindInt:
		b := c.b.(*array.Int64Builder)
		var n int64
		switch v.k {
		case cellInt:
			n = v.i
		case cellFloat:
			if v.f != math.Trunc(v.f) || math.Abs(v.f) > 1<<53 {
				return snapshot.DQType, cellString2(v), "The value is not a whole number."
			}
			n = int64(v.f)
		case cellString:
			s, _, _ := cleanText(v.s)
			x, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				f, ferr := strconv.ParseFloat(s, 64)
				if !l.xlsx || ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
					return snapshot.DQType, s, "The value is not a whole number."
				}
				x = int64(f)
			}
			n = x
		default:
			return snapshot.DQType, cellString2(v), "The value is not a whole number."
		}
		if l.t == snapshot.Activities && c.spec.Name == "attendees" && n < 0 {
			return snapshot.DQType, strconv.FormatInt(n, 10), "The number of attendees cannot be negative."
		}
		b.Append(n)
		return "", "", ""
	case snapshot.KindFloat:
		b := c.b.(*array.Float64Builder)
		var f float64
		switch v.k {
		case cellInt:
			f = float64(v.i)
		case cellFloat:
			f = v.f
		case cellString:
			s, _, _ := cleanText(v.s)
			x, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return snapshot.DQType, s, "The value is not a number."
			}
			f = x
		default:
			return snapshot.DQType, cellString2(v), "The value is not a number."
		}
		if l.t == snapshot.Ratings && c.spec.Name == "score" && (f < 0 || f > 100) {
			return snapshot.DQType, strconv.FormatFloat(f, 'f', -1, 64), "The score must be between 0 and 100."
		}
		b.Append(f)
		return "", "", ""
	case snapshot.KindList:
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
	return snapshot.DQType, cellString2(v), "The column has an unknown type."
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
