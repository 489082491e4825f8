package report

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// PublishRendered, fed by RenderTo, writes the same folder as Publish fed
// by Render: the same files, bytes and manifest, on both drivers.
func TestPublishRenderedSameAsPublish(t *testing.T) {
	for name, open := range bothBuckets {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
			r, files := runOf(t, "base", "2024-09-30", t0)
			a, b := open(t), open(t)
			pa, err := Publish(ctx, a, r, files)
			if err != nil {
				t.Fatal(err)
			}
			pb, err := PublishRendered(ctx, b, r, func(emit Emit) error {
				return RenderTo(ctx, r, AllFormats(), Vietnamese, nil, emit)
			})
			if err != nil {
				t.Fatal(err)
			}
			if pa.Dir != pb.Dir || !pb.Moved {
				t.Fatalf("published %+v, want %s with latest.json moved", pb, pa.Dir)
			}
			checkRun(t, b, pb.Dir, files)
			ma, err := a.Read(ctx, path.Join(pa.Dir, ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			mb, err := b.Read(ctx, path.Join(pb.Dir, ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			if string(ma) != string(mb) {
				t.Errorf("manifests differ:\n%s\n%s", ma, mb)
			}
			// Publishing again finds the complete run: nothing rewritten.
			again, err := PublishRendered(ctx, b, r, func(emit Emit) error {
				return RenderTo(ctx, r, AllFormats(), Vietnamese, nil, emit)
			})
			if err != nil || !again.Existing {
				t.Fatalf("second publish: %+v, %v; want the existing run", again, err)
			}
		})
	}
}

// A file is written while rendering goes on, not once render returns: the
// first page is readable from the bucket before the next is emitted.
func TestPublishRenderedWritesAsItGoes(t *testing.T) {
	ctx := context.Background()
	b := localBucket(t)
	r, _ := runOf(t, "stream", "2024-09-30", time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC))
	dir := RunDir(r)
	var seen bool
	_, err := PublishRendered(ctx, b, r, func(emit Emit) error {
		if err := emit("units/first.html", []byte("<p>1</p>")); err != nil {
			return err
		}
		// Wait (a generous bound, only against a hang) for the write.
		for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			if data, err := b.Read(ctx, path.Join(dir, "units/first.html")); err == nil && string(data) == "<p>1</p>" {
				seen = true
				break
			}
		}
		return emit("units/second.html", []byte("<p>2</p>"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Fatal("units/first.html was not written while render went on")
	}
	checkRun(t, b, dir, withJSON(map[string][]byte{"units/first.html": []byte("<p>1</p>"), "units/second.html": []byte("<p>2</p>")}, r))
}

// failingBucket fails every Create of the keys ending in bad.
type failingBucket struct {
	storage.Bucket
	bad string
}

var errInjected = errors.New("injected write failure")

func (f failingBucket) Create(ctx context.Context, key string, data []byte, overwrite bool) error {
	if strings.HasSuffix(key, f.bad) {
		return errInjected
	}
	return f.Bucket.Create(ctx, key, data, overwrite)
}

// A failed write stops rendering (emit returns it), is the error Publish
// returns, and leaves the folder without a manifest and latest.json alone.
func TestPublishRenderedStopsOnWriteFailure(t *testing.T) {
	ctx := context.Background()
	base := localBucket(t)
	t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	r1, f1 := runOf(t, "base", "2024-08-31", t0)
	if _, err := Publish(ctx, base, r1, f1); err != nil {
		t.Fatal(err)
	}
	b := failingBucket{Bucket: base, bad: "units/p00000.html"}
	r2, _ := runOf(t, "next", "2024-09-30", t0.Add(time.Hour))
	const pages = 100000
	emitted, stopped := 0, error(nil)
	_, err := PublishRendered(ctx, b, r2, func(emit Emit) error {
		for ; emitted < pages; emitted++ {
			if stopped = emit(fmt.Sprintf("units/p%05d.html", emitted), []byte("x")); stopped != nil {
				return stopped
			}
		}
		return nil
	})
	if !errors.Is(err, errInjected) {
		t.Fatalf("Publish: %v, want the write failure", err)
	}
	if !errors.Is(stopped, errInjected) || emitted == pages {
		t.Errorf("render emitted %d of %d pages and was told %v: a failed write did not stop it", emitted, pages, stopped)
	}
	if _, err := base.Read(ctx, path.Join(RunDir(r2), ManifestName)); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("manifest of the failed run: %v, want none", err)
	}
	if l := readLatest(t, base); l.RunID != "base" {
		t.Errorf("latest = %s after a failed publish, want base", l.RunID)
	}
}

// A file emitted twice, or under a name outside the folder, fails the
// publish without a manifest.
func TestPublishRenderedRefusesBadFiles(t *testing.T) {
	ctx := context.Background()
	r, _ := runOf(t, "bad", "2024-09-30", time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC))
	for name, files := range map[string][]string{
		"twice":    {"units/a.html", "units/a.html"},
		"outside":  {"../x.html"},
		"manifest": {ManifestName},
		"hidden":   {".latest.json"},
	} {
		t.Run(name, func(t *testing.T) {
			b := localBucket(t)
			_, err := PublishRendered(ctx, b, r, func(emit Emit) error {
				for _, f := range files {
					if err := emit(f, []byte("x")); err != nil {
						return err
					}
				}
				return nil
			})
			if err == nil {
				t.Fatalf("publish of %q succeeded", files)
			}
			if _, rerr := b.Read(ctx, path.Join(RunDir(r), ManifestName)); !errors.Is(rerr, storage.ErrNotExist) {
				t.Errorf("manifest after %v: %v, want none", err, rerr)
			}
		})
	}
}

// HTML renders the root page alone, the same bytes as the site's
// report.html, for a run and for a stopped one.
func TestHTMLIsTheSitesRoot(t *testing.T) {
	r, _ := runOf(t, "root", "2024-09-30", time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC))
	stopped := *r
	stopped.Run.Status = StatusStopped
	for name, rep := range map[string]*Report{"run": r, "stopped": &stopped} {
		t.Run(name, func(t *testing.T) {
			site, err := Site(rep, Vietnamese)
			if err != nil {
				t.Fatal(err)
			}
			page, err := HTML(rep, Vietnamese)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 || string(page) != string(site[HTMLName]) {
				t.Errorf("HTML gave %d bytes, not the site's report.html (%d bytes)", len(page), len(site[HTMLName]))
			}
		})
	}
}
