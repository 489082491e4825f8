package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// Latest is latest.json: the pointer to the newest complete run.
type Latest struct {
	RunID      string `json:"run_id"`
	AsOf       string `json:"as_of"`
	Path       string `json:"path"` // the run folder, relative to the bucket root
	FinishedAt string `json:"finished_at"`
}

// Manifest is manifest.json: the run's metadata and a digest of each file.
type Manifest struct {
	APIVersion  string         `json:"apiVersion"`
	Kind        string         `json:"kind"` // RunManifest
	RunID       string         `json:"run_id"`
	Snapshot    SnapshotInfo   `json:"snapshot"`
	Policies    Policies       `json:"policies"`
	StartedAt   string         `json:"started_at"`
	FinishedAt  string         `json:"finished_at"`
	ToolVersion string         `json:"tool_version"`
	OPAVersion  string         `json:"opa_version"`
	Files       []ManifestFile `json:"files"`
}

// ManifestFile is one file of the run folder.
type ManifestFile struct {
	Name   string `json:"name"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// RunDir returns the run folder of a report: <name>/runs/<as_of>/<run_id>.
func RunDir(r *Report) string {
	return path.Join(r.Run.Snapshot.Name, "runs", r.Run.Snapshot.AsOf, r.Run.ID)
}

// LatestKey returns the key of a snapshot name's latest.json.
func LatestKey(name string) string { return path.Join(name, "latest.json") }

// PublishOption tunes Publish.
type PublishOption func(*publishOptions)

type publishOptions struct {
	overwrite    bool
	keepLatest   bool
	maxSwapTries int
}

// KeepLatest publishes the run folder without moving latest.json: a run
// stopped by data quality publishes its data-quality report, which is not
// a run that readers of latest.json should see.
func KeepLatest() PublishOption { return func(o *publishOptions) { o.keepLatest = true } }

// AllowOverwrite lets Publish rewrite the files of an incomplete run folder
// (no manifest.json: an earlier attempt of the same run id stopped before
// the end): use it when the run id was given (--run-id), so a retried Job
// rewrites its own folder. Without it a file that exists with other bytes
// is an error. A complete folder is never rewritten, with or without it.
func AllowOverwrite() PublishOption { return func(o *publishOptions) { o.overwrite = true } }

// Published is what Publish did.
type Published struct {
	Dir string // the run folder's key
	// Existing: the folder already held this run, complete (manifest.json
	// written) with the same report.json apart from run times and delta, and
	// the same files: nothing was written, and Report is the report found
	// there (a retry after the files were written, or the same run again).
	Existing bool
	// Report is the run's report as published: rep, or the one found there.
	Report *Report
	// Latest is latest.json after the publish. Moved says whether this
	// publish wrote it: false when it already pointed at the run, or when
	// a newer run holds it.
	Latest Latest
	Moved  bool
	// ReplacedLatest, when set, says why the latest.json found held no run
	// (it did not parse or name a run folder, or it pointed at a run whose
	// manifest.json is gone): it was replaced whatever its as_of.
	ReplacedLatest *UnusableRunError
}

// RunExistsError says that the run folder already holds a complete run
// (manifest.json written) that is not the one being published: other
// results, other files, or a folder that cannot be read as a run. A
// published run folder is never rewritten, so nothing was written.
type RunExistsError struct {
	Dir    string
	Reason string
}

func (e *RunExistsError) Error() string {
	return fmt.Sprintf("run folder %s already holds a complete run of this run id %s; a complete run folder is never rewritten: give another run id", e.Dir, e.Reason)
}

// RunBusyError says that another writer holds the run folder's lock: a
// second run of the same run id is publishing at this moment. Nothing was
// written.
type RunBusyError struct {
	Dir string
}

func (e *RunBusyError) Error() string {
	return fmt.Sprintf("run folder %s is being written by another run of this run id at this moment: give each run its own run id", e.Dir)
}

// folderLocker is a bucket whose folders can be locked against a second
// writer (storage.Dir: local disk, where two processes writing the same
// file names would mix their files). The lock also clears what a writer
// killed mid-write left there.
type folderLocker interface {
	LockFolder(ctx context.Context, prefix string) (unlock func(), err error)
}

// Publish writes a run folder and then moves latest.json to it.
//
// On a bucket that can lock a folder (local disk), Publish holds the run
// folder's lock throughout, so that two runs of one run id never write it
// at once: the second gets a *RunBusyError and writes nothing.
//
// First it reads the folder's manifest.json. When there is one the folder
// holds a complete run, which is never rewritten: if that run has the same
// report.json (apart from run.started_at, run.finished_at and delta) and
// the same files as rep and rendered, nothing is written and latest.json is
// moved to it (Published.Existing); otherwise Publish returns a
// *RunExistsError and writes nothing.
//
// Otherwise every file of rendered (plus report.json from rep when rendered
// lacks it) is written, one after the other in name order, each with a
// does-not-exist precondition (an existing file with identical bytes is
// accepted; see AllowOverwrite); then manifest.json, with a does-not-exist
// precondition; then latest.json, under a generation precondition. If
// latest.json already points at a newer run (a later as_of, or the same
// as_of and a later finished_at, then a greater run id) it is left alone:
// the newer run wins and Publish still succeeds, unless that run's
// manifest.json is gone (a deleted run cannot pin latest.json) or
// latest.json names no run folder at all (see Published.ReplacedLatest). When the precondition
// fails because another run moved the pointer meanwhile, Publish re-reads
// it and decides again. Any error leaves latest.json where it was.
func Publish(ctx context.Context, b storage.Bucket, rep *Report, rendered map[string][]byte, opts ...PublishOption) (*Published, error) {
	names := make([]string, 0, len(rendered))
	for k := range rendered {
		if k == ManifestName || !validFileName(k) {
			return nil, fmt.Errorf("publish %s: invalid file name %q", RunDir(rep), k)
		}
		names = append(names, k)
	}
	slices.Sort(names)
	return PublishRendered(ctx, b, rep, func(emit Emit) error {
		for _, k := range names {
			if err := emit(k, rendered[k]); err != nil {
				return err
			}
		}
		return nil
	}, opts...)
}

// PublishRendered is Publish with the files made while the folder is
// written: render hands each file to emit (RenderTo does), and each is
// written as it comes, publishWriters at a time, and let go once written.
// The files of a national run (a site of 11,000 pages, report.json and
// findings.csv of some 200 MB) are then never all in memory at once.
//
// When the folder already holds a complete run, render's files are
// collected and compared as Publish does. A file render emits twice, or
// under an invalid name, is an error; so is an error of render or emit:
// the folder is then left without its manifest (incomplete), and
// latest.json where it was.
func PublishRendered(ctx context.Context, b storage.Bucket, rep *Report, render func(emit Emit) error, opts ...PublishOption) (*Published, error) {
	o := publishOptions{maxSwapTries: 20}
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkPublishable(rep); err != nil {
		return nil, err
	}
	dir := RunDir(rep)
	if l, ok := b.(folderLocker); ok {
		unlock, err := l.LockFolder(ctx, dir)
		if errors.Is(err, storage.ErrLocked) {
			return nil, &RunBusyError{Dir: dir}
		}
		if err != nil {
			return nil, fmt.Errorf("publish %s: %w", dir, err)
		}
		defer unlock()
	}
	mj, err := b.Read(ctx, path.Join(dir, ManifestName))
	switch {
	case err == nil:
		// A complete run is there, never rewritten.
		return publishExisting(ctx, b, rep, dir, mj, render, o)
	case !errors.Is(err, storage.ErrNotExist):
		return nil, fmt.Errorf("publish %s: read the run folder's manifest: %w", dir, err)
	}
	man := Manifest{
		APIVersion: APIVersion, Kind: "RunManifest", RunID: rep.Run.ID, Snapshot: rep.Run.Snapshot,
		Policies: rep.Run.Policies, StartedAt: rep.Run.StartedAt, FinishedAt: rep.Run.FinishedAt,
		ToolVersion: rep.Run.ToolVersion, OPAVersion: rep.Run.OPAVersion,
	}
	if man.Files, err = writeRun(ctx, b, dir, rep, render, o.overwrite); err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	mj, err = json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	// Never over another attempt's manifest: that folder is complete.
	if err := put(ctx, b, path.Join(dir, ManifestName), append(mj, '\n'), false); err != nil {
		if errors.Is(err, storage.ErrPrecondition) {
			return nil, fmt.Errorf("publish %s: another attempt of the run completed the folder meanwhile: %w", dir, err)
		}
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	p := &Published{Dir: dir, Report: rep}
	if o.keepLatest {
		return p, nil
	}
	if p.Latest, p.Moved, p.ReplacedLatest, err = moveLatest(ctx, b, rep, dir, o.maxSwapTries); err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	return p, nil
}

// publishExisting is PublishRendered on a folder whose manifest.json (mj)
// says it holds a complete run: render's files are collected and compared
// with it (existingRun), and latest.json is moved to it when it is the
// same run.
func publishExisting(ctx context.Context, b storage.Bucket, rep *Report, dir string, mj []byte, render func(Emit) error, o publishOptions) (*Published, error) {
	files := map[string][]byte{}
	var mu sync.Mutex
	err := render(func(name string, data []byte) error {
		if name == ManifestName || !validFileName(name) {
			return fmt.Errorf("invalid file name %q", name)
		}
		mu.Lock()
		defer mu.Unlock()
		files[name] = data
		return nil
	})
	if err == nil && files[JSONName] == nil {
		files[JSONName], err = JSON(rep)
	}
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	names := slices.Sorted(maps.Keys(files))
	existing, err := existingRun(ctx, b, dir, mj, files, names)
	var exists *RunExistsError
	if errors.As(err, &exists) {
		return nil, err // names the folder
	}
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	p := &Published{Dir: dir, Existing: true, Report: existing}
	if o.keepLatest {
		return p, nil
	}
	if p.Latest, p.Moved, p.ReplacedLatest, err = moveLatest(ctx, b, existing, dir, o.maxSwapTries); err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	return p, nil
}

// writeRun writes the files render emits into dir as they come,
// publishWriters at a time (emit waits for a free writer), then report.json
// from rep if render emitted none. It returns the manifest's entries in
// name order. Once a write has failed, emit returns its error, so that
// rendering stops early; the error returned is the failed write first in
// name order, else render's.
func writeRun(ctx context.Context, b storage.Bucket, dir string, rep *Report, render func(Emit) error, overwrite bool) ([]ManifestFile, error) {
	var (
		mu      sync.Mutex
		entries = map[string]ManifestFile{}
		failed  = map[string]error{}
		g       errgroup.Group
	)
	g.SetLimit(publishWriters)
	firstFailure := func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(failed) == 0 {
			return nil
		}
		return failed[slices.Min(slices.Collect(maps.Keys(failed)))]
	}
	emit := func(name string, data []byte) error {
		if name == ManifestName || !validFileName(name) {
			return fmt.Errorf("invalid file name %q", name)
		}
		if err := firstFailure(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		mu.Lock()
		_, twice := entries[name]
		entries[name] = ManifestFile{Name: name, Size: len(data), SHA256: hex.EncodeToString(sum[:])}
		mu.Unlock()
		if twice {
			return fmt.Errorf("%s rendered twice", name)
		}
		g.Go(func() error {
			if err := put(ctx, b, path.Join(dir, name), data, overwrite); err != nil {
				mu.Lock()
				failed[name] = err
				mu.Unlock()
			}
			return nil
		})
		return nil
	}
	err := render(emit)
	if err == nil && entries[JSONName].Name == "" {
		var j []byte
		if j, err = JSON(rep); err == nil {
			err = emit(JSONName, j)
		}
	}
	_ = g.Wait()
	if ferr := firstFailure(); ferr != nil {
		return nil, ferr
	}
	if err != nil {
		return nil, err
	}
	files := make([]ManifestFile, 0, len(entries))
	for _, n := range slices.Sorted(maps.Keys(entries)) {
		files = append(files, entries[n])
	}
	return files, nil
}

// existingRun compares the run in a folder whose manifest.json is mj with
// the files to publish. It returns the report found there
// when the folder holds the same run (same report.json apart from run
// times and delta, same files), and a *RunExistsError otherwise.
func existingRun(ctx context.Context, b storage.Bucket, dir string, mj []byte, files map[string][]byte, names []string) (*Report, error) {
	var man Manifest
	if err := json.Unmarshal(mj, &man); err != nil {
		return nil, &RunExistsError{Dir: dir, Reason: fmt.Sprintf("(its %s does not parse: %v)", ManifestName, err)}
	}
	have := make([]string, len(man.Files))
	for i, f := range man.Files {
		have[i] = f.Name
	}
	slices.Sort(have)
	if !slices.Equal(have, names) {
		return nil, &RunExistsError{Dir: dir, Reason: fmt.Sprintf("with other files (%s, where this run writes %s)",
			strings.Join(have, ", "), strings.Join(names, ", "))}
	}
	rj, err := b.Read(ctx, path.Join(dir, JSONName))
	if errors.Is(err, storage.ErrNotExist) {
		return nil, &RunExistsError{Dir: dir, Reason: fmt.Sprintf("(its %s is missing)", JSONName)}
	}
	if err != nil {
		return nil, fmt.Errorf("read the run folder's %s: %w", JSONName, err)
	}
	old, err := Parse(rj)
	if err != nil {
		return nil, &RunExistsError{Dir: dir, Reason: fmt.Sprintf("(%v)", err)}
	}
	cur, err := Parse(files[JSONName])
	if err != nil {
		return nil, fmt.Errorf("read the %s to publish: %w", JSONName, err)
	}
	switch {
	case old.Run.Snapshot.SHA256 != cur.Run.Snapshot.SHA256:
		return nil, &RunExistsError{Dir: dir, Reason: fmt.Sprintf("made from another snapshot (sha256 %s, not %s)", old.Run.Snapshot.SHA256, cur.Run.Snapshot.SHA256)}
	case old.Run.Policies.SHA256 != cur.Run.Policies.SHA256:
		return nil, &RunExistsError{Dir: dir, Reason: fmt.Sprintf("made with other policies (sha256 %s, not %s)", old.Run.Policies.SHA256, cur.Run.Policies.SHA256)}
	}
	same, err := sameReport(rj, files[JSONName])
	if err != nil {
		return nil, fmt.Errorf("compare with the run folder's %s: %w", JSONName, err)
	}
	if !same {
		return nil, &RunExistsError{Dir: dir, Reason: "with other results (other params, waivers, shards or tool version?)"}
	}
	return old, nil
}

// sameReport reports whether two report.json documents are equal apart
// from run.started_at, run.finished_at and delta. Numbers are compared as
// written.
func sameReport(a, b []byte) (bool, error) {
	na, err := normalReport(a)
	if err != nil {
		return false, err
	}
	nb, err := normalReport(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(na, nb), nil
}

func normalReport(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	delete(doc, "delta")
	if run, ok := doc["run"].(map[string]any); ok {
		delete(run, "started_at")
		delete(run, "finished_at")
	}
	return json.Marshal(doc)
}

// The file names of a run folder.
const (
	JSONName     = "report.json"
	HTMLName     = "report.html"
	CSVName      = "findings.csv"
	ParquetName  = "results.parquet"
	XLSXName     = "report.xlsx"
	ManifestName = "manifest.json"
)

// validFileName reports whether k may be a file of a run folder: a plain
// name, or one page of the site under units/ (see PageFile).
func validFileName(k string) bool {
	if storage.CheckKey(k) != nil {
		return false
	}
	if dir, base, ok := strings.Cut(k, "/"); ok {
		return dir == "units" && base != "" && path.Base(base) == base && !strings.HasPrefix(base, ".")
	}
	return !strings.HasPrefix(k, ".")
}

// publishWriters is how many files of a run folder are written at once:
// a national site has some 11,000 pages, and one object at a time to
// Cloud Storage would take minutes.
const publishWriters = 16

func checkPublishable(rep *Report) error {
	for what, k := range map[string]string{"snapshot name": rep.Run.Snapshot.Name, "as_of": rep.Run.Snapshot.AsOf, "run id": rep.Run.ID} {
		if err := storage.CheckKey(k); err != nil || path.Base(k) != k {
			return fmt.Errorf("publish: invalid %s %q", what, k)
		}
	}
	return nil
}

func put(ctx context.Context, b storage.Bucket, key string, data []byte, overwrite bool) error {
	err := b.Create(ctx, key, data, false)
	if !errors.Is(err, storage.ErrPrecondition) {
		return err
	}
	old, rerr := b.Read(ctx, key)
	if rerr == nil && string(old) == string(data) {
		return nil
	}
	if !overwrite {
		return fmt.Errorf("%s exists with other content (same run id; retry with the run id given explicitly to overwrite): %w", key, err)
	}
	return b.Create(ctx, key, data, true)
}

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
