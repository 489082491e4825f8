package app

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"
	opaversion "github.com/open-policy-agent/opa/v1/version"
	"github.com/rs/zerolog"
	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/policies"
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
	// timezone of the run time shown ("": report.DefaultTimezone).
	timezone string
	// goals of the targets, from --params.
	goals map[string]report.Goal
	// overwrite lets a retried run with a given --run-id rewrite its folder.
	overwrite bool
	// release, when set, is called once the report is built: the snapshot
	// and the outcome are no longer needed, and rendering the formats at
	// national scale should not hold them (gigabytes of Arrow memory).
	release func()
	// inventory, when set, is the snapshot's inventory taken earlier (the
	// pipeline takes it before it lets the members table go).
	inventory *checker.Inventory
	// log receives what publishing decided (zero value: nothing).
	log zerolog.Logger
}

// publish builds the report, adds the delta to the previous run of the same
// snapshot name, renders the formats, writes the run folder and then moves
// latest.json. It returns the run folder's URL.
func publish(ctx context.Context, b storage.Bucket, out string, in publishInput) (string, error) {
	links := lineageLinks(in.snap) // read before the snapshot is released
	rep := buildReport(in)
	if in.release != nil {
		in.release()
	}
	in.snap, in.outcome = nil, nil // unreachable from here on
	// Collect the index, snapshot and results now: the heap's next goal then
	// follows the report alone, instead of letting rendering allocate on top
	// of the evaluation's garbage (the run's peak memory at national scale).
	// A small heap (a province) is not worth the pause.
	collectLargeHeap()
	prev, skipped, err := report.Previous(ctx, b, rep)
	if err != nil {
		return "", fmt.Errorf("read previous run: %w", err)
	}
	for _, s := range skipped {
		in.log.Warn().Str("object", s.Key).Err(s.Err).
			Msg("previous run unusable (deleted or damaged): skipped, the delta compares with an older run or is left out")
	}
	if prev == nil && len(skipped) > 0 {
		in.log.Warn().Msg("no usable previous run: the report has no delta")
	}
	rep.Delta = report.Delta(prev, rep, report.AcrossLineage(links))
	rep.Lineage = links
	rep.History = readHistory(ctx, b, rep, in.log)
	if rep.Location, err = location(in.timezone); err != nil {
		return "", err
	}
	render, err := renderer(ctx, rep, in.formats, in.lang)
	if err != nil {
		return "", err
	}
	var opts []report.PublishOption
	if in.overwrite {
		opts = append(opts, report.AllowOverwrite())
	}
	p, err := report.PublishStreamed(ctx, b, rep, render, opts...)
	var exists *report.RunExistsError
	var busy *report.RunBusyError
	if errors.As(err, &exists) || errors.As(err, &busy) {
		// Retrying cannot help: the run id is taken by another run.
		return "", &ConfigError{Setting: "run-id", Err: fmt.Errorf("publish run %s: %w", in.runID, err)}
	}
	if err != nil {
		return "", fmt.Errorf("publish run %s: %w", in.runID, err)
	}
	logPublished(in.log, p)
	return strings.TrimSuffix(out, "/") + "/" + p.Dir, nil
}

// logPublished logs what Publish decided beyond writing the run: that the
// folder already held this run, and why latest.json did not move.
func logPublished(log zerolog.Logger, p *report.Published) {
	if p.ReplacedLatest != nil {
		log.Warn().Str("object", p.ReplacedLatest.Key).Err(p.ReplacedLatest.Err).
			Msg("latest.json held no usable run: replaced")
	}
	if p.Existing {
		log.Info().Str("run_folder", p.Dir).Str("finished_at", p.Report.Run.FinishedAt).
			Msg("the run folder already holds this run, complete (same report apart from its times): nothing rewritten")
	}
	if p.Moved || p.Latest.Path == p.Dir {
		return
	}
	why := "it points at a run of the same as_of that finished later"
	if p.Latest.AsOf != p.Report.Run.Snapshot.AsOf {
		why = "it points at a run of a later as_of"
	}
	log.Info().Str("latest_run_id", p.Latest.RunID).Str("latest_as_of", p.Latest.AsOf).Str("latest_path", p.Latest.Path).
		Msg("latest.json not moved: " + why)
}

// collectAboveBytes is the heap size above which the run collects its
// garbage where a large part of its memory has just become garbage (the
// members once indexed, the index once evaluated, the snapshot and results
// once the report is built), so that the heap's next goal follows what is
// left rather than twice what was there. A province's heap is not worth
// the pause.
const collectAboveBytes = 512 << 20

