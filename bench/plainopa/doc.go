// Command plainopa is the plain-OPA baseline of the benchmark harness
// (bench/run.sh): what a policy author would do without vungmanh.
//
//	plainopa export   -snapshot DIR -out data.json   # raw tables as one JSON data document
//	plainopa policies -out DIR                        # the target pack (no tests) as .rego files
//	plainopa eval     -data data.json -policies DIR -wrapper wrapper.rego -out opa.json
//	                                                  # in-process fallback of `opa eval`
//	plainopa compare  -opa opa.json -results results.parquet
//
// The export holds every table as an array of row objects with the
// spec's column names (absent value = absent key), the snapshot's name,
// title and as-of date, and the targets of the pack (id, package, scope,
// model type), under data.plain. wrapper.rego builds each subject's input with
// comprehensions over those tables and evaluates each target package with
// `with input as`; compare checks that its verdicts (pass, fail, skipped per
// target and subject) are the ones in our results.parquet.
package main
