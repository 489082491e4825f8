package loaders

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/xuri/excelize/v2"
)

// handParseDate is the loader's reading of dates before D/M/YYYY went to
// time.Parse (YYYY-MM-DD is read as it was): the reference parseDate must
// agree with on every string.
func handParseDate(s string) (int32, bool) {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		return parseDate(s)
	}
	parts := strings.Split(s, "/")
	if len(parts) == 3 && len(parts[2]) == 4 && len(parts[0]) <= 2 && len(parts[1]) <= 2 {
		d, ok1 := digits(parts[0])
		m, ok2 := digits(parts[1])
		y, ok3 := digits(parts[2])
		if ok1 && ok2 && ok3 {
			return civilDays(y, m, d)
		}
	}
	return 0, false
}

// dateSeeds are the strings FuzzParseDate starts from and
// TestParseDateSame checks: every day and month number around the valid
// ones, in the spec's two forms and their near misses.
func dateSeeds() []string {
	out := []string{"", "/", "//", "1/1/", "/1/2024", "1//2024", "1/1/2024/", " 1/1/2024", "1/1/2024 ",
		"+1/1/2024", "1/+1/2024", "1/1/+024", "1/1/-024", "-1/1/2024", "1/1/20240", "1/1/202", "01/01/0000",
		"1/1/0001", "31/12/9999", "29/2/1900", "29/2/2000", "29/2/2024", "29/2/2023", "1.1.2024", "1-1-2024",
		"2024-01-01", "2024-1-01", "0000-01-01", "2024-02-30", "2024-13-01", "+024-01-01", "2024-0a-01", "１/1/2024"}
	for _, y := range []int{0, 1, 1899, 1900, 2000, 2023, 2024, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				out = append(out, fmt.Sprintf("%d/%d/%04d", d, m, y), fmt.Sprintf("%02d/%02d/%04d", d, m, y),
					fmt.Sprintf("%03d/%d/%04d", d, m, y), fmt.Sprintf("%d/%03d/%04d", d, m, y),
					fmt.Sprintf("%04d-%02d-%02d", y, m, d))
			}
		}
	}
	return out
}

func TestParseDateSame(t *testing.T) {
	for _, s := range dateSeeds() {
		got, gotOK := parseDate(s)
		want, wantOK := handParseDate(s)
		if got != want || gotOK != wantOK {
			t.Errorf("parseDate(%q) = %d, %v; want %d, %v", s, got, gotOK, want, wantOK)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range dateSeeds()[:40] { // the near misses, and day 0-6 of month 0
		f.Add(s)
	}
	f.Add("30/9/2024")
	f.Add("2024-09-30")
	f.Fuzz(func(t *testing.T, s string) {
		got, gotOK := parseDate(s)
		want, wantOK := handParseDate(s)
		if got != want || gotOK != wantOK {
			t.Errorf("parseDate(%q) = %d, %v; want %d, %v", s, got, gotOK, want, wantOK)
		}
	})
}

// TestParseSerialExcelize compares the loader's Excel serials with
// excelize's: the same day from serial 60 (1900-02-28) to the last,
// 2958465 (9999-12-31), and one day earlier below 60, where excelize
// corrects Excel's 1900 leap-year bug and the loader keeps the rule it
// has always had.
func TestParseSerialExcelize(t *testing.T) {
	for f := 1; f <= 2958465; f++ {
		got, ok := parseSerial(fmt.Sprint(f))
		tm, err := excelize.ExcelDateToTime(float64(f), false)
		if !ok || err != nil {
			t.Fatalf("serial %d: ok %v, excelize error %v", f, ok, err)
		}
		want := int32(time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
		if f < 60 {
			want--
		}
		if got != want {
			t.Fatalf("serial %d: %s, excelize %s", f, formatDate(int64(got)), tm.Format(time.DateOnly))
		}
	}
	for _, s := range []string{"0", "2958466", "45565.5", "-1", "x"} {
		if d, ok := parseSerial(s); ok {
			t.Errorf("parseSerial(%q) = %s, want no date", s, formatDate(int64(d)))
		}
	}
}

// TestPlainBytes: plainBytes, eight bytes at a time, agrees with a byte
// loop for every byte value at every position of a word and its tail.
func TestPlainBytes(t *testing.T) {
	slow := func(b []byte) bool {
		for _, c := range b {
			if c < 0x20 || c > 0x7e {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 19; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := bytes.Repeat([]byte("x"), n)
				b[pos] = byte(c)
				if got, want := plainBytes(b), slow(b); got != want {
					t.Fatalf("plainBytes(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}

// FuzzPlainBytes compares plainBytes with a byte loop on any bytes.
func FuzzPlainBytes(f *testing.F) {
	f.Add([]byte("chi-hoi-001 "))
	f.Add([]byte("xa\x7fa\x1fb\xc3\xa1c"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := true
		for _, c := range b {
			want = want && c >= 0x20 && c <= 0x7e
		}
		if got := plainBytes(b); got != want {
			t.Fatalf("plainBytes(%q) = %v, want %v", b, got, want)
		}
	})
}

// plainASCIIRef is plainASCII as a byte loop: not empty, no space at either
// end, every byte printable ASCII or a space.
func plainASCIIRef(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 && c != ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// TestPlainColumn: plainASCII agrees with its byte loop, and plainColumn is
// plainASCII of every value that is not null (and no null unless kept),
// whatever bytes a null slot keeps.
func TestPlainColumn(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", " ", "a", "xa-01", "ho\u00e0", "\x7f", "\t", "chi-hoi-0001", "b c", "\x1f", "~"}
	for round := 0; round < 5000; round++ {
		s := ""
		for k := rng.IntN(5); k > 0; k-- {
			s += pieces[rng.IntN(len(pieces))]
		}
		if got, want := plainASCII(s), plainASCIIRef(s); got != want {
			t.Fatalf("plainASCII(%q) = %v, want %v", s, got, want)
		}
	}
	for round := 0; round < 2000; round++ {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		n := rng.IntN(6)
		nulls := false
		var want = true
		for i := 0; i < n; i++ {
			if rng.IntN(5) == 0 {
				b.AppendNull()
				nulls = true
				continue
			}
			s := pieces[rng.IntN(len(pieces))] + pieces[rng.IntN(len(pieces))]
			b.Append(s)
			want = want && plainASCIIRef(s)
		}
		a := b.NewStringArray()
		for _, kept := range []bool{true, false} {
			if got, w := plainColumn(a, kept), want && (kept || !nulls); got != w {
				t.Fatalf("plainColumn(%v, %v) = %v, want %v", a, kept, got, w)
			}
		}
		a.Release()
		b.Release()
	}
}
