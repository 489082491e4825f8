package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

// runOf returns the fixture report of a run with the given id and as_of,
// rendered in every format.
func runOf(t testing.TB, id, asOf string, finished time.Time) (*Report, map[string][]byte) {
	t.Helper()
	in := fixture()
	in.RunID, in.Snapshot.AsOf, in.FinishedAt = id, asOf, finished
	r := Build(in)
	files, err := Render(context.Background(), r, AllFormats(), Vietnamese, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r, files
}

func readLatest(t testing.TB, b storage.Bucket) Latest {
	t.Helper()
	return readLatestOf(t, b, "thai-binh")
}

// readLatestOf reads the latest.json of the snapshot name.
func readLatestOf(t testing.TB, b storage.Bucket, name string) Latest {
	t.Helper()
	data, err := b.Read(context.Background(), LatestKey(name))
	if err != nil {
		t.Fatalf("read latest.json: %v", err)
	}
	var l Latest
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatalf("torn latest.json %q: %v", data, err)
	}
	return l
}

// checkRun asserts that every file of the run folder matches manifest.json
// and is the file published.
func checkRun(t testing.TB, b storage.Bucket, dir string, files map[string][]byte) {
	t.Helper()
	m, got := runFiles(t, b, dir)
	if len(m.Files) != len(files) {
		t.Errorf("manifest lists %d files, want %d", len(m.Files), len(files))
	}
	for name, data := range got {
		if string(data) != string(files[name]) {
			t.Errorf("%s/%s differs from what was published", dir, name)
		}
	}
}

// runFiles reads a run folder's manifest.json and every file it lists,
// asserting that each matches its entry's size and sha256 (a mismatch: two
// runs wrote the folder, or a write was torn).
func runFiles(t testing.TB, b storage.Bucket, dir string) (Manifest, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	mj, err := b.Read(ctx, path.Join(dir, ManifestName))
	if err != nil {
		t.Fatalf("run %s: %v", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(mj, &m); err != nil {
		t.Fatal(err)
	}
	files := make(map[string][]byte, len(m.Files))
	for _, f := range m.Files {
		data, err := b.Read(ctx, path.Join(dir, f.Name))
		if err != nil {
			t.Fatalf("run %s: %v", dir, err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != f.SHA256 || len(data) != f.Size {
			t.Errorf("%s/%s does not match its manifest entry", dir, f.Name)
		}
		files[f.Name] = data
	}
	return m, files
}

func localBucket(t *testing.T) storage.Bucket { return localDir(t) }

// localDir is a storage.Dir on an empty temporary folder.
func localDir(t *testing.T) *storage.Dir {
	d, err := storage.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// bothBuckets open an empty bucket of each driver: a local folder, and
// fake-gcs-server through the real client.
var bothBuckets = map[string]func(t *testing.T) storage.Bucket{
	"dir": localBucket,
	"gcs": func(t *testing.T) storage.Bucket { return storagetest.NewServer(t, "r").Open(t, "out") },
}

func TestPublishAndPrevious(t *testing.T) {
	for name, open := range bothBuckets {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			t0 := time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)
			r1, f1 := runOf(t, "run-1", "2024-08-31", t0)
			if p, skipped, err := Previous(ctx, b, r1); p != nil || skipped != nil || err != nil {
				t.Fatalf("Previous on empty bucket = %v, %v", p, err)
			}
			p1, err := Publish(ctx, b, r1, f1)
			if err != nil {
				t.Fatal(err)
			}
			dir := p1.Dir
			if dir != "thai-binh/runs/2024-08-31/run-1" || p1.Existing || !p1.Moved || p1.Latest.RunID != "run-1" {
				t.Errorf("Publish = %+v", p1)
			}
			checkRun(t, b, dir, f1)
			r2, _ := runOf(t, "run-2", "2024-09-30", t0.AddDate(0, 1, 0))
			prev, skipped, err := Previous(ctx, b, r2)
			if err != nil || skipped != nil || prev == nil || prev.Run.ID != "run-1" {
				t.Fatalf("Previous = %v, %v", prev, err)
			}
			r2.Delta = Delta(prev, r2)
			f2, err := Render(ctx, r2, AllFormats(), Vietnamese, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Publish(ctx, b, r2, f2); err != nil {
				t.Fatal(err)
			}
			want := Latest{RunID: "run-2", AsOf: "2024-09-30", Path: "thai-binh/runs/2024-09-30/run-2", FinishedAt: r2.Run.FinishedAt}
			if diff := cmp.Diff(want, readLatest(t, b)); diff != "" {
				t.Errorf("latest (-want +got):\n%s", diff)
			}
			// An older run published late leaves latest.json alone, and
			// says so.
			r0, f0 := runOf(t, "run-0", "2024-07-31", t0.AddDate(0, 2, 0))
			p0, err := Publish(ctx, b, r0, f0)
			if err != nil {
				t.Fatal(err)
			}
			if got := readLatest(t, b).RunID; got != "run-2" {
				t.Errorf("an older as_of moved latest.json to %s", got)
			}
			if p0.Moved || p0.Latest.RunID != "run-2" {
				t.Errorf("Publish of an older as_of = %+v, want latest.json unmoved on run-2", p0)
			}
			// The same run id again with identical files: the run stands.
			if p, err := Publish(ctx, b, r2, f2); err != nil || !p.Existing || p.Moved {
				t.Errorf("republishing identical files: %+v, %v", p, err)
			}
			if _, err := Publish(ctx, b, r2, map[string][]byte{"../x": nil}); err == nil {
				t.Error("a file name with a path was accepted")
			}
		})
	}
}

// Two runs race on latest.json: the newer as_of wins whatever the order,
// and latest.json is always a whole pointer.
func TestPublishRace(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) storage.Bucket{
		"dir": localBucket,
		"gcs": func(t *testing.T) storage.Bucket { return storagetest.NewServer(t, "r").Open(t, "") },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
			type run struct {
				r     *Report
				files map[string][]byte
			}
			var runs []run
			for i, asOf := range []string{"2024-09-28", "2024-09-30", "2024-09-29", "2024-09-30"} {
				r, f := runOf(t, fmt.Sprintf("run-%d", i), asOf, t0.Add(time.Duration(i)*time.Second))
				runs = append(runs, run{r, f})
			}
			for round := 0; round < 5; round++ {
				b := open(t)
				var wg sync.WaitGroup
				errs := make([]error, len(runs))
				for i, r := range runs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, errs[i] = Publish(ctx, b, r.r, r.files)
					}()
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d run %d: %v", round, i, err)
					}
				}
				// run-3: as_of 2024-09-30 and the latest finished_at.
				if got := readLatest(t, b); got.RunID != "run-3" || got.Path != "thai-binh/runs/2024-09-30/run-3" {
					t.Fatalf("round %d: latest = %+v, want run-3", round, got)
				}
			}
		})
	}
}

