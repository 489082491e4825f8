package report

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// manifestHolds asserts that every file manifest.json lists matches its
// size and sha256, and that no other file is in the folder.
func manifestHolds(t *testing.T, b storage.Bucket, dir string) {
	t.Helper()
	m, _ := runFiles(t, b, dir)
	keys, err := b.List(context.Background(), dir+"/")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(m.Files)+1 {
		t.Errorf("the folder holds %d files, the manifest lists %d (and itself)", len(keys), len(m.Files))
	}
}

// TestPublishSameRunIDAtOnce: runs of one run id publishing at the same
// time to a local folder (a retried pod while the first still runs, two
// operators) never mix their files: the folder's lock lets one write it,
// the others get a *RunBusyError, or find the complete folder afterwards
// (*RunExistsError, or the same run). The run's files differ between the
// runs (their finished_at is in the HTML, the XLSX and report.json), so a
// folder written by two of them no longer matches its manifest.
func TestPublishSameRunIDAtOnce(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	const writers = 3
	type run struct {
		r     *Report
		files map[string][]byte
	}
	var runs []run
	for i := range writers {
		in := fixture()
		in.RunID, in.Snapshot.AsOf, in.FinishedAt = "run-1", "2024-09-30", t0.Add(time.Duration(i)*time.Minute)
		in.PoliciesSHA256 = fmt.Sprintf("p%d", i) // other policies: not the same run
		r := Build(in)
		files, err := Render(ctx, r, AllFormats(), Vietnamese, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run{r, files})
	}
	var busy int
	for round := range 8 {
		b := localBucket(t)
		var wg sync.WaitGroup
		errs := make([]error, writers)
		start := make(chan struct{})
		for i, r := range runs {
			wg.Go(func() {
				<-start
				_, errs[i] = Publish(ctx, b, r.r, r.files, AllowOverwrite())
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, err := range errs {
			var be *RunBusyError
			var ee *RunExistsError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &be):
				busy++
			case errors.As(err, &ee):
			default:
				t.Fatalf("round %d writer %d: %v", round, i, err)
			}
		}
		if ok == 0 {
			t.Fatalf("round %d: no writer published: %v", round, errs)
		}
		manifestHolds(t, b, RunDir(runs[0].r))
	}
	t.Logf("%d of %d publishes found the folder busy", busy, 8*writers)
}

// TestPublishBusyAndLeftovers: while another writer holds the run folder's
// lock, Publish writes nothing and says so; a retry of the run id (once
// the lock is free, as when its holder was killed) removes the temporary
// files a killed write left in the folder.
func TestPublishBusyAndLeftovers(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := storage.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	r, files := runOf(t, "run-1", "2024-09-30", time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC))
	dir := RunDir(r)
	unlock, err := b.LockFolder(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Publish(ctx, b, r, files, AllowOverwrite())
	var be *RunBusyError
	if !errors.As(err, &be) || be.Dir != dir {
		t.Fatalf("Publish while the folder is locked: %v, want a RunBusyError", err)
	}
	if keys, _ := b.List(ctx, "thai-binh/"); len(keys) != 0 {
		t.Errorf("a busy Publish wrote %v", keys)
	}
	unlock()

	// A killed attempt: some files written, others half-written.
	local := filepath.Join(root, filepath.FromSlash(dir))
	if err := os.MkdirAll(filepath.Join(local, "units"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".tmp-4711", "units/.tmp-815"} {
		if err := os.WriteFile(filepath.Join(local, filepath.FromSlash(p)), []byte("half a file"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Publish(ctx, b, r, files, AllowOverwrite()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".tmp-4711", "units/.tmp-815"} {
		if _, err := os.Stat(filepath.Join(local, filepath.FromSlash(p))); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left in the run folder after the retry (stat: %v)", p, err)
		}
	}
	checkRun(t, b, dir, files)
}

// stoppedSwap is a bucket whose latest.json write lands and whose caller
// is stopped (SIGTERM) before the answer comes back: the swap is made,
// then its context is cancelled and the error is the context's.
type stoppedSwap struct {
	storage.Bucket
	cancel context.CancelFunc
}

func (s stoppedSwap) Swap(ctx context.Context, key string, data []byte, ifGen int64) error {
	if err := s.Bucket.Swap(context.WithoutCancel(ctx), key, data, ifGen); err != nil {
		return err
	}
	s.cancel()
	return ctx.Err()
}

// TestPublishStoppedDuringLatest: a run stopped while its latest.json
// write was under way says truthfully whether the pointer moved: it
// moved here (the write landed), so Publish reports the run published,
// not a failure that published nothing.
func TestPublishStoppedDuringLatest(t *testing.T) {
	for name, open := range bothBuckets {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			b := stoppedSwap{Bucket: open(t), cancel: cancel}
			r, files := runOf(t, "run-1", "2024-09-30", time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC))
			p, err := Publish(ctx, b, r, files)
			if err != nil {
				t.Fatalf("Publish = %v, but latest.json moved", err)
			}
			if !p.Moved || p.Latest.RunID != "run-1" {
				t.Errorf("Publish = %+v, want latest.json moved to run-1", p)
			}
			if got := readLatest(t, b); got.RunID != "run-1" {
				t.Errorf("latest.json points at %+v", got)
			}
		})
	}
}
