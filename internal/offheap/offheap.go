package offheap

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// MinMapped is the smallest buffer that gets a mapping of its own.
const MinMapped = 1 << 20

// Allocator implements memory.Allocator (safe for concurrent use).
type Allocator struct {
	small  memory.Allocator
	poison bool
	mu     sync.Mutex
	maps   map[uintptr][]byte // buffer's first byte -> its whole mapping
	mapped atomic.Int64       // bytes mapped now
	peak   atomic.Int64       // most bytes mapped at once
	onMap  func(mapped int64) // called with the bytes mapped after each change, under mu
}

var _ memory.Allocator = (*Allocator)(nil)

// New returns an allocator that maps large buffers and unmaps them on Free.
func New() *Allocator {
	return &Allocator{small: memory.NewGoAllocator(), maps: map[uintptr][]byte{}}
}

// NewPoisoned returns an allocator for tests: a freed mapping is made
// unreadable and left in place, so that a read through a reference kept
// past Free faults (the process stops with "unexpected fault address")
// instead of reading memory given to something else.
func NewPoisoned() *Allocator {
	a := New()
	a.poison = true
	return a
}

// OnMapped sets f to be called with the bytes mapped after every mapping
// made, resized or freed (calls come one at a time, in the order of the
// changes). Set it before the first Allocate.
func (a *Allocator) OnMapped(f func(mapped int64)) { a.onMap = f }

// Mapped is the number of bytes mapped now: 0 once every large buffer has
// been freed.
func (a *Allocator) Mapped() int64 { return a.mapped.Load() }

// Peak is the most bytes that were mapped at once.
func (a *Allocator) Peak() int64 { return a.peak.Load() }

// Allocate returns size zeroed bytes, aligned to 64 bytes.
func (a *Allocator) Allocate(size int) []byte {
	if size < MinMapped || !canMap {
		return a.small.Allocate(size)
	}
	m := mapAnon(pageRound(size))
	a.track(m)
	return m[:size]
}

// Reallocate returns a buffer of size bytes holding b's first bytes (up
// to size), the rest zeroed; b is freed when the result is not b.
func (a *Allocator) Reallocate(size int, b []byte) []byte {
	m := a.mapping(b)
	switch {
	case m == nil && (size < MinMapped || !canMap):
		return a.small.Reallocate(size, b)
	case m != nil && size <= len(m) && !a.poison:
		return m[:size]
	case m != nil && !a.poison:
		// The kernel moves the pages, without a copy. The books change
		// under the lock with the move: once moved, m's addresses may be
		// mapped again by another goroutine's Allocate, whose entry the
		// removal of m's must not take.
		a.mu.Lock()
		n := remap(m, pageRound(size))
		a.rebook(m, n)
		a.mu.Unlock()
		return n[:size]
	}
	nb := a.Allocate(size)
	copy(nb, b[:min(len(b), size)])
	if m != nil {
		a.release(m)
	}
	return nb
}

// Free releases b's mapping (a buffer from Go's heap is left to the
// collector).
func (a *Allocator) Free(b []byte) {
	if m := a.mapping(b); m != nil {
		a.release(m)
	}
}

// release gives mapping m back (or poisons it).
func (a *Allocator) release(m []byte) {
	a.retrack(m, nil)
	if a.poison {
		poisonMap(m)
		return
	}
	unmap(m)
}

// addr is the address of b's first byte: the key of its mapping.
func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// mapping is the mapping b starts, nil for a buffer from Go's heap. A
// buffer of a mapping keeps the mapping's capacity (Reallocate shrinks by
// slicing), so a smaller capacity is surely the heap's, without a lookup.
func (a *Allocator) mapping(b []byte) []byte {
	if cap(b) < MinMapped {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.maps[addr(b)]
}

func (a *Allocator) track(m []byte) { a.retrack(nil, m) }

// retrack replaces mapping old (nil: none) with m (nil: none) in the
// books, and tells OnMapped's function the bytes mapped once. A mapping
// enters the books after it is made and leaves them before it is
// unmapped (release), so that its addresses, once given back, are in no
// entry; a remap does both at once, under the lock (Reallocate).
func (a *Allocator) retrack(old, m []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rebook(old, m)
}

// rebook is retrack with a.mu held.
func (a *Allocator) rebook(old, m []byte) {
	if old != nil {
		delete(a.maps, addr(old))
	}
	if m != nil {
		a.maps[addr(m)] = m
	}
	n := a.mapped.Add(int64(len(m) - len(old)))
	if n > a.peak.Load() {
		a.peak.Store(n)
	}
	if a.onMap != nil {
		a.onMap(n)
	}
}

func pageRound(n int) int {
	const page = 4096
	return (n + page - 1) &^ (page - 1)
}
