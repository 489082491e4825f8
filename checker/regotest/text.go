package regotest

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText prints the report the way `opa test` does: each failing,
// erroring or skipped test under its file:row, then a line of dashes and
// the PASS / FAIL / SKIPPED / ERROR counts; with coverage, the total
// percentage and the coverage of each file, with its uncovered rows.
func (r *Report) WriteText(w io.Writer) error { return r.WriteTextWith(w, TextOptions{}) }

// TextOptions tune WriteTextWith.
type TextOptions struct {
	// Verbose lists every test, passing ones too, with its duration, its
	// cases and what it printed, as `opa test -v` does.
	Verbose bool
}

// WriteTextWith is WriteText with options. A failing test run with
// Options.VarValues is followed by its failed expression and the values
// of its variables.
func (r *Report) WriteTextWith(w io.Writer, o TextOptions) error {
	bw := bufio.NewWriter(w)
	dirty := false
	lastFile := ""
	for _, t := range r.Results {
		if t.Status == StatusPass && !o.Verbose {
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
		case StatusPass, StatusFail:
			fmt.Fprintf(bw, "%s.%s: %s (%s)\n", t.Package, t.Name, strings.ToUpper(string(t.Status)), humanDuration(t.Duration))
			for _, c := range t.Cases {
				if c.Status == StatusFail || o.Verbose {
					fmt.Fprintf(bw, "  %s: %s\n", c.Name, strings.ToUpper(string(c.Status)))
				}
				if c.VarValues != "" {
					for _, line := range strings.Split(c.VarValues, "\n") {
						fmt.Fprintf(bw, "    %s\n", line)
					}
				}
			}
		case StatusError:
			fmt.Fprintf(bw, "%s.%s: ERROR (%s)\n", t.Package, t.Name, humanDuration(t.Duration))
			fmt.Fprintf(bw, "  %s\n", t.Err)
		}
		if t.VarValues != "" {
			fmt.Fprintln(bw)
			for _, line := range strings.Split(t.VarValues, "\n") {
				fmt.Fprintf(bw, "  %s\n", line)
			}
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
				fmt.Fprintf(bw, "  %s: %s%%\n", f.File, pct(f.Percent))
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

// humanDuration rounds d for reading: 1.234ms, 615µs, 2.5s (0s for zero).
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
