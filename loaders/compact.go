package loaders

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// compactSlack is how much spare capacity a column may keep: builders grow
// their buffers by doubling, so a finished column can hold up to twice the
// bytes it uses (21% more on average over a national snapshot), for the
// whole run. Above this, compactArray copies the buffers to their size.
const compactSlack = 64 << 10

// compactArray returns a copy of a whose buffers (and its children's) are
// no larger than their contents, or nil when a wastes less than
// compactSlack or less than 1/16 of the bytes it uses (a buffer reserved
// ahead, such as a text column's (growTo), keeps a few percent: copying hundreds of
// megabytes to save them would raise the load's peak more than it saves).
// The copy happens one column at a time, right after the column is built,
// so the load's peak grows by one column at most.
func compactArray(mem memory.Allocator, a arrow.Array) arrow.Array {
	if a.Data().Offset() != 0 || hasDictionary(a.Data()) {
		return nil
	}
	if s := slack(a.Data()); s < compactSlack || s < used(a.Data())/16 {
		return nil
	}
	d := compactData(mem, a.Data())
	defer d.Release()
	return array.MakeFromData(d)
}

func hasDictionary(d arrow.ArrayData) bool {
	if d.DataType().ID() == arrow.DICTIONARY {
		return true
	}
	for _, c := range d.Children() {
		if hasDictionary(c) {
			return true
		}
	}
	return false
}

func slack(d arrow.ArrayData) int {
	n := 0
	for _, b := range d.Buffers() {
		if b != nil {
			n += b.Cap() - b.Len()
		}
	}
	for _, c := range d.Children() {
		n += slack(c)
	}
	return n
}

func used(d arrow.ArrayData) int {
	n := 0
	for _, b := range d.Buffers() {
		if b != nil {
			n += b.Len()
		}
	}
	for _, c := range d.Children() {
		n += used(c)
	}
	return n
}

// compactData copies d with every buffer cut to its length; the caller
// releases the result.
func compactData(mem memory.Allocator, d arrow.ArrayData) arrow.ArrayData {
	bufs := make([]*memory.Buffer, len(d.Buffers()))
	for i, b := range d.Buffers() {
		if b == nil {
			continue
		}
		if b.Cap()-b.Len() < 4<<10 {
			b.Retain()
			bufs[i] = b
			continue
		}
		nb := memory.NewResizableBuffer(mem)
		nb.Resize(b.Len())
		copy(nb.Bytes(), b.Bytes())
		bufs[i] = nb
	}
	children := make([]arrow.ArrayData, len(d.Children()))
	for i, c := range d.Children() {
		children[i] = compactData(mem, c)
	}
	out := array.NewData(d.DataType(), d.Len(), bufs, children, d.NullN(), d.Offset())
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	for _, c := range children {
		c.Release()
	}
	return out
}
