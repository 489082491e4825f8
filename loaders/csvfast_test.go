package loaders

import (
	"fmt"
	"strings"
	"testing"
)

// csvRecords reads every record of text with csvReader, the fast path on
// or off, as "line|bad|fields" lines, then the error that ended it.
func csvRecords(t *testing.T, text, delim string, fast bool) string {
	t.Helper()
	c, err := newCSVReader("m.csv", strings.NewReader(text), delim, false, 1<<10, func() error { return nil })
	if err != nil {
		return "header error: " + err.Error()
	}
	c.fast = c.fast && fast
	var b strings.Builder
	fmt.Fprintf(&b, "header %q\n", c.header())
	for i := 0; ; i++ {
		ok, err := c.next()
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			break
		}
		if !ok {
			break
		}
		fmt.Fprintf(&b, "%d|%d|%s|%q\n", c.row(), c.width(), c.malformed(), c.rec)
	}
	return b.String()
}

// The fast path gives every record, line number, malformed row and error
// that encoding/csv alone gives.
func TestCSVFastPathSameAsEncodingCSV(t *testing.T) {
	for _, text := range csvFastSeeds {
		for _, delim := range []string{"", ",", ";", "\t"} {
			want, got := csvRecords(t, text, delim, false), csvRecords(t, text, delim, true)
			if got != want {
				t.Errorf("text %q, delimiter %q:\nfast path:\n%s\nencoding/csv:\n%s", text, delim, got, want)
			}
		}
	}
}

// Across the reader's 64 KiB buffer: lines that straddle its end go to
// encoding/csv, which refills it; the line numbers stay right.
func TestCSVFastPathLongFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,unit_id,note\n")
	for i := 0; b.Len() < 400<<10; i++ {
		switch {
		case i%97 == 0:
			fmt.Fprintf(&b, "m%d,u%d,\"two\nlines, quoted\"\n", i, i%13)
		case i%89 == 0:
			b.WriteString("\n")
		case i%83 == 0:
			fmt.Fprintf(&b, "m%d,u\"%d,bare quote\n", i, i)
		case i%7 == 0:
			fmt.Fprintf(&b, "m%d,u%d,%s\r\n", i, i%13, strings.Repeat("é", i%50))
		default:
			fmt.Fprintf(&b, "m%d,u%d,note %d\n", i, i%13, i)
		}
	}
	text := b.String()
	want, got := csvRecords(t, text, "", false), csvRecords(t, text, "", true)
	if got != want {
		t.Fatalf("the fast path and encoding/csv differ on a %d-byte file", len(text))
	}
	if n := strings.Count(want, "\n"); n < 5000 {
		t.Fatalf("only %d records read", n)
	}
}

// The fast path must also read the lines it is meant for: a plain file is
// split by it, not by encoding/csv (fastLines counts its records).
func TestCSVFastPathUsed(t *testing.T) {
	c, err := newCSVReader("m.csv", strings.NewReader("a,b\n1,2\n3,4\r\n\"5\",6\n7,8\n"), "", false, 1<<10, func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for {
		ok, err := c.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		lines = append(lines, c.row())
	}
	if fmt.Sprint(lines) != "[2 3 4 5]" || c.fastLines != 3 {
		t.Errorf("rows %v, fast path lines %d; want [2 3 4 5] and 3", lines, c.fastLines)
	}
}

var csvFastSeeds = []string{
	"a,b\n1,2\n3,4\n",
	"a,b\r\n1,2\r\n3,4\r\n",
	"a,b\n1,2\n\n\n3,4\n\r\n5,6",
	"a,b\n1,\"2\n2\"\n3,4\n\"x\"\"y\",z\n5,6\n",
	"\"a\nb\",c\n1,2\n3,4\n",
	"a,b\n1,2\"x\n3,4\n",
	"a,b\n1,\"2\n3,4\n5,6\n",
	"a,b\n1,\"2\"x,3\n4,5\n",
	"a;b\n1;2\n3,4;5\n",
	"a\tb\n1\t2\n3\t\n",
	"a,b\n1\r2,3\n4,5\r\r\n6,7\n",
	"a,b\n,\n,,\n1,2,3,4\n",
	"a,b\n" + strings.Repeat("x", 2000) + "\n1,2\n",
	"a,b\n1,2\n3,4",
	"a,b",
	"",
	"\n\na,b\n1,2\n",
	"a,b\n1,\"2\r\n3\",4\n5,6\n",
	"a,b\n  1 , 2 \n",
}

// FuzzCSVFastPath compares the fast path with encoding/csv on any text.
func FuzzCSVFastPath(f *testing.F) {
	for _, s := range csvFastSeeds {
		f.Add(s, "")
	}
	f.Add("a;b\n1;2\n", ";")
	f.Fuzz(func(t *testing.T, text, delim string) {
		if len(delim) > 1 {
			delim = delim[:1]
		}
		want, got := csvRecords(t, text, delim, false), csvRecords(t, text, delim, true)
		if got != want {
			t.Errorf("text %q, delimiter %q:\nfast path:\n%s\nencoding/csv:\n%s", text, delim, got, want)
		}
	})
}
