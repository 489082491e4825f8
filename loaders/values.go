package loaders

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// cleanText trims s and normalises it to NFC. changed reports that NFC
// changed the text; ok is false when s is not valid UTF-8.
func cleanText(s string) (out string, changed, ok bool) {
	if plainASCII(s) {
		return s, false, true
	}
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return s, false, false
	}
	if norm.NFC.IsNormalString(s) {
		return s, false, true
	}
	return norm.NFC.String(s), true, true
}

// parseBool reads the spec's booleans, case-insensitively.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "x", "có", "co", "y":
		return true, true
	case "false", "0", "no", "không", "khong", "n":
		return false, true
	}
	return false, false
}

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func civilDays(y, m, d int) (int32, bool) {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != m {
		return 0, false
	}
	return int32(t.Unix() / 86400), true
}

// parseDate reads YYYY-MM-DD or D/M/YYYY (D and M with one or two digits).
// YYYY-MM-DD, the common case, is read by hand: time.Parse takes about 100
// ns more a cell (measured), and dates fill whole columns of members.
func parseDate(s string) (int32, bool) {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok1 := digits(s[:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:])
		if ok1 && ok2 && ok3 {
			return civilDays(y, m, d)
		}
		return 0, false
	}
	t, err := time.Parse("2/1/2006", s)
	if err != nil || t.Year() < 1 {
		return 0, false
	}
	return int32(t.Unix() / 86400), true
}

// excelEpoch is day 0 of Excel's 1900 date system (1899-12-30, after its
// leap-year bug), in days since 1970-01-01. excelize.ExcelDateToTime gives
// the same days from serial 60 on, one day later below it (it corrects the
// bug for January and February 1900), so the loader keeps its own rule.
const excelEpoch = -25569

// parseSerial reads an Excel date serial ("45565" or "45565.0").
func parseSerial(s string) (int32, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > 2958465 || f != float64(int64(f)) {
		return 0, false
	}
	return excelEpoch + int32(f), true
}

func formatDate(days int64) string {
	return time.Unix(days*86400, 0).UTC().Format(time.DateOnly)
}

// parseMonth checks YYYY-MM.
func parseMonth(s string) bool {
	if len(s) != 7 || s[4] != '-' {
		return false
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:])
	return ok1 && ok2 && y >= 1 && m >= 1 && m <= 12
}

// plainASCII reports whether s is printable-ASCII-only text without
// surrounding spaces: already trimmed and in NFC (the common case of ids).
func plainASCII(s string) bool {
	return plainEnds(s) && plainBytes(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// plainEnds reports whether s is not empty and neither starts nor ends with
// a space: the part of plainASCII that is about a value's ends.
func plainEnds(s string) bool {
	return s != "" && s[0] != ' ' && s[len(s)-1] != ' '
}

// joinList writes list items as the spec's lists are written: separated by
// ";".
func joinList(parts []string) string { return strings.Join(parts, ";") }
