package apitest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the API server checks time zones against the zone database

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/apis/batch"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	api "k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	"k8s.io/kubernetes/pkg/registry/batch/cronjob"
	"k8s.io/kubernetes/pkg/registry/batch/job"
	"k8s.io/kubernetes/pkg/registry/core/configmap"
	"k8s.io/kubernetes/pkg/registry/core/serviceaccount"
)

const namespace = "hlhpn"

// decoder decodes like the API server with fieldValidation=Strict: into the
// internal types, defaults applied, an unknown or duplicate field an error.
var decoder = serializer.NewCodecFactory(legacyscheme.Scheme, serializer.EnableStrict).UniversalDecoder()

// manifest is one object of a rendering, in the API server's internal types.
type manifest struct {
	source string // template file
	obj    runtime.Object
}

// render renders the chart (one folder up) as `helm install` does: the
// values coalesced with the chart's defaults and checked against
// values.schema.json, then every template.
func render(t *testing.T, release string, vals map[string]any) ([]manifest, error) {
	t.Helper()
	ch, err := loader.Load("..")
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: release, Namespace: namespace, IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		if strings.HasSuffix(n, ".yaml") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []manifest
	for _, name := range names {
		for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(files[name], -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			obj, _, err := decoder.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("%s: decode: %v\n%s", name, err, doc)
			}
			out = append(out, manifest{source: name, obj: obj})
		}
	}
	return out, nil
}

func mustRender(t *testing.T, release string, vals map[string]any) []manifest {
	t.Helper()
	ms, err := render(t, release, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return ms
}

// warnings collects the warnings the server would send back to kubectl.
type warnings []string

func (w *warnings) AddWarning(_, text string) { *w = append(*w, text) }

// create runs obj through the API server's create path: the system fields
// the handler fills, then rest.BeforeCreate with the registry strategy of its
// kind. It returns the server's warnings and its error (nil when it would
// store the object).
func create(t *testing.T, obj runtime.Object) ([]string, error) {
	t.Helper()
	var (
		strategy rest.RESTCreateStrategy
		resource string
	)
	switch obj.(type) {
	case *batch.CronJob:
		strategy, resource = cronjob.Strategy, "cronjobs"
	case *batch.Job:
		strategy, resource = job.Strategy, "jobs"
	case *api.ServiceAccount:
		strategy, resource = serviceaccount.Strategy, "serviceaccounts"
	case *api.ConfigMap:
		strategy, resource = configmap.Strategy, "configmaps"
	default:
		t.Fatalf("no registry strategy for %T", obj)
	}
	gvks, _, err := legacyscheme.Scheme.ObjectKinds(obj)
	if err != nil {
		t.Fatal(err)
	}
	gv := legacyscheme.Scheme.PrioritizedVersionsForGroup(gvks[0].Group)[0]
	m, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	rest.FillObjectMetaSystemFields(m)
	ctx := genericapirequest.WithNamespace(context.Background(), namespace)
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: "create", APIPrefix: "apis", APIGroup: gv.Group, APIVersion: gv.Version,
		Namespace: namespace, Resource: resource, Name: m.GetName(),
	})
	var w warnings
	ctx = warning.WithWarningRecorder(ctx, &w)
	err = rest.BeforeCreate(strategy, ctx, obj)
	return w, err
}

// jobsOf returns the Jobs the stored CronJob makes: the one the CronJob
// controller creates at a scheduled time (named <cronjob>-<minutes since
// 1970>) and the one of `kubectl create job --from=cronjob/<name>
// <name>-manual` (NOTES.txt). Each is sent as batch/v1 and decoded as the
// server decodes a request (its defaults applied).
func jobsOf(t *testing.T, cj *batch.CronJob) []runtime.Object {
	t.Helper()
	var out []runtime.Object
	for _, j := range jobTemplates(cj) {
		data, err := runtime.Encode(legacyscheme.Codecs.LegacyCodec(batchv1.SchemeGroupVersion), j)
		if err != nil {
			t.Fatalf("encode Job %s: %v", j.Name, err)
		}
		obj, _, err := decoder.Decode(data, nil, nil)
		if err != nil {
			t.Fatalf("decode Job %s: %v\n%s", j.Name, err, data)
		}
		out = append(out, obj)
	}
	return out
}

func jobTemplates(cj *batch.CronJob) []*batch.Job {
	scheduled := time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC) // 02:00 in Asia/Ho_Chi_Minh
	mk := func(name string, annotations map[string]string) *batch.Job {
		j := &batch.Job{ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: namespace, Labels: map[string]string{}, Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: cj.Name, UID: cj.UID, Controller: ptr(true), BlockOwnerDeletion: ptr(true)}},
		}}
		for k, v := range cj.Spec.JobTemplate.Labels {
			j.Labels[k] = v
		}
		cj.Spec.JobTemplate.Spec.DeepCopyInto(&j.Spec)
		return j
	}
	return []*batch.Job{
		mk(fmt.Sprintf("%s-%d", cj.Name, scheduled.Unix()/60), map[string]string{batchv1.CronJobScheduledTimestampAnnotation: scheduled.Format(time.RFC3339)}),
		mk(cj.Name+"-manual", map[string]string{"cronjob.kubernetes.io/instantiate": "manual"}),
	}
}

func ptr[T any](v T) *T { return &v }

