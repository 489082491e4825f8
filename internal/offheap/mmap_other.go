//go:build !linux

package offheap

// Elsewhere than on Linux every buffer comes from Go's heap.
const canMap = false

func mapAnon(int) []byte       { panic("offheap: no mappings on this system") }
func remap([]byte, int) []byte { panic("offheap: no mappings on this system") }
func unmap([]byte)             {}
func poisonMap([]byte)         {}
