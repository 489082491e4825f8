package checker

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// SortResults sorts rs into the order of Outcome.Results: by target id,
// then subject id, results with equal keys in their order (the sort is
// stable). Evaluate and the merge of sharded runs both sort with it.
//
// It sorts a small key per result (the target's rank, the subject, the
// position) and then moves every result once to its place: sorting the
// Results themselves moved each 192-byte value some twenty times, a third
// of a second on one core at national scale, between evaluation and
// publishing (bench/RESULTS.md, session 7).
func SortResults(rs []Result) {
	if len(rs) < 2 {
		return
	}
	// The targets are few: rank them once, so that most comparisons
	// compare two small integers before two subject ids.
	ranks := map[string]int32{}
	for i := range rs {
		ranks[rs[i].Target] = 0
	}
	for r, id := range slices.Sorted(maps.Keys(ranks)) {
		ranks[id] = int32(r)
	}
	// The keys are sorted apart from the results, so that a comparison
	// reads no Result (each a cache miss at national scale).
	type key struct {
		rank, pos int32
		subject   string
	}
	keys := make([]key, len(rs))
	for i := range rs {
		keys[i] = key{rank: ranks[rs[i].Target], pos: int32(i), subject: rs[i].Subject}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.rank != b.rank {
			return cmp.Compare(a.rank, b.rank)
		}
		if c := strings.Compare(a.subject, b.subject); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos) // equal keys: in their order
	})
	// Place i takes rs[keys[i].pos]: follow each cycle of the permutation,
	// moving every result once (keys[j].pos = j marks a place done).
	for i := range keys {
		if keys[i].pos == int32(i) {
			continue
		}
		held := rs[i]
		j := i
		for {
			k := int(keys[j].pos)
			keys[j].pos = int32(j)
			if k == i {
				rs[j] = held
				break
			}
			rs[j] = rs[k]
			j = k
		}
	}
}
