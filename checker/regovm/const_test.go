package regovm

import (
	"context"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestConstantFuncs(t *testing.T) {
	src := `package t

labels := {"a": "A", "b": [1, 2]}
keys := [k | some k, _ in labels]
sizes := {k: count(v) | some k, v in labels}
from_input := input.x
from_data := data.t.base
mixed := [keys, from_input]
f(x) := labels[x]
p := [labels, keys, sizes, from_input, from_data, mixed, f(input.k)]
`
	m, err := ast.ParseModuleWithOpts("t.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := planPolicy(context.Background(), map[string]*ast.Module{"t.rego": m}, []string{"t/p"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := constantFuncs(policy)
	want := map[string]bool{"g0.data.t.labels": true, "g0.data.t.keys": true, "g0.data.t.sizes": true}
	if !reflect.DeepEqual(got, want) {
		var names []string
		for _, f := range policy.Funcs.Funcs {
			names = append(names, f.Name)
		}
		t.Errorf("constant functions %v, want %v (functions %v)", got, want, names)
	}
}
