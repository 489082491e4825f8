package regotest

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report the way `opa test` does: each failing,
// erroring or skipped test under its file:row, then a line of dashes and
// the PASS / FAIL / SKIPPED / ERROR counts; with coverage, the total
// percentage and each file not fully covered with its uncovered rows.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	dirty := false
	lastFile := ""
	for _, t := range r.Results {
		if t.Status == StatusPass {
			continue
		}
		dirty = true
		if lastFile != "" && lastFile != t.File {
			fmt.Fprintln(bw)
		}
		lastFile = t.File
		fmt.Fprintf(bw, "%s:%d:\n", t.File, t.Row)
		switch t.Status {
		case StatusSkip:
			fmt.Fprintf(bw, "%s.%s: SKIPPED\n", t.Package, t.Name)
		case StatusFail:
			fmt.Fprintf(bw, "%s.%s: FAIL (%v)\n", t.Package, t.Name, t.Duration)
			for _, c := range t.Cases {
				if c.Status == StatusFail {
					fmt.Fprintf(bw, "  %s: FAIL\n", c.Name)
				}
			}
		case StatusError:
			fmt.Fprintf(bw, "%s.%s: ERROR (%v)\n", t.Package, t.Name, t.Duration)
			fmt.Fprintf(bw, "  %s\n", t.Err)
		}
		if out := strings.TrimSpace(t.Output); out != "" {
			fmt.Fprintln(bw)
			for _, line := range strings.Split(out, "\n") {
				fmt.Fprintf(bw, "  %s\n", line)
			}
			fmt.Fprintln(bw)
		}
	}
	if dirty {
		fmt.Fprintln(bw, strings.Repeat("-", 80))
	}
	total := r.Total()
	for _, c := range []struct {
		label string
		n     int
	}{{"PASS", r.Passed}, {"FAIL", r.Failed}, {"SKIPPED", r.Skipped}, {"ERROR", r.Errored}} {
		if c.n != 0 {
			fmt.Fprintf(bw, "%s: %d/%d\n", c.label, c.n, total)
		}
	}
	if total == 0 {
		fmt.Fprintln(bw, "no tests were run")
	}
	if r.Coverage != nil {
		fmt.Fprintf(bw, "Coverage: %s%%\n", pct(r.Coverage.Percent))
		for _, f := range r.Coverage.Files {
			if f.NotCoveredLines == 0 {
				continue
			}
			rows := make([]string, len(f.NotCovered))
			for i, rg := range f.NotCovered {
				rows[i] = fmt.Sprint(rg.Start)
				if rg.End != rg.Start {
					rows[i] += fmt.Sprintf("-%d", rg.End)
				}
			}
			fmt.Fprintf(bw, "  %s: %s%%, not covered: rows %s\n", f.File, pct(f.Percent), strings.Join(rows, ", "))
		}
	}
	return bw.Flush()
}

// pct prints a percentage with at most one decimal: 100, 97.5.
func pct(p float64) string {
	s := fmt.Sprintf("%.1f", p)
	return strings.TrimSuffix(s, ".0")
}
