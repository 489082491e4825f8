package checker

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/print"
)

// The policies are compiled with print statements kept (newCompiler). A
// print() call is true and prints nothing unless the evaluation has a print
// hook: in a run, each subject's evaluation has one when the logger logs at
// debug level (WithLogger), and every line printed is logged with the
// target and the subject once the evaluation's result is kept; `vungmanh
// eval` passes its own (Debug.Print); `vungmanh test` prints what each test
// printed, as `opa test` does. regovm runs print() with the same hook
// (regovm.PrintHook), so that printing never moves a group to topdown.

// hooks are what one topdown evaluation reports to besides its result.
type hooks struct {
	tracer topdown.QueryTracer
	print  print.Hook
}

// printer collects what the policies print while one subject is
// evaluated. A nil printer collects nothing (the logger is not at debug
// level). It is used by one goroutine.
type printer struct {
	target string // the target evaluated alone, "" for a group
	lines  []printed
}

type printed struct {
	target string // "" when the group's evaluation printed it
	file   string
	row    int
	text   string
}

func (c *Checker) newPrinter() *printer {
	if !c.printing {
		return nil
	}
	return &printer{}
}

// hook is the print hook of the evaluations, nil for a nil printer.
func (p *printer) hook() print.Hook {
	if p == nil {
		return nil
	}
	return p
}

// Print records one line; it is the print.Hook.
func (p *printer) Print(ctx print.Context, text string) error {
	l := printed{target: p.target, text: text}
	if ctx.Location != nil {
		l.file, l.row = ctx.Location.File, ctx.Location.Row
	}
	p.lines = append(p.lines, l)
	return nil
}

// reset drops what was printed (by an evaluation whose result is not kept).
func (p *printer) reset() {
	if p != nil {
		p.lines = p.lines[:0]
	}
}

// setTarget names the target evaluated alone from now on.
func (p *printer) setTarget(id string) {
	if p != nil {
		p.target = id
	}
}

// logPrints logs each line printed while g's targets were evaluated on s,
// at debug level, with the target (the one evaluated alone, else the one
// whose file holds the print, else the group's targets) and the subject.
// The text is scrubbed of private values as results are.
func (c *Checker) logPrints(x *index, s subject, g *preparedGroup, p *printer) {
	if p == nil || len(p.lines) == 0 {
		return
	}
	subjectID := x.units[s.unit].id
	if s.model >= 0 {
		subjectID = x.models[s.model].id
	}
	for _, l := range p.lines {
		target := l.target
		if target == "" {
			target = printTarget(g, l.file)
		}
		ev := c.log.Debug().Str("target", target).Str("subject", subjectID)
		if l.file != "" {
			ev = ev.Str("location", fmt.Sprintf("%s:%d", l.file, l.row))
		}
		ev.Str("output", x.redact.scrub(l.text)).Msg("policy print")
	}
}

// printTarget is the target of g declared in file, or every target of g
// (comma-separated) when the print is in a library file.
func printTarget(g *preparedGroup, file string) string {
	ids := make([]string, len(g.targets))
	for i, t := range g.targets {
		if t.File == file {
			return t.ID
		}
		ids[i] = t.ID
	}
	return strings.Join(ids, ",")
}
