package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// streamFixture is a report large enough that report.json is written in
// several pieces (over jsonFlushAt bytes), with one finding in 40 failing
// so that findings.csv has rows of violations.
func streamFixture(t testing.TB) *Report {
	t.Helper()
	r := Build(nationalSite(true, 4, 10))
	if j, _ := JSON(r); len(j) < 2*jsonFlushAt {
		t.Fatalf("report.json of %d bytes: too small to be streamed in pieces", len(j))
	}
	return r
}

// The writers give the bytes of the renderers they stream, through a
// writer that takes a few bytes at a time.
func TestWritersSameAsRenderers(t *testing.T) {
	ctx := context.Background()
	r := streamFixture(t)
	for _, f := range []Format{FormatJSON, FormatCSV, FormatParquet} {
		t.Run(string(f), func(t *testing.T) {
			_, want, err := renderOne(ctx, r, f, Vietnamese, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			name, write := streamed(ctx, r, f, nil)
			if write == nil {
				t.Fatalf("%s does not stream", f)
			}
			var got callCounter
			if err := write(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("%s: streamed %d bytes differ from the %d rendered", name, got.Len(), len(want))
			}
			if got.calls < 2 {
				t.Errorf("%s written in %d call(s), want it in pieces", name, got.calls)
			}
		})
	}
}

// callCounter is a buffer that counts the writes it takes.
type callCounter struct {
	bytes.Buffer
	calls int
}

func (c *callCounter) Write(p []byte) (int, error) {
	c.calls++
	return c.Buffer.Write(p)
}

// streamLog is a local folder that records the files written from a
// function (CreateFromUnsynced) and can fail one of them.
type streamLog struct {
	*storage.Dir
	mu       sync.Mutex
	streamed []string
	fail     string
}

var errStreamInjected = errors.New("injected stream failure")

func (s *streamLog) CreateFromUnsynced(ctx context.Context, key string, write func(io.Writer) error, overwrite bool) error {
	s.mu.Lock()
	s.streamed = append(s.streamed, path.Base(key))
	s.mu.Unlock()
	if s.fail != "" && strings.HasSuffix(key, s.fail) {
		return errStreamInjected
	}
	return s.Dir.CreateFromUnsynced(ctx, key, write, overwrite)
}

func streamBucket(t *testing.T) *streamLog { return &streamLog{Dir: localDir(t)} }

func publishStreamed(ctx context.Context, b storage.Bucket, r *Report, opts ...PublishOption) (*Published, error) {
	return PublishStreamed(ctx, b, r, func(emit Emit, stream Stream) error {
		return RenderStreams(ctx, r, AllFormats(), Vietnamese, nil, emit, stream)
	}, opts...)
}

// PublishStreamed, fed by RenderStreams, writes report.json, findings.csv
// and results.parquet from functions and the same folder, byte for byte
// and manifest for manifest, as PublishRendered fed by RenderTo; on GCS
// too, and on a bucket that cannot stream (rendered into memory then).
func TestPublishStreamedSameAsRendered(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	r := streamFixture(t)
	r.Run.ID, r.Run.FinishedAt = "streamed", t0.Format(time.RFC3339)
	ref := localBucket(t)
	pr, err := PublishRendered(ctx, ref, r, func(emit Emit) error {
		return RenderTo(ctx, r, AllFormats(), Vietnamese, nil, emit)
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Read(ctx, path.Join(pr.Dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	_, files := runFiles(t, ref, pr.Dir)
	logged := streamBucket(t)
	buckets := map[string]storage.Bucket{
		"dir":        logged,
		"gcs":        bothBuckets["gcs"](t),
		"no streams": failingBucket{Bucket: localBucket(t), bad: "-none-"},
	}
	for name, b := range buckets {
		t.Run(name, func(t *testing.T) {
			p, err := publishStreamed(ctx, b, r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.Read(ctx, path.Join(p.Dir, ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("manifests differ:\n%s\n%s", got, want)
			}
			checkRun(t, b, p.Dir, files)
			// Again: the complete run is found, nothing rewritten.
			again, err := publishStreamed(ctx, b, r)
			if err != nil || !again.Existing {
				t.Fatalf("second publish: %+v, %v; want the existing run", again, err)
			}
		})
	}
	slices.Sort(logged.streamed)
	if want := []string{CSVName, JSONName, ParquetName}; !slices.Equal(logged.streamed, want) {
		t.Errorf("files written from a function: %v, want %v", logged.streamed, want)
	}
}

// A streamed file that cannot be written fails the publish: no manifest,
// latest.json where it was. A retry (the same run, its other files
// already there) then completes the folder.
func TestPublishStreamedWriteFailure(t *testing.T) {
	ctx := context.Background()
	b := streamBucket(t)
	t0 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	r1 := streamFixture(t)
	r1.Run.ID, r1.Run.Snapshot.AsOf, r1.Run.FinishedAt = "base", "2024-08-31", t0.Format(time.RFC3339)
	if _, err := publishStreamed(ctx, b, r1); err != nil {
		t.Fatal(err)
	}
	r2 := streamFixture(t)
	r2.Run.ID, r2.Run.FinishedAt = "next", t0.Add(time.Hour).Format(time.RFC3339)
	b.fail = CSVName
	if _, err := publishStreamed(ctx, b, r2); !errors.Is(err, errStreamInjected) {
		t.Fatalf("Publish: %v, want the write failure", err)
	}
	dir := RunDir(r2)
	if _, err := b.Read(ctx, path.Join(dir, ManifestName)); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("manifest written after a failed file: %v", err)
	}
	if got := readLatestOf(t, b, r2.Run.Snapshot.Name); got.RunID != "base" {
		t.Fatalf("latest.json moved to %q after a failed publish", got.RunID)
	}
	b.fail = ""
	p, err := publishStreamed(ctx, b, r2)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := readLatestOf(t, b, r2.Run.Snapshot.Name); got.RunID != "next" || p.Dir != dir {
		t.Fatalf("after the retry latest.json names %q, folder %s", got.RunID, p.Dir)
	}
}

// putStream accepts a file already there with the same bytes (a retried
// publish), refuses other bytes, and replaces them when overwrite is set;
// the manifest entry is always the digest of the bytes now stored.
func TestPutStreamExisting(t *testing.T) {
	ctx := context.Background()
	d := localDir(t)
	x, y := bytes.Repeat([]byte("x"), 300<<10), bytes.Repeat([]byte("y"), 100)
	writeOf := func(b []byte) func(io.Writer) error {
		return func(w io.Writer) error { _, err := w.Write(b); return err }
	}
	entryOf := func(b []byte) ManifestFile {
		sum := sha256.Sum256(b)
		return ManifestFile{Size: len(b), SHA256: hex.EncodeToString(sum[:])}
	}
	if err := d.Create(ctx, "run/report.json", x, false); err != nil {
		t.Fatal(err)
	}
	f, err := putStream(ctx, d, d.CreateFromUnsynced, "run/report.json", writeOf(x), false)
	if err != nil || f != entryOf(x) {
		t.Fatalf("same bytes: %+v, %v; want %+v", f, err, entryOf(x))
	}
	if _, err := putStream(ctx, d, d.CreateFromUnsynced, "run/report.json", writeOf(y), false); err == nil || !strings.Contains(err.Error(), "exists with other content") {
		t.Fatalf("other bytes: %v, want a refusal", err)
	}
	f, err = putStream(ctx, d, d.CreateFromUnsynced, "run/report.json", writeOf(y), true)
	if err != nil || f != entryOf(y) {
		t.Fatalf("overwrite: %+v, %v; want %+v", f, err, entryOf(y))
	}
	if got, _ := d.Read(ctx, "run/report.json"); !bytes.Equal(got, y) {
		t.Fatal("overwrite did not replace the file")
	}
}
