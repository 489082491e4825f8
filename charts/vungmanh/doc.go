// Package chart holds the Go tests of the vungmanh Helm chart (the
// chart itself is the YAML next to this file; .helmignore keeps the Go
// files out of the package).
//
// The tests render the chart with the Helm SDK for default and non-default
// values, decode every manifest strictly into k8s.io/api types (a field
// that Kubernetes does not know fails the test), assert the job contract of
// spec/cli.md (schedule, time zone, Forbid, podFailurePolicy retrying only
// exit code 1, Workload Identity, hardened securityContext, run id from the
// Job name, sharding), run Helm's own lint, and check that values outside
// values.schema.json are refused.
//
//	go test ./charts/vungmanh
package chart
