package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFiles writes files (name -> content) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const hy01 = `# METADATA
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

const hy01Test = `package targets.hy01_enough_branches_test

import data.targets.hy01_enough_branches as t

test_too_few if {
	count(t.violation) == 1 with input as {"subject": {"id": "x"}, "units": [{"level": "branch"}]}
}

test_param if {
	count(t.violation) == 0 with input as {"subject": {"id": "x"}, "units": []} with data.params as {"HY-01": {"min_branches": 0}}
}
`

const hyTB03 = `# METADATA
# title: Cơ sở hội có mô hình thu hút hội viên đặc thù (Hưng Yên)
# custom:
#   id: TB-03
#   scope: commune
#   title_en: Every commune union has a special members model (Hưng Yên)
package targets.hy_tb03

violation contains {"msg": "không có mô hình"} if {
	count(input.models) == 0
}
`

// TestPolicyLayer runs the commands on a folder with layer.yaml: its
// targets are added to the built-in pack (TB-03 replaced by id), tests and
// check see the stack, and report.json names each target's pack.
func TestPolicyLayer(t *testing.T) {
	dir := t.TempDir()
	layer := filepath.Join(dir, "hung-yen")
	writeFiles(t, layer, map[string]string{
		"layer.yaml":                     "name: hung-yen\nreplace: [TB-03]\n",
		"hy01_enough_branches.rego":      hy01,
		"hy01_enough_branches_test.rego": hy01Test,
		"hy_tb03.rego":                   hyTB03,
	})
	dup := filepath.Join(dir, "dup")
	writeFiles(t, dup, map[string]string{"layer.yaml": "name: dup\n", "hy_tb03.rego": hyTB03})

	code, stdout, stderr := runMain(t, nil, "check", layer)
	if code != 0 || !strings.Contains(stdout, "HY-01") || !strings.Contains(stdout, "(targets.hy_tb03, pack hung-yen)") ||
		!strings.Contains(stdout, "(targets.tb01_one_plus_one, pack builtin)") || !strings.Contains(stdout, "ok: 12 target(s)") {
		t.Errorf("check: exit %d\n%s%s", code, stdout, stderr)
	}
	// The built-in tests run with the layer's, less those of TB-03.
	code, stdout, stderr = runMain(t, nil, "test", layer, "-v")
	if code != 0 || !strings.Contains(stdout, "test_param") || strings.Contains(stdout, "tb03_special_members_test") || !strings.Contains(stdout, "tb01_one_plus_one_test") {
		t.Errorf("test: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = runMain(t, nil, "check", dup)
	if code != ExitConfig || !strings.Contains(stdout, "dup/hy_tb03.rego:4:5: duplicate target id \"TB-03\": also targets.tb03_special_members in builtin/tb03_special_members.rego") {
		t.Errorf("check of a duplicate id: exit %d\n%s", code, stdout)
	}

	out := filepath.Join(dir, "out")
	code, _, stderr = runMain(t, nil, "run", "--snapshot", smallSample, "--policies", layer, "--out", out, "--formats", "json")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	l, _ := readLatest(t, out, "vietnam")
	rep := readReport(t, out, l)
	packs := map[string]string{}
	for _, tg := range rep.Targets {
		packs[tg.ID] = tg.Pack
		if tg.ID == "HY-01" && tg.Total == 0 {
			t.Errorf("HY-01 evaluated no subject")
		}
	}
	want := map[string]string{"HY-01": "hung-yen", "TB-03": "hung-yen"}
	for _, id := range []string{"TB-01", "TB-02", "TB-04", "TB-05", "TB-06", "TB-07", "TB-08", "TB-09", "TB-10", "TB-11"} {
		want[id] = "builtin"
	}
	if diff := cmp.Diff(want, packs); diff != "" {
		t.Errorf("report.json targets' packs (-want +got):\n%s", diff)
	}
}

func TestPoliciesExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pack")
	code, stdout, stderr := runMain(t, nil, "policies", "export", dir)
	if code != 0 || !strings.Contains(stdout, "wrote 24 file(s)") {
		t.Fatalf("export: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, name := range []string{"lib.rego", "tb03_special_members.rego", "tb03_special_members_test.rego"} {
		want, err := os.ReadFile(filepath.Join("../../policies", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: exported file differs from policies/%s (err %v)", name, name, err)
		}
	}
	// The exported folder is a pack of its own: it checks and tests like the built-in one.
	if code, stdout, stderr := runMain(t, nil, "test", dir); code != 0 {
		t.Errorf("test of the export: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ := runMain(t, nil, "check", dir); code != 0 || !strings.Contains(stdout, "pack pack)") {
		t.Errorf("check of the export: exit %d\n%s", code, stdout)
	}
	// A second export into the same folder writes nothing.
	code, _, stderr = runMain(t, nil, "policies", "export", dir)
	if code != ExitConfig || !strings.Contains(stderr, "exists already") {
		t.Errorf("second export: exit %d\n%s", code, stderr)
	}
}

// TestCheckSnapshotTargetErrors: check --snapshot fails (exit code 2, no
// "ok:") when a target ends in an error on subjects of the snapshot, and
// names the target, its count and its first error.
func TestCheckSnapshotTargetErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "errs")
	writeFiles(t, dir, map[string]string{"x.rego": `# METADATA
