package regovm_test

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// FuzzEval evaluates the feature policies on fuzzed JSON inputs with topdown
// and regovm: both must give the same values, or both an error.
func FuzzEval(f *testing.F) {
	for _, s := range featureInputs {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"xs": [[1, 2], {"a": [3]}, "x", -0, 0.0], "obj": {"b": [1], "a": {"c": null}}, "n": 3, "s": "a%vb"}`))
	f.Add([]byte(`{"xs": [1e-400, 1e400], "n": 1e400, "pair": [[1], {"a": 1}], "o": {"a": {"b": 1}}, "k": "b", "x": [1]}`))
	progs := featurePrograms(f)
	data, err := ast.InterfaceToValue(featureData)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		input, err := parseInput(string(b))
		if err != nil {
			return
		}
		if len(b) > 2048 {
			return // keep each evaluation small
		}
		for _, fp := range progs {
			if fp.err != nil || fp.unsupported {
				continue
			}
			compareFeature(t, fp, input, data)
		}
	})
}
