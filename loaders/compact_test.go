package loaders

import (
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

func TestCompactArray(t *testing.T) {
	tests := []struct {
		name    string
		build   func(mem memory.Allocator) arrow.Array
		compact bool
	}{
		{"small strings stay", func(mem memory.Allocator) arrow.Array {
			b := array.NewStringBuilder(mem)
			defer b.Release()
			b.AppendValues([]string{"a", "b"}, nil)
			return b.NewArray()
		}, false},
		{"grown strings with nulls", func(mem memory.Allocator) arrow.Array {
			b := array.NewStringBuilder(mem)
			defer b.Release()
			for i := 0; i < 70000; i++ {
				if i%7 == 0 {
					b.AppendNull()
				} else {
					b.Append("hv000000")
				}
			}
			b.Append("x")
			return b.NewArray()
		}, true},
		{"list of strings", func(mem memory.Allocator) arrow.Array {
			b := array.NewListBuilder(mem, arrow.BinaryTypes.String)
			defer b.Release()
			vb := b.ValueBuilder().(*array.StringBuilder)
			for i := 0; i < 50000; i++ {
				b.Append(true)
				vb.Append("field")
				vb.Append("economy")
			}
			b.AppendNull()
			return b.NewArray()
		}, true},
		{"reserved ints (builders cut fixed-width buffers themselves)", func(mem memory.Allocator) arrow.Array {
			b := array.NewInt32Builder(mem)
			defer b.Release()
			b.Reserve(200000)
			for i := 0; i < 1000; i++ {
				b.Append(int32(i))
			}
			return b.NewArray()
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			a := tc.build(mem)
			defer a.Release()
			got := compactArray(mem, a)
			if (got != nil) != tc.compact {
				t.Fatalf("compacted = %v, want %v", got != nil, tc.compact)
			}
			if got == nil {
				return
			}
			defer got.Release()
			if !array.Equal(a, got) {
				t.Errorf("compacted array differs:\n got %v\nwant %v", got, a)
			}
			if s := slack(got.Data()); s >= 4<<10*len(got.Data().Buffers())+4<<10 {
				t.Errorf("slack after compaction = %d bytes", s)
			}
		})
	}
}