# title: Tên là số
# custom:
#   id: X-1
#   scope: commune
package targets.x

violation contains {"msg": "x"} if {
	to_number(input.subject.id) > 0
}
`})
	code, stdout, stderr := runMain(t, nil, "check", dir, "--snapshot", smallSample)
	if code != ExitConfig || strings.Contains(stdout, "ok:") || !strings.Contains(stdout, "error: X-1 errs on ") ||
		!strings.Contains(stdout, "x.rego:9: eval_builtin_error: to_number") {
		t.Errorf("exit %d, want %d, no ok line, X-1 and its error named\nstdout:\n%s\nstderr:\n%s", code, ExitConfig, stdout, stderr)
	}
	code, stdout, _ = runMain(t, nil, "check", "--snapshot", smallSample)
	if code != 0 || !strings.Contains(stdout, "evaluated without errors") {
		t.Errorf("built-in pack: exit %d\n%s", code, stdout)
	}
}

// TestCheckQuotesTheLine: each problem check prints is followed by its
// line and a caret under its column, also for a layer's files and its
// layer.yaml.
func TestCheckQuotesTheLine(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	writeFiles(t, plain, map[string]string{"x.rego": "# METADATA\n# title: T\n# custom:\n#   id: X-1\n#   scope: commune\npackage targets.x\n\nviolation contains {\"msg\": \"x\"} if {\n\tinput.subject.nmae == \"a\"\n}\n"})
	layer := filepath.Join(dir, "layer")
	writeFiles(t, layer, map[string]string{"layer.yaml": "name: l\n", "y.rego": strings.Replace(hy01, "lib.param(", "lib.parm(", 1)})
	badYAML := filepath.Join(dir, "bad-yaml")
	writeFiles(t, badYAML, map[string]string{"layer.yaml": "name: l\nreplaces: [TB-03]\n", "y.rego": hy01})
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"plain folder", plain, "x.rego:9:2: rego_type_error: undefined ref: input.subject.nmae (have: \"nmae\"; want (one of): [\"active\" \"commune_id\" \"history\" \"id\" \"kind\" \"level\" \"name\" \"parent_id\"])\n\t\tinput.subject.nmae == \"a\"\n\t\t^\n"},
		{"layer", layer, "l/y.rego:13:6: rego_type_error: undefined function data.lib.vungmanh.parm\n\t\tn < lib.parm(\"HY-01\", \"min_branches\", 3)\n\t\t    ^\n"},
		{"layer.yaml", badYAML, "layer.yaml:2:1: layer.yaml: unknown key \"replaces\" (the keys are name and replace)\n\treplaces: [TB-03]\n\t^\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runMain(t, nil, "check", tc.dir)
			if code != ExitConfig || !strings.Contains(stdout, tc.want) {
				t.Errorf("exit %d, want %d and stdout containing\n%s\ngot:\n%s%s", code, ExitConfig, tc.want, stdout, stderr)
			}
		})
	}
}
