package checker

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCheckEnums: a comparison of an input value that has an enum in the
// scope's schema with a constant that is not one of its values is a check
// error at the comparison (or at the constant given to a function that
// compares it), listing the values. The body is on line 9 (10 in scope
// model).
func TestCheckEnums(t *testing.T) {
	levels := "one of province, district, commune, branch, group"
	types := "one of one_plus_one, three_has_three_knows, special_members, cadres_progress, accompany, other"
	lib := map[string]string{"lib.rego": "package lib.x\n\nhas(inp, t) if {\n\tsome m in object.get(inp, \"models\", [])\n\tm.type == t\n}\n\nkind := \"acompany\"\n"}
	tests := []struct {
		name, scope, body string
		want              string // the one problem, "file:row:col: message"
	}{
		{"subject level", "commune", `input.subject.level == "chi_hoi"`,
			`a.rego:9:2: rego_type_error: "chi_hoi" is not a value of input.subject.level: ` + levels},
		{"some in units", "commune", `some u in input.units; u.level == "chi_hoi"`,
			`a.rego:9:25: rego_type_error: "chi_hoi" is not a value of input.units[_].level: ` + levels},
		{"unification", "commune", `some u in input.units; u.level = "xa"`,
			`a.rego:9:25: rego_type_error: "xa" is not a value of input.units[_].level: ` + levels},
		{"constant first, !=", "commune", `u := input.units[i]; "chi_hoi" != u.level`,
			`a.rego:9:23: rego_type_error: "chi_hoi" is not a value of input.units[_].level: ` + levels},
		{"in a set", "commune", `input.subject.level in {"commune", "xa"}`,
			`a.rego:9:2: rego_type_error: "xa" is not a value of input.subject.level: ` + levels},
		{"ref with an index", "commune", `input.units[_].level == "ward"`,
			`a.rego:9:2: rego_type_error: "ward" is not a value of input.units[_].level: ` + levels},
		{"ancestors", "commune", `some a in input.ancestors; a.level == "tinh"`,
			`a.rego:9:29: rego_type_error: "tinh" is not a value of input.ancestors[_].level: ` + levels},
		{"model type in a comprehension", "commune", `count([m | some m in input.models; m.type == "one_plus_ones"]) > 0`,
			`a.rego:9:37: rego_type_error: "one_plus_ones" is not a value of input.models[_].type: ` + types},
		{"every", "commune", `every m in input.models { m.status != "stopped" }`,
			`a.rego:9:28: rego_type_error: "stopped" is not a value of input.models[_].status: one of active, inactive`},
		{"object.get", "commune", `some m in input.models; object.get(m, "status", "active") == "stopped"`,
			`a.rego:9:26: rego_type_error: "stopped" is not a value of input.models[_].status: one of active, inactive`},
		{"cadre role", "commune", `some c in input.cadres; c.role == "chair"`,
			`a.rego:9:26: rego_type_error: "chair" is not a value of input.cadres[_].role: one of commune_chair, commune_vice_chair, commune_standing, branch_head, branch_deputy, group_head, group_deputy`},
		{"element of an enum list", "commune", `some c in input.cadres; "economi" in c.strong_fields`,
			`a.rego:9:26: rego_type_error: "economi" is not a value of input.cadres[_].strong_fields[_]: one of propaganda, family, economy, membership`},
		{"rating under a map", "commune", `some _, rs in input.ratings; some r in rs; r.rating == "strong"`,
			`a.rego:9:45: rego_type_error: "strong" is not a value of input.ratings[_][_].rating: one of excellent, good, fair, weak`},
		{"rating field", "commune", `some _, rs in input.ratings; some r in rs; r.fields.economy == "good"`,
			`a.rego:9:45: rego_type_error: "good" is not a value of input.ratings[_][_].fields.economy: one of strong, not_strong`},
		{"history kind", "commune", `some h in input.subject.history; h.kind == "merger"`,
			`a.rego:9:35: rego_type_error: "merger" is not a value of input.subject.history[_].kind: one of merge, split, rename, move`},
		{"a variable bound to a constant", "commune", `lvl := "chi_hoi"; input.subject.level == lvl`,
			`a.rego:9:20: rego_type_error: "chi_hoi" is not a value of input.subject.level: ` + levels},
		{"a constant rule", "commune", `some m in input.models; m.type == data.lib.x.kind`,
			`a.rego:9:26: rego_type_error: "acompany" is not a value of input.models[_].type: ` + types},
		{"a function's argument", "commune", `data.lib.x.has(input, "one_plus_ones")`,
			`a.rego:9:24: rego_type_error: "one_plus_ones" is not a value of input.models[_].type: ` + types + ` (compared at lib.rego:5)`},
		{"model scope subject", "model", `input.subject.type == "1+1"`,
			`a.rego:10:2: rego_type_error: "1+1" is not a value of input.subject.type: ` + types},
		{"model scope participant", "model", `some p in input.subject.participants; p.kind == "woman"`,
			`a.rego:10:40: rego_type_error: "woman" is not a value of input.subject.participants[_].kind:`},
		{"model scope unit", "model", `input.unit.level == "xa"`,
			`a.rego:10:2: rego_type_error: "xa" is not a value of input.unit.level: ` + levels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := checkBody(t, tt.scope, tt.body, lib)
			if len(pe) != 1 || !strings.HasPrefix(pe[0].Error(), tt.want) {
				t.Errorf("problems:\n%v\nwant one, starting %q", pe, tt.want)
			}
		})
	}
}