// collectLargeHeap collects the garbage when the heap holds more than
// collectAboveBytes.
func collectLargeHeap() {
	if heapBytes() > collectAboveBytes {
		runtime.GC()
	}
}

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
	// The roll-ups (the costliest part, at national scale a second of CPU)
	// are counted while the site's units and the inventory are read: all
	// of them only read the snapshot and the results.
	var rollups []checker.TargetRollup
	var wg sync.WaitGroup
	wg.Go(func() { rollups = checker.Rollup(in.snap, in.outcome.Targets, in.outcome.Results) })
	units := siteUnits(in.snap)
	inv := in.inventory
	if inv == nil {
		i := checker.TakeInventory(in.snap)
		inv = &i
	}
	// Improved pairs come from the pack's judgement (details.improved).
	withImproved := *inv
	withImproved.Models = append([]checker.ModelInventory(nil), inv.Models...)
	for i := range withImproved.Models {
		withImproved.Models[i].ByUnit = append([]checker.ModelUnitCount(nil), inv.Models[i].ByUnit...)
	}
	withImproved.AddImproved(in.outcome.Targets, in.outcome.Results)
	inv = &withImproved
	wg.Wait()
	targets := report.Summaries(rollups)
	return report.Build(report.Inputs{
		RunID:           in.runID,
		StartedAt:       in.started,
		FinishedAt:      time.Now(),
		ToolVersion:     Version,
		OPAVersion:      opaversion.Version,
		Snapshot:        report.SnapshotInfo{Name: m.Name, Title: m.Title, AsOf: m.AsOf, SHA256: in.snap.SHA256},
		PoliciesSHA256:  in.polSHA,
		PoliciesVersion: policiesVersion(in.polSHA),
		Targets:         targets,
		Results:         in.outcome.Results,
		// The outcome is released once the report is built (publish).
		GiveResults: true,
		Inventory:   inv,
		DataQuality: in.snap.Findings,
		Waivers:     in.outcome.Waivers,
		Shards:      in.shards,
		Units:       units,
		Goals:       in.goals,
	})
}

// renderer checks --formats and --lang and returns the renderer of the run
// folder's files for the formats asked for (report.json always), as
// report.PublishStreamed takes it: each file is written as it is rendered,
// the large ones (report.json, findings.csv, results.parquet) as their
// bytes are made.
func renderer(ctx context.Context, rep *report.Report, formats []string, lang string) (func(report.Emit, report.Stream) error, error) {
	fs, err := report.ParseFormats(strings.Join(formats, ","))
	if err != nil {
		return nil, configErrorf("formats", "--formats: %v", err)
	}
	l, err := report.ParseLang(lang)
	if err != nil {
		return nil, configErrorf("lang", "--lang: %v", err)
	}
	return func(emit report.Emit, stream report.Stream) error {
		if err := report.RenderStreams(ctx, rep, fs, l, nil, emit, stream); err != nil {
			return fmt.Errorf("render report: %w", err)
		}
		return nil
	}, nil
}

// lineageLinks reads the snapshot's lineage for the delta across a reform
// (docs/reports.md "Across a reform").
func lineageLinks(snap *snapshot.Snapshot) []report.LineageLink {
	if snap == nil {
		return nil
	}
	rec := snap.Table(snapshot.Lineage)
	if rec == nil || rec.NumRows() == 0 {
		return nil
	}
	preds, succs := snapshot.Strings(snapshot.Column(rec, "predecessor_id")), snapshot.Strings(snapshot.Column(rec, "successor_id"))
	effs, _ := snapshot.Column(rec, "effective").(*array.Date32)
	var kinds snapshot.StringArray
	if k := snapshot.Column(rec, "kind"); k != nil {
		kinds = snapshot.Strings(k)
	}
	var out []report.LineageLink
	for i := range int(rec.NumRows()) {
		if effs == nil || effs.IsNull(i) {
			continue
		}
		l := report.LineageLink{Predecessor: preds.Value(i), Successor: succs.Value(i), Effective: effs.Value(i).FormattedString()}
		if kinds != nil && !kinds.IsNull(i) {
			l.Kind = kinds.Value(i)
		}
		out = append(out, l)
	}
	return out
}

// builtinSHA256 is the sha256 of the pack built into the binary.
var builtinSHA256 = sync.OnceValue(func() string {
	sha, err := checker.HashFS(context.Background(), policies.FS)
	if err != nil {
		return ""
	}
	return sha
})

// policiesVersion is the version report.json gives policies of sha256 sha:
// the built-in pack's (policies.Version) when sha is its sha256, whatever
// folder or bundle they came from, "custom" otherwise.
func policiesVersion(sha string) string {
	if b := builtinSHA256(); b != "" && sha == b {
		return policies.Version
	}
	return "custom"
}
