// A Parquet string column gathered batch by batch with one copy of each
// batch's buffers, instead of one builder append per value.

package loaders

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// textColumn holds the utf8 column being read from a Parquet file: the
// batches pqarrow decodes are appended whole (their offsets shifted, their
// bytes and validity copied), so that a column of plain values costs a
// memmove a batch, not an append a value. Its buffers grow by the
// projection of growTo (a builder would double them, then compactArray
// would copy them), so a finished column is within a few percent of its
// size and compactArray leaves it alone.
type textColumn struct {
	mem     memory.Allocator
	offsets *memory.Buffer // int32, n+1 of them once n > 0
	data    *memory.Buffer
	valid   *memory.Buffer // nil while every value is valid
	n       int            // values
	nulls   int
	size    int   // bytes of data used
	most    int64 // the most growTo reserves ahead (the file's decompressed limit)
}

func newTextColumn(mem memory.Allocator, rows int, most int64) *textColumn {
	t := &textColumn{mem: mem, offsets: memory.NewResizableBuffer(mem), data: memory.NewResizableBuffer(mem), most: most}
	t.offsets.Reserve(4 * (rows + 1))
	t.offsets.ResizeNoShrink(4)
	arrow.Int32Traits.CastFromBytes(t.offsets.Bytes())[0] = 0
	return t
}

// appendArray appends every value of a, nulls included (done rows of
// total are read once a is appended).
func (t *textColumn) appendArray(a *array.String, done, total int) {
	n := a.Len()
	if n == 0 {
		return
	}
	offs := a.ValueOffsets()
	first, last := offs[0], offs[n]
	t.data.Reserve(growTo(t.data.Cap(), t.size+int(last-first), done, total, t.most))
	t.data.ResizeNoShrink(t.size + int(last-first))
	copy(t.data.Bytes()[t.size:], a.ValueBytes())

	t.offsets.Reserve(growTo(t.offsets.Cap(), 4*(t.n+n+1), done, total, t.most))
	t.offsets.ResizeNoShrink(4 * (t.n + n + 1))
	out := arrow.Int32Traits.CastFromBytes(t.offsets.Bytes())[t.n+1:]
	shift := int32(t.size) - first
	for i, o := range offs[1 : n+1] {
		out[i] = o + shift
	}

	if a.NullN() > 0 && t.valid == nil {
		t.valid = memory.NewResizableBuffer(t.mem)
		t.valid.Reserve(int(bitutil.BytesForBits(int64(max(total, t.n+n)))))
		t.valid.ResizeNoShrink(int(bitutil.BytesForBits(int64(t.n))))
		bitutil.SetBitsTo(t.valid.Bytes(), 0, int64(t.n), true)
	}
	if t.valid != nil {
		bytes := int(bitutil.BytesForBits(int64(t.n + n)))
		t.valid.Reserve(growTo(t.valid.Cap(), bytes, done, total, t.most))
		t.valid.ResizeNoShrink(bytes)
		if bm := a.NullBitmapBytes(); a.NullN() > 0 && bm != nil {
			bitutil.CopyBitmap(bm, a.Data().Offset(), n, t.valid.Bytes(), t.n)
		} else {
			bitutil.SetBitsTo(t.valid.Bytes(), int64(t.n), int64(n), true)
		}
	}
	t.n += n
	t.nulls += a.NullN()
	t.size += int(last - first)
}

// array returns the column's utf8 array; t is empty afterwards.
func (t *textColumn) array() arrow.Array {
	t.data.ResizeNoShrink(t.size)
	d := array.NewData(arrow.BinaryTypes.String, t.n, []*memory.Buffer{t.valid, t.offsets, t.data}, nil, t.nulls, 0)
	defer d.Release()
	t.release()
	return array.MakeFromData(d)
}

func (t *textColumn) release() {
	for _, b := range []*memory.Buffer{t.valid, t.offsets, t.data} {
		if b != nil {
			b.Release()
		}
	}
	t.valid, t.offsets, t.data = nil, nil, nil
}

// growTo is the capacity to reserve for a buffer of capacity held that
// must now hold need bytes, done rows of total being read: need, projected
// to the whole file from the bytes a row so far (exact for values of one
// width) plus 1/32 when the file has more rows to come, but not past most
// (a footer may announce rows the file does not hold: a projection from a
// long first value must not reserve gigabytes); when the projection falls
// short, a quarter more than held at least, so copies stay few.
func growTo(held, need, done, total int, most int64) int {
	if need <= held {
		return held
	}
	want := need
	if total > done && done > 0 {
		p := int64(need) * int64(total) / int64(done)
		p += p / 32
		want = int(max(min(p, most), int64(need)))
	}
	return max(want, held+held/4)
}
