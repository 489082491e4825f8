package app

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/vungmanh/vungmanh/checker"
)

// checkReport is what `vungmanh check --format json|junit` reports: the
// problems of the policies, or their targets and, with --snapshot, the
// targets that end in an error on its subjects. check fills it as it goes;
// with --format text it prints its lines instead (authoring.go).
type checkReport struct {
	OK       bool           `json:"ok"`
	Policies string         `json:"policies"` // the folder, bundle or URL; "(built-in)" for the built-in pack
	Targets  []checkTarget  `json:"targets"`
	Problems []checkProblem `json:"problems"`
	Snapshot *checkSnapshot `json:"snapshot,omitempty"`
}

type checkTarget struct {
	checker.Target
	File string `json:"file"`
}

type checkProblem struct {
	checker.PolicyError
	Source string `json:"source,omitempty"` // the line quoted with a caret under the column
}

type checkSnapshot struct {
	URL    string           `json:"url"`
	Counts map[string]int   `json:"counts"` // results by status
	Errors []checkErrTarget `json:"errors"` // targets that end in an error, by id
}

type checkErrTarget struct {
	Target       string `json:"target"`
	Subjects     int    `json:"subjects"`
	FirstSubject string `json:"first_subject"`
	FirstError   string `json:"first_error"`
}

func newCheckReport(o checkOptions) *checkReport {
	return &checkReport{Policies: orBuiltin(o.dir), Targets: []checkTarget{}, Problems: []checkProblem{}}
}

func (r *checkReport) addTargets(ts []checker.Target) {
	for _, t := range ts {
		r.Targets = append(r.Targets, checkTarget{Target: t, File: t.File})
	}
}

// text is where check prints its text lines: w with --format text,
// nowhere otherwise (the report is written at the end).
func (o checkOptions) text(w io.Writer) io.Writer {
	if o.format == formatText || o.format == "" {
		return w
	}
	return io.Discard
}

// write writes the report in format (nothing for text: check printed it).
func (r *checkReport) write(w io.Writer, format string) error {
	r.OK = len(r.Problems) == 0 && (r.Snapshot == nil || len(r.Snapshot.Errors) == 0)
	switch format {
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case formatJUnit:
		return r.junit().write(w)
	}
	return nil
}

// junit is the report as JUnit XML: a suite "policies" with one case per
// problem (failing) or per target (passing), and with --snapshot a suite
// "snapshot" with one case per target, failing when it errs on subjects.
func (r *checkReport) junit() *junitSuites {
	doc := &junitSuites{Name: "vungmanh check"}
	pol := junitSuite{Name: "policies " + r.Policies}
	for _, p := range r.Problems {
		pol.add(junitCase{
			Name:      fmt.Sprintf("%s:%d:%d", p.File, p.Row, p.Col),
			Classname: p.File,
			Time:      seconds(0),
			File:      p.File,
			Line:      p.Row,
			Failure:   &junitProblem{Message: p.Message, Type: "policy", Text: p.PolicyError.Error() + "\n" + p.Source},
		})
	}
	for _, t := range r.Targets {
		pol.add(junitCase{Name: t.ID, Classname: t.Package, Time: seconds(0), File: t.File})
	}
	doc.Suites = append(doc.Suites, pol)
	if r.Snapshot != nil {
		s := junitSuite{Name: "snapshot " + r.Snapshot.URL}
		errs := map[string]checkErrTarget{}
		for _, e := range r.Snapshot.Errors {
			errs[e.Target] = e
		}
		for _, t := range r.Targets {
			c := junitCase{Name: t.ID, Classname: t.Package, Time: seconds(0), File: t.File}
			if e, ok := errs[t.ID]; ok {
				c.Failure = &junitProblem{
					Message: fmt.Sprintf("%s errs on %d subject(s), first on %s", e.Target, e.Subjects, e.FirstSubject),
					Type:    "error",
					Text:    e.FirstError,
				}
			}
			s.add(c)
		}
		doc.Suites = append(doc.Suites, s)
	}
	return doc
}
