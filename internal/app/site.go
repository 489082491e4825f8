package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // --timezone works in the distroless image, which has no zone files

	opaversion "github.com/open-policy-agent/opa/v1/version"
	"github.com/rs/zerolog"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/sample"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/loaders"
)

// siteUnits returns the snapshot's units for the report site: id, parent,
// level, name and kind of every unit, excluded ones included.
func siteUnits(snap *snapshot.Snapshot) []report.Unit {
	rec := snap.Table(snapshot.Units)
	var out []report.Unit
	seen := map[string]bool{}
	if rec != nil {
		col := func(name string) snapshot.StringArray {
			if a := snapshot.Column(rec, name); a != nil {
				return snapshot.Strings(a)
			}
			return nil
		}
		ids, parents, levels, names, kinds := col("unit_id"), col("parent_id"), col("level"), col("name"), col("kind")
		val := func(a snapshot.StringArray, i int) string {
			if a == nil || a.IsNull(i) {
				return ""
			}
			return a.Value(i)
		}
		out = make([]report.Unit, 0, int(rec.NumRows())+len(snap.ExcludedUnits))
		for i := 0; i < int(rec.NumRows()); i++ {
			u := report.Unit{ID: val(ids, i), Parent: val(parents, i), Level: val(levels, i), Name: val(names, i), Kind: val(kinds, i)}
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	for _, e := range snap.ExcludedUnits {
		if !seen[e.ID] {
			out = append(out, report.Unit{ID: e.ID, Parent: e.ParentID, Level: string(e.Level), Name: e.Name})
		}
	}
	return out
}

// goals reads the goal and deadline that --params may give a target
// ("TB-01": {goal: 1.0, deadline: 2026-12-31}); a goal above 1 is a
// percentage (100 = 100 %). Targets without both, or with values that do
// not read, have none.
func goals(params map[string]any) map[string]report.Goal {
	out := map[string]report.Goal{}
	for id, v := range params {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		rate, ok := number(m["goal"])
		if !ok || rate <= 0 {
			continue
		}
		if rate > 1 {
			rate /= 100
		}
		var deadline string
		switch d := m["deadline"].(type) {
		case string:
			deadline = d
		case time.Time:
			deadline = d.Format(time.DateOnly)
		}
		if _, err := time.Parse(time.DateOnly, deadline); err != nil {
			continue
		}
		out[id] = report.Goal{Rate: min(rate, 1), Deadline: deadline}
	}
	return out
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(x), "%")), 64)
		return f, err == nil
	}
	return 0, false
}

// location loads --timezone ("" is report.DefaultTimezone).
func location(tz string) (*time.Location, error) {
	if tz == "" {
		tz = report.DefaultTimezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, configErrorf("timezone", "--timezone %q: %v", tz, err)
	}
	return loc, nil
}

// readHistory reads the summaries of earlier runs for the trends; a
// summary that cannot be read is a warning, and so is a failing listing:
// trends are never worth a failed run.
func readHistory(ctx context.Context, b storage.Bucket, rep *report.Report, log zerolog.Logger) []*report.RunSummary {
	h, err := report.History(ctx, b, rep, func(err error) {
		log.Warn().Err(err).Msg("an earlier run's summary.json is left out of the trends")
	})
	if err != nil {
		log.Warn().Err(err).Msg("no trends: the earlier runs could not be listed")
		return nil
	}
	return h
}

// publishStopped publishes the run folder of a run stopped by data quality
// (exit 3): report.json with run.status "stopped" and the data-quality
// findings, a report.html of them, and summary.json; latest.json does not
// move. The snapshot's manifest names the folder: when it cannot be read
// there is nowhere to publish, and nothing is. The returned error is only
// for the log: the run's exit code stays 3.
func publishStopped(ctx context.Context, rc *runContext, b storage.Bucket, polSHA string, loadErr error) (string, error) {
	var findings []snapshot.Finding
	var fatal *loaders.FatalError
	var bad *loaders.TooManyBadRowsError
	switch {
	case errors.As(loadErr, &fatal):
		findings = fatal.Findings
	case errors.As(loadErr, &bad):
		findings = bad.Findings
	default:
		return "", nil
	}
	s := rc.s
	fsys, err := snapshotFS(ctx, s.Snapshot)
	if err != nil {
		return "", err
	}
	raw, err := fs.ReadFile(fsys, "snapshot.yaml")
	if err != nil {
		return "", fmt.Errorf("read the manifest: %w", err)
	}
	man, _ := loaders.ParseManifest(raw)
	if man.Name == "" || man.AsOf == "" {
		return "", errors.New("the manifest names no snapshot or as_of: no run folder to publish to")
	}
	sum := sha256.Sum256(raw)
	runID := s.RunID
	if runID == "" {
		runID = defaultRunID(rc, "manifest-"+hex.EncodeToString(sum[:]), polSHA)
	}
	rc.setRunID(runID)
	loc, err := location(s.Timezone)
	if err != nil {
		return "", err
	}
	rep := report.Build(report.Inputs{
		RunID: runID, StartedAt: rc.started, FinishedAt: time.Now(), ToolVersion: Version, OPAVersion: opaversion.Version,
		Snapshot:       report.SnapshotInfo{Name: man.Name, Title: man.Title, AsOf: man.AsOf, SHA256: ""},
		PoliciesSHA256: polSHA, DataQuality: findings, Status: report.StatusStopped,
		Inventory: checker.Inventory{Units: map[string]int{}, Models: []checker.ModelInventory{}},
	})
	rep.Location = loc
	formats := []string{"json", "html"}
	render, err := renderer(ctx, rep, formats, s.Lang)
	if err != nil {
		return "", err
	}
	var opts []report.PublishOption
	if s.RunID != "" {
		opts = append(opts, report.AllowOverwrite())
	}
	p, err := report.PublishStreamed(ctx, b, rep, render, append(opts, report.KeepLatest())...)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(s.Out, "/") + "/" + p.Dir, nil
}

// snapshotFS opens the snapshot's files (a generated sample included).
func snapshotFS(ctx context.Context, url string) (fs.FS, error) {
	so, isSample, err := sample.ParseURL(url)
	if err != nil {
		return nil, err
	}
	if isSample {
		return sample.FS(ctx, so)
	}
	return loaders.OpenFS(ctx, url)
}
