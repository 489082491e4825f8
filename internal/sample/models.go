package sample

import (
	"slices"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

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