// ciValues are the values files of ../ci (every values example of the docs
// is one of them).
func ciValues(t *testing.T) map[string]map[string]any {
	t.Helper()
	paths, err := filepath.Glob("../ci/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no values files in ../ci")
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

// accept runs every manifest, and the Jobs of every CronJob, through the
// create path and fails the test on an error or a warning.
func accept(t *testing.T, ms []manifest) (kinds []string) {
	t.Helper()
	for _, m := range ms {
		// The CronJob first: the Jobs are made from it as stored.
		objs := []runtime.Object{m.obj}
		for i := 0; i < len(objs); i++ {
			obj := objs[i]
			kind := fmt.Sprintf("%T", obj)
			kinds = append(kinds, kind)
			w, err := create(t, obj)
			if err != nil {
				t.Errorf("%s: %s refused: %v", m.source, kind, err)
				continue
			}
			for _, text := range w {
				t.Errorf("%s: %s: warning: %s", m.source, kind, text)
			}
			if cj, ok := obj.(*batch.CronJob); ok {
				objs = append(objs, jobsOf(t, cj)...)
			}
		}
	}
	return kinds
}

func TestCIValuesAccepted(t *testing.T) {
	for name, vals := range ciValues(t) {
		t.Run(name, func(t *testing.T) {
			kinds := accept(t, mustRender(t, "vungmanh", vals))
			for _, want := range []string{"*batch.CronJob", "*batch.Job", "*core.ConfigMap"} {
				if !contains(kinds, want) {
					t.Errorf("no %s among %v", want, kinds)
				}
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestLongReleaseNames: Helm allows release names of 53 characters; the
// chart shortens its names so that the CronJob (52 at most), its Jobs (name,
// "-", 8 digits of minutes) and, in an Indexed Job, each pod's hostname
// (Job name, "-", index; 63 at most) still fit.
func TestLongReleaseNames(t *testing.T) {
	release := "hoi-lien-hiep-phu-nu-tinh-thai-binh-bao-cao-hang-dem" + "x"
	if len(release) != 53 {
		t.Fatalf("release name of %d characters", len(release))
	}
	for _, shards := range []int{1, 2, 10, 11, 100} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) {
			vals := map[string]any{"snapshot": "gs://exports/thai-binh", "out": "gs://reports/vungmanh", "sharding": map[string]any{"shards": shards}}
			accept(t, mustRender(t, release, vals))
		})
	}
}

// TestServerRefuses mutates a rendering the server accepts and checks that
// the server refuses the result with its own message.
func TestServerRefuses(t *testing.T) {
	base := map[string]any{"snapshot": "gs://exports/thai-binh", "out": "gs://reports/vungmanh"}
	sharded := map[string]any{"snapshot": "gs://exports/thai-binh", "out": "gs://reports/vungmanh", "sharding": map[string]any{"shards": 4}}
	cron := func(k string, v any) map[string]any {
		return map[string]any{"snapshot": "gs://exports/thai-binh", "out": "gs://reports/vungmanh", "cron": map[string]any{k: v}}
	}
	tests := []struct {
		name   string
		vals   map[string]any
		mutate func(*batch.CronJob)
		want   string
	}{
		{"restartPolicy OnFailure with podFailurePolicy", base, func(cj *batch.CronJob) {
			cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = api.RestartPolicyOnFailure
		}, `spec.jobTemplate.spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified`},
		{"backoffLimitPerIndex without Indexed completion", sharded, func(cj *batch.CronJob) {
			cj.Spec.JobTemplate.Spec.CompletionMode = ptr(batch.NonIndexedCompletion)
		}, `spec.jobTemplate.spec.backoffLimitPerIndex: Invalid value: 3: requires indexed completion mode`},
		{"exit code 0 in an In rule", base, func(cj *batch.CronJob) {
			r := cj.Spec.JobTemplate.Spec.PodFailurePolicy.Rules[1].OnExitCodes
			r.Values = append([]int32{0}, r.Values...)
		}, `spec.jobTemplate.spec.podFailurePolicy.rules[1].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator`},
		{"bad schedule", cron("schedule", "0 25 * * *"), nil,
			`spec.schedule: Invalid value: "0 25 * * *": end of range (25) above maximum (23): 25`},
		{"schedule with its own time zone", cron("schedule", "CRON_TZ=UTC 0 2 * * *"), nil,
			`spec.schedule: Invalid value: "CRON_TZ=UTC 0 2 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`},
		{"unknown time zone", cron("timeZone", "Asia/Hanoi"), nil,
			`spec.timeZone: Invalid value: "Asia/Hanoi": unknown time zone Asia/Hanoi`},
		{"name over 52 characters", base, func(cj *batch.CronJob) {
			cj.Name = strings.Repeat("v", 53)
		}, `metadata.name: Invalid value: "` + strings.Repeat("v", 53) + `": must be no more than 52 characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cj *batch.CronJob
			for _, m := range mustRender(t, "vungmanh", tt.vals) {
				if c, ok := m.obj.(*batch.CronJob); ok {
					cj = c
				}
			}
			if cj == nil {
				t.Fatal("no CronJob rendered")
			}
			if tt.mutate != nil {
				// The rendering as it is passes, so the refusal is the mutation's.
				if _, err := create(t, cj.DeepCopy()); err != nil {
					t.Fatalf("the rendering before the mutation is refused: %v", err)
				}
				tt.mutate(cj)
			}
			_, err := create(t, cj)
			if err == nil {
				t.Fatalf("accepted, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n%v\ndoes not contain\n%s", err, tt.want)
			}
		})
	}
}

// TestStrictDecoding: a field the API server does not know is refused, as
// kubectl's default fieldValidation=Strict does.
func TestStrictDecoding(t *testing.T) {
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: b}\nbinaryData: {}\nimmutible: true\n"
	if _, _, err := decoder.Decode([]byte(doc), nil, nil); err == nil || !strings.Contains(err.Error(), `unknown field "immutible"`) {
		t.Errorf("err = %v, want an unknown field", err)
	}
}
