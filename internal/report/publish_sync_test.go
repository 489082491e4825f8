package report

import (
	"context"
	"errors"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// syncLog is a local folder that records, in order, how each object was
// written and when a folder was made durable.
type syncLog struct {
	*storage.Dir
	mu       sync.Mutex
	events   []string
	syncFail error // SyncFolder's error
}

func (s *syncLog) log(e string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func (s *syncLog) Create(ctx context.Context, key string, data []byte, overwrite bool) error {
	s.log("synced " + key)
	return s.Dir.Create(ctx, key, data, overwrite)
}

func (s *syncLog) CreateUnsynced(ctx context.Context, key string, data []byte, overwrite bool) error {
	s.log("unsynced " + key)
	return s.Dir.CreateUnsynced(ctx, key, data, overwrite)
}

func (s *syncLog) SyncFolder(ctx context.Context, prefix string) error {
	s.log("sync " + prefix)
	if s.syncFail != nil {
		return s.syncFail
	}
	return s.Dir.SyncFolder(ctx, prefix)
}

func (s *syncLog) Swap(ctx context.Context, key string, data []byte, ifGen int64) error {
	s.log("swap " + key)
	return s.Dir.Swap(ctx, key, data, ifGen)
}

func newSyncLog(t *testing.T) *syncLog { return &syncLog{Dir: localDir(t)} }

// A local run folder's files are written without a sync each, then made
// durable together, and only then come the manifest and latest.json.
func TestPublishSyncsTheFolderBeforeTheManifest(t *testing.T) {
	b := newSyncLog(t)
	r, files := runOf(t, "r1", "2024-09-30", time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC))
	if _, err := Publish(context.Background(), b, r, files); err != nil {
		t.Fatal(err)
	}
	dir := RunDir(r)
	ev := b.events
	at := slices.Index(ev, "sync "+dir)
	if at < 0 {
		t.Fatalf("the run folder was never synced: %q", ev)
	}
	written := 0
	for i, e := range ev {
		key, isFile := strings.CutPrefix(e, "unsynced ")
		switch {
		case isFile && i > at:
			t.Errorf("%s written after the folder's sync", key)
		case isFile:
			written++
		case strings.HasPrefix(e, "synced "+dir+"/") && e != "synced "+path.Join(dir, ManifestName):
			t.Errorf("%s: a run file written with a sync of its own", e)
		}
	}
	if written != len(files) {
		t.Errorf("%d files written unsynced, want %d", written, len(files))
	}
	man := slices.Index(ev, "synced "+path.Join(dir, ManifestName))
	swap := slices.Index(ev, "swap "+LatestKey("thai-binh"))
	if man < at || swap < man {
		t.Errorf("order: sync at %d, manifest at %d, latest.json at %d, want sync < manifest < latest.json: %q", at, man, swap, ev)
	}
	checkRun(t, b, dir, files)
}

// A failed sync is a failed publish: no manifest, latest.json untouched.
func TestPublishSyncFailureLeavesLatest(t *testing.T) {
	ctx := context.Background()
	b := newSyncLog(t)
	t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	r1, f1 := runOf(t, "base", "2024-08-31", t0)
	if _, err := Publish(ctx, b, r1, f1); err != nil {
		t.Fatal(err)
	}
	b.syncFail = errors.New("injected sync failure")
	r2, f2 := runOf(t, "next", "2024-09-30", t0.Add(time.Hour))
	if _, err := Publish(ctx, b, r2, f2); !errors.Is(err, b.syncFail) {
		t.Fatalf("Publish: %v, want the sync failure", err)
	}
	if _, err := b.Read(ctx, path.Join(RunDir(r2), ManifestName)); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("manifest of the unsynced run: %v, want none", err)
	}
	if l := readLatest(t, b); l.RunID != "base" {
		t.Errorf("latest = %s after a failed sync, want base", l.RunID)
	}
}
