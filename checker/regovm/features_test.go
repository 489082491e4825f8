package regovm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/checker/regovm"
)

// feature is a small policy (package t) with one rule under test, p. Each
// is planned alone, so that an error of one does not hide another.
type feature struct {
	name string
	src  string
	// unsupported: Plan must fail with ErrUnsupported.
	unsupported bool
	// entrypoints other than t/p.
	eps []string
}

var features = []feature{
	{name: "else", src: `
p := "a" if input.x == 1
else := "b" if input.x == 2
else := "c"`},
	{name: "else-function", src: `
f(x) := "one" if x == 1
else := "two" if x == 2
else := "many"
p := [f(x) | some x in input.xs]`},
	{name: "default", src: `
default p := 0
p := input.n if input.n > 0`},
	{name: "default-function", src: `
default f(_) := "none"
f(x) := x.a
p := [f(input.o), f(input.x)]`},
	{name: "not", src: `p if not input.x`},
	{name: "not-function", src: `
f(x) if x > 1
p := [x | some x in input.xs; not f(x)]`},
	{name: "every", src: `p if every x in input.xs { x > 0 }`},
	{name: "every-kv", src: `p if every k, v in input.obj { k != v }`},
	{name: "some-in", src: `p contains x if some x in input.xs`},
	{name: "some-kv", src: `p contains [k, v] if some k, v in input.obj`},
	{name: "in", src: `p := [1 in input.xs, "a" in input.xs, input.x in {1, 2}]`},
	{name: "array-comprehension", src: `p := [x | some x in input.xs; x != 2]`},
	{name: "set-comprehension", src: `p := {x | some x in input.xs}`},
	// Empty literals that nothing fills (empty.go shares them) beside ones
	// that are filled, passed on, returned and extended.
	{name: "empty-collections", src: `
f(x) := {} if x == 1
else := [] if x == 2
else := set()
g(x) := object.union(x, {"a": 1})
p := [
	object.get(input.obj, "none", {}), object.get(input.obj, "none", []), {x | some x in []}, {k: 1 | some k in []},
	{}, [], set(), f(1), f(2), f(3), g(f(1)), g({}), array.concat(f(2), [1]), f(3) | {1}, {} == f(1), [[], {}, set()],
	[x | some x in input.xs; x == "none"], {"d": {}, "e": [], "s": set()},
]`},
	{name: "object-comprehension", src: `p := {k: v | some k, v in input.obj}`},
	{name: "object-comprehension-conflict", src: `p := {"k": x | some x in input.xs}`},
	{name: "comprehension-order", src: `p := [[k | some k, _ in input.obj], [x | some x in {"b", "a", 3, [1], {"z": 1}, null}], [x | some x in {y | some y in input.xs}]]`},
	{name: "partial-set", src: `
p contains x if some x in input.xs
p contains "extra" if input.x`},
	{name: "partial-object", src: `p[k] := v if some k, v in input.obj`},
	{name: "partial-object-conflict", src: `p[k] := x if { some x in input.xs; k := "a" }`},
	{name: "partial-object-nested", src: `
p[k].count := count(input.xs) if some k, _ in input.obj
p.fixed := 1`},
	{name: "multi-value-ref-head", src: `
p[k] contains v if { some v in input.xs; k := sprintf("%v", [v]) }`},
	{name: "function-bodies", src: `
f(x) := "pos" if x > 0
f(x) := "small" if x < 10
p := f(input.n)`},
	{name: "function-bodies-same", src: `
f(x) := 1 if x > 0
f(x) := 1 if x < 10
p := f(input.n)`},
	{name: "complete-conflict", src: `p := x if some x in input.xs`},
	{name: "complete-two-rules", src: `
p := 1 if input.x
p := 2 if input.n`},
	{name: "undefined-ref", src: `p := input.a.b.c`},
	{name: "array-keys", src: `p := [object.get(input, ["xs", 0], "none"), [v | v := input.xs["a"]], [v | v := input.xs[1.0]], [v | v := input.xs[-1]], [v | v := input.xs[1.5]], [v | v := input.xs[input.n]]]`},
	{name: "set-ref", src: `
s := {x | some x in input.xs}
p := [[v | v := s[1]], [v | v := s[1.0]], [v | v := s["a"]]]`},
	{name: "numbers", src: `p := [input.n * 2, input.n / 3, input.n - 0.1, 0.1 + 0.2, 123456789012345678901234567890 + input.n, 1e3, input.n % 2, abs(input.n), round(input.n * 1000) / 10, input.n == 1.0, input.n < 2, floor(input.n), 1 == 1.0]`},
	{name: "big-numbers", src: `p := [input.n * 100000000000000000000, 2 * 100000000000000000000 / 3, 1e400, 3.14159265358979323846264338327950288419716939937510]`},
	{name: "strings", src: `p := [concat(", ", ["a", input.s]), sprintf("%s-%d-%v-%04d-%.2f", [input.s, 3, input.xs, 7, 1.5]), substring(input.s, 1, 2), upper(input.s), indexof(input.s, "b"), split(input.s, ""), trim_space(" x "), startswith(input.s, "a"), count(input.s), sprintf("%v", [input])]`},
	{name: "sets", src: `
s := {x | some x in input.xs}
p := [{1, 2, 3} - s, {1, 2} & s, s | {"z"}, count(s), s == {1, 2, 3}]`},
	{name: "object-get", src: `p := [object.get(input, "obj", {}), object.get(input, ["obj", "a"], 0), object.get(object.get(input, "o", {}), "a", "d"), object.keys(object.get(input, "obj", {}))]`},
	{name: "sort", src: `p := [sort(input.xs), sort({x | some x in input.xs}), sort(object.keys(object.get(input, "obj", {})))]`},
	{name: "count", src: `p := [count(input.xs), count(object.get(input, "obj", {})), count({1, 2}), count("héllo"), count(input.x)]`},
	{name: "builtin-error-to-number", src: `p := to_number(input.s)`},
	{name: "builtin-error-div", src: `p := 10 / input.n`},
	{name: "builtin-error-count", src: `p := count(input.n)`},
	{name: "builtin-error-sprintf", src: `p := sprintf(input.s, input.xs)`},
	{name: "builtin-error-in-not", src: `p if not to_number(input.s) == 1`},
	{name: "builtin-error-comprehension", src: `p := [to_number(x) | some x in input.xs]`},
	{name: "unify-array", src: `p := [a, b] if [a, b] := input.pair`},
	{name: "unify-object", src: `p := a if {"a": a} = input.o`},
	{name: "unify-nested", src: `p := [x, y] if [x, {"k": y}] = [input.n, {"k": input.s}]`},
	{name: "truthy", src: `
p contains "x" if input.x
p contains "n" if input.n
p contains "false" if false`},
	{name: "memo", src: `
q := count(input.xs)
r := q + 1
p := [q, r, q * r]`},
	{name: "memo-args", src: `
f(x) := sprintf("%v", [x])
g(x) := {y | some y in x; y != 1}
h(x) := [x, f(x)] if x != 2
p := [f(1), f(1.0), f(input.n), f(input.xs), g(input.xs), g(input.xs), [h(x) | some x in input.xs], [h(x) | some x in input.xs], f(1e0), f(10), f(1e1)]`},
	{name: "memo-args-order", src: `
f(x) := sprintf("%v", [x])
p := [f(input.n), f(1.0), f(1), f(input.x), [f(x) | some x in input.xs]]`},
	{name: "constant-functions", src: `
labels := {"a": "A", "b": {"c": [1, 2]}}
table := [k | some k, _ in labels]
bad := to_number("x") if count(labels) > 5
bad := 1 if count(labels) <= 5
uses := [labels, table, bad, input.x]
p := [object.get(labels, input.k, "none"), table, uses, bad]`},
	{name: "constant-function-error", src: `
bad := to_number("x")
p := [bad, input.x]`},
	{name: "native-builtins", src: `
p := [
	object.get(input.o, "a", "d"), object.get(input.o, ["a", 0], "d"), object.get(input.o, [], "d"), object.get({"1": 1, "a": {"b": 2}}, ["a", "b"], 0),
	object.get(input.obj, input.k, null), count(input.xs), count(input.s), count("héé"), count(input.obj),
	input.n in input.xs, input.x in input.obj, 1 in {1.0}, 1.0 in [1], input.k in "abc",
	[[x > y, x >= y, x < y, x <= y, x == y, x != y] | some x in input.xs; some y in [1, 1.0, "1", null, [1], {"a": 1}]],
]`},
	{name: "native-object-get-error", src: `p := object.get(input.xs, "a", 1)`},
	{name: "native-count-error", src: `p := count(input.n)`},
	// An array literal is made at once (arrayLiteral); one whose element
	// is undefined is not made.
	{name: "array-literals", src: `p := [[input.x, input.s], [1, input.n, [input.k, [input.x]]], array.concat([input.x], [input.s, input.s]), count([input.o, input.xs])]`},
	{name: "array-literal-undefined", src: `p := [x | some x in input.xs; y := [x, input.o.a]; count(y) == 2]`},
	// Arrays made in a loop and kept in a set: each iteration's array is
	// its own (an append changes the term it makes in place).
	{name: "array-literal-in-scan", src: `p contains [input.xs[_]] if true`},
	{name: "array-literals-in-set", src: `p := {[1, input.xs[_], x] | some x in input.xs}`},
	{name: "array-literals-in-array", src: `p := [[k, input.obj[k]] | some k, _ in input.obj]`},
	// concat runs natively (nativeConcat) but for errors and long strings.
	{name: "concat-array", src: `p := [concat(", ", input.xs), concat(input.s, ["a", "b", "c"]), concat("", [input.s]), concat("-", []), concat("", [input.s, input.k])]`},
	{name: "concat-set", src: `p := [concat(", ", {x | some x in input.xs}), concat(input.k, {"b", "a", input.s}), concat(".", {input.s}), concat("", set())]`},
	{name: "concat-one-nonstring", src: `p := concat(", ", [input.n])`},
	{name: "concat-long", src: `p := count(concat(input.s, [x | some i in numbers.range(1, 70000); x := "abcdefghijklmnop"]))`},
	// Division and comparison of numbers run natively (numbers.go), with
	// tables of the latest answers: integers about the int32 window's
	// edges, zero divided (its sign kept), decimals, big integers.
	{name: "divide", src: `p := [[(x / y) | some y in [1, 2, 3, 7, -3, 12, 2147483647, 2147483648, 1.5, 1e2, input.n]] | some x in [0, -0, 1, 2, 6, -7, 10, 2147483647, -2147483648, 2147483648, 0.5, input.n]]`},
	{name: "divide-shares", src: `p := [[n / t, floor((n * 1000) / t) / 10, n / t < 0.9] | some t in numbers.range(1, 30); some n in numbers.range(0, t)]`},
	{name: "multiply-round-floor", src: `p := [[x * y, round(x * y), floor(x * y), round(x), floor(x)] | some x in [0, -0, 3, 0.5, -2.5, 2.5, 0.857142857142857143, 2147483647, 2147483648, 1e2, input.n]; some y in [1000, -1, 0.1, 2147483647, 3]]`},
	{name: "compare-numbers", src: `
nums := [0.857142857142857143, 0.9, 1, 1.0, 1.00, -0.5, 1e2, 100, 12345678901234567890, 12345678901234567891, 0.1, 0.10000000000000001, 2 / 3, 0.6666666666666666667, -0, 0]
p := [[x < y, x <= y, x > y, x >= y, x == y] | some x in array.concat(nums, [input.n]); some y in nums]`},
	{name: "numbers-range", src: `p := [numbers.range(1, min([input.n, 5])), array.concat(input.xs, [1]), array.slice(input.xs, 1, 2)]`},
	{name: "walk", src: `p := [path | walk(input, [path, v]); is_number(v)]`},
	{name: "walk-ground", src: `p := [v | walk(input, [["xs", 0], v])]`},
	{name: "dynamic-call", src: `
q.a := 1
q.b := 2 if input.x
p := r if { k := input.k; r := q[k] }`},
	{name: "data-ref", src: `p := [data.params, object.get(data.params, "TB-09", {})]`},
	{name: "data-extent", src: `
q := 1
r := 2
s.u := input.x`, eps: []string{"t", "t/s"}},
	// Keys into the base document follow topdown's store (basedoc.go):
	// a number finds the string key that is its text, a string that is an
	// index finds an array's element; a rule's value and a value bound to a
	// variable are looked up by equality.
	{name: "base-number-key", src: `p := [
	[v | v := data.params.limit[input.n]], [v | v := data.params.limit[input.k]],
	[v | v := data.params.limit[2024]], [v | v := data.params.limit[1.5]], [v | v := data.params.limit[1e3]],
	[v | v := data.params.limit[1000]], [v | v := data.params.limit[true]], [v | v := data.params.limit[null]],
	[v | v := data.params.limit[[2024]]], [v | v := data.params.limit[input.xs]],
	[v | v := data.params.arr[input.k]], [v | v := data.params.arr["1"]], [v | v := data.params.arr[1.0]],
	[v | v := data.params.arr[input.n]], [v | v := data.params.arr["+1"]], [v | v := data.params.arr["a"]],
	[v | v := data.params.nested[input.n][input.k]], [v | some k; v := data.params.limit[k]],
]`},
	{name: "base-number-key-in-rule", src: `
default limit := 0
limit := data.params.limit[input.n]
p contains sprintf("over %v", [input.x]) if input.x > limit`},
	{name: "bound-number-key", src: `
lim := data.params.limit
p := [[v | x := data.params.limit; v := x[input.n]], [v | v := lim[input.n]], [v | v := lim[2024]], [v | v := object.get(data.params.limit, input.n, "none")]]`},
	{name: "rule-number-key", src: `
q["2024"] := "rule"
q["1.5"] := "rule"
r := ["a", "b"]
p := [[v | v := q[input.n]], [v | v := data.t.q[input.n]], [v | v := data.t.q[2024]], [v | v := data.t.r[input.k]]]`},
	{name: "base-and-rules-number-key", src: `
u.q := "rule"
p := [[v | v := data.t.u[input.n]], [v | v := data.t.u[input.k]], [v | v := data.t.u[2024]], [v | v := data.t.u.xs[input.k]], {[k, v] | some k; v := data.t.u[k]}]`},
	{name: "dynamic-number-key", src: `
v.w.q := {"2024": "rule", "1": "one"}
v.y.q := ["rule"]
p := [[x | x := data.t.v[input.s].q[input.n]], [x | x := data.t.v[input.s].q[input.k]], [x | x := data.t.v[input.s].q["1"]], [x | x := data.t.v[input.s].q[0]]]`},
	{name: "with", src: `
q := input.x
p := y if { y := q with input.x as 5 }`, unsupported: true},
	{name: "print", src: `p := 1 if { print("hello", input.x); true }`},
	{name: "or-logic", src: `
p contains 1 if input.x == 1
p contains 2 if { input.x > 0; input.n > 0 }`},
	{name: "type-checks", src: `p := [is_array(input.xs), is_object(input.obj), is_set({1}), is_string(input.s), is_number(input.n), type_name(input.x)]`},
	{name: "nested-comprehensions", src: `p := {k: [y | some y in input.xs; y != v] | some k, v in object.get(input, "obj", {})}`},
	{name: "ref-iteration", src: `p := [[i, x] | x := input.xs[i]]`},
	{name: "obj-iteration", src: `p := [[k, v] | v := input.obj[k]]`},
	{name: "compare-types", src: `p := [input.x < "a", null < false, [1] < {"a": 1}, {1} < [1], input.n >= input.x]`},
	{name: "json", src: `p := [json.marshal(input), json.unmarshal("{\"a\": [1, 2.5]}")]`},
	{name: "regex", src: `p := [regex.match("^a.*", input.s), replace(input.s, "a", "b")]`},
	{name: "set-in-set", src: `p := {{x} | some x in input.xs}`},
	{name: "object-keys-numbers", src: `p := {x: true | some x in input.xs}`},
	{name: "local-shadow", src: `
f(x) := y if { y := x + 1 }
p := [f(1), f(input.n), [f(z) | some z in input.xs]]`},
	{name: "ref-head-complete", src: `
q.a.b := 1
q.a.c := input.x
p := q`},
	{name: "ref-head-undefined", src: `
q.a.c := input.x
q.b := 1 if input.n
p := q`},
	{name: "function-no-result", src: `
f(x) if x == 1
p := [x | some x in input.xs; f(x)]`},
	{name: "function-returns-false", src: `
f(x) := false if x == 1
f(x) := true if x == 2
p := [x | some x in input.xs; f(x)]`},
	{name: "every-nested", src: `p if every x in input.xs { every y in input.xs { x == y } }`},
	{name: "several-entrypoints", src: `
p := 1
q := input.x
r contains x if some x in input.xs`, eps: []string{"t/p", "t/q", "t/r"}},
}

