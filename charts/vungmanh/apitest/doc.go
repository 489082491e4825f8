// Package apitest checks the vungmanh chart the way a Kubernetes API server
// checks it on `helm install`.
//
// Strict decoding into k8s.io/api types (the chart's own tests, one folder
// up) catches a field Kubernetes does not know, but not the server's
// validation: a restartPolicy that a podFailurePolicy forbids, a schedule
// that does not parse, a name too long for the Jobs a CronJob creates. The
// tests here render the chart with Helm's Go library for every values file
// in ../ci, decode each manifest with the API server's own scheme
// (k8s.io/kubernetes/pkg/api/legacyscheme: defaults applied, converted to
// the internal types, unknown fields refused as with fieldValidation=Strict)
// and run it through the server's create path, rest.BeforeCreate with the
// registry strategy of its kind (CronJob, Job, ServiceAccount, ConfigMap).
// The Jobs a CronJob creates (by schedule, and by `kubectl create job
// --from`) go through the Job strategy too. Manifests the server would
// refuse are refused here with the server's own messages.
//
// k8s.io/kubernetes is not meant to be imported and needs a replace line for
// each of its staging modules, so this is a Go module of its own, outside
// the main module's ./... . .ci/run enters it after the main suite:
//
//	cd charts/vungmanh/apitest && go test ./...
//
// The first build compiles much of Kubernetes (about 9 minutes on 2 cores);
// the tests then run in about a second.
package apitest