// For a fault at each request of a publish: a transient fault is retried
// and the publish succeeds; a persistent one makes Publish fail, and
// latest.json still points at the previous run, whose files are intact.
func TestPublishFaults(t *testing.T) {
	ctx := context.Background()
	srv := storagetest.NewServer(t, "r")
	t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	r1, f1 := runOf(t, "base", "2024-08-31", t0)
	r2, f2 := runOf(t, "next", "2024-09-30", t0.Add(time.Hour))
	// The protocol, not the site: without the unit pages a publish makes
	// half the requests, and each is a case below.
	f1, f2 = withoutPages(f1), withoutPages(f2)
	// Count the requests of one clean publish on a scratch prefix.
	{
		b := srv.Open(t, "count")
		if _, err := Publish(ctx, b, r1, f1); err != nil {
			t.Fatal(err)
		}
		srv.Proxy.SetPlan(nil)
		r, f := runOf(t, "counted", "2024-09-30", t0.Add(time.Hour))
		if _, err := Publish(ctx, b, r, withoutPages(f)); err != nil {
			t.Fatal(err)
		}
	}
	n := len(srv.Proxy.Requests())
	if n < len(f1)+3 { // run files, manifest, read latest, swap latest
		t.Fatalf("a publish made only %d requests", n)
	}
	t.Logf("a publish makes %d requests: %v", n, srv.Proxy.Requests())
	faults := storagetest.Faults()
	if testing.Short() {
		faults = faults[:2]
	}
	for _, f := range faults {
		for i := 0; i < n; i++ {
			for _, persistent := range []bool{false, true} {
				name := fmt.Sprintf("%s/request-%d/persistent=%v", f, i, persistent)
				t.Run(name, func(t *testing.T) {
					srv.Proxy.SetPlan(nil)
					prefix := fmt.Sprintf("f-%s-%d-%v", f, i, persistent)
					b := srv.Open(t, prefix)
					p, err := Publish(ctx, b, r1, f1)
					if err != nil {
						t.Fatal(err)
					}
					base := p.Dir
					srv.Proxy.SetPlan(storagetest.FailAt(i, f, persistent))
					_, err = Publish(ctx, b, r2, f2)
					srv.Proxy.SetPlan(nil)
					l := readLatest(t, b)
					switch {
					case !persistent && err != nil:
						t.Fatalf("transient fault not retried: %v", err)
					case !persistent:
						if l.RunID != "next" {
							t.Fatalf("latest = %s after a successful publish", l.RunID)
						}
						checkRun(t, b, l.Path, withJSON(f2, r2))
					case err == nil:
						// A lost answer on the last request: the write landed.
						if f != storagetest.FaultLostResponse || l.RunID != "next" {
							t.Fatalf("Publish succeeded through a persistent %s fault; latest %s", f, l.RunID)
						}
					default:
						// Only a write that found the manifest already there
						// blames another attempt; a failing store is named as such.
						if strings.Contains(err.Error(), "another attempt") && f != storagetest.FaultLostResponse {
							t.Errorf("a persistent %s fault reported as another attempt's manifest: %v", f, err)
						}
						if l.RunID == "next" {
							// Only possible when the swap itself landed and its answer was lost.
							if f != storagetest.FaultLostResponse {
								t.Fatalf("failed publish moved latest.json")
							}
							return
						}
						if l.RunID != "base" || l.Path != base {
							t.Fatalf("latest = %+v, want the base run", l)
						}
						checkRun(t, b, base, withJSON(f1, r1))
					}
				})
			}
		}
	}
}

