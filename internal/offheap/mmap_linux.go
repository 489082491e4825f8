package offheap

import (
	"fmt"

	"golang.org/x/sys/unix"
)

const canMap = true

// mapAnon maps n zeroed bytes (n a multiple of the page size). Running
// out of address space or memory is what Go's own allocator would die
// of too.
func mapAnon(n int) []byte {
	m, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		panic(fmt.Sprintf("offheap: map %d bytes: %v", n, err))
	}
	adviseHuge(m)
	return m
}

// remap grows or shrinks m to n bytes, moving it when it must.
func remap(m []byte, n int) []byte {
	r, err := unix.Mremap(m, n, unix.MREMAP_MAYMOVE)
	if err != nil {
		panic(fmt.Sprintf("offheap: remap %d to %d bytes: %v", len(m), n, err))
	}
	adviseHuge(r)
	return r
}

// hugePage is the size from which a mapping is advised to use huge pages
// (fewer page faults: a national members column is tens of megabytes).
const hugePage = 2 << 20

// adviseHuge advises huge pages for a mapping of hugePage bytes or more:
// advice only, refused where huge pages are off.
func adviseHuge(m []byte) {
	if len(m) >= hugePage {
		_ = unix.Madvise(m, unix.MADV_HUGEPAGE)
	}
}

func unmap(m []byte) {
	if err := unix.Munmap(m); err != nil {
		panic(fmt.Sprintf("offheap: unmap %d bytes: %v", len(m), err))
	}
}

// poisonMap gives m's pages back and makes its addresses unreadable,
// without unmapping them (so that they are never handed out again).
func poisonMap(m []byte) {
	_ = unix.Madvise(m, unix.MADV_DONTNEED)
	if err := unix.Mprotect(m, unix.PROT_NONE); err != nil {
		panic(fmt.Sprintf("offheap: protect %d bytes: %v", len(m), err))
	}
}