// featureInputs are the inputs every feature is evaluated on (JSON).
var featureInputs = []string{
	`{}`,
	`null`,
	`[]`,
	`{"x": 1}`,
	`{"x": 2, "xs": [1, 2, 3], "n": 3}`,
	`{"xs": [3, 1, 2, 2], "obj": {"b": 1, "a": 2}, "n": 0, "s": "abc", "k": "a", "x": true}`,
	`{"xs": ["a", 1, null, true, [1], {"a": 1}, 1.0], "n": 5, "s": "42", "k": "b", "x": 1}`,
	`{"n": 1.5, "xs": [1.5, 2.5], "s": "", "o": {"a": [1, 2]}, "x": "y"}`,
	`{"n": 12345678901234567890, "xs": [12345678901234567890, 1e2], "x": 0}`,
	`{"pair": [1, 2], "o": {"a": 1}, "n": -2, "s": "%d", "xs": [7]}`,
	`{"pair": [1], "o": {"a": 1, "b": 2}, "n": 1, "x": false, "obj": {"1": 1, "a": "a"}}`,
	`{"xs": {"a": 1}, "obj": [1, 2], "s": 3, "n": "1", "k": 1, "pair": {"0": 1}}`,
	`{"n": 2, "xs": ["1", "2", "x"], "s": "1e3", "obj": {"a": {"b": 1}}, "x": null}`,
	`{"n": 1e-7, "xs": [0, -1, 1e308], "x": 1.0}`,
	`{"n": 2024, "k": "1", "s": "z", "x": 1.0}`,
	`{"n": 1.5, "k": 2024, "s": "w", "x": 30}`,
	`{"n": 1000, "k": "2024", "s": "z", "xs": [2024], "x": 5}`,
	`{"n": 1e3, "k": true, "s": "w"}`,
	`{"n": 1, "k": "1", "s": "y"}`,
	`{"n": 2025.0, "k": 0, "s": "x", "x": 15}`,
}

