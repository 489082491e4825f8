// Package chart holds the Go tests of the vungmanh Helm chart (the
// chart itself is the YAML next to this file; .helmignore keeps the Go
// files out of the package).
//
// The tests render the chart with the Helm SDK for default and non-default
// values, decode every manifest strictly into k8s.io/api types (a field
// that Kubernetes does not know fails the test), assert the job contract of
// docs/operations.md (schedule, time zone, Forbid, podFailurePolicy retrying only
// exit code 1, Workload Identity, hardened securityContext, run id from the
// Job name, sharding), run Helm's own lint on the defaults and on every
// values file of ci/, check that values outside values.schema.json are
// refused, and that every values example of the docs is a file of ci/.
//
//	go test ./charts/vungmanh
//
// Strict decoding is not the API server's validation. The nested Go module
// in apitest/ runs the server's own create path (k8s.io/kubernetes registry
// strategies) on the renderings of ci/; .ci/run enters it after the main
// suite:
//
//	cd charts/vungmanh/apitest && go test ./...
package chart
