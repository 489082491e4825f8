package sample

import (
	"math/rand/v2"
	"time"
)

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
