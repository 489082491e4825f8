package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A gs:// snapshot or --out without usable credentials is a setting to fix
// (exit 2), not a fault the CronJob should retry (exit 1).
func TestMissingCloudStorageCredentialsExitTwo(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "absent-key.json"))
	t.Setenv("VUNGMANH_TERMINATION_LOG", filepath.Join(t.TempDir(), "none", "termination-log"))
	tests := []struct{ name, snapshot, out string }{
		{"snapshot", "gs://exports/thai-binh", t.TempDir()},
		{"out", "sample://thai-binh-2024", "gs://reports/thai-binh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantConfigExit(t, tt.snapshot, tt.out, "credentials") })
	}
}

// A gs:// URL whose prefix has "..", "." or an empty element would become
// object names with ".." and "//": it is a setting to fix (exit 2), found
// before any request, for the snapshot and for --out alike.
func TestBadStorageURLExitTwo(t *testing.T) {
	// Should a client be made after all, its credentials fail on a file,
	// not on a probe of the metadata server.
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "absent-key.json"))
	t.Setenv("VUNGMANH_TERMINATION_LOG", filepath.Join(t.TempDir(), "none", "termination-log"))
	tests := []struct{ name, snapshot, out string }{
		{"snapshot with ..", "gs://exports/a/../x", t.TempDir()},
		{"out with ..", "sample://thai-binh-2024", "gs://reports/../other"},
		{"out with //", "sample://thai-binh-2024", "gs://reports/a//b"},
		{"out with .", "sample://thai-binh-2024", "gs://reports/./b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantConfigExit(t, tt.snapshot, tt.out, "element") })
	}
}

// wantConfigExit runs `run --snapshot snapshot --out out` and wants exit 2
// with a log that says word.
func wantConfigExit(t *testing.T, snapshot, out, word string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"run", "--snapshot", snapshot, "--out", out, "--log-format", "json"},
		strings.NewReader(""), &stdout, &stderr)
	if code != ExitConfig {
		t.Fatalf("exit %d, want %d (configuration)\n%s", code, ExitConfig, stderr.String())
	}
	if !strings.Contains(stderr.String(), word) {
		t.Errorf("the log does not say %q:\n%s", word, stderr.String())
	}
}
