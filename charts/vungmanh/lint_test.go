package chart_test

// Helm's lint, the values files of ci/, the values examples of the docs, a
// local out and the names' lengths.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/policies"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestLint runs Helm's own lint (`helm lint`, `helm lint -f ci/...`) on the
// chart's defaults and on every values file of ci/.
func TestLint(t *testing.T) {
	kv, err := chartutil.ParseKubeVersion("v1.31.0")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		vals map[string]any
	}{
		{"defaults", nil},
		{"required values", required()},
		{"sharded", with(required(), "sharding.shards", 4)},
	}
	for name, vals := range ciValues(t) {
		cases = append(cases, struct {
			name string
			vals map[string]any
		}{"ci/" + name, vals})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := lint.AllWithKubeVersionAndSchemaValidation(".", tc.vals, "hlhpn", kv, false)
			for _, m := range l.Messages {
				t.Logf("lint: %s", m)
			}
			if l.HighestSeverity >= support.WarningSev {
				t.Errorf("lint found problems (highest severity %d)", l.HighestSeverity)
			}
		})
	}
}

// TestValuesDocumented checks that every value in values.yaml has a comment
// and that every object of the schema refuses unknown keys.
func TestValuesDocumented(t *testing.T) {
	raw, err := os.ReadFile("values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	keyRE := regexp.MustCompile(`^(\s*)([A-Za-z][A-Za-z0-9]*):`)
	for i, l := range lines {
		mm := keyRE.FindStringSubmatch(l)
		if mm == nil {
			continue
		}
		// A documented key has a comment above it, or is a block whose
		// keys are documented, or follows a documented sibling in a group.
		prev := ""
		if i > 0 {
			prev = strings.TrimSpace(lines[i-1])
		}
		isBlock := strings.TrimSpace(strings.TrimPrefix(l, mm[0])) == ""
		if !strings.HasPrefix(prev, "#") && !isBlock && !keyRE.MatchString(lines[i-1]) {
			t.Errorf("values.yaml:%d: %s has no comment", i+1, mm[2])
		}
	}
	var schema map[string]any
	data, err := os.ReadFile("values.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&schema); err != nil {
		t.Fatal(err)
	}
	open := map[string]bool{"/properties/params": true, "/properties/affinity": true,
		"/properties/tolerations/items": true, "/properties/extraEnv/items/properties/valueFrom": true}
	var walk func(path string, n any)
	walk = func(path string, n any) {
		obj, ok := n.(map[string]any)
		if !ok {
			return
		}
		if obj["type"] == "object" && !open[path] {
			if _, ok := obj["additionalProperties"]; !ok {
				t.Errorf("schema %s: object without additionalProperties", path)
			}
			if obj["additionalProperties"] == true {
				t.Errorf("schema %s: additionalProperties true", path)
			}
		}
		for k, v := range obj {
			walk(path+"/"+k, v)
		}
	}
	walk("", schema)
	if diff := cmp.Diff([]any{"snapshot", "out"}, schema["required"]); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}
}

// ciValues are the values files of ci/, by file name.
func ciValues(t *testing.T) map[string]map[string]any {
	t.Helper()
	paths, err := filepath.Glob("ci/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no values files in ci/")
	}
	out := map[string]map[string]any{}
	for _, p := range paths {
		v, err := chartutil.ReadValuesFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = v.AsMap()
	}
	return out
}

// TestCIValues renders every values file of ci/ and decodes its manifests
// strictly (the API server's own checks of them are in apitest/).
func TestCIValues(t *testing.T) {
	for name, vals := range ciValues(t) {
		t.Run(name, func(t *testing.T) {
			m := mustRender(t, vals)
			c := m.cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
			if !slices.Contains(c.Args, "--snapshot="+vals["snapshot"].(string)) || !slices.Contains(c.Args, "--out="+vals["out"].(string)) {
				t.Errorf("args %v do not carry the snapshot and out of %s", c.Args, name)
			}
			if m.policies == nil {
				return
			}
			// A layer in the values is one the binary loads on the built-in pack.
			fsys := fstest.MapFS{}
			for k, v := range m.policies.Data {
				fsys[k] = &fstest.MapFile{Data: []byte(v)}
			}
			layer, ok, err := checker.ReadLayer(fsys)
			if err != nil || !ok {
				t.Fatalf("ReadLayer: ok %v, err %v", ok, err)
			}
			if _, err := checker.LoadStack(context.Background(), checker.Pack{Name: checker.BuiltinPack, FS: policies.FS}, layer); err != nil {
				t.Errorf("load the layer: %v", err)
			}
		})
	}
}

