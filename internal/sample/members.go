package sample

import "time"

// memberRow is one member, derived from its index alone so that the 19.9
// million members of the national profile never sit in memory.
type memberRow struct {
	index    int64
	unit     int // unit index
	joined   int32
	honorary bool
	party    bool
	pioneer  bool
	hardship int8 // -1 not recorded, 0 false, 1 true
	needs    string
	special  string
}

// mix is a splitmix64 step: a fast, well-spread hash for per-member draws.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

type hashRand struct{ s uint64 }

func (h *hashRand) float() float64 {
	h.s = mix(h.s)
	return float64(h.s>>11) / (1 << 53)
}

func (h *hashRand) intn(n int) int {
	h.s = mix(h.s)
	return int((h.s >> 33) % uint64(n))
}

func daysOf(t time.Time) int32 { return int32(t.Unix() / 86400) }

func dateOf(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// member returns the k-th member of branch bi.
func (w *world) member(bi int, k int64) memberRow {
	b := &w.branch[bi]
	i := b.start + k
	h := hashRand{s: mix(uint64(w.seed)*0x2545f4914f6cdd1d ^ uint64(i))}
	m := memberRow{index: i, hardship: -1}
	if k < b.direct || len(b.groups) == 0 {
		m.unit = b.unit
	} else {
		m.unit = b.groups[int((k-b.direct)*int64(len(b.groups))/(b.n-b.direct))]
	}
	asOf := daysOf(w.asOf)
	// Years of membership: most joined long ago, about 8% in the last two years.
	if h.float() < 0.08 {
		m.joined = asOf - int32(h.intn(730))
	} else {
		m.joined = asOf - 730 - int32(h.intn(33*365))
	}
	m.honorary = h.float() < 0.02
	m.party = h.float() < 0.12
	m.pioneer = h.float() < 0.08
	if h.float() < b.quality {
		m.hardship = 0
		if h.float() < 0.07 {
			m.hardship = 1
		}
	} else {
		h.float()
	}
	if h.float() < b.quality {
		m.needs = needsTexts[h.intn(len(needsTexts))]
	} else {
		h.intn(1)
	}
	if h.float() < 0.1 {
		m.special = specialGroups[h.intn(len(specialGroups))]
	}
	return m
}

// findMember returns a member of branch bi for which ok holds, scanning from
// a random offset; -1 when none.
func (w *world) findMember(bi int, from int64, ok func(memberRow) bool) int64 {
	b := &w.branch[bi]
	for j := int64(0); j < b.n; j++ {
		k := (from + j) % b.n
		if m := w.member(bi, k); ok(m) {
			return m.index
		}
	}
	return -1
}

// findMemberIn is findMember restricted to members of unit ui (a branch's
// own members or one group's).
func (w *world) findMemberIn(bi, ui int, from int64, ok func(memberRow) bool) int64 {
	return w.findMember(bi, from, func(m memberRow) bool { return m.unit == ui && ok(m) })
}

func memberID(i int64) string { return "hv" + pad(int(i)+1, 8) }
