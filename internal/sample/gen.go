package sample

import (
	"math/rand/v2"
	"slices"
	"time"

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

// rate draws the ratings of communes, branches and groups for the two years
// before asOf; a few are missing (TB-10 finds them).
func (w *world) rate() {
	r := newRand(w.seed, 4)
	w.rating = make([]unitRating, len(w.units))
	for ui, u := range w.units {
		if u.commune < 0 {
			continue
		}
		for y := range 2 {
			miss := 0.03
			if u.level != snapshot.LevelBranch {
				miss = 0.05
			}
			if y == 1 && u.level == snapshot.LevelBranch {
				miss = 0.012
			}
			if r.Float64() < miss {
				continue
			}
			w.setRating(r, ui, y, -1)
		}
	}
}

// setRating sets unit ui's rating of year index y; rank -1 draws one.
func (w *world) setRating(r *rand.Rand, ui, y, rank int) {
	if rank < 0 {
		switch p := r.Float64(); {
		case p < 0.2:
			rank = 0
		case p < 0.65:
			rank = 1
		case p < 0.9:
			rank = 2
		default:
			rank = 3
		}
	}
	rt := &w.rating[ui]
	rt.has[y] = true
	rt.rank[y] = int8(rank)
	rt.score[y] = float32(95-rank*15) - float32(r.IntN(100))/10
	for f := range 4 {
		rt.strong[y][f] = r.Float64() < [4]float64{0.9, 0.7, 0.45, 0.2}[rank]
	}
}

// latestRated makes sure ui has a rating and returns the index of its latest year.
func (w *world) latestRated(r *rand.Rand, ui int) int {
	y := w.rating[ui].latest()
	if y < 0 {
		w.setRating(r, ui, 1, -1)
		y = 1
	}
	return y
}

// judgedRated returns the index of the rating year a model launched on
// launched is judged on (TB-07, TB-08 branch twinning: the year before the
// launch year), making sure ui is rated that year. The model must be
// launched in one of the two years after the rated ones (see pastLaunch).
func (w *world) judgedRated(r *rand.Rand, ui int, launched time.Time) int {
	y := min(1, max(0, launched.Year()-1-(w.asOf.Year()-2)))
	if !w.rating[ui].has[y] {
		w.setRating(r, ui, y, -1)
	}
	return y
}

// pastLaunch moves the launch of model mi one year later when it falls in
// the first rated year, so that a year before the launch is rated (the
// judgement of TB-07 and TB-08 branch twinning).
func (w *world) pastLaunch(mi int) {
	if m := &w.models[mi]; m.launched.Year() <= w.asOf.Year()-2 {
		m.launched = m.launched.AddDate(1, 0, 0)
	}
}

// improves says whether a well-formed pair or group of model mi shows an
// improved weaker unit (rated strong in the latest rated year): about one in
// three models launched in that year (judged on the year before), chosen without the random stream so that
// the rest of the sample stays as it was.
func (w *world) improves(mi int) bool {
	return w.models[mi].launched.Year() == w.asOf.Year()-1 && mi%3 == 0
}

var modelNames = map[string]string{
	"one_plus_one":          "Mô hình “1+1”",
	"three_has_three_knows": "Mô hình “3 có, 3 biết”",
	"special_members":       "Mô hình thu hút hội viên đặc thù",
	"cadres_progress":       "Nhóm cán bộ chi, tổ phụ nữ cùng tiến",
	"accompany":             "Chi, tổ phụ nữ đồng hành vượt khó",
	"other":                 "Câu lạc bộ phụ nữ",
}

func init() {
	for k, v := range modelNames {
		modelNames[k] = nfc(v)
	}
}

// planner adds models and their participants to a world.
type planner struct {
	w *world
	r *rand.Rand
	// fail is the share of cadres_progress, accompany and one_plus_one
	// models built to violate their rule.
	fail float64
	// usedCadre and usedUnit keep groups of one commune disjoint (TB-11).
	usedCadre map[int]bool
	usedUnit  map[int]bool
	usedList  []int // usedCadre in the order used
	usedIn    int   // commune the used sets are about
	seen      map[string]int
}

// failing says whether the next model of typ is built to fail: one in
// every 1/fail, at a random phase, so that small snapshots get their share.
func (p *planner) failing(typ string) bool {
	n, ok := p.seen[typ]
	if !ok {
		n = p.r.IntN(int(1 / p.fail))
	}
	p.seen[typ] = n + 1
	return n%int(1/p.fail) == 0
}

func (w *world) planner(stream uint64) *planner {
	return &planner{w: w, r: newRand(w.seed, stream), fail: 0.1, usedIn: -1, seen: map[string]int{}}
}

func (p *planner) launch() time.Time {
	from := p.w.asOf.AddDate(-2, 0, 0)
	days := int(p.w.asOf.Sub(from).Hours()/24) - 10
	return from.AddDate(0, 0, p.r.IntN(days))
}

func (p *planner) add(ui int, typ string, active bool) int {
	w := p.w
	m := model{id: "mh" + pad(len(w.models)+1, 6), unit: ui, typ: typ, launched: p.launch(), active: active,
		name: modelNames[typ] + " – " + w.units[ui].name}
	if w.versions && w.units[ui].from != "" {
		// A unit version that starts after the reform: a launch before it
		// would be the predecessor's model (launched_on resolves to the
		// version valid that day, a history one). Move it into the new
		// version's days, without a draw, so the rest stays as it was.
		from, err := time.Parse(time.DateOnly, w.units[ui].from)
		if err != nil {
			panic("sample: valid_from " + w.units[ui].from)
		}
		if days := int(w.asOf.Sub(from).Hours()/24) - 10; m.launched.Before(from) && days > 0 {
			m.launched = from.AddDate(0, 0, int(daysOf(m.launched))%days)
		}
	}
	if typ == "special_members" {
		m.special = specialGroups[p.r.IntN(len(specialGroups))]
	}
	w.models = append(w.models, m)
	return len(w.models) - 1
}

func (p *planner) part(mi int, id, kind, role, pair, component string) {
	p.w.parts = append(p.w.parts, participant{model: mi, id: id, kind: kind, role: role, pair: pair, component: component})
}

// at picks where a model of commune ci is built: the commune itself with
// probability pc, a group with probability pg, else a branch.
func (p *planner) at(ci int, pc, pg float64) int {
	c := p.w.commune[ci]
	x := p.r.Float64()
	if x < pc {
		return c.unit
	}
	b := p.w.branch[c.branches[p.r.IntN(len(c.branches))]]
	if x < pc+pg && len(b.groups) > 0 {
		return b.groups[p.r.IntN(len(b.groups))]
	}
	return b.unit
}

// inBranch returns the branch index of a model's unit, or a random branch
// of its commune when the model is built by the commune.
func (p *planner) inBranch(ui int) int {
	u := p.w.units[ui]
	if u.branch >= 0 {
		return u.branch
	}
	bs := p.w.commune[u.commune].branches
	return bs[p.r.IntN(len(bs))]
}

// onePlusOne adds a "1+1" model at ui with 1-3 pairs (TB-08).
func (p *planner) onePlusOne(ui int) int {
	w, r := p.w, p.r
	mi := p.add(ui, "one_plus_one", true)
	comps := []string{"branch_twinning", "member_recruits_woman", "cadre_supports_member", "party_mentors_cadre"}
	r.Shuffle(len(comps), func(i, j int) { comps[i], comps[j] = comps[j], comps[i] })
	npairs := 1 + r.IntN(3)
	if slices.Contains(comps[:npairs], "branch_twinning") {
		w.pastLaunch(mi)
	}
	m := w.models[mi]
	launch := daysOf(m.launched)
	bad := -1
	if p.failing("one_plus_one") {
		bad = r.IntN(npairs)
	}
	ci := w.units[ui].commune
	for k := range npairs {
		pair := itoa(k + 1)
		comp := comps[k]
		fail := k == bad
		label := comp
		if fail && r.Float64() < 0.25 {
			label = "" // a pair without its component
			fail = false
		}
		bi := p.inBranch(ui)
		from := int64(r.IntN(int(w.branch[bi].n)))
		switch comp {
		case "branch_twinning":
			bs := w.commune[ci].branches
			hu := w.branch[bi].unit
			hy := w.judgedRated(r, hu, m.launched)
			if w.rating[hu].rank[hy] == 3 {
				w.rating[hu].rank[hy] = int8(1 + r.IntN(2))
			}
			hr := int(w.rating[hu].rank[hy])
			// Prefer a partner whose rating already fits, so that ratings
			// other models rely on stay as they are.
			du := -1
			for _, j := range r.Perm(len(bs)) {
				u := w.branch[bs[j]].unit
				if bs[j] != bi && w.rating[u].has[hy] && (int(w.rating[u].rank[hy]) > hr) != fail {
					du = u
					break
				}
			}
			if du < 0 {
				other := bs[r.IntN(len(bs))]
				for other == bi {
					other = bs[r.IntN(len(bs))]
				}
				du = w.branch[other].unit
				dr := hr + 1 + r.IntN(3-hr)
				if fail {
					dr = hr - r.IntN(hr+1) // equal or better: not a stronger helper
				}
				w.rating[du].rank[w.judgedRated(r, du, m.launched)] = int8(dr)
			}
			if !fail && hy == 0 && w.rating[du].rank[0] > 1 && w.improves(mi) {
				// The weaker branch has since become strong (Vững mạnh).
				if !w.rating[du].has[1] {
					w.setRating(r, du, 1, 1)
				}
				w.rating[du].rank[1] = 1
			}
			p.part(mi, w.units[hu].id, "unit", "helper", pair, label)
			p.part(mi, w.units[du].id, "unit", "helped", pair, label)
		case "member_recruits_woman":
			helper := w.branch[bi].start + from
			p.part(mi, memberID(helper), "member", "helper", pair, label)
			var helped int64 = -1
			if fail {
				helped = p.memberFor(bi, from, func(m memberRow) bool { return m.joined < launch })
			} else if r.Float64() < 0.3 {
				helped = w.findMember(bi, from+1, func(m memberRow) bool { return m.joined >= launch })
			}
			if helped >= 0 {
				p.part(mi, memberID(helped), "member", "helped", pair, label)
			} else {
				p.part(mi, "pn"+pad(len(w.parts)+1, 7), "person", "helped", pair, label)
			}
		case "cadre_supports_member":
			p.part(mi, cadreID(p.cadreIn(ci, false)), "cadre", "helper", pair, label)
			want := int8(1)
			if fail {
				want = 0
			}
			helped := p.memberFor(bi, from, func(m memberRow) bool { return m.hardship == want })
			p.part(mi, memberID(helped), "member", "helped", pair, label)
		case "party_mentors_cadre":
			helper := p.memberFor(bi, from, func(m memberRow) bool { return m.party != fail })
			p.part(mi, memberID(helper), "member", "helper", pair, label)
			// The mentee is not yet in the Party ("bồi dưỡng, giới thiệu
			// phát triển Đảng"): a few tries, then whoever was found (the
			// pair may then fail, as real data would).
			k := p.cadreIn(ci, true)
			for try := 0; try < 8 && w.cadres[k].party; try++ {
				k = p.cadreIn(ci, true)
			}
			p.part(mi, cadreID(k), "cadre", "helped", pair, label)
		}
	}
	return mi
}

// memberFor returns a member of branch bi for which ok holds, else one of
// another branch of the same commune, else any member of bi.
func (p *planner) memberFor(bi int, from int64, ok func(memberRow) bool) int64 {
	w := p.w
	if m := w.findMember(bi, from, ok); m >= 0 {
		return m
	}
	for _, other := range w.commune[w.branch[bi].commune].branches {
		if m := w.findMember(other, 0, ok); m >= 0 {
			return m
		}
	}
	return w.branch[bi].start + from
}

// cadreIn picks a cadre of commune ci: a branch or group cadre when
// grassroots, else any.
func (p *planner) cadreIn(ci int, grassroots bool) int {
	w := p.w
	c := w.commune[ci]
	for {
		var ui int
		if !grassroots && p.r.Float64() < 0.3 {
			ui = c.unit
		} else {
			b := w.branch[c.branches[p.r.IntN(len(c.branches))]]
			ui = b.unit
			if len(b.groups) > 0 && p.r.Float64() < 0.5 {
				ui = b.groups[p.r.IntN(len(b.groups))]
			}
		}
		if n := w.units[ui].ncadres; n > 0 {
			return int(w.units[ui].cadre0) + p.r.IntN(int(n))
		}
	}
}

func (p *planner) resetUsed(ci int) {
	if p.usedIn != ci {
		p.usedIn, p.usedCadre, p.usedUnit, p.usedList = ci, map[int]bool{}, map[int]bool{}, nil
	}
}

// cadresProgress adds a "cùng tiến" group of commune ci (TB-06, TB-11).
func (p *planner) cadresProgress(ci int) int {
	w, r := p.w, p.r
	p.resetUsed(ci)
	mi := p.add(w.commune[ci].unit, "cadres_progress", true)
	w.models[mi].field = snapshot.Fields()[r.IntN(4)]
	var heads, others []int
	for _, bi := range w.commune[ci].branches {
		b := w.branch[bi]
		for _, ui := range append([]int{b.unit}, b.groups...) {
			for _, k := range w.cadresOf(ui) {
				if p.usedCadre[k] {
					continue
				}
				if cadreRoles[w.cadres[k].role] == "branch_head" {
					heads = append(heads, k)
				} else {
					others = append(others, k)
				}
			}
		}
	}
	r.Shuffle(len(heads), func(i, j int) { heads[i], heads[j] = heads[j], heads[i] })
	r.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	size := 2 + r.IntN(2)
	variant := 0
	if p.failing("cadres_progress") {
		variant = 1 + r.IntN(3)
	}
	var pick []int
	switch {
	case variant == 1 && len(others) >= 4: // too many people
		pick = others[:3]
		pick = append(pick, heads[:min(1, len(heads))]...)
		w.cadres[pick[0]].good, w.cadres[pick[1]].good = true, false
	case variant == 2 && len(others) >= 3: // no good branch head
		pick = others[:size]
		w.cadres[pick[0]].good, w.cadres[pick[1]].good = true, false
	case variant == 3 && len(heads) > 0 && len(others) >= 2: // all good
		pick = append([]int{heads[0]}, others[:size-1]...)
		for _, k := range pick {
			w.cadres[k].good = true
		}
	case len(heads) > 0 && len(others) >= 2:
		pick = append([]int{heads[0]}, others[:size-1]...)
		w.cadres[pick[0]].good = true
		w.cadres[pick[1]].good = false
	default: // too few cadres left: a group of one
		pick = heads[:min(1, len(heads))]
	}
	// Now and then a cadre already in another group of the commune joins
	// this one too (TB-11 finds it).
	if len(pick) == 3 && len(p.usedList) > 0 && p.failing("tb11") {
		pick[2] = p.usedList[r.IntN(len(p.usedList))]
	}
	for _, k := range pick {
		p.usedCadre[k] = true
		p.usedList = append(p.usedList, k)
		p.part(mi, cadreID(k), "cadre", "member", "", "")
	}
	return mi
}

// accompany adds a "đồng hành vượt khó" group of commune ci (TB-07, TB-11).
func (p *planner) accompany(ci int) int {
	w, r := p.w, p.r
	p.resetUsed(ci)
	mi := p.add(w.commune[ci].unit, "accompany", true)
	f := r.IntN(4)
	w.models[mi].field = snapshot.Fields()[f]
	var units []int
	if r.Float64() < 0.5 {
		for _, bi := range w.commune[ci].branches {
			if u := w.branch[bi].unit; !p.usedUnit[u] {
				units = append(units, u)
			}
		}
		r.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
		units = units[:min(2, len(units))]
	} else {
		for _, bi := range w.commune[ci].branches {
			for _, g := range w.branch[bi].groups {
				if !p.usedUnit[g] {
					units = append(units, g)
				}
			}
		}
		r.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
		units = units[:min(2+r.IntN(2), len(units))]
	}
	fail := p.failing("accompany")
	w.pastLaunch(mi)
	for i, u := range units {
		y := w.judgedRated(r, u, w.models[mi].launched)
		w.rating[u].strong[y][f] = i != 0 || fail // fail: every unit strong
		if i == 0 && !fail && y == 0 && w.improves(mi) {
			// The weaker unit has since become strong in the field.
			if !w.rating[u].has[1] {
				w.setRating(r, u, 1, -1)
			}
			w.rating[u].strong[1][f] = true
		}
		p.usedUnit[u] = true
		role := "helper"
		if i == 0 && !fail {
			role = "helped"
		}
		p.part(mi, w.units[u].id, "unit", role, "", "")
	}
	return mi
}

// extras adds the special_members and other models of commune ci, some of
// them inactive.
func (p *planner) extras(ci int) {
	r := p.r
	if r.Float64() < 0.45 {
		p.add(p.at(ci, 0.7, 0), "special_members", true)
	}
	if r.Float64() < 0.06 {
		p.add(p.at(ci, 0.7, 0), "special_members", false)
	}
	if r.Float64() < 0.3 {
		p.add(p.at(ci, 0.3, 0.1), "other", true)
	}
	if r.Float64() < 0.1 {
		p.add(p.at(ci, 0.3, 0.1), "other", false)
	}
}

// genericModels is the plan of hung-yen-2026 and national: a realistic mix.
func (w *world) genericModels() {
	p := w.planner(5)
	r := p.r
	for ci, c := range w.commune {
		for _, bi := range c.branches {
			b := w.branch[bi]
			where := func() int {
				if len(b.groups) > 0 && r.Float64() < 0.15 {
					return b.groups[r.IntN(len(b.groups))]
				}
				return b.unit
			}
			if r.Float64() < 0.45 {
				p.onePlusOne(where())
			}
			if r.Float64() < 0.55 {
				p.add(where(), "three_has_three_knows", true)
			}
		}
		if r.Float64() < 0.05 {
			p.onePlusOne(c.unit)
		}
		if r.Float64() < 0.6 {
			for range 1 + r.IntN(3) {
				p.cadresProgress(ci)
			}
		}
		if r.Float64() < 0.4 {
			for range 1 + r.IntN(2) {
				p.accompany(ci)
			}
		}
		p.extras(ci)
	}
}

// thaiBinhModels is the plan that reproduces the article's figures:
//   - "1+1": 376 active models in 104 communes: Thái Thụy 184 (one per
//     branch, 184 of its 254 branches, in all 36 communes), Vũ Thư 146 in 22
//     communes, 46 in 46 other communes;
//   - "3 có, 3 biết": 443 active models in 98 communes: Thái Thụy 254 (one
//     per branch), Vũ Thư 148 in the same 22 communes, 41 in 40 others;
//   - Vũ Thư: 146 + 148 = 294 models of the two kinds;
//   - cadres_progress: 230 groups in 148 communes; accompany: 169 in 94.
func (w *world) thaiBinhModels(communesOf [][]int) {
	p := w.planner(5)
	r := p.r
	var tt, vt, others []int
	for di, cs := range communesOf {
		switch thaiBinhDistricts[di].name {
		case "Thái Thụy":
			tt = cs
		case "Vũ Thư":
			vt = cs
		default:
			others = append(others, cs...)
		}
	}
	// Thái Thụy: every branch a "3 có, 3 biết"; 184 branches a "1+1", at
	// least one per commune.
	var ttBranches []int
	oneOf := map[int]bool{}
	for _, ci := range tt {
		bs := w.commune[ci].branches
		oneOf[bs[r.IntN(len(bs))]] = true
		ttBranches = append(ttBranches, bs...)
	}
	for _, bi := range r.Perm(len(ttBranches)) {
		if len(oneOf) == 184 {
			break
		}
		oneOf[ttBranches[bi]] = true
	}
	byBranch := func(bi int) int {
		b := w.branch[bi]
		if len(b.groups) > 0 && r.Float64() < 0.15 {
			return b.groups[r.IntN(len(b.groups))]
		}
		return b.unit
	}
	for _, bi := range ttBranches {
		p.add(byBranch(bi), "three_has_three_knows", true)
		if oneOf[bi] {
			p.onePlusOne(byBranch(bi))
		}
	}
	// Vũ Thư: 22 of 30 communes (Nguyên Xá among them) share 146 + 148 models.
	launched := []int{}
	for _, i := range r.Perm(len(vt)) {
		if w.units[w.commune[vt[i]].unit].name == nfc("Xã Nguyên Xá") {
			launched = append(launched, vt[i])
		}
	}
	for _, i := range r.Perm(len(vt)) {
		if len(launched) < 22 && w.units[w.commune[vt[i]].unit].name != nfc("Xã Nguyên Xá") {
			launched = append(launched, vt[i])
		}
	}
	spread := func(cs []int, n int) []int { // n models over cs, at least one each
		out := append([]int(nil), cs...)
		for len(out) < n {
			out = append(out, cs[r.IntN(len(cs))])
		}
		return out
	}
	for _, ci := range spread(launched, 146) {
		p.onePlusOne(p.at(ci, 0.1, 0.1))
	}
	for _, ci := range spread(launched, 148) {
		p.add(p.at(ci, 0.1, 0.1), "three_has_three_knows", true)
	}
	// Other districts: 46 communes with one "1+1", 40 with "3 có, 3 biết" (41 models).
	perm := r.Perm(len(others))
	for _, i := range perm[:46] {
		p.onePlusOne(p.at(others[i], 0.3, 0.05))
	}
	perm = r.Perm(len(others))
	three := make([]int, 0, 40)
	for _, i := range perm[:40] {
		three = append(three, others[i])
	}
	for _, ci := range spread(three, 41) {
		p.add(p.at(ci, 0.3, 0.05), "three_has_three_knows", true)
	}
	// Cadre groups: 230 in 148 communes; accompany: 169 in 94 communes.
	all := append(append(append([]int(nil), tt...), vt...), others...)
	groups := func(n, communes int) map[int]int {
		perm := r.Perm(len(all))
		count := map[int]int{}
		for _, i := range perm[:communes] {
			count[all[i]] = 1
		}
		for extra := n - communes; extra > 0; {
			ci := all[perm[r.IntN(communes)]]
			if count[ci] < 3 {
				count[ci]++
				extra--
			}
		}
		return count
	}
	cp, ac := groups(230, 148), groups(169, 94)
	for _, ci := range all {
		for range cp[ci] {
			p.cadresProgress(ci)
		}
		for range ac[ci] {
			p.accompany(ci)
		}
	}
	for ci := range w.commune {
		p.extras(ci)
	}
}
