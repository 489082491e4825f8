// Package policies is the Thái Bình target pack: the targets TB-01 ... TB-11
// of the 2024 Thái Bình provincial Women's Union article, written in Rego v1,
// with their Rego unit tests, embedded in the binary as FS.
//
// Each target is one package under data.targets (targets.tb01_one_plus_one,
// ...) in its own file, with a METADATA block (docs/policy-input.md) giving its
// id, scope, model_type, severity and English title. Shared helpers (rating
// order, latest rating, months before as_of, the model's commune, params
// with defaults, Vietnamese labels) live in lib.rego, package lib.vungmanh,
// which is not a target. Tests live next to each target in *_test.rego
// (package targets.<name>_test); lib_test.rego also holds the fixtures the
// tests share (package lib.vungmanh_test).
//
// The pack reads only input and data.params, and uses only deterministic
// builtins: "today" is input.snapshot.as_of. README.md is the guide for
// policy authors (in Vietnamese and English): how to add a target, test it,
// read its input, check it, and use params and waivers.
//
// Example: run the pack's tests from Go.
//
//	rep, err := regotest.Run(ctx, policies.FS, regotest.Options{Coverage: true})
//	if err != nil { return err } // compile errors, each file:row:col
//	rep.WriteText(os.Stdout)
package policies
