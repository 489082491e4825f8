// Package regotest runs the Rego unit tests of a policy folder, with the
// semantics of `opa test`: what `vungmanh test [DIR] [--coverage] [--run
// REGEX]` does.
//
// Run reads every .rego file of an fs.FS (targets, libraries and
// *_test.rego files alike, in every sub-folder), parses them as Rego v1,
// compiles them together in strict mode (unused variables and imports are
// errors) and evaluates every rule whose name starts with test_ with OPA's
// own tester, each under a deadline (Options.Timeout, 5s by default). Rules
// named todo_test_* are reported as skipped. Tests run in parallel; the
// Report lists them sorted by file and row.
//
// The modules compile in the sandbox of `vungmanh run` and `check`
// (checker.Capabilities): a test module that calls http.send,
// net.lookup_ip_addr, time.now_ns or another refused builtin is an Error at
// the call's file:row:col ("undefined function http.send"), so a test never
// reaches a network (in CI, the cloud metadata endpoint) nor reads the clock.
//
// Outcomes follow `opa test`: a test passes when its body is true, fails
// when it is false or undefined, and errors when its evaluation raises an
// error (for example a rule with two values). A data-driven test with
// sub-results counts once per leaf case, so the PASS / FAIL counts of Report
// equal the ones of `opa test --format json` on the same folder.
//
// With Options.Coverage the report carries the share of expressions the
// tests evaluated, over every module of the folder (tests included), with
// the rows left uncovered per file: the number `opa test --coverage` prints.
//
// A folder that does not parse or compile is not a test failure: Run returns
// an Errors value that lists every problem of every file as
// "file:row:col: message" (file names relative to the folder), not only the
// first one.
//
// Only .rego files are read: JSON or YAML data files next to the policies
// are not loaded (tests give data with `with data.x as ...`).
//
// Example:
//
//	rep, err := regotest.Run(ctx, os.DirFS("policies"), regotest.Options{Coverage: true})
//	var errs regotest.Errors
//	if errors.As(err, &errs) {
//		for _, e := range errs { fmt.Fprintln(os.Stderr, e) } // file:row:col: message
//		return 2
//	}
//	if err != nil { return 1 }
//	rep.WriteText(os.Stdout) // like `opa test`: failures, PASS: N/N, coverage
//	if !rep.OK() { return 1 }
package regotest
