package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/hierarchy"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Strays. A shard evaluates the subjects with a commune on their path (the
// commune itself or an ancestor). A few subjects of the lower scopes may
// have none: a model of a district or province unit, a model or unit whose
// parent is missing or part of a cycle (the loaders exclude them and the
// report lists them as not evaluated). No shard evaluates those, so the
// merge does, once: it evaluates the lower scopes over the whole snapshot
// and keeps the results of subjects without a commune. That costs one more
// evaluation, and only when such subjects exist.

// strayResults evaluates the lower scopes over the whole snapshot when some
// subject has no commune on its path, and returns the results of those
// subjects with their waiver report (applied and unused judged on these
// results only). It returns nothing when there are no strays.
func strayResults(ctx context.Context, snap *snapshot.Snapshot, pol *checker.Policies, opts []checker.Option, waivers []checker.Waiver, asOf string) ([]checker.Result, *checker.WaiverReport, error) {
	known, err := hierarchy.OfSnapshot(snap)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate subjects outside every commune: %w", err)
	}
	if !known.HasStrays(snap) {
		return nil, nil, nil
	}
	opts = append(slices.Clone(opts), checker.WithScopes(lowerScopes()...))
	out, err := checker.New(pol, opts...).Evaluate(ctx, snap)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate subjects outside every commune: %w", err)
	}
	var keep []checker.Result
	for _, r := range out.Results {
		if _, inCommune := known.CommuneOn(append(r.Path[:len(r.Path):len(r.Path)], r.Subject)...); !inCommune {
			keep = append(keep, r)
		}
	}
	rep := &checker.WaiverReport{Expired: out.Waivers.Expired, Unused: []checker.Waiver{}}
	used := map[checker.Waiver]bool{}
	for _, r := range keep {
		if r.Waiver != nil {
			rep.Applied++
			used[*r.Waiver] = true
		}
	}
	expired := map[checker.Waiver]bool{}
	for _, w := range out.Waivers.Expired {
		expired[w] = true
	}
	for _, w := range waivers {
		if !expired[w] && !used[w] {
			rep.Unused = append(rep.Unused, w)
		}
	}
	return keep, rep, nil
}
