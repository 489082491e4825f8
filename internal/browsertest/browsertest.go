package browsertest

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

// Find returns the Chromium binary: $VUNGMANH_CHROMIUM, then Debian's and
// other usual paths, then chromium on the PATH.
func Find() (string, error) {
	for _, p := range []string{os.Getenv("VUNGMANH_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", errors.New("chromium not found (apt-get install -y chromium fonts-noto-core)")
}

// Chromium returns the Chromium binary for a test. Without one the test
// fails; only outside CI, with VUNGMANH_NO_BROWSER=1 said on purpose, it
// is skipped.
func Chromium(t testing.TB) string {
	t.Helper()
	p, err := Find()
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "true" && os.Getenv("VUNGMANH_NO_BROWSER") == "1" {
		t.Skip("VUNGMANH_NO_BROWSER=1: no chromium")
	}
	t.Fatal(err)
	return ""
}
