package storage_test

import (
	"path"
	"strings"
	"testing"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// CheckKey never panics, and a key it accepts stays inside the bucket and
// never names a driver file.
func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{"a/b.json", "", "/a", "../a", "a/../../b", ".x", "a/.gen", "a//b", "a\\b", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if storage.CheckKey(key) != nil {
			return
		}
		if path.IsAbs(key) || strings.HasPrefix(path.Clean(key), "..") {
			t.Fatalf("accepted %q escapes the bucket", key)
		}
		for _, el := range strings.Split(key, "/") {
			if el == "" || strings.HasPrefix(el, ".") {
				t.Fatalf("accepted %q with element %q", key, el)
			}
		}
	})
}
