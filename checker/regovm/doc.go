// Package regovm evaluates Rego policies by interpreting the plan OPA's
// planner produces for them (the intermediate representation of package
// github.com/open-policy-agent/opa/v1/ir, which OPA's Wasm compiler also
// consumes) instead of with topdown.
//
// Plan plans a set of entrypoints once and compiles every statement of the
// plan into a Go closure; Program.Eval then runs those closures on one input,
// with the locals of each function call in a slice indexed by local number.
// Builtins are topdown's own implementations (topdown.GetBuiltin), called
// with strict errors. The results are meant to be exactly topdown's: a plan
// that uses a statement or a builtin the evaluator cannot run faithfully is
// refused at Plan time with an error wrapping ErrUnsupported, and the caller
// keeps topdown for those policies.
//
// Semantics follow OPA's Wasm compiler (internal/compiler/wasm): a statement
// that is undefined leaves the innermost block; BreakStmt{Index: n} leaves
// n+1 blocks; a ScanStmt body that is left goes on with the next element; a
// function whose only parameters are input and data is memoized for the
// duration of one Eval. Other functions are memoized too, by the values of
// their arguments, as topdown caches a function's value by its arguments
// (the first value computed for arguments equal by ast.Term.Equal is
// returned for equal ones). Where Wasm and topdown differ, topdown wins: sets and
// objects are scanned in topdown's (sorted) order, and a key into the base
// document (data given to Eval) is looked up as topdown's store does: the
// number 2024 finds the key "2024", the string "1" an array's element 1
// (basedoc.go). Input and data may be undefined (nil) in every statement,
// function calls included.
//
// # Use
//
//	prog, err := regovm.Plan(ctx, modules,
//		[]string{"targets/tb01_one_plus_one/violation"}, nil)
//	if errors.Is(err, regovm.ErrUnsupported) { ... } // evaluate with topdown
//	values, err := prog.Eval(ctx, input, data, nil) // one value per entrypoint
//
// FromPolicy does the same for a plan made elsewhere (the checker's rego
// target plugin hands over the plan of a group's query).
//
// # What lives where
//
//   - regovm.go: Plan, PlanText, Program and its Eval, EvalPlan and options.
//   - compile.go: the compiler from a plan to closures: functions and plans,
//     blocks, operands, and the dispatch switch over the IR's statement
//     types (one method each, grouped by topic in the next five files).
//   - flow.go: blocks, breaks, negation, scans, results and returns.
//   - calls.go: calls of plan functions and builtins, dynamic calls, print,
//     and the builtins refused at Plan time.
//   - assign.go: assignments, lookups of a key (DotStmt) and lengths.
//   - compare.go: equality and the type and definedness tests.
//   - build.go: arrays, objects and sets, their insertions, and merges; an
//     array literal (MakeArrayStmt then its appends) made at once.
//   - empty.go: one shared empty array, object and set per Program for the
//     literals that nothing fills, and the check that sharing them is safe.
//   - basedoc.go: keys into the base document as topdown's store reads them.
//   - const.go: constant functions, computed once per Program.
//   - exec.go: the state of one Eval, function calls and their memo.
//   - native.go: builtins run in place with topdown's own code (object.get,
//     count, membership, comparisons), or its result made with fewer
//     allocations (concat).
//   - numbers.go: division, multiplication, round and floor of numbers,
//     and comparison of numbers that are not both integers: int32-window
//     integers at once, the rest through tables of the latest answers
//     (topdown's big.Float and big.Rat work, done once per operand pair).
//   - fallback.go: topdown on the same modules, for an evaluation that errs.
//   - frompolicy.go: FromPolicy.
package regovm
