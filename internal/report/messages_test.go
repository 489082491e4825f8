package report

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The numbers, dates and times the reports show, in both languages.
func TestLangFormats(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	stJohns := time.FixedZone("NST", -(3*3600 + 30*60))
	kathmandu := time.FixedZone("NPT", 5*3600+45*60)
	cases := []struct {
		name, got, want string
	}{
		{"int vi", Vietnamese.Int(1234567), "1.234.567"},
		{"int en", English.Int(1234567), "1,234,567"},
		{"int negative", Vietnamese.Int(-1234), "-1.234"},
		{"int small", Vietnamese.Int(999), "999"},
		{"int min", English.Int(math.MinInt64), "-9,223,372,036,854,775,808"},
		{"percent vi", Vietnamese.Percent(0.4851), "48,5\u00a0%"},
		{"percent en", English.Percent(0.4851), "48.5%"},
		{"percent NaN", Vietnamese.Percent(math.NaN()), "–"},
		{"decimal vi", Vietnamese.Decimal(12345.625, 1), "12345,6"},
		{"decimal en", English.Decimal(6.25, 2), "6.25"},
		{"date vi", Vietnamese.Date("2024-09-30"), "30/09/2024"},
		{"date en", English.Date("2024-09-30"), "30 Sep 2024"},
		{"date not a date", Vietnamese.Date("soon"), "soon"},
		{"datetime vi", Vietnamese.DateTime("2024-09-30T02:15:00+07:00"), "29/09/2024 19:15 UTC"},
		{"in HCM", Vietnamese.DateTimeIn("2024-09-30T19:15:00Z", hcm), "01/10/2024 02:15 (UTC+07:00)"},
		{"in UTC", English.DateTimeIn("2024-09-30T19:15:00Z", time.UTC), "30 Sep 2024 19:15 (UTC)"},
		{"west of UTC, half hour", English.DateTimeIn("2024-09-30T19:15:00Z", stJohns), "30 Sep 2024 15:45 (UTC-03:30)"},
		{"quarter hour", Vietnamese.DateTimeIn("2024-09-30T19:15:00Z", kathmandu), "01/10/2024 01:00 (UTC+05:45)"},
		{"not a time", Vietnamese.DateTimeIn("later", nil), "later"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

// intBefore and percentBefore are Lang.Int and Lang.Percent as first
// written (strings.Builder, strings.Replace): TestNumbersAsBefore's
// reference.
func intBefore(l Lang, n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := "."
	if l == English {
		sep = ","
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func percentBefore(l Lang, r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	s := strconv.FormatFloat(math.Round(r*1000)/10, 'f', 1, 64)
	if l == English {
		return s + "%"
	}
	return strings.Replace(s, ".", ",", 1) + "\u00a0%"
}

// Int, fraction and Percent give their first versions' text: on edges
// (0, ±1, powers of ten and their neighbours, the int64 limits, NaN, ±Inf,
// -0, huge ratios) and 200,000 random values of each.
func TestNumbersAsBefore(t *testing.T) {
	ints := []int{0, 1, -1, 999, 1000, -999, -1000, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	for p := 1; p < 1e18; p *= 10 {
		ints = append(ints, p-1, p, p+1, -p+1, -p, -p-1)
	}
	ratios := []float64{0, math.Copysign(0, -1), 1, -1, 0.4851, 0.00049, 0.0005, 0.9995, 0.99949, 1e300, -1e300, 1e-300,
		math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		ints = append(ints, int(rng.Int64N(1<<uint(rng.IntN(62)+1)))*[]int{1, -1}[rng.IntN(2)])
		ratios = append(ratios, rng.Float64(), float64(rng.IntN(100_000))/float64(1+rng.IntN(100_000)), math.Float64frombits(rng.Uint64()))
	}
	for _, l := range []Lang{Vietnamese, English} {
		for i, n := range ints {
			if got, want := l.Int(n), intBefore(l, n); got != want {
				t.Fatalf("%s Int(%d) = %q, want %q", l, n, got, want)
			}
			m := ints[(i*7919)%len(ints)]
			if got, want := l.fraction(n, m), intBefore(l, n)+"/"+intBefore(l, m); got != want {
				t.Fatalf("%s fraction(%d, %d) = %q, want %q", l, n, m, got, want)
			}
		}
		for _, r := range ratios {
			if got, want := l.Percent(r), percentBefore(l, r); got != want {
				t.Fatalf("%s Percent(%v) = %q, want %q", l, r, got, want)
			}
		}
	}
}
