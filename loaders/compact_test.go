package loaders

import (
	"fmt"
	"strings"
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
		{"strings reserved ahead keep a few percent", func(mem memory.Allocator) arrow.Array {
			b := array.NewStringBuilder(mem)
			defer b.Release()
			b.Resize(200000)
			b.ReserveData(200000*8 + 200000*8/32)
			for i := 0; i < 200000; i++ {
				b.Append("hv000000")
			}
			return b.NewArray()
		}, false},
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

// TestReserveText appends batches of ids as readColumns does and checks
// that the data buffer ends within the projection's margin of its length
// (a doubling builder would hold up to twice it) and the values are kept.
func TestReserveText(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value func(i int) string
	}{
		{"one width", func(i int) string { return fmt.Sprintf("hv%08d", i) }},
		{"widths growing", func(i int) string { return strings.Repeat("x", 1+i/5000) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const total, batch = 100000, 4096
			b := array.NewStringBuilder(mem)
			defer b.Release()
			b.Resize(total)
			for start := 0; start < total; start += batch {
				bb := array.NewStringBuilder(mem)
				for i := start; i < min(start+batch, total); i++ {
					bb.Append(tc.value(i))
				}
				sa := bb.NewStringArray()
				bb.Release()
				reserveText(b, sa, start+sa.Len(), total)
				for i := 0; i < sa.Len(); i++ {
					b.Append(sa.Value(i))
				}
				sa.Release()
			}
			if l, c := b.DataLen(), b.DataCap(); c > l+l/4+64 {
				t.Errorf("data buffer: %d bytes for %d used", c, l)
			}
			a := b.NewStringArray()
			defer a.Release()
			for _, i := range []int{0, 4095, 4096, total / 2, total - 1} {
				if got, want := a.Value(i), tc.value(i); got != want {
					t.Errorf("value %d = %q, want %q", i, got, want)
				}
			}
		})
	}
}
