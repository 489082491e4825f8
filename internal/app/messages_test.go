package app

import (
	"encoding/json"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vungmanh/vungmanh/internal/report"
)

// englishNumber is a number written the English way in a message: a
// decimal point ("88.8%", "0.9") or a comma between thousands ("1,234").
var englishNumber = regexp.MustCompile(`\d\.\d|\d,\d{3}\b`)

// checkPackMessages reads the run folder dir of the built-in pack on the
// thai-binh sample and checks its messages as leaders read them: a unit
// subject is named by its name, never by its id; no number is written the
// English way; and the page of a commune shows its own findings' messages
// (TB-10 names the commune and its unrated branches by name).
func checkPackMessages(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Findings []struct {
			Target       string `json:"target"`
			Subject      string `json:"subject"`
			SubjectLevel string `json:"subject_level"`
			SubjectName  string `json:"subject_name"`
			Violations   []struct {
				Msg  string   `json:"msg"`
				Refs []string `json:"refs"`
			} `json:"violations"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	var tb10 int
	for _, f := range r.Findings {
		for _, v := range f.Violations {
			if f.SubjectLevel != "model" && hasID(v.Msg, f.Subject) {
				t.Errorf("%s %s: the message names the unit by its id: %q", f.Target, f.Subject, v.Msg)
			}
			if f.SubjectLevel != "model" && !strings.Contains(v.Msg, f.SubjectName) && f.Target != "TB-11" {
				t.Errorf("%s %s: the message does not name the unit %q: %q", f.Target, f.Subject, f.SubjectName, v.Msg)
			}
			if englishNumber.MatchString(v.Msg) {
				t.Errorf("%s %s: a number written the English way: %q", f.Target, f.Subject, v.Msg)
			}
			if f.Target != "TB-10" {
				continue
			}
			tb10++
			// Branches that share a name keep their id in brackets.
			for _, id := range v.Refs {
				if hasID(v.Msg, id) && !strings.Contains(v.Msg, "["+id+"]") {
					t.Errorf("TB-10 %s: the unrated branch %s is named by its id: %q", f.Subject, id, v.Msg)
				}
			}
			if !strings.Contains(v.Msg, "chi hội của Cơ sở hội "+f.SubjectName) {
				t.Errorf("TB-10 %s: the message does not name the commune %q: %q", f.Subject, f.SubjectName, v.Msg)
			}
			page, err := os.ReadFile(filepath.Join(dir, report.PageFile(f.Subject, false)))
			if err != nil {
				t.Errorf("TB-10 %s: the commune's page: %v", f.Subject, err)
				continue
			}
			if shown := template.HTMLEscapeString(v.Msg); !strings.Contains(string(page), shown) {
				t.Errorf("TB-10 %s: the commune's page does not show %q", f.Subject, shown)
			}
		}
	}
	if tb10 == 0 {
		t.Error("no TB-10 finding on the thai-binh sample: the page check ran on nothing")
	}
}

// hasID reports whether id stands in msg as a word of its own (not inside
// a longer id: "xa-1" is not in "xa-1-ch04").
func hasID(msg, id string) bool {
	word := func(b byte) bool {
		return b == '-' || b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
	}
	for i := 0; ; {
		k := strings.Index(msg[i:], id)
		if k < 0 {
			return false
		}
		k += i
		end := k + len(id)
		if (k == 0 || !word(msg[k-1])) && (end == len(msg) || !word(msg[end])) {
			return true
		}
		i = k + 1
	}
}
