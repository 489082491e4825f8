package checker

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// LoadBundle reads an OPA bundle (.tar.gz) and compiles its .rego modules
// like Load, with the same errors: a module that does not compile is a
// PolicyErrors at its file:row:col, as in a folder. Data files of the
// bundle are ignored (targets read data.params and data.vocab, which the
// checker provides); so are its manifest and signatures. An archive that
// is not a gzipped tar, or that breaks a limit (MaxPolicyFileBytes for one
// .rego file, MaxBundleBytes for the archive unpacked), is a PolicyErrors
// too: the bundle has to be fixed, retrying cannot help. Each member's size
// is checked from its tar header before it is read, so a small archive
// that unpacks into a huge file is refused without holding it.
func LoadBundle(ctx context.Context, r io.Reader, opts ...LoadOption) (*Policies, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	files, err := readBundle(r)
	if err != nil {
		return nil, err
	}
	return compileFiles(files, loadOptions(opts))
}

// Limits of the policies read.
const (
	// MaxPolicyFileBytes caps one .rego file of a folder or a bundle:
	// 8 MiB (the pack's largest file is a few KB).
	MaxPolicyFileBytes = 8 << 20
	// MaxBundleBytes caps a bundle unpacked, every member included: 64 MiB.
	MaxBundleBytes = 64 << 20
)

// readBundle returns the .rego files of a gzipped tar archive, tests left
// out, with names cleaned as OPA's bundle reader cleans them.
func readBundle(r io.Reader) ([]policyFile, error) {
	bad := func(file, format string, args ...any) error {
		return PolicyErrors{{File: file, Message: "policy bundle: " + fmt.Sprintf(format, args...)}}
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, bad("", "not a gzipped tar archive: %v", err)
	}
	unpacked := &limitedReader{r: zr, n: MaxBundleBytes}
	tr := tar.NewReader(unpacked)
	var files []policyFile
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if unpacked.n < 0 {
				return nil, bad("", "larger than %d bytes unpacked", MaxBundleBytes)
			}
			return nil, bad("", "not a gzipped tar archive: %v", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(name, ".rego") || strings.HasSuffix(name, "_test.rego") {
			continue
		}
		if h.Size > MaxPolicyFileBytes {
			return nil, bad(name, "the file holds %d bytes, more than the %d allowed for one policy file", h.Size, MaxPolicyFileBytes)
		}
		src, err := io.ReadAll(tr)
		if err != nil {
			if unpacked.n < 0 {
				return nil, bad("", "larger than %d bytes unpacked", MaxBundleBytes)
			}
			return nil, bad(name, "read the file: %v", err)
		}
		files = append(files, policyFile{name: name, src: src})
	}
	return files, nil
}

// limitedReader fails once more than n bytes were read (n goes negative).
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errors.New("size limit reached")
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errors.New("size limit reached")
	}
	return n, err
}
