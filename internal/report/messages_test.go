package report

import (
	"math"
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
