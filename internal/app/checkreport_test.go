package app

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckReports(t *testing.T) {
	const meta = "# METADATA\n# title: T\n# custom:\n#   id: E-1\n#   scope: commune\npackage targets.e1\n\n"
	bad := writeFolder(t, map[string]string{"x.rego": meta + "violation contains {\"msg\": \"x\"} if {\n\tinput.subject.nmae == \"a\"\n}\n"})
	erring := writeFolder(t, map[string]string{"e.rego": meta + "violation contains {\"msg\": \"x\"} if {\n\tto_number(input.subject.id) > 1\n}\n"})
	type report struct {
		OK       bool
		Targets  []struct{ ID, File string }
		Problems []struct {
			File     string
			Row, Col int
			Message  string
			Source   string
		}
		Snapshot *struct {
			URL    string
			Counts map[string]int
			Errors []struct {
				Target       string
				Subjects     int
				FirstSubject string `json:"first_subject"`
			}
		}
	}
	decode := func(t *testing.T, s string) report {
		t.Helper()
		var r report
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
		return r
	}
	tests := []struct {
		name  string
		args  []string
		want  int
		check func(t *testing.T, stdout string)
	}{
		{"json built-in", []string{"check", "--format", "json"}, 0, func(t *testing.T, stdout string) {
			r := decode(t, stdout)
			if !r.OK || len(r.Targets) != 11 || r.Targets[0].ID != "TB-01" || r.Targets[0].File != "tb01_one_plus_one.rego" || len(r.Problems) != 0 || r.Snapshot != nil {
				t.Errorf("report: %+v", r)
			}
		}},
		{"json problems", []string{"check", bad, "--format", "json"}, ExitConfig, func(t *testing.T, stdout string) {
			r := decode(t, stdout)
			if r.OK || len(r.Problems) == 0 || r.Problems[0].File != "x.rego" || r.Problems[0].Row != 9 || !strings.Contains(r.Problems[0].Message, "nmae") || !strings.Contains(r.Problems[0].Source, "input.subject.nmae") {
				t.Errorf("report: %+v", r)
			}
		}},
		{"json snapshot errors", []string{"check", erring, "--format", "json", "--snapshot", smallSample}, ExitConfig, func(t *testing.T, stdout string) {
			r := decode(t, stdout)
			if r.OK || r.Snapshot == nil || len(r.Snapshot.Errors) != 1 || r.Snapshot.Errors[0].Target != "E-1" || r.Snapshot.Errors[0].Subjects == 0 || r.Snapshot.Counts["error"] != r.Snapshot.Errors[0].Subjects {
				t.Errorf("report: %+v", r)
			}
		}},
		{"junit problems", []string{"check", bad, "--format", "junit"}, ExitConfig, func(t *testing.T, stdout string) {
			doc := parseJUnit(t, stdout)
			if doc.Failures == 0 || doc.Failures != doc.Tests || !strings.Contains(doc.Suites[0].Cases[0].Failure.Text, "input.subject.nmae") {
				t.Errorf("junit: %+v", doc)
			}
		}},
		{"junit snapshot", []string{"check", erring, "--format", "junit", "--snapshot", smallSample}, ExitConfig, func(t *testing.T, stdout string) {
			doc := parseJUnit(t, stdout)
			if len(doc.Suites) != 2 || doc.Suites[0].Failures != 0 || doc.Suites[1].Failures != 1 || doc.Suites[1].Cases[0].Name != "E-1" {
				t.Errorf("junit: %+v", doc)
			}
		}},
		{"junit built-in", []string{"check", "--format", "junit", "--snapshot", smallSample}, 0, func(t *testing.T, stdout string) {
			if doc := parseJUnit(t, stdout); doc.Tests != 22 || doc.Failures != 0 {
				t.Errorf("junit: %+v", doc)
			}
		}},
		{"bad format", []string{"check", "--format", "sarif"}, ExitConfig, func(t *testing.T, stdout string) {
			if stdout != "" {
				t.Errorf("stdout: %s", stdout)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMain(t, nil, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			tt.check(t, stdout)
		})
	}
}
