package checker

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

// TestDecodeSetTerm checks that a violation set decoded straight from the
// kept term is what decoding its JSON conversion (OPA's default) gives, the
// errors included.
func TestDecodeSetTerm(t *testing.T) {
	tests := map[string]string{
		"undefined":          `[]`,
		"empty":              `[set()]`,
		"usual":              `[{{"msg": "b", "refs": ["x", "y"], "details": {"n": 2, "f": 0.5, "l": [1, {"a": true}]}}, {"msg": "a"}}]`,
		"refs not strings":   `[{{"msg": "a", "refs": ["x", 1, {"k": "v"}]}}]`,
		"refs not a list":    `[{{"msg": "a", "refs": "x"}}]`,
		"details not object": `[{{"msg": "a", "details": [1]}}]`,
		"no msg":             `[{{"text": "a"}}]`,
		"msg not a string":   `[{{"msg": 1}}]`,
		"not an object":      `[{"a", "b"}]`,
		"key not a string":   `[{{"msg": "a", 1: "b"}}]`,
		"not a set":          `[["a"]]`,
		"other keys":         `[{{"msg": "a", "extra": {"b": 1}, "details": {}}}]`,
	}
	// The usual shapes are decoded from the term; the others from JSON.
	fast := map[string]bool{"undefined": true, "empty": true, "usual": true, "other keys": true}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			term := ast.MustParseTerm(src)
			j, err := ast.JSON(term.Value)
			if err != nil {
				t.Fatal(err)
			}
			want, wantErr := decodeSet(j, "violation")
			got, gotErr := decodeSet(term, "violation")
			if diff := cmp.Diff(fmt.Sprint(wantErr), fmt.Sprint(gotErr)); diff != "" {
				t.Errorf("error (-json +term):\n%s", diff)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("violations (-json +term):\n%s", diff)
			}
			if _, ok := decodeSetTerm(term); ok != fast[name] {
				t.Errorf("decoded from the term: %v, want %v", ok, fast[name])
			}
			// A group query binds a partial set itself, not [set]: the same
			// violations and errors.
			if arr, ok := term.Value.(*ast.Array); ok && arr.Len() == 1 {
				if _, ok := arr.Elem(0).Value.(ast.Set); ok {
					bare, bareErr := decodeSet(arr.Elem(0), "violation")
					if diff := cmp.Diff(fmt.Sprint(wantErr), fmt.Sprint(bareErr)); diff != "" {
						t.Errorf("error of the bare set (-json +term):\n%s", diff)
					}
					if diff := cmp.Diff(want, bare); diff != "" {
						t.Errorf("violations of the bare set (-json +term):\n%s", diff)
					}
				}
			}
		})
	}
}
