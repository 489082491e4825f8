package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	gcs "cloud.google.com/go/storage"
	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

// TestPrevious: the run a report is compared with is the newest complete
// run that is another run and not newer: latest.json's when it qualifies;
// for a retried run id (latest.json points at the run itself) and for a
// backfilled older as_of (latest.json points at a newer run) the run
// folders are searched; incomplete folders (no manifest) are not runs.
func TestPrevious(t *testing.T) {
	for name, open := range bothBuckets {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
			for _, r := range []struct {
				id, asOf string
				at       time.Duration
			}{{"a", "2024-08-31", 0}, {"b", "2024-09-30", time.Hour}, {"c", "2024-09-30", 2 * time.Hour}, {"z", "2024-07-31", 3 * time.Hour}} {
				rep, f := runOf(t, r.id, r.asOf, t0.Add(r.at))
				if _, err := Publish(ctx, b, rep, f); err != nil {
					t.Fatal(err)
				}
			}
			// A crashed attempt of 2024-09-15: no manifest.
			if err := b.Create(ctx, "thai-binh/runs/2024-09-15/crashed/report.json", []byte("{}"), false); err != nil {
				t.Fatal(err)
			}
			if l := readLatest(t, b); l.RunID != "c" {
				t.Fatalf("latest = %+v", l)
			}
			tests := []struct {
				name, id, asOf string
				at             time.Duration
				want           string // previous run id, "" for none
			}{
				{"a newer as_of: latest.json", "d", "2024-10-31", 4 * time.Hour, "c"},
				{"the run latest.json points at, retried", "c", "2024-09-30", 4 * time.Hour, "b"},
				{"a run of the same as_of finished before the latest", "g", "2024-09-30", 90 * time.Minute, "b"},
				{"backfill between two runs", "e", "2024-09-15", 4 * time.Hour, "a"},
				{"backfill of an as_of that has a run", "f", "2024-08-31", 4 * time.Hour, "a"},
				{"the oldest run retried", "z", "2024-07-31", 4 * time.Hour, ""},
				{"backfill before every run", "y", "2024-06-30", 4 * time.Hour, ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					cur, _ := runOf(t, tt.id, tt.asOf, t0.Add(tt.at))
					prev, skipped, err := Previous(ctx, b, cur)
					if err != nil || skipped != nil {
						t.Fatal(skipped, err)
					}
					got := ""
					if prev != nil {
						got = prev.Run.ID
					}
					if got != tt.want {
						t.Errorf("previous run %q, want %q", got, tt.want)
					}
				})
			}
		})
	}
}

