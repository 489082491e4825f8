package app

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrokenBundleExitCode: a policy bundle that does not compile, or that
// is not a bundle, is a policy error (exit code 2, not retried), as the
// same file in a folder is; both name the file and place.
func TestBrokenBundleExitCode(t *testing.T) {
	broken := []byte("package lib.broken\n\nx := \n")
	dir := t.TempDir()
	folder := filepath.Join(dir, "pols")
	if err := os.MkdirAll(filepath.Join(folder, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "lib", "broken.rego"), broken, 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "/lib/broken.rego", Mode: 0o644, Size: int64(len(broken)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(broken); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "broken.tar.gz")
	notBundle := filepath.Join(dir, "text.tar.gz")
	for name, data := range map[string][]byte{bundle: buf.Bytes(), notBundle: broken} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ name, policies, want string }{
		{"folder", folder, "lib/broken.rego:4:"},
		{"bundle", bundle, "lib/broken.rego:4:"},
		{"not a bundle", notBundle, "policy bundle: not a gzipped tar archive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample, "--out", t.TempDir(), "--formats", "json", "--policies", tt.policies)
			if code != ExitConfig || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, ExitConfig, tt.want, stderr)
			}
		})
	}
}
