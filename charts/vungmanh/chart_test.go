package chart_test

import (
	"context"
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
	if !slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool {
		return v.ConfigMap != nil && v.ConfigMap.Name == "custom-policies"
	}) {
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
	if !slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool {
		return v.Name == "policies" && v.ConfigMap != nil && v.ConfigMap.Name == "vungmanh-policies"
	}) {
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
