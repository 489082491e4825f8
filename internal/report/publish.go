package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

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
	files := make(map[string][]byte, len(rendered)+1)
	for k, v := range rendered {
		if k == ManifestName || !validFileName(k) {
			return nil, fmt.Errorf("publish %s: invalid file name %q", dir, k)
		}
		files[k] = v
	}
	if _, ok := files[JSONName]; !ok {
		j, err := JSON(rep)
		if err != nil {
			return nil, fmt.Errorf("publish %s: %w", dir, err)
		}
		files[JSONName] = j
	}
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	slices.Sort(names)
	existing, err := existingRun(ctx, b, dir, files, names)
	var exists *RunExistsError
	if errors.As(err, &exists) {
		return nil, err // names the folder
	}
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	if existing != nil {
		p := &Published{Dir: dir, Existing: true, Report: existing}
		if o.keepLatest {
			return p, nil
		}
		if p.Latest, p.Moved, p.ReplacedLatest, err = moveLatest(ctx, b, existing, dir, o.maxSwapTries); err != nil {
			return nil, fmt.Errorf("publish %s: %w", dir, err)
		}
		return p, nil
	}
	man := Manifest{
		APIVersion: APIVersion, Kind: "RunManifest", RunID: rep.Run.ID, Snapshot: rep.Run.Snapshot,
		Policies: rep.Run.Policies, StartedAt: rep.Run.StartedAt, FinishedAt: rep.Run.FinishedAt,
		ToolVersion: rep.Run.ToolVersion, OPAVersion: rep.Run.OPAVersion, Files: []ManifestFile{},
	}
	if err := putAll(ctx, b, dir, files, names, o.overwrite); err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		man.Files = append(man.Files, ManifestFile{Name: n, Size: len(files[n]), SHA256: hex.EncodeToString(sum[:])})
	}
	mj, err := json.MarshalIndent(man, "", "  ")
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

// existingRun reads the run folder's manifest.json. It returns nil when
// there is none (no run, or an incomplete one), the report found there
// when the folder holds the same run (same report.json apart from run
// times and delta, same files), and a *RunExistsError otherwise.
func existingRun(ctx context.Context, b storage.Bucket, dir string, files map[string][]byte, names []string) (*Report, error) {
	mj, err := b.Read(ctx, path.Join(dir, ManifestName))
	if errors.Is(err, storage.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the run folder's manifest: %w", err)
	}
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

// putAll writes the files of a run folder (put each), publishWriters at a
// time; the first error (in name order) is returned.
func putAll(ctx context.Context, b storage.Bucket, dir string, files map[string][]byte, names []string, overwrite bool) error {
	errs := make([]error, len(names))
	var g errgroup.Group
	g.SetLimit(publishWriters)
	for i, n := range names {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return nil
			}
			errs[i] = put(ctx, b, path.Join(dir, n), files[n], overwrite)
			return nil
		})
	}
	_ = g.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

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
