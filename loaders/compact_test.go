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

// TestTextColumn appends batches of ids as readColumns does and checks that
// the data buffer ends within the projection's margin of its length (a
// doubling builder would hold up to twice it), that values and nulls are
// kept, and that a footer announcing far more rows than the file holds
// does not make the column reserve past the file's limit.
func TestTextColumn(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value func(i int) string // "" is a null
		total int                // rows announced
		most  int64
	}{
		{"one width", func(i int) string { return fmt.Sprintf("hv%08d", i) }, 100000, 1 << 30},
		{"widths growing", func(i int) string { return strings.Repeat("x", 1+i/5000) }, 100000, 1 << 30},
		{"nulls", func(i int) string {
			if i%3 == 0 {
				return ""
			}
			return fmt.Sprint(i)
		}, 100000, 1 << 30},
		{"rows announced, not there", func(i int) string { return strings.Repeat("y", 64) }, 1 << 30, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const rows, batch = 100000, 4096
			col := newTextColumn(mem, min(tc.total, rows), tc.most)
			for start := 0; start < rows; start += batch {
				bb := array.NewStringBuilder(mem)
				for i := start; i < min(start+batch, rows); i++ {
					if v := tc.value(i); v != "" {
						bb.Append(v)
					} else {
						bb.AppendNull()
					}
				}
				sa := bb.NewStringArray()
				bb.Release()
				col.appendArray(sa, start+sa.Len(), tc.total)
				sa.Release()
				if c := col.data.Cap(); int64(c) > max(tc.most, int64(col.size))+int64(col.size)/4+64 {
					t.Fatalf("after %d rows: data buffer of %d bytes for %d used (limit %d)", start+batch, c, col.size, tc.most)
				}
			}
			if l, c := col.size, col.data.Cap(); tc.total == rows && c > l+l/4+64 {
				t.Errorf("data buffer: %d bytes for %d used", c, l)
			}
			a := col.array().(*array.String)
			defer a.Release()
			if a.Len() != rows {
				t.Fatalf("%d values, want %d", a.Len(), rows)
			}
			for _, i := range []int{0, 1, 4095, 4096, rows / 2, rows - 1} {
				want := tc.value(i)
				if got := a.Value(i); a.IsNull(i) != (want == "") || got != want {
					t.Errorf("value %d = %q (null %v), want %q", i, got, a.IsNull(i), want)
				}
			}
		})
	}
}