// TestPreviousRunGone: a previous run that is deleted or damaged (a bucket
// lifecycle rule, an operator cleaning up, a torn or hand-edited
// latest.json) never fails the next run: Previous skips what it cannot use,
// names it, and compares with the next older run or none; Publish then
// moves latest.json, replacing a pointer that holds no run whatever its
// as_of.
func TestPreviousRunGone(t *testing.T) {
	const runs = "thai-binh/runs/"
	stores := map[string]func(t *testing.T) (storage.Bucket, func(key string)){
		"dir": func(t *testing.T) (storage.Bucket, func(string)) {
			b, err := storage.OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return b, func(key string) {
				if err := os.RemoveAll(filepath.Join(b.Root(), filepath.FromSlash(key))); err != nil {
					t.Fatal(err)
				}
			}
		},
		"gcs": func(t *testing.T) (storage.Bucket, func(string)) {
			srv := storagetest.NewServer(t, "r")
			b := srv.Open(t, "out")
			c, err := gcs.NewClient(context.Background(), srv.ClientOptions()...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			return b, func(key string) {
				keys, err := b.List(context.Background(), key)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					if err := c.Bucket("r").Object("out/" + k).Delete(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			}
		},
	}
	latestOf := func(id, asOf string) string {
		return fmt.Sprintf(`{"run_id": %q, "as_of": %q, "path": %q, "finished_at": "2024-10-01T00:00:00Z"}`, id, asOf, runs+asOf+"/"+id)
	}
	tests := []struct {
		name     string
		latest   string   // written over latest.json unless empty
		remove   []string // keys or folders deleted
		damage   []string // objects overwritten with garbage
		want     string   // previous run id, "" for none
		skipped  []string // keys Previous names as unusable
		replaced bool     // Publish says latest.json held no run
	}{
		{name: "latest.json empty", latest: " ", want: "b", skipped: []string{"thai-binh/latest.json"}, replaced: true},
		{name: "latest.json {}", latest: "{}", want: "b", skipped: []string{"thai-binh/latest.json"}, replaced: true},
		{name: "latest.json garbage", latest: "\x00\xffnot json", want: "b", skipped: []string{"thai-binh/latest.json"}, replaced: true},
		{name: "latest.json points outside the runs", latest: `{"run_id": "x", "as_of": "2024-09-30", "path": "../../etc", "finished_at": ""}`,
			want: "b", skipped: []string{"thai-binh/latest.json"}, replaced: true},
		{name: "latest.json points at a missing folder", latest: latestOf("x", "2024-09-30"),
			want: "b", skipped: []string{runs + "2024-09-30/x/report.json"}},
		{name: "latest.json points at a deleted newer run", latest: latestOf("x", "2025-01-31"), want: "b", replaced: true},
		{name: "the latest run deleted", remove: []string{runs + "2024-09-30/b"},
			want: "a", skipped: []string{runs + "2024-09-30/b/report.json"}},
		{name: "the latest run's report.json deleted", remove: []string{runs + "2024-09-30/b/report.json"},
			want: "a", skipped: []string{runs + "2024-09-30/b/report.json"}},
		{name: "the latest run's report.json damaged", damage: []string{runs + "2024-09-30/b/report.json"},
			want: "a", skipped: []string{runs + "2024-09-30/b/report.json"}},
		{name: "every run deleted", remove: []string{runs},
			skipped: []string{runs + "2024-09-30/b/report.json"}},
		{name: "every run deleted, latest.json garbage", remove: []string{runs}, latest: "garbage",
			skipped: []string{"thai-binh/latest.json"}, replaced: true},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx := context.Background()
					b, remove := open(t)
					t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
					for i, id := range []string{"a", "b"} {
						rep, f := runOf(t, id, []string{"2024-08-31", "2024-09-30"}[i], t0.Add(time.Duration(i)*time.Hour))
						if _, err := Publish(ctx, b, rep, f); err != nil {
							t.Fatal(err)
						}
					}
					if tt.latest != "" {
						if err := b.Create(ctx, LatestKey("thai-binh"), []byte(tt.latest), true); err != nil {
							t.Fatal(err)
						}
					}
					for _, k := range tt.remove {
						remove(k)
					}
					for _, k := range tt.damage {
						if err := b.Create(ctx, k, []byte(`{"apiVersion": "vungmanh/v1", "kind": "ComplianceReport", "run": [`), true); err != nil {
							t.Fatal(err)
						}
					}
					cur, f := runOf(t, "d", "2024-10-31", t0.Add(2*time.Hour))
					prev, skipped, err := Previous(ctx, b, cur)
					if err != nil {
						t.Fatalf("Previous: %v", err)
					}
					got := ""
					if prev != nil {
						got = prev.Run.ID
					}
					var keys []string
					for _, s := range skipped {
						keys = append(keys, s.Key)
						if s.Err == nil {
							t.Errorf("skipped %s without a reason", s.Key)
						}
					}
					if got != tt.want || !cmp.Equal(keys, tt.skipped) {
						t.Errorf("Previous = %q, skipped %q; want %q, skipped %q", got, keys, tt.want, tt.skipped)
					}
					cur.Delta = Delta(prev, cur)
					p, err := Publish(ctx, b, cur, f)
					if err != nil {
						t.Fatalf("Publish: %v", err)
					}
					if !p.Moved || readLatest(t, b).RunID != "d" || (p.ReplacedLatest != nil) != tt.replaced {
						t.Errorf("Publish moved %v to %+v, replaced %v; want latest.json at d, replaced %v", p.Moved, readLatest(t, b), p.ReplacedLatest, tt.replaced)
					}
				})
			}
		})
	}
}
