// The buffers of a Parquet file's string columns reused from one batch
// (and row group) to the next.

package loaders

import (
	"math/bits"
	"sync"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// poolMin is the smallest buffer recyclePool keeps: smaller ones cost the
// collector little and come from its caches anyway.
const poolMin = 4 << 10

// recyclePool is the allocator of the arrays strColumn decodes a Parquet
// file's batches into: a buffer freed (its batch released once converted)
// goes to a free list by power-of-two size class, and the next request of
// that class takes it instead of fresh memory. A batch's buffers are the
// same few sizes batch after batch, so a large file touches the memory of
// a few batches instead of new pages for every one (each new page costs a
// fault and its zeroing, and garbage to collect: in a fresh process that
// is most of what copying the values costs). Buffers come from mem and go
// back to it when the file is closed (drain). Safe for concurrent use (the
// prefetch goroutine decodes while the batch before is released).
//
// The loader's own arrays and pqarrow's record reader (the values, levels
// and validity of each batch's arrays) use it; the file's page reader does
// not: pqarrow's decoder frees page buffers it still reads from (harmless
// with Go's allocator, whose Free does nothing), so pages come from mem
// itself (newParquetReader). Nothing may keep a string or a value of a
// batch past it without retaining its array: a finding copies its value
// (newFinding), dictionaries copy theirs, the columns are appended to the
// loader's own builders.
type recyclePool struct {
	mem  memory.Allocator
	mu   sync.Mutex
	free [48][][]byte            // by class: cap 1<<class
	held map[unsafe.Pointer]bool // pooled buffers, by address: a second Free of one is ignored
	// poison fills a freed buffer, so that a use after free shows: under
	// a checked allocator (the tests').
	poison bool
}

func newRecyclePool(mem memory.Allocator) *recyclePool {
	_, checked := mem.(*memory.CheckedAllocator)
	return &recyclePool{mem: mem, held: map[unsafe.Pointer]bool{}, poison: checked}
}

// class is the size class of a request of size bytes: the least c with
// 1<<c >= size.
func class(size int) int { return bits.Len(uint(size - 1)) }

func (p *recyclePool) Allocate(size int) []byte {
	if size < poolMin {
		return p.mem.Allocate(size)
	}
	c := class(size)
	p.mu.Lock()
	if n := len(p.free[c]); n > 0 {
		b := p.free[c][n-1]
		p.free[c] = p.free[c][:n-1]
		delete(p.held, unsafe.Pointer(unsafe.SliceData(b)))
		p.mu.Unlock()
		b = b[:size]
		clear(b) // as fresh memory is: builders count on zeroed bitmaps
		return b
	}
	p.mu.Unlock()
	return p.mem.Allocate(1 << c)[: size : 1<<c]
}

func (p *recyclePool) Reallocate(size int, b []byte) []byte {
	if cap(b) < poolMin { // mem's own
		if size < poolMin {
			return p.mem.Reallocate(size, b)
		}
		nb := p.Allocate(size)
		copy(nb, b)
		p.mem.Free(b)
		return nb
	}
	if size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

func (p *recyclePool) Free(b []byte) {
	if cap(b) < poolMin {
		p.mem.Free(b)
		return
	}
	b = b[:cap(b)]
	if p.poison {
		for i := range b {
			b[i] = 0xa5
		}
	}
	ptr := unsafe.Pointer(unsafe.SliceData(b))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held[ptr] {
		return
	}
	p.held[ptr] = true
	c := class(cap(b))
	p.free[c] = append(p.free[c], b)
}

// drain gives every pooled buffer back to mem.
func (p *recyclePool) drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.free {
		for _, b := range p.free[c] {
			p.mem.Free(b)
		}
		p.free[c] = nil
	}
	clear(p.held)
}
