package chart_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/policies"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// required are the values without defaults.
func required() map[string]any {
	return map[string]any{"snapshot": "gs://exports/thai-binh", "out": "gs://reports/vungmanh"}
}

func with(base map[string]any, path string, v any) map[string]any {
	keys := strings.Split(path, ".")
	m := base
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
	return base
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(".")
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return ch
}

// manifests is one rendering, strictly decoded.
type manifests struct {
	cron      *batchv1.CronJob
	sa        *corev1.ServiceAccount
	configMap *corev1.ConfigMap
	// policies is the ConfigMap of policies.layer, nil without one.
	policies *corev1.ConfigMap
	kinds    []string
}

func render(t *testing.T, vals map[string]any) (*manifests, error) {
	t.Helper()
	return renderRelease(t, "vungmanh", vals)
}

func renderRelease(t *testing.T, release string, vals map[string]any) (*manifests, error) {
	t.Helper()
	ch := loadChart(t)
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: release, Namespace: "hlhpn", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &manifests{}
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(files[name], -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var meta struct {
				Kind string `json:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, doc)
			}
			out.kinds = append(out.kinds, meta.Kind)
			var target any
			switch meta.Kind {
			case "CronJob":
				out.cron = &batchv1.CronJob{}
				target = out.cron
			case "ServiceAccount":
				out.sa = &corev1.ServiceAccount{}
				target = out.sa
			case "ConfigMap":
				cm := &corev1.ConfigMap{}
				target = cm
				if name == "vungmanh/templates/policies-layer.yaml" {
					out.policies = cm
				} else {
					out.configMap = cm
				}
			default:
				t.Fatalf("%s: unexpected kind %q", name, meta.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), target); err != nil {
				t.Fatalf("%s: strict decoding of %s: %v\n%s", name, meta.Kind, err, doc)
			}
		}
	}
	return out, nil
}

func mustRender(t *testing.T, vals map[string]any) *manifests {
	t.Helper()
	m, err := render(t, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if m.cron == nil || m.configMap == nil {
		t.Fatalf("missing objects, got kinds %v", m.kinds)
	}
	return m
}

func ptr[T any](v T) *T { return &v }

func TestDefaults(t *testing.T) {
	m := mustRender(t, required())
	cj := m.cron
	js := cj.Spec.JobTemplate.Spec
	pod := js.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]

	checks := []struct {
		name      string
		got, want any
	}{
		{"schedule", cj.Spec.Schedule, "0 2 * * *"},
		{"timeZone", cj.Spec.TimeZone, ptr("Asia/Ho_Chi_Minh")},
		{"concurrencyPolicy", cj.Spec.ConcurrencyPolicy, batchv1.ForbidConcurrent},
		{"startingDeadlineSeconds", cj.Spec.StartingDeadlineSeconds, ptr(int64(3600))},
		{"activeDeadlineSeconds", js.ActiveDeadlineSeconds, ptr(int64(14400))},
		{"ttlSecondsAfterFinished", js.TTLSecondsAfterFinished, ptr(int32(604800))},
		{"backoffLimit", js.BackoffLimit, ptr(int32(3))},
		{"completionMode", js.CompletionMode, (*batchv1.CompletionMode)(nil)},
		{"completions", js.Completions, (*int32)(nil)},
		{"restartPolicy", pod.RestartPolicy, corev1.RestartPolicyNever},
		{"pod automount", pod.AutomountServiceAccountToken, ptr(false)},
		{"serviceAccountName", pod.ServiceAccountName, "vungmanh"},
		{"pod securityContext", pod.SecurityContext, &corev1.PodSecurityContext{
			RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(65532)), RunAsGroup: ptr(int64(65532)), FSGroup: ptr(int64(65532)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}},
		{"container securityContext", c.SecurityContext, &corev1.SecurityContext{
			RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(65532)), RunAsGroup: ptr(int64(65532)),
			Privileged: ptr(false), AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
			Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}},
		{"image", c.Image, "ghcr.io/vungmanh/vungmanh:0.1.0"},
		{"args", c.Args, []string{
			"run", "--snapshot=gs://exports/thai-binh", "--out=gs://reports/vungmanh", "--run-id=$(JOB_NAME)",
			"--lang=vi", "--timezone=Asia/Ho_Chi_Minh", "--formats=json,html,csv,parquet,xlsx", "--fail-on=never", "--max-bad-rows=1%",
			"--eval-timeout=5s", "--timeout=1h", "--log-format=json", "--log-level=info", "--progress=false",
		}},
		{"env", c.Env, []corev1.EnvVar{
			{Name: "JOB_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['batch.kubernetes.io/job-name']"}}},
			{Name: "TMPDIR", Value: "/tmp"},
		}},
		{"sa automount", m.sa.AutomountServiceAccountToken, ptr(false)},
		{"sa annotations", m.sa.Annotations, map[string]string(nil)},
		{"configmap keys", keys(m.configMap.Data), []string{"params.yaml", "waivers.yaml"}},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			if diff := cmp.Diff(ch.want, ch.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	t.Run("podFailurePolicy retries only exit code 1", func(t *testing.T) {
		pfp := js.PodFailurePolicy
		if pfp == nil {
			t.Fatal("no podFailurePolicy")
		}
		want := []batchv1.PodFailurePolicyRule{
			{Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}}},
			{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptr("vungmanh"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{2, 3, 4}}},
			{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptr("vungmanh"), Operator: batchv1.PodFailurePolicyOnExitCodesOpNotIn, Values: []int32{1}}},
		}
		if diff := cmp.Diff(want, pfp.Rules); diff != "" {
			t.Errorf("rules (-want +got):\n%s", diff)
		}
		// Walk the exit codes through the rules the way the Job controller does.
		for code, wantRetry := range map[int32]bool{1: true, 2: false, 3: false, 4: false, 137: false} {
			retry := true
			for _, r := range pfp.Rules {
				if r.OnExitCodes == nil {
					continue
				}
				in := slices.Contains(r.OnExitCodes.Values, code)
				if (r.OnExitCodes.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn) == in {
					retry = r.Action != batchv1.PodFailurePolicyActionFailJob
					break
				}
			}
			if retry != wantRetry {
				t.Errorf("exit code %d: retry = %v, want %v", code, retry, wantRetry)
			}
		}
	})

	t.Run("tmp is a writable emptyDir", func(t *testing.T) {
		var tmpMount *corev1.VolumeMount
		for i := range c.VolumeMounts {
			if c.VolumeMounts[i].MountPath == "/tmp" {
				tmpMount = &c.VolumeMounts[i]
			}
		}
		if tmpMount == nil || tmpMount.ReadOnly {
			t.Fatalf("no writable /tmp mount: %+v", c.VolumeMounts)
		}
		for _, v := range pod.Volumes {
			if v.Name == tmpMount.Name {
				if v.EmptyDir == nil || v.EmptyDir.SizeLimit == nil || v.EmptyDir.SizeLimit.String() != "2Gi" {
					t.Errorf("tmp volume %+v, want an emptyDir with sizeLimit 2Gi", v)
				}
				return
			}
		}
		t.Errorf("no volume %q", tmpMount.Name)
	})

	t.Run("resources", func(t *testing.T) {
		if got := c.Resources.Requests.Memory().String(); got != "2Gi" {
			t.Errorf("memory request %s", got)
		}
		if got := c.Resources.Limits.Memory().String(); got != "4Gi" {
			t.Errorf("memory limit %s", got)
		}
	})

	t.Run("checksum annotation follows the ConfigMap", func(t *testing.T) {
		sum := js.Template.Annotations["checksum/config"]
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(sum) {
			t.Fatalf("checksum/config = %q", sum)
		}
		other := mustRender(t, with(required(), "waivers", []any{map[string]any{"target": "TB-01", "unit": "xa-1", "reason": "r", "expires": "2026-03-31"}}))
		if other.cron.Spec.JobTemplate.Spec.Template.Annotations["checksum/config"] == sum {
			t.Error("checksum/config did not change with the waivers")
		}
	})
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestNonDefaults(t *testing.T) {
	vals := required()
	vals = with(vals, "serviceAccount.gcpServiceAccount", "vungmanh@hlhpn-thaibinh.iam.gserviceaccount.com")
	vals = with(vals, "cron.schedule", "30 1 * * 1-5")
	vals = with(vals, "policies.url", "gs://policies/thai-binh.tar.gz")
	vals = with(vals, "params", map[string]any{"TB-04": map[string]any{"min_size": 2}})
	vals = with(vals, "waivers", []any{map[string]any{"target": "TB-01", "unit": "xa-thai-xuyen", "reason": "sáp nhập", "expires": "2026-03-31", "approved_by": "BTV"}})
	vals = with(vals, "run.failOn", "error")
	vals = with(vals, "run.lang", "en")
	vals = with(vals, "run.formats", []any{"json", "xlsx"})
	vals = with(vals, "run.timeout", "2h")
	vals = with(vals, "run.workers", 4)
	vals = with(vals, "image.digest", "sha256:"+strings.Repeat("a", 64))
	m := mustRender(t, vals)
	c := m.cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	wantArgs := []string{
		"run", "--snapshot=gs://exports/thai-binh", "--out=gs://reports/vungmanh", "--run-id=$(JOB_NAME)",
		"--policies=gs://policies/thai-binh.tar.gz",
		"--params=/etc/vungmanh/config/params.yaml", "--waivers=/etc/vungmanh/config/waivers.yaml",
		"--lang=en", "--timezone=Asia/Ho_Chi_Minh", "--formats=json,xlsx", "--fail-on=error", "--max-bad-rows=1%", "--eval-timeout=5s",
		"--timeout=2h", "--workers=4", "--log-format=json", "--log-level=info", "--progress=false",
	}
	if diff := cmp.Diff(wantArgs, c.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"iam.gke.io/gcp-service-account": "vungmanh@hlhpn-thaibinh.iam.gserviceaccount.com"}, m.sa.Annotations); diff != "" {
		t.Errorf("service account annotations (-want +got):\n%s", diff)
	}
	if m.cron.Spec.Schedule != "30 1 * * 1-5" {
		t.Errorf("schedule %q", m.cron.Spec.Schedule)
	}
	if want := "ghcr.io/vungmanh/vungmanh@sha256:" + strings.Repeat("a", 64); c.Image != want {
		t.Errorf("image %q, want %q", c.Image, want)
	}
	var params map[string]map[string]int
	if err := yaml.UnmarshalStrict([]byte(m.configMap.Data["params.yaml"]), &params); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]map[string]int{"TB-04": {"min_size": 2}}, params); diff != "" {
		t.Errorf("params.yaml (-want +got):\n%s", diff)
	}
	var waivers []map[string]string
	if err := yaml.UnmarshalStrict([]byte(m.configMap.Data["waivers.yaml"]), &waivers); err != nil {
		t.Fatal(err)
	}
	if len(waivers) != 1 || waivers[0]["reason"] != "sáp nhập" {
		t.Errorf("waivers.yaml = %v", waivers)
	}
}

// gogc sets GOGC in the container; "" (the default) leaves it unset, and
// the run's heap floor on.
func TestGOGC(t *testing.T) {
	for _, tt := range []struct {
		gogc string
		want []string // GOGC values in the env
	}{
		{"400", []string{"400"}},
		{"off", []string{"off"}},
		{"", nil},
	} {
		t.Run("gogc="+tt.gogc, func(t *testing.T) {
			m := mustRender(t, with(required(), "gogc", tt.gogc))
			var got []string
			for _, e := range m.cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Env {
				if e.Name == "GOGC" {
					got = append(got, e.Value)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GOGC (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPoliciesFromConfigMap(t *testing.T) {
	m := mustRender(t, with(required(), "policies.configMap", "custom-policies"))
	pod := m.cron.Spec.JobTemplate.Spec.Template.Spec
	c := pod.Containers[0]
	if !slices.Contains(c.Args, "--policies=/etc/vungmanh/policies") {
		t.Errorf("args %v lack --policies=/etc/vungmanh/policies", c.Args)
	}
	found := false
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == "custom-policies" {
			found = true
		}
	}
	if !found {
		t.Errorf("no volume from ConfigMap custom-policies: %+v", pod.Volumes)
	}
	if _, err := render(t, with(with(required(), "policies.configMap", "p"), "policies.url", "gs://p/b.tar.gz")); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("url and configMap together: err = %v, want a refusal", err)
	}
	if m.policies != nil {
		t.Errorf("a policies ConfigMap rendered without policies.layer: %+v", m.policies)
	}
}

// A province's own target, laid on the built-in pack by the chart.
const layerTarget = `# METADATA
# title: Cơ sở hội có đủ chi hội
# custom:
#   id: HY-01
#   scope: commune
package targets.hy01_enough_branches

import data.lib.vungmanh as lib

violation contains {"msg": "thiếu chi hội"} if {
	count([u | some u in input.units; u.level == "branch"]) < lib.param("HY-01", "min_branches", 3)
}
`

// TestPoliciesLayerInValues renders policies.layer into a ConfigMap of its
// own, mounted as the policy folder, and loads that folder as the binary
// would: a layer on the built-in pack.
func TestPoliciesLayerInValues(t *testing.T) {
	vals := with(required(), "policies.layer.name", "hung-yen")
	vals = with(vals, "policies.layer.replace", []any{"TB-03"})
	tb03 := strings.NewReplacer("HY-01", "TB-03", "hy01_enough_branches", "hy_tb03").Replace(layerTarget)
	vals = with(vals, "policies.layer.files", map[string]any{"hy01_enough_branches.rego": layerTarget, "hy_tb03.rego": tb03})
	m := mustRender(t, vals)
	if m.policies == nil {
		t.Fatalf("no policies ConfigMap; kinds %v", m.kinds)
	}
	if m.policies.Name != "vungmanh-policies" {
		t.Errorf("policies ConfigMap name %q", m.policies.Name)
	}
	sum := m.cron.Spec.JobTemplate.Spec.Template.Annotations["checksum/policies"]
	if other := mustRender(t, with(vals, "policies.layer.replace", []any{})); len(sum) != 64 ||
		other.cron.Spec.JobTemplate.Spec.Template.Annotations["checksum/policies"] == sum {
		t.Errorf("checksum/policies %q does not follow the layer's ConfigMap", sum)
	}
	pod := m.cron.Spec.JobTemplate.Spec.Template.Spec
	if !slices.Contains(pod.Containers[0].Args, "--policies=/etc/vungmanh/policies") {
		t.Errorf("args %v lack --policies=/etc/vungmanh/policies", pod.Containers[0].Args)
	}
	mounted := false
	for _, v := range pod.Volumes {
		if v.Name == "policies" && v.ConfigMap != nil && v.ConfigMap.Name == "vungmanh-policies" {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("the policies ConfigMap is not a volume: %+v", pod.Volumes)
	}
	// The mounted folder is a layer the binary loads.
	fsys := fstest.MapFS{}
	for k, v := range m.policies.Data {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	layer, ok, err := checker.ReadLayer(fsys)
	if err != nil || !ok {
		t.Fatalf("ReadLayer of the ConfigMap: ok %v, err %v\n%v", ok, err, m.policies.Data)
	}
	p, err := checker.LoadStack(context.Background(), checker.Pack{Name: checker.BuiltinPack, FS: policies.FS}, layer)
	if err != nil {
		t.Fatalf("load the layer: %v\n%v", err, m.policies.Data)
	}
	packs := map[string]string{}
	for _, tg := range p.Targets() {
		packs[tg.ID] = tg.Pack
	}
	if packs["HY-01"] != "hung-yen" || packs["TB-03"] != "hung-yen" || packs["TB-01"] != checker.BuiltinPack || len(packs) != 12 {
		t.Errorf("packs of the targets: %v", packs)
	}

	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"layer and configMap", with(with(required(), "policies.layer.name", "x"), "policies.configMap", "p"), "not both"},
		{"layer and url", with(with(required(), "policies.layer.name", "x"), "policies.url", "gs://p/l"), "not both"},
		{"files without a name", with(required(), "policies.layer.files", map[string]any{"a.rego": "package a"}), "needs policies.layer.name"},
		{"name builtin", with(required(), "policies.layer.name", "builtin"), "/policies/layer/name"},
		{"file not .rego", with(with(required(), "policies.layer.name", "x"), "policies.layer.files", map[string]any{"layer.yaml": "name: y"}), "does not match pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := render(t, tc.vals); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSharding(t *testing.T) {
	m := mustRender(t, with(required(), "sharding.shards", 4))
	js := m.cron.Spec.JobTemplate.Spec
	if diff := cmp.Diff([]any{ptr(batchv1.IndexedCompletion), ptr(int32(4)), ptr(int32(4))},
		[]any{js.CompletionMode, js.Completions, js.Parallelism}); diff != "" {
		t.Errorf("completionMode, completions, parallelism (-want +got):\n%s", diff)
	}
	if js.BackoffLimitPerIndex == nil || *js.BackoffLimitPerIndex != 3 || js.BackoffLimit != nil {
		t.Errorf("backoffLimitPerIndex %v, backoffLimit %v: want retries counted per index (3), no global limit",
			js.BackoffLimitPerIndex, js.BackoffLimit)
	}
	c := js.Template.Spec.Containers[0]
	args := c.Args
	for _, want := range []string{"run", "--shard-count=4", "--run-id=$(JOB_NAME)"} {
		if !slices.Contains(args, want) {
			t.Errorf("args %v lack %s", args, want)
		}
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--shard-index") {
			t.Errorf("args pass %s; the index must come from JOB_COMPLETION_INDEX", a)
		}
	}
	// Every pod of the Job (every index, every retry) gets the same run id:
	// the Job's name, through the downward API.
	var jobName *corev1.EnvVar
	for i, e := range c.Env {
		if e.Name == "JOB_NAME" {
			jobName = &c.Env[i]
		}
		if e.Name == "JOB_COMPLETION_INDEX" || e.Name == "VUNGMANH_SHARD_INDEX" {
			t.Errorf("env sets %s; Kubernetes sets the index", e.Name)
		}
	}
	if jobName == nil || jobName.ValueFrom == nil || jobName.ValueFrom.FieldRef == nil ||
		jobName.ValueFrom.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/job-name']" {
		t.Errorf("JOB_NAME env %+v, want the job-name label through the downward API", jobName)
	}
	if js.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q, want Never (podFailurePolicy needs it)", js.Template.Spec.RestartPolicy)
	}

	// One shard: a plain Job.
	one := mustRender(t, required()).cron.Spec.JobTemplate.Spec
	if one.CompletionMode != nil || one.Completions != nil || one.Parallelism != nil || one.BackoffLimitPerIndex != nil ||
		one.BackoffLimit == nil || *one.BackoffLimit != 3 {
		t.Errorf("unsharded job: completionMode %v, completions %v, parallelism %v, backoffLimitPerIndex %v, backoffLimit %v",
			one.CompletionMode, one.Completions, one.Parallelism, one.BackoffLimitPerIndex, one.BackoffLimit)
	}
	for _, a := range one.Template.Spec.Containers[0].Args {
		if strings.HasPrefix(a, "--shard") {
			t.Errorf("unsharded job passes %s", a)
		}
	}
}

func TestServiceAccountNotCreated(t *testing.T) {
	vals := with(with(required(), "serviceAccount.create", false), "serviceAccount.name", "existing")
	m := mustRender(t, vals)
	if m.sa != nil {
		t.Error("ServiceAccount rendered although create is false")
	}
	if got := m.cron.Spec.JobTemplate.Spec.Template.Spec.ServiceAccountName; got != "existing" {
		t.Errorf("serviceAccountName %q", got)
	}
}

func TestSchemaRefuses(t *testing.T) {
	tests := []struct {
		name string
		vals map[string]any
		want string
	}{
		{"missing snapshot", map[string]any{"out": "gs://r/v"}, "snapshot"},
		{"missing out", map[string]any{"snapshot": "gs://e/s"}, "out"},
		{"unknown top-level key", with(required(), "shards", 4), "shards"},
		{"unknown nested key", with(required(), "run.failon", "fail"), "failon"},
		{"typo in cron", with(required(), "cron.timezone", "UTC"), "timezone"},
		{"bad fail-on", with(required(), "run.failOn", "always"), "failOn"},
		{"bad lang", with(required(), "run.lang", "fr"), "lang"},
		{"zero shards", with(required(), "sharding.shards", 0), "shards"},
		{"shards as text", with(required(), "sharding.shards", "4"), "shards"},
		{"bad format", with(required(), "run.formats", []any{"pdf"}), "formats"},
		{"bad policies url", with(required(), "policies.url", "http://x/b.tar.gz"), "url"},
		{"waiver with unknown key", with(required(), "waivers", []any{map[string]any{"target": "TB-01", "unit": "u", "reason": "r", "expires": "2026-01-01", "until": "x"}}), "until"},
		{"bad gcp service account", with(required(), "serviceAccount.gcpServiceAccount", "not-an-email"), "gcpServiceAccount"},
		{"unknown resource", with(required(), "resources.requests.gpu", "1"), "gpu"},
		{"gogc as a number", with(required(), "gogc", 400), "gogc"},
		{"bad gogc", with(required(), "gogc", "lots"), "gogc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, tt.vals)
			if err == nil {
				t.Fatal("values accepted, want a schema error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

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
			found := false
			for _, v := range pod.Volumes {
				if v.Name == "out" && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "vungmanh-reports" {
					found = true
				}
			}
			if !found {
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
