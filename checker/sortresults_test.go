package checker

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestSortResults checks SortResults against a stable sort of the
// Results themselves: by target, then subject, equal keys in their order
// (each result carries its first position in SkipReason to tell them
// apart), on lists with many ties, no ties, sorted and reversed input.
func TestSortResults(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := 0; trial < 300; trial++ {
		n := rng.IntN(400)
		targets := 1 + rng.IntN(12)
		subjects := 1 + rng.IntN(n+1)
		rs := make([]Result, n)
		for i := range rs {
			rs[i] = Result{Target: fmt.Sprintf("TB-%02d", rng.IntN(targets)), Subject: fmt.Sprintf("u%d", rng.IntN(subjects)),
				SkipReason: fmt.Sprint(i)}
		}
		switch trial % 3 {
		case 1:
			sort.SliceStable(rs, func(i, j int) bool { return less(rs[i], rs[j]) })
		case 2:
			sort.SliceStable(rs, func(i, j int) bool { return less(rs[j], rs[i]) })
		}
		want := append([]Result(nil), rs...)
		sort.SliceStable(want, func(i, j int) bool { return less(want[i], want[j]) })
		got := append([]Result(nil), rs...)
		SortResults(got)
		for i := range want {
			if got[i].Target != want[i].Target || got[i].Subject != want[i].Subject || got[i].SkipReason != want[i].SkipReason {
				t.Fatalf("trial %d (%d results): at %d got %s/%s #%s, want %s/%s #%s", trial, n, i,
					got[i].Target, got[i].Subject, got[i].SkipReason, want[i].Target, want[i].Subject, want[i].SkipReason)
			}
		}
	}
}

func less(a, b Result) bool {
	if a.Target != b.Target {
		return a.Target < b.Target
	}
	return a.Subject < b.Subject
}

// BenchmarkSortResults sorts results in the order evaluation leaves them
// (subject by subject in file order, each subject's targets together, then
// a tail of not-evaluated results) with SortResults and with the sort.Slice
// it replaced. Each iteration first copies the unsorted list back (the same
// cost in both).
func BenchmarkSortResults(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const subjects = 60000
	var rs []Result
	for _, s := range rng.Perm(subjects) {
		for t := 0; t < 3; t++ {
			rs = append(rs, Result{Target: fmt.Sprintf("TB-%02d", 4+t*3), Subject: fmt.Sprintf("ha-noi-h%02d-x%03d-b%02d", s%30, s%997, s%13),
				SubjectLevel: "branch", Path: []string{"p", "d", "c"}})
		}
	}
	for i := 0; i < 2000; i++ {
		rs = append(rs, Result{Target: "TB-01", Subject: fmt.Sprintf("x%05d", rng.IntN(50000)), Status: StatusNotEvaluated})
	}
	work := make([]Result, len(rs))
	b.Run("SortResults", func(b *testing.B) {
		for b.Loop() {
			copy(work, rs)
			SortResults(work)
		}
	})
	b.Run("sort.Slice", func(b *testing.B) {
		for b.Loop() {
			copy(work, rs)
			sort.Slice(work, func(i, j int) bool {
				a, b := &work[i], &work[j]
				if a.Target != b.Target {
					return a.Target < b.Target
				}
				return a.Subject < b.Subject
			})
		}
	})
}
