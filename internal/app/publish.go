package app

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"time"

	opaversion "github.com/open-policy-agent/opa/v1/version"
	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
)

// publishInput is what the report stage needs from the run.
type publishInput struct {
	runID   string
	started time.Time
	snap    *snapshot.Snapshot
	polSHA  string
	outcome *checker.Outcome
	shards  int
	formats []string
	lang    string
	// overwrite lets a retried run with a given --run-id rewrite its folder.
	overwrite bool
	// release, when set, is called once the report is built: the snapshot
	// and the outcome are no longer needed, and rendering the formats at
	// national scale should not hold them (gigabytes of Arrow memory).
	release func()
	// inventory, when set, is the snapshot's inventory taken earlier (the
	// pipeline takes it before it lets the members table go).
	inventory *checker.Inventory
}

// publish builds the report, adds the delta to the previous run of the same
// snapshot name, renders the formats, writes the run folder and then moves
// latest.json. It returns the run folder's URL.
func publish(ctx context.Context, b storage.Bucket, out string, in publishInput) (string, error) {
	rep := buildReport(in)
	if in.release != nil {
		in.release()
	}
	in.snap, in.outcome = nil, nil // unreachable from here on
	// Collect the index, snapshot and results now: the heap's next goal then
	// follows the report alone, instead of letting rendering allocate on top
	// of the evaluation's garbage (the run's peak memory at national scale).
	// A small heap (a province) is not worth the pause.
	if heapBytes() > collectBeforeRenderBytes {
		runtime.GC()
	}
	prev, err := report.Previous(ctx, b, rep.Run.Snapshot.Name)
	if err != nil {
		return "", fmt.Errorf("read previous run: %w", err)
	}
	rep.Delta = report.Delta(prev, rep)
	rendered, err := render(ctx, rep, in.formats, in.lang)
	if err != nil {
		return "", err
	}
	var opts []report.PublishOption
	if in.overwrite {
		opts = append(opts, report.AllowOverwrite())
	}
	dir, err := report.Publish(ctx, b, rep, rendered, opts...)
	if err != nil {
		return "", fmt.Errorf("publish run %s: %w", in.runID, err)
	}
	return strings.TrimSuffix(out, "/") + "/" + dir, nil
}

// collectBeforeRenderBytes is the heap size above which publish collects
// the evaluation's garbage before rendering.
const collectBeforeRenderBytes = 512 << 20

// heapBytes is the memory the heap's objects hold now, live or not yet
// collected.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// buildReport adapts the checker's outcome, roll-ups and inventory into
// report.Inputs.
func buildReport(in publishInput) *report.Report {
	m := in.snap.Manifest
	rollups := checker.Rollup(in.snap, in.outcome.Targets, in.outcome.Results)
	targets := report.Summaries(rollups)
	inv := in.inventory
	if inv == nil {
		i := checker.TakeInventory(in.snap)
		inv = &i
	}
	return report.Build(report.Inputs{
		RunID:          in.runID,
		StartedAt:      in.started,
		FinishedAt:     time.Now(),
		ToolVersion:    Version,
		OPAVersion:     opaversion.Version,
		Snapshot:       report.SnapshotInfo{Name: m.Name, Title: m.Title, AsOf: m.AsOf, SHA256: in.snap.SHA256},
		PoliciesSHA256: in.polSHA,
		Targets:        targets,
		Results:        in.outcome.Results,
		Inventory:      inv,
		DataQuality:    in.snap.Findings,
		Waivers:        in.outcome.Waivers,
		Shards:         in.shards,
	})
}

// render returns the files of the run folder for the formats asked for
// (report.json always).
func render(ctx context.Context, rep *report.Report, formats []string, lang string) (map[string][]byte, error) {
	fs, err := report.ParseFormats(strings.Join(formats, ","))
	if err != nil {
		return nil, configErrorf("formats", "--formats: %v", err)
	}
	l, err := report.ParseLang(lang)
	if err != nil {
		return nil, configErrorf("lang", "--lang: %v", err)
	}
	files, err := report.Render(ctx, rep, fs, l, nil)
	if err != nil {
		return nil, fmt.Errorf("render report: %w", err)
	}
	return files, nil
}