// withoutPages returns files without the site's units/ pages.
func withoutPages(files map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range files {
		if !strings.HasPrefix(k, "units/") {
			out[k] = v
		}
	}
	return out
}

func withJSON(files map[string][]byte, r *Report) map[string][]byte {
	if _, ok := files[JSONName]; ok {
		return files
	}
	j, _ := JSON(r)
	out := map[string][]byte{JSONName: j}
	for k, v := range files {
		out[k] = v
	}
	return out
}

// A publish stopped midway (SIGTERM cancels the context) leaves
// latest.json on the previous run.
func TestPublishCancelled(t *testing.T) {
	b := localBucket(t)
	t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	r1, f1 := runOf(t, "base", "2024-08-31", t0)
	if _, err := Publish(context.Background(), b, r1, f1); err != nil {
		t.Fatal(err)
	}
	r2, f2 := runOf(t, "next", "2024-09-30", t0.Add(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Publish(ctx, b, r2, f2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish with a cancelled context: %v", err)
	}
	if l := readLatest(t, b); l.RunID != "base" {
		t.Fatalf("latest = %s, want base", l.RunID)
	}
}

// unchanged fails the test when what wrote anything under thai-binh/
// since snapshotOf gave before and gen.
func unchanged(t *testing.T, b storage.Bucket, before map[string]string, gen int64, what string) {
	t.Helper()
	after, gen2 := snapshotOf(t, b, "thai-binh/")
	if diff := cmp.Diff(before, after); diff != "" || gen2 != gen {
		t.Errorf("%s wrote (-before +after):\n%s\nlatest.json generation %d -> %d", what, diff, gen, gen2)
	}
}

// snapshotOf returns every object under prefix with its bytes, and the
// generation of latest.json.
func snapshotOf(t *testing.T, b storage.Bucket, prefix string) (map[string]string, int64) {
	t.Helper()
	ctx := context.Background()
	keys, err := b.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]string{}
	for _, k := range keys {
		data, err := b.Read(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		objs[k] = string(data)
	}
	_, gen, err := b.ReadGen(ctx, LatestKey("thai-binh"))
	if err != nil {
		t.Fatal(err)
	}
	return objs, gen
}

// TestPublishNeverRewritesACompleteRun: a run folder with a manifest.json
// is complete and published; publishing the same run id again (a retried
// Job, a rerun by hand) rewrites none of its files, with or without
// AllowOverwrite: another run is refused with a *RunExistsError (other
// results, other snapshot, other formats: no stale files either), the
// same run (same report apart from times) stands as it is, and only an
// incomplete folder (no manifest: a crashed attempt) is rewritten.
func TestPublishNeverRewritesACompleteRun(t *testing.T) {
	for name, open := range bothBuckets {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
			render := func(r *Report, formats ...Format) map[string][]byte {
				files, err := Render(ctx, r, formats, Vietnamese, nil)
				if err != nil {
					t.Fatal(err)
				}
				return files
			}
			// published returns a bucket where job-42 is published and
			// latest.json points at it.
			published := func(t *testing.T) (storage.Bucket, *Report, map[string][]byte) {
				b := open(t)
				r, f := runOf(t, "job-42", "2024-09-30", t0)
				if _, err := Publish(ctx, b, r, f, AllowOverwrite()); err != nil {
					t.Fatal(err)
				}
				return b, r, f
			}
			refusals := []struct {
				name   string
				files  func(t *testing.T) (*Report, map[string][]byte)
				reason string
			}{
				{"other results", func(t *testing.T) (*Report, map[string][]byte) {
					r, _ := runOf(t, "job-42", "2024-09-30", t0.Add(time.Hour))
					r.Targets[0].Pass, r.Targets[0].Fail = r.Targets[0].Pass-1, r.Targets[0].Fail+1
					return r, render(r, AllFormats()...)
				}, "other results"},
				{"other snapshot", func(t *testing.T) (*Report, map[string][]byte) {
					r, _ := runOf(t, "job-42", "2024-09-30", t0.Add(time.Hour))
					r.Run.Snapshot.SHA256 = "other"
					return r, render(r, AllFormats()...)
				}, "another snapshot"},
				{"other formats", func(t *testing.T) (*Report, map[string][]byte) {
					r, _ := runOf(t, "job-42", "2024-09-30", t0.Add(time.Hour))
					return r, render(r, FormatJSON)
				}, "other files"},
			}
			for _, tt := range refusals {
				t.Run(tt.name, func(t *testing.T) {
					b, r1, f1 := published(t)
					before, gen := snapshotOf(t, b, "thai-binh/")
					r, f := tt.files(t)
					_, err := Publish(ctx, b, r, f, AllowOverwrite())
					var re *RunExistsError
					if !errors.As(err, &re) || re.Dir != RunDir(r1) || !strings.Contains(err.Error(), tt.reason) {
						t.Fatalf("Publish over a complete run: %v, want a *RunExistsError %q", err, tt.reason)
					}
					unchanged(t, b, before, gen, "the refused publish")
					checkRun(t, b, RunDir(r1), f1)
				})
			}

			t.Run("the same run again stands as it is", func(t *testing.T) {
				b, r1, f1 := published(t)
				before, gen := snapshotOf(t, b, "thai-binh/")
				r, f := runOf(t, "job-42", "2024-09-30", t0.Add(time.Hour)) // other times
				p, err := Publish(ctx, b, r, f, AllowOverwrite())
				if err != nil {
					t.Fatal(err)
				}
				if !p.Existing || p.Moved || p.Report.Run.FinishedAt != r1.Run.FinishedAt {
					t.Errorf("Publish = %+v, want the existing run, latest.json not moved", p)
				}
				unchanged(t, b, before, gen, "republishing the same run")
				checkRun(t, b, RunDir(r1), f1)
			})

			t.Run("a complete run that did not move latest.json", func(t *testing.T) {
				// job-42 wrote its manifest and died before latest.json moved
				// (it is copied from another bucket): its retry points
				// latest.json at it, rewriting nothing.
				src, r1, f1 := published(t)
				b := open(t)
				rb, fb := runOf(t, "base", "2024-08-31", t0)
				if _, err := Publish(ctx, b, rb, fb); err != nil {
					t.Fatal(err)
				}
				objs, _ := snapshotOf(t, src, RunDir(r1)+"/")
				for k, v := range objs {
					if err := b.Create(ctx, k, []byte(v), false); err != nil {
						t.Fatal(err)
					}
				}
				r, f := runOf(t, "job-42", "2024-09-30", t0.Add(time.Hour))
				p, err := Publish(ctx, b, r, f, AllowOverwrite())
				if err != nil || !p.Existing || !p.Moved {
					t.Fatalf("Publish = %+v, %v", p, err)
				}
				want := Latest{RunID: "job-42", AsOf: "2024-09-30", Path: RunDir(r1), FinishedAt: r1.Run.FinishedAt}
				if diff := cmp.Diff(want, readLatest(t, b)); diff != "" {
					t.Errorf("latest.json (-want +got):\n%s", diff)
				}
				checkRun(t, b, RunDir(r1), f1)
			})

			t.Run("an incomplete folder is rewritten", func(t *testing.T) {
				b := open(t)
				r, f := runOf(t, "job-42", "2024-09-30", t0)
				dir := RunDir(r)
				// A crashed attempt: some files, no manifest.
				for _, n := range []string{JSONName, CSVName} {
					if err := b.Create(ctx, path.Join(dir, n), []byte("crashed attempt"), false); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := Publish(ctx, b, r, f); !errors.Is(err, storage.ErrPrecondition) {
					t.Errorf("without AllowOverwrite: %v, want a precondition error", err)
				}
				p, err := Publish(ctx, b, r, f, AllowOverwrite())
				if err != nil || p.Existing || !p.Moved {
					t.Fatalf("Publish = %+v, %v", p, err)
				}
				checkRun(t, b, dir, f)
			})
		})
	}
}
