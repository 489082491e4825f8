// Package offheap is an Arrow allocator whose large buffers live outside
// the Go heap: anonymous memory mappings, returned to the system the moment
// their buffer is released.
//
// Why: the Go collector lets the heap grow to twice what is live before it
// collects (GOGC=100). Arrow buffers hold no pointers, so they cost the
// collector nothing to scan, but on the heap they count double towards a
// run's peak memory all the same. The members table is most of a national
// snapshot (80% of its bytes, 570 MB of columns at national scale), read once
// by the index and released: off the heap it counts once, for as long as it
// is held, and its release gives the memory back at once instead of at the
// next collection (bench/RESULTS.md, session 8).
//
// The rule that comes with it: nothing may keep a reference into a buffer
// past its release. With Go's allocator a string that points into a
// released record keeps its bytes alive; here the bytes are gone and
// reading them faults. Text taken from a record that outlives it must be
// copied (strings.Clone). Poison makes such a mistake fail loudly in tests:
// a released buffer is made unreadable and its addresses never reused.
//
// Buffers smaller than MinMapped come from Go's heap (a mapping costs two
// system calls and a page at least); on systems other than Linux every
// buffer does.
//
// # Where things live
//
//   - offheap.go: Allocator (Allocate, Reallocate, Free; Mapped, Peak,
//     OnMapped) and NewPoisoned for tests.
//   - mmap_linux.go: the mappings (mmap, mremap, munmap; huge pages
//     advised from 2 MiB); mmap_other.go: none elsewhere.
package offheap
