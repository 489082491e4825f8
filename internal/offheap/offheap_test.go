package offheap

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

func fill(b []byte, seed byte) {
	for i := range b {
		b[i] = seed + byte(i*7)
	}
}

func TestAllocateReallocateFree(t *testing.T) {
	for _, poison := range []bool{false, true} {
		a := New()
		if poison {
			a = NewPoisoned()
		}
		small := a.Allocate(1000)
		if len(small) != 1000 || a.Mapped() != 0 {
			t.Fatalf("small: len %d, mapped %d", len(small), a.Mapped())
		}
		fill(small, 1)
		// Growing a heap buffer past MinMapped moves it to a mapping.
		grown := a.Reallocate(3*MinMapped+5, small)
		if !canMap {
			if a.Mapped() != 0 {
				t.Fatalf("mapped %d on a system without mappings", a.Mapped())
			}
		} else if a.Mapped() != int64(pageRound(3*MinMapped+5)) {
			t.Fatalf("mapped %d after growing to %d", a.Mapped(), 3*MinMapped+5)
		}
		want := make([]byte, 1000)
		fill(want, 1)
		if !bytes.Equal(grown[:1000], want) || len(grown) != 3*MinMapped+5 {
			t.Fatalf("grown buffer lost its bytes (len %d)", len(grown))
		}
		if bytes.IndexFunc(grown[1000:], func(r rune) bool { return r != 0 }) >= 0 {
			t.Fatal("grown buffer's new bytes are not zero")
		}
		if uintptr(len(grown)) > 0 && addr(grown)%64 != 0 {
			t.Fatal("buffer not aligned to 64 bytes")
		}
		// Mapping to a larger mapping, then a smaller one.
		fill(grown, 3)
		big := a.Reallocate(9*MinMapped, grown)
		wantBig := make([]byte, 3*MinMapped+5)
		fill(wantBig, 3)
		if !bytes.Equal(big[:len(wantBig)], wantBig) {
			t.Fatal("remapped buffer lost its bytes")
		}
		shrunk := a.Reallocate(2*MinMapped, big)
		if !bytes.Equal(shrunk, wantBig[:2*MinMapped]) {
			t.Fatal("shrunk buffer lost its bytes")
		}
		// Shrunk below MinMapped, a mapped buffer is still found by Free
		// (it keeps its mapping's capacity).
		tiny := a.Reallocate(100, shrunk)
		if !bytes.Equal(tiny, wantBig[:100]) {
			t.Fatal("buffer shrunk below MinMapped lost its bytes")
		}
		shrunk = tiny
		direct := a.Allocate(MinMapped)
		if canMap && a.Peak() < int64(9*MinMapped) {
			t.Fatalf("peak %d, want at least %d", a.Peak(), 9*MinMapped)
		}
		a.Free(shrunk)
		a.Free(direct)
		a.Free(nil)
		if a.Mapped() != 0 {
			t.Fatalf("mapped %d after every buffer is freed (poison %v)", a.Mapped(), poison)
		}
	}
}

// TestArrowArrays builds, reads and releases Arrow arrays through the
// allocator (and Arrow's checked allocator around it): every byte mapped
// is given back.
func TestArrowArrays(t *testing.T) {
	a := New()
	checked := memory.NewCheckedAllocator(a)
	const n = 1 << 20
	ib := array.NewInt64Builder(checked)
	sb := array.NewStringBuilder(checked)
	for i := range n {
		ib.Append(int64(i) * 3)
		sb.Append(strings.Repeat("x", i%5))
	}
	ints, strs := ib.NewInt64Array(), sb.NewStringArray()
	ib.Release()
	sb.Release()
	if canMap && a.Mapped() < 8*n {
		t.Fatalf("mapped %d bytes for %d int64 values", a.Mapped(), n)
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		if ints.Value(i) != int64(i)*3 || strs.Value(i) != strings.Repeat("x", i%5) {
			t.Fatalf("row %d: %d %q", i, ints.Value(i), strs.Value(i))
		}
	}
	ints.Release()
	strs.Release()
	checked.AssertSize(t, 0)
	if a.Mapped() != 0 {
		t.Fatalf("mapped %d after release", a.Mapped())
	}
}

// TestConcurrent allocates, grows (a remap, which may move the pages) and
// frees from several goroutines at once: every mapping is found again and
// given back. A remap gives its old addresses back to the kernel, which may
// hand them at once to another goroutine's Allocate: the books must not
// lose that goroutine's mapping (they did in 9 of 20 runs of this test
// before the remap and its bookkeeping were done under one lock).
func TestConcurrent(t *testing.T) {
	a := New()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 500 {
				b := a.Allocate(MinMapped + g*4096 + i)
				b[0], b[len(b)-1] = byte(g), byte(i)
				n := len(b)
				b = a.Reallocate(2*MinMapped+i, b)
				if b[0] != byte(g) || b[n-1] != byte(i) {
					t.Errorf("goroutine %d lost its bytes", g)
				}
				a.Free(b)
			}
		})
	}
	wg.Wait()
	if a.Mapped() != 0 {
		t.Fatalf("mapped %d after every goroutine freed its buffers", a.Mapped())
	}
}

// TestPoisonFaults reads a poisoned buffer after Free, in a child process:
// the read must stop it with a fault, not return bytes.
func TestPoisonFaults(t *testing.T) {
	if !canMap {
		t.Skip("no mappings on " + runtime.GOOS)
	}
	if os.Getenv("OFFHEAP_POISON_CHILD") == "1" {
		a := NewPoisoned()
		b := a.Allocate(2 * MinMapped)
		b[100] = 42
		a.Free(b)
		os.Stdout.WriteString("read after free: " + string(rune('0'+b[100]%10)) + "\n")
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPoisonFaults$")
	cmd.Env = append(os.Environ(), "OFFHEAP_POISON_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "unexpected fault address") {
		t.Fatalf("a read after Free did not fault (err %v):\n%s", err, out)
	}
}

// TestOnMapped follows the bytes mapped through a buffer's life.
func TestOnMapped(t *testing.T) {
	if !canMap {
		t.Skip("no mappings on " + runtime.GOOS)
	}
	a := New()
	var seen []int64
	a.OnMapped(func(n int64) { seen = append(seen, n) })
	b := a.Allocate(MinMapped)
	b = a.Reallocate(3*MinMapped, b)
	a.Free(b)
	// A remap is one change: the limit set from it never dips to the
	// bytes mapped without the buffer in between.
	want := []int64{MinMapped, 3 * MinMapped, 0}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("mapped bytes seen %v, want %v", seen, want)
	}
}