// TestCheckEnumsNoFalsePositives: values of the enums, the default of
// object.get, values the schema does not type and values compared through
// `with` pass.
func TestCheckEnumsNoFalsePositives(t *testing.T) {
	lib := map[string]string{"lib.rego": "package lib.x\n\nhas(inp, t) if {\n\tsome m in object.get(inp, \"models\", [])\n\tm.type == t\n}\n\nid(x) := x\n"}
	bodies := []string{
		`input.subject.level == "commune"`,
		`some u in input.units; u.level in {"branch", "group"}`,
		`some m in input.models; object.get(m, "field", "") != ""`,
		`some m in input.models; object.get(m, "status", "active") == "active"`,
		`some m in input.models; object.get(m, "special_group", null) != null`,
		`some m in input.models; m.name == "xa"; m.id != "chi_hoi"`,
		`data.lib.x.has(input, "accompany")`,
		`data.lib.x.id(input.subject.level) == "chi_hoi_x"`,
		`some k, v in input.subject; v == "anything"`,
		`input.snapshot.name == "chi_hoi"`,
		`some s in input.members; some g, n in s.by_special_group; g != "worker_x"`,
		`x := {"a": input.subject.level}; x.a != "q"`,
		`lvl := input.subject.level; lvl == "commune"`,
		`some c in input.cadres; "economy" in c.strong_fields`,
	}
	for _, body := range bodies {
		t.Run(body, func(t *testing.T) {
			if pe := checkBody(t, "commune", body, lib); pe != nil {
				t.Errorf("problems:\n%v\nwant none", pe)
			}
		})
	}
}

// BenchmarkLoadPack is Load of the built-in pack (what `check` pays before
// any data is read); BenchmarkEnumErrors the enum pass alone
// over its compiled scopes, its share of that.
// Its without-lint case is what `run` pays for the built-in pack.
func BenchmarkLoadPack(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []LoadOption
	}{{"lint", nil}, {"without-lint", []LoadOption{WithoutLint()}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Load(context.Background(), os.DirFS("../policies"), bc.opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEnumErrors(b *testing.B) {
	p, err := Load(context.Background(), os.DirFS("../policies"))
	if err != nil {
		b.Fatal(err)
	}
	schemas := map[string]any{}
	for scope := range p.compilers {
		if schemas[scope], err = loadSchema(scope); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		for scope, c := range p.compilers {
			if errs := enumErrors(c, schemas[scope]); len(errs) > 0 {
				b.Fatal(errs)
			}
		}
	}
}

// FuzzLoadBody: whatever the body of a target, Load (the enum and params
// passes included) never panics, and a refusal is a PolicyErrors whose
// every problem has a place.
func FuzzLoadBody(f *testing.F) {
	for _, s := range []string{
		`some u in input.units; u.level == "chi_hoi"`,
		`every m in input.models { m.status != "x" }`,
		`count([m | some m in input.models; object.get(m, "type", "") == "q"]) > 0`,
		`data.lib.x.has(input, "one_plus_ones")`,
		`"economy" in input.cadres[_].strong_fields`,
		`input.subject.level in {"a", input.subject.id}`,
	} {
		f.Add(s)
	}
	lib := "package lib.x\n\nhas(inp, t) if {\n\tsome m in object.get(inp, \"models\", [])\n\tm.type == t\n}\n"
	f.Fuzz(func(t *testing.T, body string) {
		_, err := Load(context.Background(), fstest.MapFS{
			"a.rego":   {Data: []byte(okMeta + "violation contains {\"msg\": \"x\"} if {\n\t" + body + "\n}\n")},
			"lib.rego": {Data: []byte(lib)},
		})
		if err == nil {
			return
		}
		var pe PolicyErrors
		if !errors.As(err, &pe) {
			t.Fatalf("error %T %v is not a PolicyErrors", err, err)
		}
		for _, e := range pe {
			if e.File == "" || e.Row < 1 || e.Message == "" {
				t.Fatalf("problem without a place: %+v", e)
			}
		}
	})
}

// TestWithoutLint: an enum value no snapshot can hold is a problem of the
// lint that follows OPA's compile; WithoutLint leaves that lint out (for a
// pack linted already) and nothing else: an OPA compile error still fails.
func TestWithoutLint(t *testing.T) {
	src := func(body string) fstest.MapFS {
		return fstest.MapFS{"a.rego": {Data: []byte(okMeta + "violation contains {\"msg\": \"x\"} if {\n\t" + body + "\n}\n")}}
	}
	enum := src(`input.subject.level == "chi_hoi"`)
	if _, err := Load(context.Background(), enum); err == nil {
		t.Fatal("Load accepted an enum value no snapshot holds")
	}
	if _, err := Load(context.Background(), enum, WithoutLint()); err != nil {
		t.Errorf("Load(WithoutLint) = %v, want no error (the enum check is lint)", err)
	}
	if _, err := Load(context.Background(), src(`input.subject.level == undefined_var`), WithoutLint()); err == nil {
		t.Error("Load(WithoutLint) accepted an unsafe variable (OPA's own check)")
	}
}
