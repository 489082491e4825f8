package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The trend of a target's card on a unit page: its line over the earlier
// runs (summary.json of each) and the pace a goal of data.params needs.

// trendPoint is the pass rate of a target in one run.
type trendPoint struct {
	asOf string
	rate float64
	pass int
}

// trendLine returns the points of an SVG polyline over a 100 × 30 box:
// x by date, y by rate (0 at the bottom).
func trendLine(pts []trendPoint) string {
	t0, err0 := time.Parse(time.DateOnly, pts[0].asOf)
	t1, err1 := time.Parse(time.DateOnly, pts[len(pts)-1].asOf)
	span := t1.Sub(t0).Hours()
	var b strings.Builder
	for i, p := range pts {
		x := 100 * float64(i) / float64(len(pts)-1)
		if tp, err := time.Parse(time.DateOnly, p.asOf); err == nil && err0 == nil && err1 == nil && span > 0 {
			x = 100 * tp.Sub(t0).Hours() / span
		}
		y := 30 - 28*p.rate - 1
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(x, 'f', 1, 64) + "," + strconv.FormatFloat(y, 'f', 1, 64))
	}
	return b.String()
}

// pace words the pace a goal needs: points a month from now to the
// deadline, and the pace of the trend so far when there is one.
func pace(lang Lang, g Goal, asOf string, now float64, pts []trendPoint) (string, string) {
	goal := lang.Percent(g.Rate)
	dl := lang.Date(g.Deadline)
	if now >= g.Rate-1e-9 {
		return fmt.Sprintf(lang.T("goal_reached"), goal), "good"
	}
	t0, err0 := time.Parse(time.DateOnly, asOf)
	t1, err1 := time.Parse(time.DateOnly, g.Deadline)
	if err0 != nil || err1 != nil {
		return "", ""
	}
	gap := 100 * (g.Rate - now)
	if !t1.After(t0) {
		return fmt.Sprintf(lang.T("goal_overdue"), goal, dl, lang.Percent(now), lang.Decimal(gap, 1)), "bad"
	}
	months := t1.Sub(t0).Hours() / 24 / (365.25 / 12)
	need := gap / months
	out := fmt.Sprintf(lang.T("goal_pace"), goal, dl, lang.Percent(now), lang.Decimal(need, 1))
	class := "mid"
	if len(pts) >= 2 {
		first := pts[0]
		tf, err := time.Parse(time.DateOnly, first.asOf)
		if m := t0.Sub(tf).Hours() / 24 / (365.25 / 12); err == nil && m > 0 {
			got := 100 * (now - first.rate) / m
			out += fmt.Sprintf(lang.T("goal_so_far"), signed(lang, got))
			if got >= need {
				class = "good"
			} else {
				class = "bad"
			}
		}
	}
	return out, class
}

func signed(lang Lang, f float64) string {
	s := lang.Decimal(math.Abs(f), 1)
	if f < 0 {
		return "−" + s
	}
	return "+" + s
}
