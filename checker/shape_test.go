package checker

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestShapeErrors: violation, warning and skip of the wrong shape are load
// errors at the rule, with how to write them; the right shapes, and values
// the source does not fix, load.
func TestShapeErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // "" = loads
	}{
		{"object", `violation contains {"msg": "x", "refs": [input.subject.id]} if input.subject.active`, ""},
		{"object through a variable", "violation contains v if {\n\tv := {\"msg\": sprintf(\"%s\", [input.subject.id])}\n}", ""},
		{"element bound by some", "violation contains v if {\n\tsome v in [{\"msg\": \"x\"}]\n}", ""},
		{"skip with a reason", `skip := "mới thành lập" if input.subject.active`, ""},
		{"skip true", `skip if input.subject.active`, ""},
		{"string literal", `violation contains "chưa có mô hình" if input.subject.active`,
			`a.rego:8:1: rego_shape_error: an element of violation is a string, not an object: write violation contains {"msg": "chưa có mô hình"}`},
		{"sprintf through a variable (conftest)", "violation contains msg if {\n\tmsg := sprintf(\"%s chưa có mô hình\", [input.subject.id])\n}",
			"a.rego:8:1: rego_shape_error: an element of violation is a string (the result of sprintf), not an object"},
		{"warning as a single value", `warning := {"msg": "x"} if input.subject.active`,
			`a.rego:8:1: rego_shape_error: warning is an object, not a set of objects: write warning contains {"msg": ...} if { ... }`},
		{"a complete set", `violation := {{"msg": "x"}} if input.subject.active`, ""},
		{"object without msg", `violation contains {"message": "x"} if input.subject.active`,
			`a.rego:8:1: rego_shape_error: an element of violation has no "msg"`},
		{"msg a number", `violation contains {"msg": 3} if input.subject.active`,
			"a.rego:8:28: rego_shape_error: the msg of violation is a number, not a string"},
		{"refs a string", `violation contains {"msg": "x", "refs": input.subject.id} if input.subject.active`, ""},
		{"refs a string literal", `violation contains {"msg": "x", "refs": "xa-1"} if input.subject.active`,
			"a.rego:8:41: rego_shape_error: the refs of violation are a string, not an array of ids"},
		{"skip a set", `skip contains "x" if input.subject.active`,
			"a.rego:8:1: rego_shape_error: skip is true or a reason string, not a set"},
		{"skip a number", `skip := 1 if input.subject.active`,
			"a.rego:8:1: rego_shape_error: skip is a number: it must be true or a reason string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), layerFS(map[string]string{"a.rego": okMeta + tt.body + "\n"}))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			var pe PolicyErrors
			if !errors.As(err, &pe) {
				t.Fatalf("Load: %v, want PolicyErrors", err)
			}
			if len(pe) != 1 || !strings.HasPrefix(pe[0].Error(), tt.want) {
				t.Errorf("errors:\n%s\nwant one starting %q", pe.Error(), tt.want)
			}
		})
	}
}
