package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gcs "cloud.google.com/go/storage"

	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

// TestRunAfterPreviousRunGone: a previous run deleted (a bucket lifecycle
// rule, an operator) or a damaged latest.json is a warning, not a failure:
// the next run exits 0, publishes, moves latest.json and logs what it
// skipped, on a local folder and on fake-gcs-server through the real
// client.
func TestRunAfterPreviousRunGone(t *testing.T) {
	srv := storagetest.NewServer(t, "reports")
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.Proxy.URL, "http://"))
	client, err := gcs.NewClient(context.Background(), srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	type store struct {
		out    string
		bucket storage.Bucket
		remove func(key string) // deletes every object under key
	}
	stores := map[string]func(t *testing.T) store{
		"dir": func(t *testing.T) store {
			dir := t.TempDir()
			b, err := storage.OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			return store{dir, b, func(key string) {
				if err := os.RemoveAll(filepath.Join(dir, filepath.FromSlash(key))); err != nil {
					t.Fatal(err)
				}
			}}
		},
		"gcs": func(t *testing.T) store {
			prefix := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
			b := srv.Open(t, prefix)
			return store{srv.URL(prefix), b, func(key string) {
				keys, err := b.List(context.Background(), key)
				if err != nil || len(keys) == 0 {
					t.Fatalf("list %s: %v %q", key, err, keys)
				}
				for _, k := range keys {
					if err := client.Bucket("reports").Object(prefix + "/" + k).Delete(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			}}
		},
	}
	const latest = "vietnam/latest.json"
	tests := []struct {
		name   string
		damage func(t *testing.T, s store, first report.Latest)
		warn   string // a warning logged
	}{
		{"the run folder deleted", func(t *testing.T, s store, first report.Latest) { s.remove(first.Path) },
			"previous run unusable"},
		{"latest.json empty", func(t *testing.T, s store, _ report.Latest) {
			if err := s.bucket.Create(context.Background(), latest, nil, true); err != nil {
				t.Fatal(err)
			}
		}, "latest.json held no usable run: replaced"},
		{"latest.json {}", func(t *testing.T, s store, _ report.Latest) {
			if err := s.bucket.Create(context.Background(), latest, []byte("{}"), true); err != nil {
				t.Fatal(err)
			}
		}, "latest.json held no usable run: replaced"},
		{"latest.json points at a missing folder of a later as_of", func(t *testing.T, s store, first report.Latest) {
			l := report.Latest{RunID: "gone", AsOf: "2099-01-01", Path: "vietnam/runs/2099-01-01/gone", FinishedAt: first.FinishedAt}
			data, _ := json.Marshal(l)
			if err := s.bucket.Create(context.Background(), latest, data, true); err != nil {
				t.Fatal(err)
			}
		}, "latest.json held no usable run: replaced"},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s := open(t)
					run := func(id string) (int, string) {
						code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample, "--out", s.out, "--run-id", id,
							"--workers", "2", "--formats", "json")
						return code, stderr
					}
					if code, stderr := run("first"); code != ExitOK {
						t.Fatalf("first run: exit %d\n%s", code, stderr)
					}
					first := readLatestOf(t, s.bucket)
					tt.damage(t, s, first)
					code, stderr := run("second")
					if code != ExitOK || !hasLog(stderr, tt.warn) {
						t.Errorf("second run: exit %d, want 0 and a warning %q\n%s", code, tt.warn, stderr)
					}
					if l := readLatestOf(t, s.bucket); l.RunID != "second" {
						t.Errorf("latest.json = %+v, want the second run", l)
					}
				})
			}
		})
	}
}

// readLatestOf reads vietnam/latest.json from b.
func readLatestOf(t *testing.T, b storage.Bucket) report.Latest {
	t.Helper()
	data, err := b.Read(context.Background(), "vietnam/latest.json")
	if err != nil {
		t.Fatal(err)
	}
	var l report.Latest
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(fmt.Errorf("latest.json %q: %w", data, err))
	}
	return l
}

// TestMaxDecompressed: --max-decompressed caps every snapshot file,
// whatever its stored size: a file past it is DQ001 (exit 3) naming the
// limit and the setting.
func TestMaxDecompressed(t *testing.T) {
	snap, _, _ := sampleDirs(t)
	code, _, stderr := runMain(t, nil, "run", "--snapshot", snap, "--out", t.TempDir(), "--formats", "json", "--max-decompressed", "1KiB")
	if code != ExitData || !strings.Contains(stderr, "larger than the allowed 1024 bytes once uncompressed (the max-decompressed setting)") {
		t.Errorf("exit %d, want 3 naming the limit:\n%s", code, stderr)
	}
	code, _, stderr = runMain(t, nil, "run", "--snapshot", snap, "--out", t.TempDir(), "--formats", "json", "--max-decompressed", "auto")
	if code != ExitOK {
		t.Errorf("--max-decompressed auto: exit %d\n%s", code, stderr)
	}
}