// TestDocsValuesExamples: every values example in the docs (a YAML block
// whose keys are all keys of values.yaml) is covered by a values file of
// ci/, so that lint and the API server checks run on it.
func TestDocsValuesExamples(t *testing.T) {
	var defaults map[string]any
	raw, err := os.ReadFile("values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &defaults); err != nil {
		t.Fatal(err)
	}
	ci := ciValues(t)
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, "../../README.md")
	block := regexp.MustCompile("(?ms)^[ \t]*```yaml\n(.*?)^[ \t]*```")
	examples := 0
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, mm := range block.FindAllSubmatchIndex(text, -1) {
			line := 1 + bytes.Count(text[:mm[0]], []byte("\n"))
			src := dedent(string(text[mm[2]:mm[3]]))
			var vals map[string]any
			if err := yaml.Unmarshal([]byte(src), &vals); err != nil || len(vals) == 0 {
				continue
			}
			isValues := true
			for k := range vals {
				if _, ok := defaults[k]; !ok {
					isValues = false
				}
			}
			if !isValues {
				continue
			}
			examples++
			covered := false
			for _, v := range ci {
				if subset(vals, v) {
					covered = true
				}
			}
			if !covered {
				t.Errorf("%s:%d: values example not covered by a file of ci/:\n%s", doc, line, src)
			}
		}
	}
	if examples < 3 {
		t.Errorf("found %d values examples in the docs, want at least 3 (is the test still reading them?)", examples)
	}
}

// dedent removes the indentation of the first line from every line (a YAML
// block inside a numbered list).
func dedent(s string) string {
	indent := len(s) - len(strings.TrimLeft(s, " \t"))
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
			lines[i] = l[indent:]
		}
	}
	return strings.Join(lines, "\n")
}

// subset reports whether every value of a is in b (maps key by key, other
// values equal).
func subset(a, b any) bool {
	am, ok := a.(map[string]any)
	if !ok {
		return cmp.Equal(a, b)
	}
	bm, ok := b.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range am {
		bv, ok := bm[k]
		if !ok || !subset(v, bv) {
			return false
		}
	}
	return true
}

// TestLocalOut: the root filesystem is read-only, so a local out is refused
// unless a claim is mounted there, and the claim is refused with a gs:// out.
func TestLocalOut(t *testing.T) {
	for _, out := range []string{"/reports", "file:///reports", "/reports/"} {
		t.Run(out, func(t *testing.T) {
			m := mustRender(t, with(with(required(), "out", out), "outVolumeClaim", "vungmanh-reports"))
			pod := m.cron.Spec.JobTemplate.Spec.Template.Spec
			c := pod.Containers[0]
			if !slices.Contains(c.Args, "--out="+out) {
				t.Errorf("args %v lack --out=%s", c.Args, out)
			}
			var mount *corev1.VolumeMount
			for i := range c.VolumeMounts {
				if c.VolumeMounts[i].Name == "out" {
					mount = &c.VolumeMounts[i]
				}
			}
			if mount == nil || mount.MountPath != "/reports" || mount.ReadOnly {
				t.Fatalf("mount of out %+v, want /reports writable", mount)
			}
			if !slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool {
				return v.Name == "out" && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "vungmanh-reports"
			}) {
				t.Errorf("no volume out from the claim: %+v", pod.Volumes)
			}
		})
	}
	for _, v := range mustRender(t, required()).cron.Spec.JobTemplate.Spec.Template.Spec.Volumes {
		if v.Name == "out" {
			t.Errorf("a gs:// out mounts a volume: %+v", v)
		}
	}
	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"local out without a claim", with(required(), "out", "/reports"), "outVolumeClaim"},
		{"file URL without a claim", with(required(), "out", "file:///reports"), "outVolumeClaim"},
		{"claim with a gs out", with(required(), "outVolumeClaim", "vungmanh-reports"), "outVolumeClaim"},
		{"relative out", with(with(required(), "out", "reports"), "outVolumeClaim", "c"), "out"},
		{"root as out", with(with(required(), "out", "/"), "outVolumeClaim", "c"), "out"},
		{"bad claim name", with(with(required(), "out", "/reports"), "outVolumeClaim", "Reports"), "outVolumeClaim"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, tc.vals)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a refusal naming %q", err, tc.want)
			}
		})
	}
}

// TestNameLengths: with Helm's longest release name (53 characters) the
// CronJob's name fits the API server's 52, and in a sharded run each pod's
// hostname (<cronjob>-<8 digits of minutes>-<index>) fits 63. The API
// server's own checks of the same are in apitest/.
func TestNameLengths(t *testing.T) {
	release := "hoi-lien-hiep-phu-nu-tinh-thai-binh-bao-cao-hang-demx" // 53
	for _, tc := range []struct {
		shards, want int
	}{{1, 52}, {2, 52}, {10, 52}, {11, 51}, {100, 51}} {
		t.Run(fmt.Sprint(tc.shards), func(t *testing.T) {
			m, err := renderRelease(t, release, with(required(), "sharding.shards", tc.shards))
			if err != nil {
				t.Fatal(err)
			}
			name := m.cron.Name
			if len(name) != tc.want || strings.HasSuffix(name, "-") {
				t.Errorf("CronJob name %q: %d characters, want %d", name, len(name), tc.want)
			}
			host := fmt.Sprintf("%s-%d-%d", name, 29_000_000, tc.shards-1)
			if len(host) > 63 {
				t.Errorf("hostname of the last pod %q: %d characters, over 63", host, len(host))
			}
			if m.sa.Name != name || m.configMap.Name != name {
				t.Errorf("ServiceAccount %q and ConfigMap %q not named as the CronJob %q", m.sa.Name, m.configMap.Name, name)
			}
		})
	}
}