type featureProg struct {
	feature
	eps  []string
	prog *regovm.Program
	td   *topdownQuery
	err  error // Plan's error
}

var (
	featureOnce  sync.Once
	featureProgs []*featureProg
	featureErr   error
)

func featurePrograms(t testing.TB) []*featureProg {
	t.Helper()
	featureOnce.Do(func() {
		ctx := context.Background()
		for _, f := range features {
			fp := &featureProg{feature: f, eps: f.eps}
			if fp.eps == nil {
				fp.eps = []string{"t/p"}
			}
			m, err := ast.ParseModuleWithOpts(f.name+".rego", "package t\n"+f.src, ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				featureErr = fmt.Errorf("%s: %w", f.name, err)
				return
			}
			modules := map[string]*ast.Module{f.name + ".rego": m}
			fp.prog, fp.err = regovm.Plan(ctx, modules, fp.eps, checker.Capabilities())
			comp, err := compileModules(modules)
			if err != nil {
				featureErr = fmt.Errorf("%s: %w", f.name, err)
				return
			}
			if fp.td, err = newTopdown(ctx, comp, fp.eps, featureData); err != nil {
				featureErr = fmt.Errorf("%s: %w", f.name, err)
				return
			}
			featureProgs = append(featureProgs, fp)
		}
	})
	if featureErr != nil {
		t.Fatal(featureErr)
	}
	return featureProgs
}

