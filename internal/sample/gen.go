package sample

import (
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// build makes the world of a profile: territory, cadres, ratings, models.
func build(o Options) *world {
	w := &world{seed: o.Seed}
	switch o.Profile {
	case ProfileThaiBinh:
		w.name, w.title, w.asOf = "thai-binh", "Hội LHPN tỉnh Thái Bình", date(2024, 9, 30)
		_, communesOf := thaiBinh(w)
		w.people()
		w.rate()
		w.thaiBinhModels(communesOf)
	case ProfileHungYen:
		w.name, w.title, w.asOf = "hung-yen", "Hội LHPN tỉnh Hưng Yên", date(2026, 9, 30)
		hungYen(w)
		w.people()
		w.rate()
		w.genericModels()
	case ProfileMergerBefore:
		w.name, w.title, w.asOf = "hung-yen", "Hội LHPN tỉnh Hưng Yên", date(2025, 6, 30)
		mergerBefore(w)
		w.people()
		w.rate()
		w.genericModels()
	case ProfileMergerAfter:
		w.name, w.title, w.asOf = "hung-yen", "Hội LHPN tỉnh Hưng Yên", date(2025, 9, 30)
		mergerAfter(w)
		w.people()
		w.rate()
		for _, c := range w.commune { // their ratings are the old communes'
			w.rating[c.unit] = unitRating{}
		}
		w.genericModels()
	default:
		w.name, w.title, w.asOf = "vietnam", "Trung ương Hội LHPN Việt Nam", date(2024, 9, 30)
		if o.Reform {
			w.asOf = date(2025, 9, 30)
			nationalReform(w, o.scale())
			w.people()
			w.rate()
			for _, c := range w.commune { // their ratings are the old communes'
				w.rating[c.unit] = unitRating{}
			}
		} else {
			national(w, o.scale())
			w.people()
			w.rate()
		}
		w.genericModels()
	}
	return w
}

// people adds the cadres: commune standing committee, branch heads and
// deputies, group heads and deputies, each with a member record.
func (w *world) people() {
	r := newRand(w.seed, 3)
	add := func(ui int, role string, member int64, party float64) {
		c := cadre{unit: int32(ui), role: roleOf(role), member: member,
			good: r.Float64() < 0.6, party: r.Float64() < party}
		for f := range snapshot.Fields() {
			if r.Float64() < 0.35 {
				c.strong |= 1 << f
			}
		}
		u := &w.units[ui]
		if u.ncadres == 0 {
			u.cadre0 = int32(len(w.cadres))
		}
		u.ncadres++ // a unit's cadres are added one after the other
		w.cadres = append(w.cadres, c)
	}
	anyMember := func(bi int) int64 { return w.branch[bi].start + int64(r.IntN(int(w.branch[bi].n))) }
	ownMember := func(bi, ui int) int64 {
		return w.findMemberIn(bi, ui, int64(r.IntN(int(w.branch[bi].n))), func(memberRow) bool { return true })
	}
	for ci := range w.commune {
		c := &w.commune[ci]
		pick := func() int64 { return anyMember(c.branches[r.IntN(len(c.branches))]) }
		add(c.unit, "commune_chair", pick(), 0.9)
		for range 1 + r.IntN(2) {
			add(c.unit, "commune_vice_chair", pick(), 0.7)
		}
		for range 1 + r.IntN(3) {
			add(c.unit, "commune_standing", pick(), 0.4)
		}
		for _, bi := range c.branches {
			b := &w.branch[bi]
			add(b.unit, "branch_head", ownMember(bi, b.unit), 0.35)
			if r.Float64() < 0.9 {
				add(b.unit, "branch_deputy", ownMember(bi, b.unit), 0.2)
			}
			for _, g := range b.groups {
				add(g, "group_head", ownMember(bi, g), 0.15)
				if r.Float64() < 0.5 {
					add(g, "group_deputy", ownMember(bi, g), 0.1)
				}
			}
		}
	}
}
