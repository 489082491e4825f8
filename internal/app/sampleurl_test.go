package app

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/vungmanh/vungmanh/internal/sample"
)

// sample://PROFILE is the snapshot `vungmanh sample --profile PROFILE`
// writes with its defaults: the README's first command and a snapshot a
// newcomer writes to disk give the same report. (They once used different
// seeds, so thai-binh-2024 from the URL and from the files differed in a
// few verdicts.)
func TestSampleURLIsTheSampleCommandsSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snap")
	if code, _, stderr := runMain(t, nil, "sample", "--profile", "national", "--scale", "0.001", "--out", dir); code != 0 {
		t.Fatalf("sample: exit %d\n%s", code, stderr)
	}
	o, ok, err := sample.ParseURL("sample://national?scale=0.001&format=csv")
	if !ok || err != nil {
		t.Fatalf("ParseURL: %v, %v", ok, err)
	}
	mem, err := sample.FS(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(mem, "*")
	if err != nil || len(files) < 2 {
		t.Fatalf("sample.FS files %v, %v", files, err)
	}
	for _, name := range files {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("the sample command wrote no %s: %v", name, err)
			continue
		}
		got, err := fs.ReadFile(mem, name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s of sample://national?scale=0.001&format=csv differs from `vungmanh sample --profile national --scale 0.001`'s", name)
		}
	}
}