var featureData = map[string]any{
	"params": map[string]any{
		"TB-09":  map[string]any{"months": 2},
		"limit":  map[string]any{"2024": 10, "2025": 20, "1.5": "one and a half", "1e3": "1e3", "1000": "thousand", "true": "t", "null": "n"},
		"arr":    []any{"a", "b", "c"},
		"nested": map[string]any{"2024": map[string]any{"1": "deep", "2024": "deeper"}, "1": []any{"x", "y"}},
	},
	"t": map[string]any{
		"base": 1,
		"u":    map[string]any{"2024": "base", "1.5": "base 1.5", "xs": []any{"b0", "b1"}},
		"v":    map[string]any{"z": map[string]any{"q": map[string]any{"2024": "base", "1": "base one"}}, "x": map[string]any{"q": []any{"b0", "b1"}}},
	},
}

func parseInput(s string) (ast.Value, error) {
	var x any
	if err := util.UnmarshalJSON([]byte(s), &x); err != nil {
		return nil, err
	}
	return ast.InterfaceToValue(x)
}

// compareFeature evaluates fp on input with both engines.
func compareFeature(t *testing.T, fp *featureProg, input ast.Value, data ast.Value) {
	t.Helper()
	ctx := context.Background()
	want, werr := fp.td.eval(ctx, input)
	got, gerr := fp.prog.Eval(ctx, input, data, nil)
	if (werr != nil) != (gerr != nil) {
		t.Errorf("%s on %v: topdown error %v, regovm error %v (topdown %v, regovm %v)", fp.name, input, werr, gerr, want, got)
		return
	}
	if werr != nil {
		return
	}
	for i, ep := range fp.eps {
		if !sameValue(want[i], got[i]) {
			t.Errorf("%s on %v: %s:\n topdown %v\n regovm  %v", fp.name, input, ep, want[i], got[i])
		}
	}
}

