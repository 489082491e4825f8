package report

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// HistoryRuns is how many earlier as_of dates a trend shows at most.
const HistoryRuns = 24

// dirLister is a bucket that lists the "folders" right below a prefix
// (storage.Dir and storage.GCS): one cheap call instead of listing every
// page of every run.
type dirLister interface {
	Dirs(ctx context.Context, prefix string) ([]string, error)
}

// History reads the summary.json of earlier runs of cur's snapshot name:
// for each as_of date before cur's, newest first, the run with the
// greatest run id that has one (run ids default to their UTC start time,
// so that is the newest run of the day), until it has HistoryRuns
// summaries or has looked at twice as many dates. A summary that is
// missing, unreadable or damaged is skipped and reported to warn (which
// may be nil); only a failing listing is an error. The result is sorted
// by as_of, oldest first.
//
// It costs a listing of the as_of folders, then per date a listing of its
// runs and one read (up to three where the newest runs of a date have
// no summary.json), whatever the size of each run.
func History(ctx context.Context, b storage.Bucket, cur *Report, warn func(error)) ([]*RunSummary, error) {
	if warn == nil {
		warn = func(error) {}
	}
	name, asOf := cur.Run.Snapshot.Name, cur.Run.Snapshot.AsOf
	prefix := path.Join(name, "runs") + "/"
	runs, err := runFolders(ctx, b, prefix, asOf)
	if err != nil {
		return nil, fmt.Errorf("list the runs of %q: %w", name, err)
	}
	var out []*RunSummary
	for k := len(runs.dates) - 1; k >= 0 && len(out) < HistoryRuns && len(runs.dates)-k <= 2*HistoryRuns; k-- {
		date := runs.dates[k]
		ids, err := runs.runIDs(ctx, date)
		if err != nil {
			return nil, fmt.Errorf("list the runs of %q: %w", name, err)
		}
		// At most 3 tries a date: runs older than summary.json have none.
		for i := len(ids) - 1; i >= max(0, len(ids)-3); i-- {
			key := path.Join(prefix, date, ids[i], SummaryName)
			data, err := b.Read(ctx, key)
			if errors.Is(err, storage.ErrNotExist) {
				continue // an older run, or one stopped before it was written
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				warn(fmt.Errorf("read %s: %w", key, err))
				break
			}
			s, err := ParseSummary(data)
			if err == nil && (s.AsOf != date || s.RunID != ids[i]) {
				err = fmt.Errorf("it is the summary of run %q of %q", s.RunID, s.AsOf)
			}
			if err != nil {
				warn(fmt.Errorf("%s skipped: %w", key, err))
				break
			}
			if s.Status == StatusStopped {
				continue // no figures
			}
			for k := range s.Targets {
				slices.SortFunc(s.Targets[k].ByUnit, func(a, b SummaryUnit) int { return strings.Compare(a.UnitID, b.UnitID) })
			}
			out = append(out, s)
			break
		}
	}
	slices.SortFunc(out, func(a, b *RunSummary) int { return strings.Compare(a.AsOf, b.AsOf) })
	return out, nil
}

type runList struct {
	dates []string            // the as_of dates before the current one, oldest first
	ids   map[string][]string // run ids per date, sorted (listed on demand with dirs)
	dirs  dirLister
	pre   string
}

// runIDs returns the run ids of date, sorted.
func (rl *runList) runIDs(ctx context.Context, date string) ([]string, error) {
	if rl.dirs == nil {
		return rl.ids[date], nil
	}
	ids, err := rl.dirs.Dirs(ctx, rl.pre+date+"/")
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// runFolders lists the as_of dates below prefix (<name>/runs/) before
// asOf, and their runs.
func runFolders(ctx context.Context, b storage.Bucket, prefix, asOf string) (*runList, error) {
	rl := &runList{ids: map[string][]string{}, pre: prefix}
	if dl, ok := b.(dirLister); ok {
		dates, err := dl.Dirs(ctx, prefix)
		if err != nil {
			return nil, err
		}
		rl.dates, rl.dirs = earlier(dates, asOf), dl
		return rl, nil
	}
	keys, err := b.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var dates []string
	for _, k := range keys {
		parts := strings.Split(strings.TrimPrefix(k, prefix), "/")
		if len(parts) != 3 || parts[2] != SummaryName {
			continue
		}
		if _, ok := rl.ids[parts[0]]; !ok {
			dates = append(dates, parts[0])
		}
		rl.ids[parts[0]] = append(rl.ids[parts[0]], parts[1])
	}
	rl.dates = earlier(dates, asOf)
	for _, d := range rl.dates {
		slices.Sort(rl.ids[d])
	}
	return rl, nil
}

// earlier returns the dates before asOf, sorted, once each.
func earlier(dates []string, asOf string) []string {
	var out []string
	for _, d := range dates {
		if d < asOf && !strings.HasPrefix(d, ".") {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
