package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// This file holds latest.json, the pointer to the newest complete run of a
// snapshot name: how Publish moves it without lost updates (moveLatest) and
// how Previous finds the run a report is compared with.

// Latest is latest.json: the pointer to the newest complete run.
type Latest struct {
	RunID      string `json:"run_id"`
	AsOf       string `json:"as_of"`
	Path       string `json:"path"` // the run folder, relative to the bucket root
	FinishedAt string `json:"finished_at"`
}

// LatestKey returns the key of a snapshot name's latest.json.
func LatestKey(name string) string { return path.Join(name, "latest.json") }

// moveLatest points latest.json at the run of rep in dir unless it already
// points there or at a newer run. It returns latest.json as it is after the
// call and whether this call wrote it.
//
// A latest.json that does not name a run folder of the snapshot name, or
// that points at a newer run whose manifest.json is gone, holds no run: it
// is replaced, and replaced says why (nil otherwise).
func moveLatest(ctx context.Context, b storage.Bucket, rep *Report, dir string, tries int) (Latest, bool, *UnusableRunError, error) {
	key := LatestKey(rep.Run.Snapshot.Name)
	mine := Latest{RunID: rep.Run.ID, AsOf: rep.Run.Snapshot.AsOf, Path: dir, FinishedAt: rep.Run.FinishedAt}
	data, err := json.MarshalIndent(mine, "", "  ")
	if err != nil {
		return Latest{}, false, nil, err
	}
	data = append(data, '\n')
	for i := 0; ; i++ {
		cur, gen, err := b.ReadGen(ctx, key)
		if err != nil {
			return Latest{}, false, nil, err
		}
		var replaced *UnusableRunError
		if gen != 0 {
			l, perr := parseLatest(cur, rep.Run.Snapshot.Name)
			if perr == nil && l == mine {
				return l, false, nil, nil // already there
			}
			if perr == nil && newer(l, mine) {
				gone, err := runGone(ctx, b, l.Path)
				if err != nil {
					return Latest{}, false, nil, fmt.Errorf("move %s: %w", key, err)
				}
				if !gone {
					return l, false, nil, nil // a newer run published: it wins
				}
				perr = fmt.Errorf("points at %s, which has no %s (deleted?)", l.Path, ManifestName)
			}
			if perr != nil {
				replaced = &UnusableRunError{Key: key, Err: perr}
			}
		}
		err = b.Swap(ctx, key, data, gen)
		if err == nil {
			return mine, true, replaced, nil
		}
		if ctx.Err() != nil && movedAnyway(ctx, b, key, mine) {
			// Stopped (SIGTERM, --timeout) while the write was under way,
			// yet it landed: the run is published, and says so.
			return mine, true, replaced, nil
		}
		if !errors.Is(err, storage.ErrPrecondition) || i+1 >= tries {
			return Latest{}, false, nil, fmt.Errorf("move %s: %w", key, err)
		}
		if err := ctx.Err(); err != nil {
			return Latest{}, false, nil, err
		}
	}
}

// movedAnyway reports whether latest.json (key) points at mine after a
// write of it failed because ctx was cancelled: the request may have
// reached the bucket before the stop. It reads the pointer once more, for
// at most movedCheckTimeout, outside ctx's cancellation.
func movedAnyway(ctx context.Context, b storage.Bucket, key string, mine Latest) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), movedCheckTimeout)
	defer cancel()
	cur, err := b.Read(ctx, key)
	if err != nil {
		return false
	}
	var l Latest
	return json.Unmarshal(cur, &l) == nil && l == mine
}

// movedCheckTimeout bounds movedAnyway's read: a stopped run has about 10
// seconds to exit.
const movedCheckTimeout = 3 * time.Second

// runGone reports whether the run folder dir has no manifest.json: the run
// was deleted (Publish writes the manifest before it moves latest.json, so
// a pointer never precedes its manifest).
func runGone(ctx context.Context, b storage.Bucket, dir string) (bool, error) {
	_, err := b.Read(ctx, path.Join(dir, ManifestName))
	if errors.Is(err, storage.ErrNotExist) {
		return true, nil
	}
	return false, err
}

// newer reports whether the run a points at is strictly newer than b's:
// a later as_of; for the same as_of a later finished_at; then a greater
// run id. latest.json only ever moves to a newer run.
func newer(a, b Latest) bool {
	if a.AsOf != b.AsOf {
		return a.AsOf > b.AsOf
	}
	ta, ea := time.Parse(time.RFC3339, a.FinishedAt)
	tb, eb := time.Parse(time.RFC3339, b.FinishedAt)
	if ea == nil && eb == nil && !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.RunID > b.RunID
}

// pointer returns the latest.json entry that would point at rep.
func pointer(rep *Report) Latest {
	return Latest{RunID: rep.Run.ID, AsOf: rep.Run.Snapshot.AsOf, Path: RunDir(rep), FinishedAt: rep.Run.FinishedAt}
}