func TestFeatures(t *testing.T) {
	data, err := ast.InterfaceToValue(featureData)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []ast.Value
	for _, s := range featureInputs {
		v, err := parseInput(s)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, v)
	}
	inputs = append(inputs, nil) // undefined: Eval allows it
	errs := 0
	for _, fp := range featurePrograms(t) {
		if fp.unsupported {
			if !errors.Is(fp.err, regovm.ErrUnsupported) {
				t.Errorf("%s: Plan: %v, want ErrUnsupported", fp.name, fp.err)
			}
			continue
		}
		if fp.err != nil {
			t.Errorf("%s: Plan: %v", fp.name, fp.err)
			continue
		}
		for _, in := range inputs {
			compareFeature(t, fp, in, data)
			if _, err := fp.prog.Eval(context.Background(), in, data, nil); err != nil {
				errs++
			}
		}
	}
	if errs == 0 {
		t.Error("no feature evaluation erred: the error cases are not exercised")
	}
}

// TestFeaturesCoverStatements checks that the features plan to every
// statement regovm compiles.
func TestFeaturesCoverStatements(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range features {
		if f.unsupported {
			continue
		}
		eps := f.eps
		if eps == nil {
			eps = []string{"t/p"}
		}
		m := ast.MustParseModuleWithOpts("package t\n"+f.src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		text, err := regovm.PlanText(context.Background(), map[string]*ast.Module{"x.rego": m}, eps, checker.Capabilities())
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(text, "\n") {
			for _, w := range strings.Fields(line) {
				if strings.HasSuffix(w, "Stmt") {
					seen[strings.TrimPrefix(w, "*ir.")] = true
				}
			}
		}
	}
	for _, s := range []string{"ArrayAppendStmt", "AssignIntStmt", "AssignVarOnceStmt", "AssignVarStmt", "BlockStmt", "BreakStmt",
		"CallDynamicStmt", "CallStmt", "DotStmt", "EqualStmt", "IsArrayStmt", "IsDefinedStmt", "IsObjectStmt", "IsSetStmt",
		"IsUndefinedStmt", "LenStmt", "MakeArrayStmt", "MakeNullStmt", "MakeNumberIntStmt", "MakeNumberRefStmt",
		"MakeObjectStmt", "MakeSetStmt", "NotEqualStmt", "NotStmt", "ObjectInsertOnceStmt", "ObjectInsertStmt",
		"ResetLocalStmt", "ResultSetAddStmt", "ReturnLocalStmt", "ScanStmt", "SetAddStmt"} {
		if !seen[s] {
			t.Errorf("no feature plans to %s", s)
		}
	}
}

func TestEvalCancel(t *testing.T) {
	m := ast.MustParseModuleWithOpts(`package t
p := count([x | some i in numbers.range(1, 200000); x := i * 2])`, ast.ParserOptions{RegoVersion: ast.RegoV1})
	prog, err := regovm.Plan(context.Background(), map[string]*ast.Module{"x.rego": m}, []string{"t/p"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := prog.Eval(ctx, ast.NewObject(), nil, nil); err == nil {
		t.Error("cancelled context: no error")
	}
	if v, err := prog.Eval(context.Background(), ast.NewObject(), nil, nil); err != nil || v[0].String() != "200000" {
		t.Errorf("got %v, %v", v, err)
	}
}

// TestRuleIndexFallback: topdown's rule index skips the body of s (input.xs
// is undefined), so numbers.range never errs; the plan reaches it first.
// Eval must give topdown's outcome (undefined), EvalPlan the plan's error.
func TestRuleIndexFallback(t *testing.T) {
	m := ast.MustParseModuleWithOpts(`package t
s := [numbers.range(1, input.n), array.concat(input.xs, [1])]`, ast.ParserOptions{RegoVersion: ast.RegoV1})
	prog, err := regovm.Plan(context.Background(), map[string]*ast.Module{"x.rego": m}, []string{"t/s"}, checker.Capabilities())
	if err != nil {
		t.Fatal(err)
	}
	in, _ := parseInput(`{"n": null}`)
	if _, err := prog.EvalPlan(context.Background(), in, nil, nil); err == nil {
		t.Error("EvalPlan: no error")
	}
	if v, err := prog.Eval(context.Background(), in, nil, nil); err != nil || v[0] != nil {
		t.Errorf("Eval: %v, %v; want undefined", v, err)
	}
	in, _ = parseInput(`{"n": null, "xs": []}`)
	if _, err := prog.Eval(context.Background(), in, nil, nil); err == nil || !strings.Contains(err.Error(), "numbers.range") {
		t.Errorf("Eval: %v, want topdown's numbers.range error", err)
	}
}
