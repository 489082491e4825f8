package report

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/vungmanh/vungmanh/internal/storage"
)

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

// folderSyncer is a bucket whose writes can be made durable together
// (storage.Dir: an fsync per file would be thousands of them). writeRun
// writes a run folder's files with CreateUnsynced and calls SyncFolder
// once they are all written, before the manifest: a folder is complete,
// and latest.json moves to it, only once its files are durable.
type folderSyncer interface {
	CreateUnsynced(ctx context.Context, key string, data []byte, overwrite bool) error
	SyncFolder(ctx context.Context, prefix string) error
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
	return PublishStreamed(ctx, b, rep, func(emit Emit, _ Stream) error { return render(emit) }, opts...)
}

// PublishStreamed is PublishRendered with a Stream beside emit
// (RenderStreams takes both): a file handed to it is written to storage
// as it is made, when the bucket can (storage.Dir and storage.GCS,
// CreateFrom), and rendered into memory first otherwise. Its manifest
// entry's size and SHA-256 are counted on the way.
func PublishStreamed(ctx context.Context, b storage.Bucket, rep *Report, render func(emit Emit, stream Stream) error, opts ...PublishOption) (*Published, error) {
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
	if err := put(ctx, b, b.Create, path.Join(dir, ManifestName), append(mj, '\n'), false); err != nil {
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
func publishExisting(ctx context.Context, b storage.Bucket, rep *Report, dir string, mj []byte, render func(Emit, Stream) error, o publishOptions) (*Published, error) {
	files := map[string][]byte{}
	var mu sync.Mutex
	emit := func(name string, data []byte) error {
		if name == ManifestName || !validFileName(name) {
			return fmt.Errorf("invalid file name %q", name)
		}
		mu.Lock()
		defer mu.Unlock()
		files[name] = data
		return nil
	}
	err := render(emit, buffered(emit))
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
// from rep if render emitted none, and makes them durable (a folderSyncer's
// SyncFolder; each Create's otherwise). It returns the manifest's entries in
// name order. Once a write has failed, emit returns its error, so that
// rendering stops early; the error returned is the failed write first in
// name order, else render's.
func writeRun(ctx context.Context, b storage.Bucket, dir string, rep *Report, render func(Emit, Stream) error, overwrite bool) ([]ManifestFile, error) {
	var (
		mu      sync.Mutex
		entries = map[string]ManifestFile{}
		failed  = map[string]error{}
		g       errgroup.Group
	)
	g.SetLimit(publishWriters)
	create := b.Create
	syncer, deferred := b.(folderSyncer)
	if deferred {
		create = syncer.CreateUnsynced
	}
	firstFailure := func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(failed) == 0 {
			return nil
		}
		return failed[slices.Min(slices.Collect(maps.Keys(failed)))]
	}
	// claim checks that a file can be written now (a valid name, no
	// failure or cancellation yet, not rendered before) and records its
	// manifest entry (for a streamed file, a placeholder until written).
	claim := func(name string, entry ManifestFile) error {
		if name == ManifestName || !validFileName(name) {
			return fmt.Errorf("invalid file name %q", name)
		}
		if err := firstFailure(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		mu.Lock()
		_, twice := entries[name]
		entries[name] = entry
		mu.Unlock()
		if twice {
			return fmt.Errorf("%s rendered twice", name)
		}
		return nil
	}
	emit := func(name string, data []byte) error {
		sum := sha256.Sum256(data)
		if err := claim(name, ManifestFile{Name: name, Size: len(data), SHA256: hex.EncodeToString(sum[:])}); err != nil {
			return err
		}
		g.Go(func() error {
			if err := put(ctx, b, create, path.Join(dir, name), data, overwrite); err != nil {
				mu.Lock()
				failed[name] = err
				mu.Unlock()
			}
			return nil
		})
		return nil
	}
	stream := buffered(emit)
	if createFrom := streamCreate(b, deferred); createFrom != nil {
		// Written here, in the renderer's goroutine (it renders as it
		// writes); its manifest entry once written.
		stream = func(name string, write func(io.Writer) error) error {
			if err := claim(name, ManifestFile{}); err != nil {
				return err
			}
			f, err := putStream(ctx, b, createFrom, path.Join(dir, name), write, overwrite)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[name] = err
				return err
			}
			f.Name = name
			entries[name] = f
			return nil
		}
	}
	err := render(emit, stream)
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
	if deferred {
		if err := syncer.SyncFolder(ctx, dir); err != nil {
			return nil, err
		}
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

// buffered is a Stream that renders each file into memory and hands it
// to emit: for a bucket that cannot write from a function.
func buffered(emit Emit) Stream {
	return func(name string, write func(io.Writer) error) error {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			return err
		}
		return emit(name, buf.Bytes())
	}
}

// createFrom writes an object from a function (storage.Dir's and
// storage.GCS's CreateFrom).
type createFrom func(ctx context.Context, key string, write func(io.Writer) error, overwrite bool) error

// streamer is a bucket that writes an object from a function, without
// its bytes whole in memory (storage.Dir, storage.GCS).
type streamer interface {
	CreateFrom(ctx context.Context, key string, write func(io.Writer) error, overwrite bool) error
}

// unsyncedStreamer is a folderSyncer that also writes from a function
// (storage.Dir).
type unsyncedStreamer interface {
	CreateFromUnsynced(ctx context.Context, key string, write func(io.Writer) error, overwrite bool) error
}

// streamCreate returns how writeRun streams a file to b (the unsynced
// variant when the folder is synced at the end), nil when b cannot.
func streamCreate(b storage.Bucket, deferred bool) createFrom {
	if deferred {
		if u, ok := b.(unsyncedStreamer); ok {
			return u.CreateFromUnsynced
		}
		return nil
	}
	if s, ok := b.(streamer); ok {
		return s.CreateFrom
	}
	return nil
}

// putStream is put for a file that write makes: it is written through a
// 256 KiB buffer and its size and SHA-256 counted on the way (ManifestFile
// without its name). An existing key is compared by digest; write is
// called again to count the digest when the first attempt may not have
// written every byte (a precondition that failed before the end), and to
// write the file again when overwrite replaces it.
func putStream(ctx context.Context, b storage.Bucket, create createFrom, key string, write func(io.Writer) error, overwrite bool) (ManifestFile, error) {
	var d digester
	counted := func(w io.Writer) error { return d.write(w, write) }
	err := create(ctx, key, counted, false)
	if err == nil {
		return d.file(), nil
	}
	if !errors.Is(err, storage.ErrPrecondition) {
		return ManifestFile{}, err
	}
	if derr := d.write(io.Discard, write); derr != nil {
		return ManifestFile{}, derr
	}
	f := d.file()
	old, rerr := b.Read(ctx, key)
	if sum := sha256.Sum256(old); rerr == nil && hex.EncodeToString(sum[:]) == f.SHA256 {
		return f, nil
	}
	if !overwrite {
		return ManifestFile{}, fmt.Errorf("%s exists with other content (same run id; retry with the run id given explicitly to overwrite): %w", key, err)
	}
	if err := create(ctx, key, counted, true); err != nil {
		return ManifestFile{}, err
	}
	return d.file(), nil
}

// digester counts the size and SHA-256 of what a write function writes,
// anew at each call.
type digester struct {
	h    hash.Hash
	n    int
	next io.Writer
}

func (d *digester) Write(p []byte) (int, error) {
	n, err := d.next.Write(p)
	d.h.Write(p[:n])
	d.n += n
	return n, err
}

// write calls write with a writer that buffers into w and counts.
func (d *digester) write(w io.Writer, write func(io.Writer) error) error {
	d.h, d.n, d.next = sha256.New(), 0, w
	bw := bufio.NewWriterSize(d, 256<<10)
	if err := write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

func (d *digester) file() ManifestFile {
	return ManifestFile{Size: d.n, SHA256: hex.EncodeToString(d.h.Sum(nil))}
}

// put writes key with create (b's Create, or a folderSyncer's
// CreateUnsynced): an existing key of the same bytes is left as it is, one
// of other bytes is rewritten only when overwrite is set.
func put(ctx context.Context, b storage.Bucket, create func(ctx context.Context, key string, data []byte, overwrite bool) error,
	key string, data []byte, overwrite bool) error {
	err := create(ctx, key, data, false)
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
	return create(ctx, key, data, true)
}
