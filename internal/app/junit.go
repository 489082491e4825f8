package app

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/vungmanh/vungmanh/checker/regotest"
)

// JUnit XML, as CI systems read it (Jenkins, GitLab, GitHub actions that
// publish test reports): the structure of the common JUnit schema
// (testsuites > testsuite > testcase, with failure, error or skipped, and
// system-out), written with encoding/xml.

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitTally
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitTally
	Cases []junitCase `xml:"testcase"`
	dur   time.Duration
}

// junitTally is the counts and time a document and each suite carry.
type junitTally struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

// add adds o's counts to t.
func (t *junitTally) add(o junitTally) {
	t.Tests += o.Tests
	t.Failures += o.Failures
	t.Errors += o.Errors
	t.Skipped += o.Skipped
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// seconds is a duration as JUnit's time attribute: seconds, 3 decimals.
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// add appends c to the suite and counts it.
func (s *junitSuite) add(c junitCase) {
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Error != nil:
		s.Errors++
	case c.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, c)
}

// write totals the suites and writes the document.
func (j *junitSuites) write(w io.Writer) error {
	var total time.Duration
	for i := range j.Suites {
		s := &j.Suites[i]
		j.add(s.junitTally)
		s.Time = seconds(s.dur)
		total += s.dur
	}
	j.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(j); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// testJUnit is the report of `vungmanh test --format junit`: one suite per
// test file, one case per test (per leaf case for a data-driven test).
func testJUnit(rep *regotest.Report) *junitSuites {
	doc := &junitSuites{Name: "vungmanh test"}
	byFile := map[string]*junitSuite{}
	var files []string
	for _, r := range rep.Results {
		s := byFile[r.File]
		if s == nil {
			s = &junitSuite{Name: r.File}
			byFile[r.File] = s
			files = append(files, r.File)
		}
		s.dur += r.Duration
		base := junitCase{Name: r.Name, Classname: r.Package, Time: seconds(r.Duration), File: r.File, Line: r.Row, SystemOut: r.Output}
		switch r.Status {
		case regotest.StatusSkip:
			c := base
			c.Skipped = &junitSkipped{Message: "todo test"}
			s.add(c)
		case regotest.StatusError:
			c := base
			c.Error = &junitProblem{Message: firstLine(r.Err), Type: "error", Text: r.Err}
			s.add(c)
		default:
			if len(r.Cases) == 0 {
				c := base
				if r.Status == regotest.StatusFail {
					c.Failure = &junitProblem{Message: fmt.Sprintf("%s.%s failed", r.Package, r.Name), Type: "fail", Text: r.VarValues}
				}
				s.add(c)
				continue
			}
			for _, tc := range r.Cases {
				c := base
				c.Name = r.Name + "/" + tc.Name
				c.Time = seconds(0)
				if tc.Status == regotest.StatusFail {
					c.Failure = &junitProblem{Message: fmt.Sprintf("%s.%s: case %s failed", r.Package, r.Name, tc.Name), Type: "fail", Text: tc.VarValues}
				}
				s.add(c)
			}
		}
	}
	sort.Strings(files)
	for _, f := range files {
		doc.Suites = append(doc.Suites, *byFile[f])
	}
	return doc
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
