package checker

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestLoadTargets(t *testing.T) {
	p, err := Load(context.Background(), os.DirFS("testdata/policies"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range p.Targets() {
		got = append(got, tg.ID+" "+tg.Scope+" "+tg.ModelType+" "+tg.Severity+" "+tg.Package+" "+tg.File)
	}
	want := []string{
		"TB-01 commune  high targets.one_plus_one tb01.rego",
		"TB-02 commune  medium targets.three_has tb02.rego",
		"TB-03 branch  low targets.branch_size tb03.rego",
		"TB-04 district  medium targets.district_activity tb04.rego",
		"TB-05 province  medium targets.province_communes tb05.rego",
		"TB-06 group  medium targets.group_head tb06.rego",
		"TB-07 model accompany medium targets.accompany_pairs tb07.rego",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	tb01 := p.Targets()[0]
	if tb01.Title != `Mỗi cơ sở hội có mô hình "1+1"` || tb01.TitleEn != `Every commune union has a "1+1" model` ||
		!strings.HasPrefix(tb01.Description, "100%") {
		t.Errorf("TB-01 metadata: %+v", tb01)
	}
	if len(p.SHA256()) != 64 {
		t.Errorf("SHA256 = %q", p.SHA256())
	}
	p2, err := Load(context.Background(), os.DirFS("testdata/policies"))
	if err != nil {
		t.Fatal(err)
	}
	if p.SHA256() != p2.SHA256() {
		t.Errorf("SHA256 not stable")
	}
}

const okMeta = "# METADATA\n# title: T\n# custom:\n#   id: X-1\n#   scope: commune\npackage targets.x\n\n"

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // "file:row:col: message prefix"
	}{
		{
			name:  "http.send",
			files: map[string]string{"a.rego": okMeta + "violation contains {\"msg\": r.body} if {\n\tr := http.send({\"method\": \"GET\", \"url\": \"http://x\"})\n}\n"},
			want:  []string{"a.rego:9:7: rego_type_error: http.send is not allowed: it reaches the network"},
		},
		{
			name:  "opa.runtime",
			files: map[string]string{"a.rego": okMeta + "violation contains {\"msg\": \"x\"} if {\n\topa.runtime().env.HOME != \"\"\n}\n"},
			want:  []string{"a.rego:9:2: rego_type_error: opa.runtime is not allowed: it depends on the running process"},
		},
		{
			name:  "time.now_ns and rand.intn",
			files: map[string]string{"a.rego": okMeta + "violation contains {\"msg\": \"x\"} if time.now_ns() > rand.intn(\"a\", 10)\n"},
			want: []string{"a.rego:8:36: rego_type_error: time.now_ns is not allowed: it reads the clock, and a report must not depend on when it runs: use input.snapshot.as_of",
				"a.rego:8:52: rego_type_error: rand.intn is not allowed: it is random"},
		},
		{
			name:  "a function that does not exist stays undefined",
			files: map[string]string{"a.rego": okMeta + "violation contains {\"msg\": \"x\"} if time.now_nss() > 0\n"},
			want:  []string{"a.rego:8:36: rego_type_error: undefined function time.now_nss"},
		},
		{
			name:  "OPA's hint on a typo of input",
			files: map[string]string{"a.rego": okMeta + "violation contains {\"msg\": \"x\"} if input.subject.nmae == \"x\"\n"},
			want:  []string{`a.rego:8:36: rego_type_error: undefined ref: input.subject.nmae (have: "nmae"; want (one of): ["active" "commune_id" "history" "id" "kind" "level" "name" "parent_id"])`},
		},
		{
			name: "missing id and title, unknown scope, bad severity",
			files: map[string]string{
				"a.rego": "# METADATA\n# custom:\n#   scope: village\n#   severity: urgent\npackage targets.a\n\nviolation contains {\"msg\": \"x\"} if input.subject.id\n",
			},
			want: []string{
				"a.rego:1:1: target targets.a: custom.id is missing",
				"a.rego:1:1: target targets.a: title is missing",
				"a.rego:3:5: target targets.a: unknown scope \"village\"",
				"a.rego:4:5: target targets.a: unknown severity \"urgent\"",
			},
		},
		{
			name: "no metadata",
			files: map[string]string{
				"b.rego": "package targets.b\n\nviolation contains {\"msg\": \"x\"} if input.subject.id\n",
			},
			want: []string{"b.rego:1:1: target package targets.b has no METADATA block"},
		},
		{
			name: "duplicate id",
			files: map[string]string{
				"a.rego": okMeta + "violation contains {\"msg\": \"x\"} if input.subject.id\n",
				"b.rego": strings.Replace(okMeta, "targets.x", "targets.y", 1) + "violation contains {\"msg\": \"x\"} if input.subject.id\n",
			},
			want: []string{"b.rego:4:5: duplicate target id \"X-1\" (also targets.x in a.rego)"},
		},
		{
			name: "model scope without model_type",
			files: map[string]string{
				"a.rego": strings.Replace(okMeta, "commune", "model", 1) + "violation contains {\"msg\": \"x\"} if input.subject.id\n",
			},
			want: []string{"a.rego:5:5: target targets.x: scope model needs custom.model_type"},
		},
		{
			name:  "typo in input is a type error",
			files: map[string]string{"a.rego": okMeta + "violation contains {\"msg\": \"x\"} if input.subject.nmae == \"a\"\n"},
			want:  []string{"a.rego:8:36: rego_type_error: undefined ref: input.subject.nmae"},
		},
		{
			name:  "model field on a unit scope",
			files: map[string]string{"a.rego": okMeta + "violation contains {\"msg\": \"x\"} if input.unit.id == \"a\"\n"},
			want:  []string{"a.rego:8:36: rego_type_error: undefined ref: input.unit.id"},
		},
		{
			name:  "strict mode: unused variable",
			files: map[string]string{"a.rego": okMeta + "violation contains {\"msg\": \"x\"} if {\n\tsome y\n\tinput.subject.id == \"a\"\n}\n"},
			want:  []string{"a.rego:9:2: rego_compile_error: declared var y unused"},
		},
		{
			name:  "parse error",
			files: map[string]string{"a.rego": okMeta + "violation contains {\"msg\": \"x\" if {\n"},
			want:  []string{"a.rego:8:32: rego_parse_error", "a.rego:8:32: rego_parse_error", "a.rego:9:0: rego_parse_error"},
		},
		{
			name:  "no files",
			files: map[string]string{"a_test.rego": "package targets.x_test\n"},
			want:  []string{".:1:1: no .rego files"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, src := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(src)}
			}
			_, err := Load(context.Background(), fsys)
			var pe PolicyErrors
			if !errors.As(err, &pe) {
				t.Fatalf("Load error = %v (%T), want PolicyErrors", err, err)
			}
			lines := strings.Split(pe.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(lines), len(tc.want), pe.Error())
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d = %q, want prefix %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestRefusedBuiltinsDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	caps := Capabilities()
	for _, b := range caps.Builtins {
		if refused(b) {
			t.Errorf("capabilities still hold refused builtin %s", b.Name)
		}
	}
	for _, name := range RefusedBuiltins() {
		if !strings.Contains(string(doc), name) {
			t.Errorf("doc.go does not list refused builtin %s", name)
		}
	}
}

func TestLoadBundle(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	entries, err := os.ReadDir("testdata/policies")
	if err != nil {
		t.Fatal(err)
	}
	add := func(name string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: "/" + name, Mode: 0o644, Size: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile("testdata/policies/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		add(e.Name(), b)
	}
	lib, err := os.ReadFile("testdata/policies/lib/helpers.rego")
	if err != nil {
		t.Fatal(err)
	}
	add("lib/helpers.rego", lib)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := LoadBundle(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(context.Background(), os.DirFS("testdata/policies"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d.Targets(), p.Targets()); diff != "" {
		t.Errorf("bundle targets differ from directory targets (-dir +bundle):\n%s", diff)
	}
	if d.SHA256() != p.SHA256() {
		t.Errorf("bundle SHA256 %s != directory SHA256 %s", p.SHA256(), d.SHA256())
	}
}

// TestLoadListsEveryProblem puts a syntax error, a duplicate id, a forbidden
// builtin and an input type error in separate files of one folder: every
// one of them must be listed, not just the first.
func TestLoadListsEveryProblem(t *testing.T) {
	target := func(id, pkg, body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("# METADATA\n# title: T\n# custom:\n#   id: " + id + "\n#   scope: commune\npackage targets." + pkg + "\n\n" + body + "\n")}
	}
	fsys := fstest.MapFS{
		"a.rego":      target("TB-01", "a", `violation contains {"msg": "x"} if input.subject.nmae == "x"`),
		"b.rego":      target("TB-01", "b", `violation contains {"msg": "x"} if http.send({"url": "http://x", "method": "get"})`),
		"c.rego":      target("TB-03", "c", `violation contains {"msg": "x"} if opa.runtime()`),
		"d.rego":      {Data: []byte("package targets.d\n\nbroken if {\n")},
		"ok.rego":     target("TB-05", "ok", `violation contains {"msg": "x"} if count(input.models) == 0`),
		"lib_x.rego":  {Data: []byte("package lib.x\n\nf(v) := v + 1\n")},
		"a_test.rego": {Data: []byte("package targets.a_test\n\ntest_x if true\n")},
	}
	_, err := Load(context.Background(), fsys)
	var pe PolicyErrors
	if !errors.As(err, &pe) {
		t.Fatalf("Load: %v, want PolicyErrors", err)
	}
	want := []string{
		"a.rego:8:", // input.subject.nmae
		"b.rego:",   // duplicate id
		"b.rego:8:", // http.send
		"c.rego:8:", // opa.runtime
		"d.rego:",   // syntax error
	}
	text := pe.Error()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("problems do not mention %q:\n%s", w, text)
		}
	}
	for _, s := range []string{"nmae", "duplicate target id", "http.send", "opa.runtime", "rego_parse_error"} {
		if !strings.Contains(text, s) {
			t.Errorf("problems do not mention %q:\n%s", s, text)
		}
	}
}
