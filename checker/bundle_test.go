package checker

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// member is one file of a crafted bundle: its bytes, or size bytes of
// spaces when data is nil.
type member struct {
	name string
	data []byte
	size int64
}

// tarball writes members as a gzipped tar archive; the spaces are
// streamed, never held.
func tarball(t *testing.T, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	block := bytes.Repeat([]byte{' '}, 1<<20)
	for _, m := range members {
		size := int64(len(m.data))
		if m.data == nil {
			size = m.size
		}
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if m.data != nil {
			if _, err := tw.Write(m.data); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for left := size; left > 0; left -= int64(len(block)) {
			if _, err := tw.Write(block[:min(left, int64(len(block)))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLoadBundleLimits: a bundle that unpacks into a huge .rego file, or
// into more than MaxBundleBytes, is refused as a PolicyErrors (the bundle
// must be fixed: exit code 2) from the tar headers, without holding the
// file; so is an archive that is not one.
func TestLoadBundleLimits(t *testing.T) {
	ok := []byte("package lib.ok\n\nx := 1\n")
	tests := []struct {
		name     string
		bundle   []byte
		want     string // in the error
		maxAlloc uint64 // bytes LoadBundle may allocate
	}{
		{"a huge .rego file", tarball(t, member{name: "lib/ok.rego", data: ok}, member{name: "/lib/huge.rego", size: 16 * MaxPolicyFileBytes}),
			"lib/huge.rego: policy bundle: the file holds 134217728 bytes, more than the 8388608 allowed for one policy file", 8 * MaxPolicyFileBytes},
		{"more than MaxBundleBytes unpacked", tarball(t, member{name: "data.json", size: MaxBundleBytes + 1<<20}, member{name: "lib/ok.rego", data: ok}),
			"policy bundle: larger than 67108864 bytes unpacked", MaxBundleBytes / 2},
		{"not gzip", []byte("package x\n"), "policy bundle: not a gzipped tar archive", 1 << 20},
		{"gzip, not tar", gzipOf(t, bytes.Repeat([]byte("x"), 2000)), "policy bundle: not a gzipped tar archive", 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := LoadBundle(context.Background(), bytes.NewReader(tt.bundle))
			runtime.ReadMemStats(&after)
			var pe PolicyErrors
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want PolicyErrors with %q", err, tt.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > tt.maxAlloc {
				t.Errorf("LoadBundle allocated %d bytes, want at most %d", got, tt.maxAlloc)
			}
		})
	}
}

// TestLoadBundleErrorsAsFolder: a module that does not compile gives the
// same PolicyErrors from a bundle as from a folder.
func TestLoadBundleErrorsAsFolder(t *testing.T) {
	broken := []byte("package lib.broken\n\nx := \n")
	_, dirErr := Load(context.Background(), fstest.MapFS{"lib/broken.rego": {Data: broken}})
	_, bundleErr := LoadBundle(context.Background(), bytes.NewReader(tarball(t, member{name: "/lib/broken.rego", data: broken})))
	var de, be PolicyErrors
	if !errors.As(dirErr, &de) || !errors.As(bundleErr, &be) {
		t.Fatalf("folder: %v; bundle: %v; want PolicyErrors from both", dirErr, bundleErr)
	}
	if diff := cmp.Diff(de, be); diff != "" {
		t.Errorf("errors differ (-folder +bundle):\n%s", diff)
	}
	if len(de) == 0 || de[0].File != "lib/broken.rego" || de[0].Row == 0 {
		t.Errorf("errors %v, want lib/broken.rego at a row", de)
	}
}

// TestLoadFolderFileLimit: a .rego file of a folder above
// MaxPolicyFileBytes is refused by its size, unread.
func TestLoadFolderFileLimit(t *testing.T) {
	fsys := fstest.MapFS{"lib/huge.rego": {Data: bytes.Repeat([]byte{' '}, MaxPolicyFileBytes+1)}}
	_, err := Load(context.Background(), fsys)
	var pe PolicyErrors
	if !errors.As(err, &pe) || len(pe) != 1 || pe[0].File != "lib/huge.rego" || !strings.Contains(pe[0].Message, "more than the 8388608 allowed") {
		t.Errorf("err = %v, want a PolicyErrors naming lib/huge.rego", err)
	}
}

func gzipOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := io.Copy(w, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
