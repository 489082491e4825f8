package checker

import (
	"context"
	"errors"
	"io/fs"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/policies"
)

// A province's own target: it reads its knob through the built-in pack's
// library, which only the stack provides.
const layerTarget = `# METADATA
# title: Cơ sở hội có đủ chi hội
# custom:
#   id: HY-01
#   scope: commune
#   severity: low
package targets.hy01_enough_branches

import data.lib.vungmanh as lib

violation contains {"msg": sprintf("%d chi hội", [n]), "refs": [input.subject.id]} if {
	n := count([u | some u in input.units; u.level == "branch"])
	n < lib.param("HY-01", "min_branches", 3)
}
`

// tb03Replacement replaces TB-03 (same id, a package of its own).
const tb03Replacement = `# METADATA
# title: Cơ sở hội có mô hình thu hút hội viên đặc thù (Hưng Yên)
# custom:
#   id: TB-03
#   scope: commune
package targets.hy_tb03

violation contains {"msg": "không có mô hình"} if {
	count(input.models) == 0
}
`

const tb03ReplacementTest = `package targets.hy_tb03_test

import data.targets.hy_tb03 as t

test_no_model if {
	count(t.violation) == 1 with input as {"models": []}
}
`

func layerFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, src := range files {
		m[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return m
}

func stack(t *testing.T, files map[string]string) (*Policies, error) {
	t.Helper()
	layer, ok, err := ReadLayer(layerFS(files))
	if err != nil {
		return nil, err
	}
	if !ok {
		t.Fatal("no layer.yaml read")
	}
	return LoadStack(context.Background(), Pack{Name: BuiltinPack, FS: policies.FS}, layer)
}

func packsOf(p *Policies) map[string]string {
	out := map[string]string{}
	for _, tg := range p.Targets() {
		out[tg.ID] = tg.Pack + " " + tg.Package + " " + tg.File
	}
	return out
}

func TestLayerAddsATarget(t *testing.T) {
	p, err := stack(t, map[string]string{"layer.yaml": "name: hung-yen\n", "hy01_enough_branches.rego": layerTarget})
	if err != nil {
		t.Fatal(err)
	}
	got := packsOf(p)
	if len(got) != 12 {
		t.Errorf("%d targets, want the 11 built-in ones and HY-01: %v", len(got), got)
	}
	if want := "hung-yen targets.hy01_enough_branches hung-yen/hy01_enough_branches.rego"; got["HY-01"] != want {
		t.Errorf("HY-01: %q, want %q", got["HY-01"], want)
	}
	if want := "builtin targets.tb01_one_plus_one builtin/tb01_one_plus_one.rego"; got["TB-01"] != want {
		t.Errorf("TB-01: %q, want %q", got["TB-01"], want)
	}
	// The layer's target evaluates with the built-in library and reads
	// data.params through it.
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	evalHY := func(params map[string]any) map[string]Status {
		out, err := mustNew(t, p, WithParams(params)).Evaluate(context.Background(), snap)
		if err != nil {
			t.Fatal(err)
		}
		st := map[string]Status{}
		for _, r := range out.Results {
			if r.Target == "HY-01" {
				st[r.Subject] = r.Status
			}
		}
		if len(st) == 0 {
			t.Fatal("HY-01 has no results")
		}
		return st
	}
	none, zero := evalHY(nil), evalHY(map[string]any{"HY-01": map[string]any{"min_branches": 0}})
	for subject, st := range zero {
		if st != StatusPass && st != StatusNotEvaluated {
			t.Errorf("with min_branches 0, %s is %s, want pass", subject, st)
		}
	}
	if cmp.Equal(none, zero) {
		t.Errorf("params changed nothing: %v", none)
	}
}

func TestLayerReplacesATargetByID(t *testing.T) {
	files := map[string]string{"layer.yaml": "name: hung-yen\nreplace: [TB-03]\n",
		"hy_tb03.rego": tb03Replacement, "hy_tb03_test.rego": tb03ReplacementTest}
	p, err := stack(t, files)
	if err != nil {
		t.Fatal(err)
	}
	got := packsOf(p)
	if want := "hung-yen targets.hy_tb03 hung-yen/hy_tb03.rego"; got["TB-03"] != want {
		t.Errorf("TB-03: %q, want %q", got["TB-03"], want)
	}
	if len(got) != 11 {
		t.Errorf("%d targets, want 11: %v", len(got), got)
	}
	// The tests of the replaced target are left out, the layer's are in.
	layer, _, err := ReadLayer(layerFS(files))
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := StackFS(context.Background(), Pack{Name: BuiltinPack, FS: policies.FS}, layer)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "tb03") {
			names = append(names, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"hung-yen/hy_tb03.rego", "hung-yen/hy_tb03_test.rego"}, names); diff != "" {
		t.Errorf("TB-03's files in the stack (-want +got):\n%s", diff)
	}
}

func TestLayerErrors(t *testing.T) {
	samePackage := strings.Replace(layerTarget, "package targets.hy01_enough_branches", "package targets.tb01_one_plus_one", 1)
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the one error
	}{
		{"duplicate id without replace", map[string]string{"layer.yaml": "name: hung-yen\n", "hy_tb03.rego": tb03Replacement},
			[]string{"hung-yen/hy_tb03.rego:4:5:", `duplicate target id "TB-03"`, "builtin/tb03_special_members.rego", "replace:"}},
		{"replace of an unknown id", map[string]string{"layer.yaml": "name: hung-yen\nreplace:\n  - TB-99\n", "hy01.rego": layerTarget},
			[]string{"hung-yen/layer.yaml:3:1:", `no target "TB-99"`, "TB-01"}},
		{"replace without the target", map[string]string{"layer.yaml": "name: hung-yen\nreplace: [TB-03]\n", "hy01.rego": layerTarget},
			[]string{"hung-yen/layer.yaml:2:1:", `none of its targets has custom.id "TB-03"`}},
		{"a built-in target's package", map[string]string{"layer.yaml": "name: hung-yen\n", "x.rego": samePackage},
			[]string{"hung-yen/x.rego:", "package targets.tb01_one_plus_one is also in builtin/tb01_one_plus_one.rego"}},
		{"unknown key", map[string]string{"layer.yaml": "name: hung-yen\nreplaces: [TB-03]\n"},
			[]string{"layer.yaml:2:1:", "replaces", "the keys are name and replace"}},
		{"bad name", map[string]string{"layer.yaml": "replace: []\nname: Hưng Yên\n"},
			[]string{"layer.yaml:2:1:", `name "Hưng Yên"`}},
		{"builtin name", map[string]string{"layer.yaml": "name: builtin\n"},
			[]string{"layer.yaml:1:1:", `name "builtin"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stack(t, tt.files)
			var pe PolicyErrors
			if !errors.As(err, &pe) || len(pe) != 1 {
				t.Fatalf("error %v, want one PolicyError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(pe.Error(), w) {
					t.Errorf("error %q does not contain %q", pe.Error(), w)
				}
			}
		})
	}
}

func TestNoLayerFile(t *testing.T) {
	_, ok, err := ReadLayer(layerFS(map[string]string{"x.rego": layerTarget}))
	if ok || err != nil {
		t.Errorf("ReadLayer of a folder without layer.yaml: ok %v, err %v", ok, err)
	}
	p, err := Load(context.Background(), policies.FS, WithPackName(BuiltinPack))
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range p.Targets() {
		if tg.Pack != BuiltinPack || strings.Contains(tg.File, "/") {
			t.Errorf("%s: pack %q, file %q; want pack builtin and the file's own name", tg.ID, tg.Pack, tg.File)
		}
	}
}