// Previous returns the report of the run cur is compared with: the newest
// complete run of the same snapshot name that is another run than cur (its
// folder differs) and not newer than cur (an earlier as_of, or the same
// as_of and an earlier finished_at). It is the run latest.json points at
// when that one qualifies; otherwise (latest.json points at cur itself, or
// at a newer run because cur backfills an older as_of) the run folders are
// searched, newest as_of first, among those with a manifest.json. nil when
// there is none (no latest.json: nothing was published under the name).
//
// A previous run that is gone or damaged does not fail it: a bucket
// lifecycle rule or an operator may delete any run folder, and a torn or
// edited latest.json must not stop every later run. A latest.json that is
// empty, not JSON, incomplete or pointing outside the name's runs, and a
// run whose report.json is missing or does not parse, are each returned in
// skipped (as an *UnusableRunError) and the run folders are searched for
// the next candidate; prev is nil when none is usable. err is only a
// storage error other than a missing object (a network fault: retry).
func Previous(ctx context.Context, b storage.Bucket, cur *Report) (prev *Report, skipped []*UnusableRunError, err error) {
	name := cur.Run.Snapshot.Name
	me := pointer(cur)
	key := LatestKey(name)
	data, err := b.Read(ctx, key)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read previous run of %q: %w", name, err)
	}
	unusable := map[string]bool{} // run folders that failed
	l, perr := parseLatest(data, name)
	if perr != nil {
		skipped = append(skipped, &UnusableRunError{Key: key, Err: perr})
	} else if l.Path != me.Path && !newer(l, me) {
		r, bad, err := readRun(ctx, b, l.Path)
		if err != nil || r != nil {
			return r, skipped, err
		}
		skipped = append(skipped, bad)
		unusable[l.Path] = true
	}
	for range maxPreviousCandidates {
		c, err := searchPrevious(ctx, b, me, name, unusable)
		if err != nil || c.Path == "" {
			return nil, skipped, err
		}
		r, bad, err := readRun(ctx, b, c.Path)
		if err != nil || r != nil {
			return r, skipped, err
		}
		skipped = append(skipped, bad)
		unusable[c.Path] = true
	}
	return nil, skipped, nil
}

// maxPreviousCandidates bounds the damaged run folders Previous reads past
// before it gives up on a delta.
const maxPreviousCandidates = 5

// UnusableRunError says why Previous could not use latest.json or a run
// folder (gone, empty, damaged): the run goes on without that run, and the
// caller logs it as a warning.
type UnusableRunError struct {
	Key string // latest.json, or the run folder's report.json
	Err error
}

func (e *UnusableRunError) Error() string { return fmt.Sprintf("%s: %v", e.Key, e.Err) }

func (e *UnusableRunError) Unwrap() error { return e.Err }

// parseLatest decodes latest.json and checks that it names a run folder of
// name: <name>/runs/<as_of>/<run_id> with that as_of and run id.
func parseLatest(data []byte, name string) (Latest, error) {
	var l Latest
	if err := json.Unmarshal(data, &l); err != nil {
		return Latest{}, fmt.Errorf("does not parse: %w", err)
	}
	want := path.Join(name, "runs", l.AsOf, l.RunID)
	if l.RunID == "" || l.AsOf == "" || path.Base(l.RunID) != l.RunID || path.Base(l.AsOf) != l.AsOf ||
		l.Path != want || storage.CheckKey(l.Path) != nil {
		return Latest{}, fmt.Errorf("does not name a run folder of %q (run_id %q, as_of %q, path %q)", name, l.RunID, l.AsOf, l.Path)
	}
	return l, nil
}

// readRun reads the report.json of the run folder dir: the report, or why
// it cannot be used (missing, or it does not parse), or a storage error.
func readRun(ctx context.Context, b storage.Bucket, dir string) (*Report, *UnusableRunError, error) {
	key := path.Join(dir, JSONName)
	rj, err := b.Read(ctx, key)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, &UnusableRunError{Key: key, Err: err}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read previous run %s: %w", dir, err)
	}
	r, err := Parse(rj)
	if err != nil {
		return nil, &UnusableRunError{Key: key, Err: err}, nil
	}
	return r, nil, nil
}

// searchPrevious finds, among the run folders of name with a manifest.json,
// the newest one that is not me, not newer than me and not in unusable; a
// zero Latest when there is none. A manifest deleted since the listing is
// skipped like one that does not parse.
func searchPrevious(ctx context.Context, b storage.Bucket, me Latest, name string, unusable map[string]bool) (Latest, error) {
	prefix := path.Join(name, "runs") + "/"
	keys, err := b.List(ctx, prefix)
	if err != nil {
		return Latest{}, fmt.Errorf("list the runs of %q: %w", name, err)
	}
	byAsOf := map[string][]string{} // as_of -> run ids with a manifest
	for _, k := range keys {
		parts := strings.Split(strings.TrimPrefix(k, prefix), "/")
		if len(parts) != 3 || parts[2] != ManifestName || parts[0] > me.AsOf {
			continue
		}
		if dir := path.Join(prefix, parts[0], parts[1]); dir != me.Path && !unusable[dir] {
			byAsOf[parts[0]] = append(byAsOf[parts[0]], parts[1])
		}
	}
	dates := slices.Collect(maps.Keys(byAsOf))
	slices.Sort(dates)
	for i := len(dates) - 1; i >= 0; i-- {
		var best Latest
		for _, id := range byAsOf[dates[i]] {
			dir := path.Join(prefix, dates[i], id)
			mj, err := b.Read(ctx, path.Join(dir, ManifestName))
			if errors.Is(err, storage.ErrNotExist) {
				continue
			}
			if err != nil {
				return Latest{}, fmt.Errorf("read %s: %w", path.Join(dir, ManifestName), err)
			}
			var m Manifest
			if json.Unmarshal(mj, &m) != nil || m.RunID != id || m.Snapshot.AsOf != dates[i] {
				continue // not a run folder this tool wrote
			}
			c := Latest{RunID: id, AsOf: dates[i], Path: dir, FinishedAt: m.FinishedAt}
			if !newer(c, me) && (best.Path == "" || newer(c, best)) {
				best = c
			}
		}
		if best.Path != "" {
			return best, nil
		}
	}
	return Latest{}, nil
}
