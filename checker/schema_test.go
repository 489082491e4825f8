package checker

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var updateSchemas = flag.Bool("update-schemas", false, "rewrite checker/schemas/*.json from the snapshot model")

func TestSchemasUpToDate(t *testing.T) {
	for _, scope := range Scopes() {
		t.Run(scope, func(t *testing.T) {
			want, err := json.MarshalIndent(InputSchema(scope), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			file := filepath.Join("schemas", scope+".json")
			if *updateSchemas {
				if err := os.WriteFile(file, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s is out of date with the snapshot model; run go generate ./checker (-generated +file):\n%s", file, diff)
			}
		})
	}
}

// TestInputsMatchSchemas validates the input of every subject of the small
// snapshot against its scope's schema with a real JSON Schema validator.
func TestInputsMatchSchemas(t *testing.T) {
	x := smallIndex(t)
	c := jsonschema.NewCompiler()
	schemas := map[string]*jsonschema.Schema{}
	for _, scope := range Scopes() {
		raw, err := loadSchema(scope)
		if err != nil {
			t.Fatal(err)
		}
		url := "mem://" + scope + ".json"
		if err := c.AddResource(url, raw); err != nil {
			t.Fatal(err)
		}
		if schemas[scope], err = c.Compile(url); err != nil {
			t.Fatal(err)
		}
	}
	var subjects []subject
	for u, row := range x.units {
		subjects = append(subjects, subject{scope: string(row.level), unit: u, model: -1})
	}
	for m, row := range x.models {
		subjects = append(subjects, subject{scope: "model", unit: row.unit, model: m})
	}
	for _, s := range subjects {
		t.Run(x.subjectID(s), func(t *testing.T) {
			doc := inputJSON(t, x.input(s))
			if err := schemas[s.scope].Validate(doc); err != nil {
				t.Errorf("input does not match schema %s: %v", s.scope, err)
			}
		})
	}
}

// checkBody loads one target of scope whose violation rule has body on
// its own line (after a tab, so its first column is 2) and returns the
// problems.
func checkBody(t *testing.T, scope, body string, extra map[string]string) PolicyErrors {
	t.Helper()
	meta := okMeta
	if scope == "model" {
		meta = strings.Replace(okMeta, "scope: commune", "scope: model\n#   model_type: accompany", 1)
	}
	fsys := fstest.MapFS{"a.rego": {Data: []byte(meta + "violation contains {\"msg\": \"x\"} if {\n\t" + body + "\n}\n")}}
	for name, src := range extra {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	_, err := Load(context.Background(), fsys)
	if err == nil {
		return nil
	}
	var pe PolicyErrors
	if !errors.As(err, &pe) {
		t.Fatalf("Load: %v, want PolicyErrors", err)
	}
	return pe
}

// TestCheckTypesInput: check finds typos and number-vs-string comparisons
// in input, including under the map-valued inputs (members, ratings,
// activities), at the right file:row:col. The body is on line 9 (10 in
// scope model, whose metadata has one more line).
func TestCheckTypesInput(t *testing.T) {
	tests := []struct {
		name, scope, body string
		want              string // the one problem, "file:row:col: message" (a prefix of it)
	}{
		{"typo in subject", "commune", `input.subject.nmae == "x"`,
			"a.rego:9:2: rego_type_error: undefined ref: input.subject.nmae"},
		{"typo in a model", "commune", `some m in input.models; m.typ == "x"`,
			"a.rego:9:26: rego_type_error: undefined ref: m.typ"},
		{"boolean compared with a string", "commune", `input.subject.active == "yes"`,
			"a.rego:9:2: rego_type_error: match error"},
		{"needs is not in the input", "commune", `some m in input.models; some p in m.participants; p.member.needs == "x"`,
			"a.rego:9:52: rego_type_error: undefined ref: p.member.needs"},
		{"typo in member stats", "commune", `some s in input.members; s.totl > 1`,
			`a.rego:9:27: rego_type_error: undefined ref: s.totl (have: "totl"; want (one of): ["by_special_group" "hardship"`},
		{"typo in member stats by key", "commune", `s := input.members[input.subject.id]; s.totl > 1`,
			`a.rego:9:40: rego_type_error: undefined ref: s.totl`},
		{"typo in rating fields", "commune", `some _, rs in input.ratings; some r in rs; r.fields.economi == "strong"`,
			`a.rego:9:45: rego_type_error: undefined ref: r.fields.economi (have: "economi"; want (one of): ["economy" "family" "membership" "propaganda"])`},
		{"typo in activities", "commune", `some _, acts in input.activities; some a in acts; a.attendes > 1`,
			`a.rego:9:52: rego_type_error: undefined ref: a.attendes (have: "attendes"; want (one of): ["attendees" "kind" "month"])`},
		{"member count compared with a string", "commune", `some s in input.members; s.total == "10"`,
			"a.rego:9:27: rego_type_error: match error (left : number; right : string)"},
		{"special group count compared with a string", "commune", `some s in input.members; some _, n in s.by_special_group; n == "x"`,
			"a.rego:9:60: rego_type_error: match error (left : number; right : string)"},
		{"count compared with a string", "commune", `count(input.models) > "2"`,
			"a.rego:9:2: rego_type_error: > compares a number with a string: its result is the same whatever the input"},
		{"date compared with a number", "commune", `some m in input.models; m.launched_on > 20240101`,
			"a.rego:9:26: rego_type_error: > compares a string with a number: its result is the same whatever the input"},
		{"as_of compared with a number", "commune", `input.snapshot.as_of > 5`,
			"a.rego:9:2: rego_type_error: > compares a string with a number"},
		{"as_of compared with a number (<=)", "commune", `5 <= input.snapshot.as_of`,
			"a.rego:9:2: rego_type_error: <= compares a number with a string"},
		{"score compared with a string (!=)", "commune", `some _, rs in input.ratings; some r in rs; r.score != "80"`,
			"a.rego:9:45: rego_type_error: != compares a number with a string"},
		{"comparison in a comprehension", "commune", `count([m | some m in input.models; m.launched_on >= 2024]) > 0`,
			"a.rego:9:37: rego_type_error: >= compares a string with a number"},
		{"model scope", "model", `input.subject.launched_on < 20240101`,
			"a.rego:10:2: rego_type_error: < compares a string with a number"},
		{"model scope, participant unit ratings", "model", `some p in input.subject.participants; some r in p.unit.ratings; r.fields.familly == "strong"`,
			"a.rego:10:66: rego_type_error: undefined ref: r.fields.familly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := checkBody(t, tt.scope, tt.body, nil)
			if len(pe) != 1 || !strings.HasPrefix(pe[0].Error(), tt.want) {
				t.Errorf("problems:\n%v\nwant one, starting %q", pe, tt.want)
			}
		})
	}
}

// TestCheckTypesOnePass: the problems OPA's checker sees and those only the
// lint compile sees are listed together, each once, so that one check lists
// them all.
func TestCheckTypesOnePass(t *testing.T) {
	body := "input.subject.nmae == \"x\"\n\tsome s in input.members\n\ts.totl > 1\n\tcount(input.models) > \"2\""
	pe := checkBody(t, "commune", body, nil)
	var got []string
	for _, e := range pe {
		got = append(got, fmt.Sprintf("%s:%d:%d", e.File, e.Row, e.Col))
	}
	want := []string{"a.rego:9:2", "a.rego:11:2", "a.rego:12:2"}
	if !slices.Equal(got, want) {
		t.Errorf("problems at %v, want %v:\n%v", got, want, pe)
	}
}

// TestCheckTypesNoFalsePositives: what is right, or cannot be known from the
// types, passes check: constant keys of the maps (any key may be there, e.g.
// a unit id or a special group), comparisons of values of the same type, of
// values of type any (object.get, a function's argument) or of a union type,
// comparisons of composite values, and functions given the maps.
func TestCheckTypesNoFalsePositives(t *testing.T) {
	lib := map[string]string{"lib.rego": "package lib.x\n\nf(v) := v\n\ng(m) := m.u9.total\n"}
	bodies := []string{
		`input.members["u1"].total > 1`,
		`input.members.u1.totl > 1`, // a unit id is any key: its value is not typed
		`x := input.members["u1"]; x > 5; x < "z"`,
		`s := input.members[input.subject.id]; s.total > 0; s.by_special_group.worker > 1; s.by_special_group["trader"] != 2`,
		`some s in input.members; s.by_special_group.worker == "x"`, // by_special_group: see policies/README.md
		`some s in input.members; some g, n in s.by_special_group; n > 0; g != "worker"; s.by_special_group[g] >= 2`,
		`some id, rs in input.ratings; some r in rs; r.year == 2023; r.fields.economy == "strong"; r.score > 80; id != input.subject.id`,
		`y := object.get(input.members, "u1", {}); y.totl > 1`,
		`input.units[0] > input.units[1]`,
		`[1, 2] > [1]`,
		`v := [1, "a"][_]; v > 1`,
		`input.snapshot.as_of > "2024-01-01"; count(input.models) > 2; input.subject.active != false`,
		`object.get(input.subject, "x", null) != null`,
		`every s in input.members { s.total >= 0 }`,
		`count({k | some k, _ in input.activities}) > 0`,
		`some a in input.activities[input.subject.id]; a.attendees > 0; a.month >= "2024-01"`,
		`data.lib.x.f(1) > "a"; data.lib.x.g(input.members) > 0`,
		`"a" == sprintf("%v", [input.members.u2])`,
	}
	for _, body := range bodies {
		t.Run(body, func(t *testing.T) {
			if pe := checkBody(t, "commune", body, lib); pe != nil {
				t.Errorf("problems:\n%v\nwant none", pe)
			}
		})
	}
}

// TestCheckPolicyPack: the real target pack passes check.
func TestCheckPolicyPack(t *testing.T) {
	if _, err := Load(context.Background(), os.DirFS("../policies")); err != nil {
		t.Fatalf("check ../policies:\n%v", err)
	}
}

// TestLintSchemaMaps: the lint schema gives the maps of the input (and only
// them) the property mapKey, carrying their value schema.
func TestLintSchemaMaps(t *testing.T) {
	s, err := lintSchema("commune")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if p, ok := x["properties"].(map[string]any); ok && p[mapKey] != nil {
				if !cmp.Equal(p[mapKey], x["additionalProperties"]) {
					t.Errorf("%s: %s is not additionalProperties", path, mapKey)
				}
				found = append(found, path)
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(path+"/"+k, x[k])
			}
		}
	}
	walk("", s)
	want := []string{"/definitions/stats/properties/by_special_group", "/properties/activities", "/properties/members", "/properties/ratings"}
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("maps (-want +got):\n%s", diff)
	}
	// The schema the real compile uses is untouched.
	raw, err := loadSchema("commune")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(raw); strings.Contains(string(b), mapKey) {
		t.Errorf("loadSchema has %s", mapKey)
	}
}
