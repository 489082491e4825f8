package checker

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

// paramsMeta is the METADATA of a commune target X-1 that declares two
// parameters; the package line is line 15.
const paramsMeta = `# METADATA
# title: T
# custom:
#   id: X-1
#   scope: commune
#   params:
#     min_branches:
#       type: integer
#       default: 2
#       description: fewest branches
#     share: {type: number, default: 0.5}
#     since: {type: date}
#     names: {type: array, default: []}
#     on: {type: boolean, default: true}
package targets.x

`

// paramsLib is a library with lib.param, as policies/lib.rego has it.
const paramsLib = "package lib.vungmanh\n\nparam(id, key, def) := object.get(object.get(data.params, id, {}), key, def)\n"

func loadParamsTarget(t *testing.T, meta, body string) (*Policies, error) {
	t.Helper()
	return Load(context.Background(), fstest.MapFS{
		"a.rego":   {Data: []byte(meta + body)},
		"lib.rego": {Data: []byte(paramsLib)},
	})
}

// TestParamsDeclared: the built-in pack declares the parameters it reads,
// with their types and defaults, and every target declares its parameters
// (none for most).
func TestParamsDeclared(t *testing.T) {
	p, err := Load(context.Background(), os.DirFS("../policies"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for _, tg := range p.Targets() {
		if !tg.ParamsDeclared {
			t.Errorf("%s declares no custom.params", tg.ID)
		}
		for _, s := range tg.Params {
			if got[tg.ID] == nil {
				got[tg.ID] = map[string]any{}
			}
			got[tg.ID][s.Name] = s.Type + "=" + strings.TrimSpace(strings.Trim(ast.MustInterfaceToValue(s.Default).String(), `"`))
			if s.Description == "" {
				t.Errorf("%s.%s has no description", tg.ID, s.Name)
			}
		}
	}
	want := map[string]map[string]any{
		"TB-06": {"min_size": "integer=2", "max_size": "integer=3"},
		"TB-07": {"branch_size": "integer=2", "group_min_size": "integer=2", "group_max_size": "integer=3"},
		"TB-09": {"months": "integer=3", "recorded_share": "number=0.9"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("declared params (-want +got):\n%s", d)
	}
}

// TestParamsMetadataErrors: a wrong custom.params is a check error at the
// line of the parameter.
func TestParamsMetadataErrors(t *testing.T) {
	head := "# METADATA\n# title: T\n# custom:\n#   id: X-1\n#   scope: commune\n#   params:\n"
	body := "package targets.x\n\nviolation contains {\"msg\": \"x\"} if input.subject.id == \"a\"\n"
	tests := []struct{ name, decl, want string }{
		{"unknown type", "#     n: {type: int}\n", "a.rego:7:7: target targets.x: custom.params: n: type must be one of integer, number, string, boolean, date, array, object, got int"},
		{"default of the wrong type", "#     n: {type: integer, default: two}\n", `a.rego:7:7: target targets.x: custom.params: n: the default must be an integer, got the text "two"`},
		{"fractional integer", "#     a: {type: string}\n#     n: {type: integer, default: 2.5}\n", "a.rego:8:7: target targets.x: custom.params: n: the default must be an integer, got the number 2.5"},
		{"unknown key", "#     n: {type: integer, defualt: 2}\n", `a.rego:7:7: target targets.x: custom.params: n: unknown key "defualt" (type, default, description)`},
		{"reserved", "#     goal: {type: number}\n", "a.rego:7:7: target targets.x: custom.params: goal is read by the reports for every target"},
		{"not a mapping", "#     - n\n", "a.rego:6:5: target targets.x: custom.params: want a mapping"},
		{"named like a custom key", "#     id: {type: text}\n", "a.rego:7:7: target targets.x: custom.params: id: type must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), fstest.MapFS{"a.rego": {Data: []byte(head + tt.decl + body)}})
			var pe PolicyErrors
			if !errors.As(err, &pe) || len(pe) != 1 || !strings.HasPrefix(pe[0].Error(), tt.want) {
				t.Errorf("Load: %v\nwant one problem starting %q", err, tt.want)
			}
		})
	}
}

// TestParamCalls: lib.param of a target that declares its parameters must
// read a declared one, with the declared default.
func TestParamCalls(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"undeclared key", `n := data.lib.vungmanh.param("X-1", "min_brances", 2)` + "\n\nviolation contains {\"msg\": \"x\"} if n > 3\n",
			`a.rego:17:6: rego_params_error: lib.param reads "min_brances" of X-1, which X-1 does not declare in custom.params: did you mean "min_branches"?`},
		{"other default", `n := data.lib.vungmanh.param("X-1", "min_branches", 3)` + "\n\nviolation contains {\"msg\": \"x\"} if n > 3\n",
			`a.rego:17:6: rego_params_error: lib.param("X-1", "min_branches", 3): the default is not the one custom.params declares (2)`},
		{"through the import", "import data.lib.vungmanh as lib\n\nviolation contains {\"msg\": \"x\"} if lib.param(\"X-1\", \"shares\", 0.5) > 3\n",
			`a.rego:19:36: rego_params_error: lib.param reads "shares" of X-1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadParamsTarget(t, paramsMeta, tt.body)
			var pe PolicyErrors
			if !errors.As(err, &pe) || len(pe) != 1 || !strings.HasPrefix(pe[0].Error(), tt.want) {
				t.Errorf("Load: %v\nwant one problem starting %q", err, tt.want)
			}
		})
	}
	ok := []string{
		`n := data.lib.vungmanh.param("X-1", "min_branches", 2)` + "\n\nviolation contains {\"msg\": \"x\"} if n > 3\n",
		`n := data.lib.vungmanh.param("X-1", "share", 0.50)` + "\n\nviolation contains {\"msg\": \"x\"} if n > 3\n",
		`n := data.lib.vungmanh.param("X-1", "goal", 1)` + "\n\nviolation contains {\"msg\": \"x\"} if n > 3\n",
		`n := data.lib.vungmanh.param("X-2", "anything", 1)` + "\n\nviolation contains {\"msg\": \"x\"} if n > 3\n",
		`violation contains {"msg": "x"} if data.params["X-1"].min_branches > 3` + "\n",
	}
	for _, body := range ok {
		if _, err := loadParamsTarget(t, paramsMeta, body); err != nil {
			t.Errorf("Load of %q: %v, want none", body, err)
		}
	}
}

// TestCheckParams: a params file's keys unknown to a target that declares
// its parameters, and values of the wrong type, are problems at their line;
// a target id the policies do not have is a warning; goal and deadline are
// every target's; a target without custom.params is not checked.
func TestCheckParams(t *testing.T) {
	undeclared := "# METADATA\n# title: U\n# custom:\n#   id: X-2\n#   scope: branch\npackage targets.y\n\nviolation contains {\"msg\": \"x\"} if input.subject.id == \"a\"\n"
	p, err := Load(context.Background(), fstest.MapFS{
		"a.rego":   {Data: []byte(paramsMeta + "violation contains {\"msg\": \"x\"} if data.params[\"X-1\"].min_branches > 3\n")},
		"b.rego":   {Data: []byte(undeclared)},
		"lib.rego": {Data: []byte(paramsLib)},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := `X-1:
  min_brances: 3
  share: "half"
  since: 2026-01-31
  names: [a, b]
  on: yes
  goal: 90
  deadline: 2026-12-31
X-2: {whatever: 1}
X1: {min_branches: 1}
Y-9: {a: 1}
X-1b: &x
  min_branches: 1.0
`
	got, err := p.CheckParams([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, g := range got {
		w := ""
		if g.Warning {
			w = "warning "
		}
		lines = append(lines, w+g.Error())
	}
	want := []string{
		`2:3: X-1 has no parameter "min_brances": did you mean "min_branches"? (its parameters: deadline, goal, min_branches, names, on, share, since)`,
		`3:10: X-1.share must be a number, got the text "half"`,
		`6:7: X-1.on must be a boolean, got the text "yes"`, // YAML 1.2: yes is text
		`warning 10:1: parameters for "X1", which is not a target of these policies: they are not read: did you mean "X-1"?`,
		`warning 11:1: parameters for "Y-9", which is not a target of these policies: they are not read`,
		`warning 12:1: parameters for "X-1b", which is not a target of these policies: they are not read: did you mean "X-1"?`,
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("CheckParams (-want +got):\n%s", d)
	}

	bad := []struct{ src, want string }{
		{"X-1: 3\n", "1:6: X-1: want a mapping of parameter: value"},
		{"X-1:\n  min_branches: 2.5\n", "2:17: X-1.min_branches must be an integer, got the number 2.5"},
		{"X-1:\n  since: 31/01/2026\n", `2:10: X-1.since must be a date (YYYY-MM-DD), got the text "31/01/2026"`},
		{"X-1:\n  on: 1\n", "2:7: X-1.on must be a boolean, got the number 1"},
		{"X-1:\n  names: x\n", `2:10: X-1.names must be an array, got the text "x"`},
	}
	for _, b := range bad {
		got, err := p.CheckParams([]byte(b.src))
		if err != nil || len(got) != 1 || got[0].Error() != b.want || got[0].Warning {
			t.Errorf("CheckParams(%q) = %v, %v; want %q", b.src, got, err, b.want)
		}
	}
	if got, err := p.CheckParams([]byte("X-1: [unclosed\n")); err == nil {
		t.Errorf("CheckParams of bad YAML = %v, want the parse error", got)
	}
	// The sharding tests' params file (integers and a float) is valid with
	// the built-in pack.
	pack, err := Load(context.Background(), os.DirFS("../policies"))
	if err != nil {
		t.Fatal(err)
	}
	upper, err := os.ReadFile("../internal/app/testdata/upper-params.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err = pack.CheckParams(upper)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range got {
		if !g.Warning {
			t.Errorf("upper-params.yaml: %v", g)
		}
	}
}

// TestParamDefaultsInData: the declared defaults are in data.params for the
// keys the params file does not set, so that a target can read
// data.params[id][key] without a default of its own; the file's values win.
func TestParamDefaultsInData(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	p, err := loadParamsTarget(t, paramsMeta, `violation contains {"msg": sprintf("%v %v", [data.params["X-1"].min_branches, data.params["X-1"].share])} if input.subject.id == "xa-1"`+"\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{nil, "2 0.5"},
		{map[string]any{"X-1": map[string]any{"min_branches": 5}}, "5 0.5"},
		{map[string]any{"X-1": map[string]any{"share": 0.75, "goal": 1}, "other": 1}, "2 0.75"},
	} {
		var opts []Option
		if tc.params != nil {
			opts = append(opts, WithParams(tc.params))
		}
		out, err := mustNew(t, p, opts...).Evaluate(context.Background(), snap)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, r := range out.Results {
			for _, v := range r.Violations {
				msgs = append(msgs, v.Msg)
			}
		}
		if len(msgs) != 1 || msgs[0] != tc.want {
			t.Errorf("params %v: messages %q, want %q", tc.params, msgs, tc.want)
		}
	}
}

// FuzzCheckParams: checking any params file against the built-in pack
// never panics; an error is a *ParseError, and every problem has a line.
func FuzzCheckParams(f *testing.F) {
	p, err := Load(context.Background(), os.DirFS("../policies"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("TB-06:\n  min_size: 2\n  max_sise: x\n"))
	f.Add([]byte("TB-06: &a {min_size: *a}\n"))
	f.Add([]byte("TB-09: [1]\nTB-6: {}\n"))
	f.Add([]byte("TB-07: {branch_size: 2.0, group_min_size: 1e3}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		problems, err := p.CheckParams(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			return
		}
		for _, pr := range problems {
			if pr.Line < 1 || pr.Msg == "" {
				t.Fatalf("problem without a line or a message: %+v", pr)
			}
		}
	})
}
