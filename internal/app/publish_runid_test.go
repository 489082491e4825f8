package app

import (
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/report"
)

// sampleDirs writes the small national sample to a folder and returns it
// with a copy of it per as_of in asOfs (nothing else changed), and a copy
// whose title differs (the same as_of, another snapshot sha256).
func sampleDirs(t *testing.T, asOfs ...string) (dir string, byAsOf map[string]string, retitled string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "snap")
	if code, _, stderr := runMain(t, nil, "sample", "--profile", "national", "--scale", "0.0002", "--out", dir); code != 0 {
		t.Fatalf("sample: exit %d\n%s", code, stderr)
	}
	yaml, err := os.ReadFile(filepath.Join(dir, "snapshot.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	variant := func(name string, change func(string) string) string {
		d := filepath.Join(t.TempDir(), name)
		if err := os.CopyFS(d, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		changed := change(string(yaml))
		if changed == string(yaml) {
			t.Fatalf("snapshot.yaml unchanged for %s:\n%s", name, yaml)
		}
		if err := os.WriteFile(filepath.Join(d, "snapshot.yaml"), []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	asOfLine := regexp.MustCompile(`(?m)^asOf: .*$`)
	byAsOf = map[string]string{}
	for _, a := range asOfs {
		byAsOf[a] = variant(a, func(s string) string { return asOfLine.ReplaceAllString(s, "asOf: "+a) })
	}
	titleLine := regexp.MustCompile(`(?m)^title: .*$`)
	retitled = variant("retitled", func(s string) string { return titleLine.ReplaceAllString(s, "title: Bản sửa") })
	return dir, byAsOf, retitled
}

// treeOf returns every file under root (driver files included) with its
// bytes.
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// hasLog reports whether a JSON log line of stderr has a message that
// starts with msg (lines that are not JSON are skipped).
func hasLog(stderr, msg string) bool {
	for _, line := range strings.Split(stderr, "\n") {
		var l struct{ Message string }
		if json.Unmarshal([]byte(line), &l) == nil && strings.HasPrefix(l.Message, msg) {
			return true
		}
	}
	return false
}

// TestPublishRunIDTaken: a --run-id whose folder holds a complete run is
// never rewritten. Another run under that id (another snapshot, other
// formats) exits 2 naming the setting and writes nothing; the same run
// again stands as it is (nothing rewritten) and exits as the first did.
func TestPublishRunIDTaken(t *testing.T) {
	snap, _, retitled := sampleDirs(t)
	out := t.TempDir()
	run := func(args ...string) (int, string) {
		t.Helper()
		code, _, stderr := runMain(t, nil, append([]string{"run", "--out", out, "--run-id", "job-42", "--workers", "2"}, args...)...)
		return code, stderr
	}
	if code, stderr := run("--snapshot", snap, "--fail-on", "fail"); code != ExitFailOn {
		t.Fatalf("first run: exit %d, want 4\n%s", code, stderr)
	}
	before := treeOf(t, out)
	for _, tt := range []struct {
		name   string
		args   []string
		reason string
	}{
		{"another snapshot", []string{"--snapshot", retitled}, "made from another snapshot"},
		{"other formats", []string{"--snapshot", snap, "--formats", "json"}, "with other files"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := run(tt.args...)
			if code != ExitConfig || !strings.Contains(stderr, "setting run-id") || !strings.Contains(stderr, tt.reason) ||
				!strings.Contains(stderr, "already holds a complete run") {
				t.Errorf("exit %d, want 2 with %q:\n%s", code, tt.reason, stderr)
			}
			if diff := cmp.Diff(before, treeOf(t, out)); diff != "" {
				t.Errorf("the refused run wrote (-before +after):\n%s", diff)
			}
		})
	}
	t.Run("the same run again", func(t *testing.T) {
		code, stderr := run("--snapshot", snap, "--fail-on", "fail")
		if code != ExitFailOn || !hasLog(stderr, "the run folder already holds this run") {
			t.Errorf("exit %d, want 4 and a log line saying nothing was rewritten:\n%s", code, stderr)
		}
		if diff := cmp.Diff(before, treeOf(t, out)); diff != "" {
			t.Errorf("the same run again wrote (-before +after):\n%s", diff)
		}
	})
}

// TestPublishBackfill: a run of an older as_of than latest.json's leaves
// latest.json alone and logs why; its delta compares it with the newest
// run of an earlier as_of (none: no delta), not with the newer run.
func TestPublishBackfill(t *testing.T) {
	snap, byAsOf, _ := sampleDirs(t, "2024-08-31", "2024-09-15")
	if yaml, err := os.ReadFile(filepath.Join(snap, "snapshot.yaml")); err != nil || !strings.Contains(string(yaml), "\nasOf: 2024-09-30\n") {
		t.Fatalf("the sample's snapshot.yaml (%v):\n%s", err, yaml)
	}
	byAsOf["2024-09-30"] = snap
	out := t.TempDir()
	run := func(asOf, id string) string {
		t.Helper()
		code, _, stderr := runMain(t, nil, "run", "--snapshot", byAsOf[asOf], "--out", out, "--run-id", id, "--workers", "2", "--formats", "json")
		if code != ExitOK {
			t.Fatalf("run of %s: exit %d\n%s", asOf, code, stderr)
		}
		return stderr
	}
	run("2024-09-30", "newest")
	latest, _ := readLatest(t, out, "vietnam")
	for _, tt := range []struct {
		asOf, id, previous, previousAsOf string
	}{
		{"2024-08-31", "oldest", "", ""},
		{"2024-09-15", "between", "oldest", "2024-08-31"},
	} {
		t.Run(tt.asOf, func(t *testing.T) {
			stderr := run(tt.asOf, tt.id)
			var logged bool
			for _, l := range logLines(t, stderr) {
				if l["message"] == "latest.json not moved: it points at a run of a later as_of" &&
					l["latest_run_id"] == "newest" && l["latest_as_of"] == "2024-09-30" {
					logged = true
				}
			}
			if !logged {
				t.Errorf("no log line says latest.json was not moved and why:\n%s", stderr)
			}
			if l, _ := readLatest(t, out, "vietnam"); l != latest {
				t.Errorf("latest.json moved to %+v", l)
			}
			rep := readReport(t, out, report.Latest{Path: path.Join("vietnam", "runs", tt.asOf, tt.id)})
			switch {
			case tt.previous == "" && rep.Delta != nil:
				t.Errorf("delta %+v, want none (no earlier run)", rep.Delta)
			case tt.previous != "" && (rep.Delta == nil || rep.Delta.PreviousRun != tt.previous || rep.Delta.PreviousAsOf != tt.previousAsOf):
				t.Errorf("delta %+v, want previous run %s of %s", rep.Delta, tt.previous, tt.previousAsOf)
			}
		})
	}
}

// TestShardRerunAfterMerge: a shard, or the merge, of a sharded run that
// is already merged and published writes nothing and exits with the
// published report's counts (--fail-on applies to them, as it did when
// the run merged); the same run id with another snapshot is refused.
func TestShardRerunAfterMerge(t *testing.T) {
	snap, _, retitled := sampleDirs(t)
	out := t.TempDir()
	shard := func(index string, snapshot string) (int, string) {
		t.Helper()
		code, _, stderr := runMain(t, map[string]string{"JOB_COMPLETION_INDEX": index}, "run", "--snapshot", snapshot, "--out", out,
			"--run-id", "sh", "--shard-count", "2", "--fail-on", "fail", "--workers", "2", "--formats", "json")
		return code, stderr
	}
	merge := func(snapshot string) (int, string) {
		t.Helper()
		code, _, stderr := runMain(t, nil, "merge", "--snapshot", snapshot, "--out", out, "--run-id", "sh", "--shard-count", "2", "--fail-on", "fail")
		return code, stderr
	}
	if code, stderr := shard("0", snap); code != ExitOK {
		t.Fatalf("shard 0: exit %d\n%s", code, stderr)
	}
	code, stderr := shard("1", snap)
	if code != ExitFailOn {
		t.Fatalf("shard 1 (merges): exit %d, want 4\n%s", code, stderr)
	}
	summary := func(stderr string) string {
		lines := logLines(t, stderr)
		m, _ := lines[len(lines)-1]["message"].(string)
		_, rest, _ := strings.Cut(m, "finished in ")
		_, counts, _ := strings.Cut(rest, ": ")
		return counts
	}
	merged := summary(stderr)
	before := treeOf(t, out)
	for _, tt := range []struct {
		name string
		run  func() (int, string)
	}{
		{"the merging shard again", func() (int, string) { return shard("1", snap) }},
		{"the other shard again", func() (int, string) { return shard("0", snap) }},
		{"merge by hand", func() (int, string) { return merge(snap) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := tt.run()
			if code != ExitFailOn {
				t.Errorf("exit %d, want 4 (the published run's)\n%s", code, stderr)
			}
			if !hasLog(stderr, "run already merged and published") {
				t.Errorf("no log line says the run is already merged:\n%s", stderr)
			}
			if tt.name != "merge by hand" {
				if got := summary(stderr); got != merged {
					t.Errorf("summary %q, want the merged run's %q", got, merged)
				}
			}
			if diff := cmp.Diff(before, treeOf(t, out)); diff != "" {
				t.Errorf("wrote (-before +after):\n%s", diff)
			}
		})
	}
	t.Run("another snapshot", func(t *testing.T) {
		for _, run := range []func() (int, string){func() (int, string) { return shard("0", retitled) }, func() (int, string) { return merge(retitled) }} {
			code, stderr := run()
			if code != ExitConfig || !strings.Contains(stderr, "made from another snapshot") {
				t.Errorf("exit %d, want 2 naming another snapshot:\n%s", code, stderr)
			}
		}
		if diff := cmp.Diff(before, treeOf(t, out)); diff != "" {
			t.Errorf("wrote (-before +after):\n%s", diff)
		}
	})
}
