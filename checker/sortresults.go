package checker

import (
	"cmp"
	"slices"
	"strings"
)

// sortResults sorts rs by target id, then subject id; results with equal
// keys keep their order (the sort is stable). It sorts a small key per
// result (the target's rank, the subject, the position) and then moves
// every result once to its place: sorting the Results themselves moved
// each 192-byte value some twenty times through a reflected swap, a third
// of a second on one core at national scale, between evaluation and
// publishing (bench/RESULTS.md, session 7).
func sortResults(rs []Result) {
	n := len(rs)
	if n < 2 {
		return
	}
	// The targets are few: rank them once, so that most comparisons
	// compare two small integers before two subject ids.
	ranks := map[string]int32{}
	for i := range rs {
		ranks[rs[i].Target] = 0
	}
	ids := make([]string, 0, len(ranks))
	for id := range ranks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for r, id := range ids {
		ranks[id] = int32(r)
	}
	// The keys are sorted apart from the results, so that a comparison
	// reads no Result (each a cache miss at national scale).
	type key struct {
		rank, pos int32
		subject   string
	}
	keys := make([]key, n)
	for i := range rs {
		keys[i] = key{rank: ranks[rs[i].Target], pos: int32(i), subject: rs[i].Subject}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		if c := strings.Compare(a.subject, b.subject); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos) // equal keys: in their order
	})
	pos := make([]int32, n)
	for i, k := range keys {
		pos[i] = k.pos
	}
	// Place i takes rs[pos[i]]: follow each cycle of the permutation,
	// moving every result once (pos[i] = i marks a place done).
	for i := range pos {
		if pos[i] == int32(i) {
			continue
		}
		held := rs[i]
		j := i
		for {
			k := int(pos[j])
			pos[j] = int32(j)
			if k == i {
				rs[j] = held
				break
			}
			rs[j] = rs[k]
			j = k
		}
	}
}
