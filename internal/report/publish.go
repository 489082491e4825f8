package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"time"

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
	maxSwapTries int
}

// AllowOverwrite lets Publish rewrite files of an existing run folder: use
// it when the run id was given (--run-id), so a retried Job rewrites its own
// folder. Without it a file that exists with other bytes is an error.
func AllowOverwrite() PublishOption { return func(o *publishOptions) { o.overwrite = true } }

// Publish writes a run folder and then moves latest.json to it.
//
// Order: every file of rendered (plus report.json from rep when rendered
// lacks it) is written, one after the other in name order, each with a
// does-not-exist precondition (an existing file with identical bytes is
// accepted; see AllowOverwrite); then manifest.json; then latest.json,
// under a generation precondition. If latest.json already points at a newer
// run (a later as_of, or the same as_of and a later finished_at, then a
// greater run id) it is left alone: the newer run wins and Publish still
// succeeds. When the precondition fails because another run moved the
// pointer meanwhile, Publish re-reads it and decides again. Any error leaves
// latest.json where it was. It returns the run folder's key.
func Publish(ctx context.Context, b storage.Bucket, rep *Report, rendered map[string][]byte, opts ...PublishOption) (string, error) {
	o := publishOptions{maxSwapTries: 20}
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkPublishable(rep); err != nil {
		return "", err
	}
	dir := RunDir(rep)
	files := make(map[string][]byte, len(rendered)+1)
	for k, v := range rendered {
		if k == ManifestName || path.Base(k) != k {
			return "", fmt.Errorf("publish %s: invalid file name %q", dir, k)
		}
		files[k] = v
	}
	if _, ok := files[JSONName]; !ok {
		j, err := JSON(rep)
		if err != nil {
			return "", fmt.Errorf("publish %s: %w", dir, err)
		}
		files[JSONName] = j
	}
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	slices.Sort(names)
	man := Manifest{
		APIVersion: APIVersion, Kind: "RunManifest", RunID: rep.Run.ID, Snapshot: rep.Run.Snapshot,
		Policies: rep.Run.Policies, StartedAt: rep.Run.StartedAt, FinishedAt: rep.Run.FinishedAt,
		ToolVersion: rep.Run.ToolVersion, OPAVersion: rep.Run.OPAVersion, Files: []ManifestFile{},
	}
	for _, n := range names {
		if err := put(ctx, b, path.Join(dir, n), files[n], o.overwrite); err != nil {
			return "", fmt.Errorf("publish %s: %w", dir, err)
		}
		sum := sha256.Sum256(files[n])
		man.Files = append(man.Files, ManifestFile{Name: n, Size: len(files[n]), SHA256: hex.EncodeToString(sum[:])})
	}
	mj, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", dir, err)
	}
	if err := put(ctx, b, path.Join(dir, ManifestName), append(mj, '\n'), o.overwrite); err != nil {
		return "", fmt.Errorf("publish %s: %w", dir, err)
	}
	if err := moveLatest(ctx, b, rep, dir, o.maxSwapTries); err != nil {
		return "", fmt.Errorf("publish %s: %w", dir, err)
	}
	return dir, nil
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

func moveLatest(ctx context.Context, b storage.Bucket, rep *Report, dir string, tries int) error {
	key := LatestKey(rep.Run.Snapshot.Name)
	mine := Latest{RunID: rep.Run.ID, AsOf: rep.Run.Snapshot.AsOf, Path: dir, FinishedAt: rep.Run.FinishedAt}
	data, err := json.MarshalIndent(mine, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	for i := 0; ; i++ {
		cur, gen, err := b.ReadGen(ctx, key)
		if err != nil {
			return err
		}
		if gen != 0 {
			var l Latest
			if json.Unmarshal(cur, &l) == nil && newer(l, mine) {
				return nil // a newer run already published: it wins
			}
		}
		err = b.Swap(ctx, key, data, gen)
		if err == nil {
			return nil
		}
		if !errors.Is(err, storage.ErrPrecondition) || i+1 >= tries {
			return fmt.Errorf("move %s: %w", key, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// newer reports whether a is strictly newer than b.
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

// Previous returns the report latest.json of name points at, or nil when
// there is none.
func Previous(ctx context.Context, b storage.Bucket, name string) (*Report, error) {
	data, err := b.Read(ctx, LatestKey(name))
	if errors.Is(err, storage.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read previous run of %q: %w", name, err)
	}
	var l Latest
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("read previous run of %q: parse %s: %w", name, LatestKey(name), err)
	}
	rj, err := b.Read(ctx, path.Join(l.Path, JSONName))
	if err != nil {
		return nil, fmt.Errorf("read previous run of %q: %w", name, err)
	}
	r, err := Parse(rj)
	if err != nil {
		return nil, fmt.Errorf("read previous run of %q: %w", name, err)
	}
	return r, nil
}
