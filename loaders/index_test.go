package loaders

import (
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/google/go-cmp/cmp"
)

// TestIDIndex checks that the sorted path (binary search) and the hash path
// find the same rows, and that the sorted path is taken only for strictly
// increasing columns without nulls.
func TestIDIndex(t *testing.T) {
	tests := []struct {
		name       string
		ids        []string
		nulls      []bool
		wantSorted bool
	}{
		{"sorted", []string{"a", "b", "c", "hv00000001", "hv00000002"}, nil, true},
		{"single", []string{"x"}, nil, true},
		{"unsorted", []string{"b", "a", "c"}, nil, false},
		{"duplicate adjacent", []string{"a", "b", "b", "c"}, nil, false},
		{"with null", []string{"a", "", "c"}, []bool{true, false, true}, false},
		{"empty", nil, nil, false},
	}
	probes := []string{"", "a", "b", "c", "d", "x", "hv00000001", "hv00000002", "hv00000003", "0"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			b := array.NewStringBuilder(mem)
			defer b.Release()
			b.AppendValues(tc.ids, tc.nulls)
			arr := b.NewStringArray()
			defer arr.Release()

			sorted := sortedIDIndex(arr)
			if got := sorted != nil; got != tc.wantSorted {
				t.Fatalf("sortedIDIndex = %v, want sorted %v", got, tc.wantSorted)
			}
			hash := newIDIndex(arr)
			for i := 0; i < arr.Len(); i++ {
				if !arr.IsNull(i) {
					hash.insert(i)
				}
			}
			for _, p := range probes {
				want := hash.lookup(p)
				if sorted != nil {
					if diff := cmp.Diff(want, sorted.lookup(p)); diff != "" {
						t.Errorf("lookup(%q) sorted vs hash (-hash +sorted):\n%s", p, diff)
					}
				}
			}
		})
	}
}
