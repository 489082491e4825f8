package sample

import (
	"math"
	"math/rand/v2"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// newProvince is one of the 34 provincial units since 1 July 2025.
type newProvince struct {
	name string // without "Tỉnh" / "Thành phố"
	city bool   // a centrally-run city (thành phố trực thuộc trung ương)
	code string // the state's code since the reform
	// old lists the provinces of provinces63 merged into it, the one whose
	// code it kept first.
	old []string
	// communes is its number of commune-level units since the reform.
	communes int
}

// reformProvinces are the 34 provincial units of the 2025 reform (National
// Assembly resolution 202/2025/QH15), in the order of their codes: the 11
// that did not change and the 23 formed from two or three of the 63 old
// ones. Each kept the code of the old province where its seat is (Lào Cai
// 15, the old Yên Bái's; Bắc Ninh 24, the old Bắc Giang's; ...). The commune
// counts are those of the resolutions on the communes (3,321 in all).
var reformProvinces = []newProvince{
	{"Hà Nội", true, "01", []string{"Hà Nội"}, 126},
	{"Cao Bằng", false, "04", []string{"Cao Bằng"}, 56},
	{"Tuyên Quang", false, "08", []string{"Tuyên Quang", "Hà Giang"}, 124},
	{"Điện Biên", false, "11", []string{"Điện Biên"}, 45},
	{"Lai Châu", false, "12", []string{"Lai Châu"}, 38},
	{"Sơn La", false, "14", []string{"Sơn La"}, 75},
	{"Lào Cai", false, "15", []string{"Yên Bái", "Lào Cai"}, 99},
	{"Thái Nguyên", false, "19", []string{"Thái Nguyên", "Bắc Kạn"}, 92},
	{"Lạng Sơn", false, "20", []string{"Lạng Sơn"}, 65},
	{"Quảng Ninh", false, "22", []string{"Quảng Ninh"}, 54},
	{"Bắc Ninh", false, "24", []string{"Bắc Giang", "Bắc Ninh"}, 99},
	{"Phú Thọ", false, "25", []string{"Phú Thọ", "Vĩnh Phúc", "Hòa Bình"}, 148},
	{"Hải Phòng", true, "31", []string{"Hải Phòng", "Hải Dương"}, 114},
	{"Hưng Yên", false, "33", []string{"Hưng Yên", "Thái Bình"}, 104},
	{"Ninh Bình", false, "37", []string{"Ninh Bình", "Hà Nam", "Nam Định"}, 129},
	{"Thanh Hóa", false, "38", []string{"Thanh Hóa"}, 166},
	{"Nghệ An", false, "40", []string{"Nghệ An"}, 130},
	{"Hà Tĩnh", false, "42", []string{"Hà Tĩnh"}, 69},
	{"Quảng Trị", false, "44", []string{"Quảng Bình", "Quảng Trị"}, 78},
	{"Huế", true, "46", []string{"Thừa Thiên Huế"}, 40},
	{"Đà Nẵng", true, "48", []string{"Đà Nẵng", "Quảng Nam"}, 94},
	{"Quảng Ngãi", false, "51", []string{"Quảng Ngãi", "Kon Tum"}, 96},
	{"Gia Lai", false, "52", []string{"Bình Định", "Gia Lai"}, 135},
	{"Khánh Hòa", false, "56", []string{"Khánh Hòa", "Ninh Thuận"}, 65},
	{"Đắk Lắk", false, "66", []string{"Đắk Lắk", "Phú Yên"}, 102},
	{"Lâm Đồng", false, "68", []string{"Lâm Đồng", "Đắk Nông", "Bình Thuận"}, 124},
	{"Đồng Nai", false, "75", []string{"Đồng Nai", "Bình Phước"}, 95},
	{"Hồ Chí Minh", true, "79", []string{"TP Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"}, 168},
	{"Tây Ninh", false, "80", []string{"Long An", "Tây Ninh"}, 96},
	{"Đồng Tháp", false, "82", []string{"Tiền Giang", "Đồng Tháp"}, 102},
	{"Vĩnh Long", false, "86", []string{"Vĩnh Long", "Bến Tre", "Trà Vinh"}, 124},
	{"An Giang", false, "91", []string{"Kiên Giang", "An Giang"}, 102},
	{"Cần Thơ", true, "92", []string{"Cần Thơ", "Sóc Trăng", "Hậu Giang"}, 103},
	{"Cà Mau", false, "96", []string{"Cà Mau", "Bạc Liêu"}, 64},
}

// reformCommunes is the number of communes after the reform, at scale 1.
const reformCommunes = 3321

// fullName is the province's name as a unit: "Thành phố Huế", "Tỉnh Lào Cai".
func (p newProvince) fullName() (name, kind string) {
	if p.city {
		return nfc("Thành phố " + p.name), "thành phố"
	}
	return nfc("Tỉnh " + p.name), "tỉnh"
}

// nationalReform builds Vietnam on w.asOf after the reform, as a versioned
// export: the territory of the pre-reform national profile at the same
// scale and seed (same ids, so that a run of each publishes a delta across
// the reform) kept as history versions (valid_to 2025-06-30), and the 34
// provinces (the state's codes) with their communes directly under them
// from 2025-07-01. Each new commune is a run of consecutive old communes of
// one old province (a run crosses old provinces only when the new province
// has fewer communes than old provinces at tiny scales), reusing the code
// of its first; a commune left alone moves up to the province (lineage
// move) or is renamed (rename); in each new province the first run of
// three or more gives half of its last commune's branches to the next run
// (split, with shares). Branches and groups keep their ids (and their
// members' ids) under their new commune; the old communes' ratings of the
// two years before asOf stay on their codes (history).
func nationalReform(w *world, scale float64) {
	old := &world{seed: w.seed, asOf: w.asOf}
	national(old, scale)
	old.rate()
	r := newRand(w.seed, 7)
	w.versions = true
	for _, pl := range reformPlans(oldProvinces(old), scale) {
		w.reformProvince(old, pl, r)
	}
}

// oldProvince is a province of the pre-reform world: its unit, its
// districts, its communes in order (commune indexes).
type oldProvince struct {
	unit      int
	districts []int
	communes  []int
}

// oldProvinces returns the provinces of old by id.
func oldProvinces(old *world) map[string]*oldProvince {
	olds := map[string]*oldProvince{}
	provinceOf := map[string]string{} // district id -> province id
	for ui, u := range old.units {
		switch u.level {
		case snapshot.LevelProvince:
			olds[u.id] = &oldProvince{unit: ui}
		case snapshot.LevelDistrict:
			olds[u.parent].districts = append(olds[u.parent].districts, ui)
			provinceOf[u.id] = u.parent
		}
	}
	for ci, c := range old.commune {
		p := olds[provinceOf[old.units[c.unit].parent]]
		p.communes = append(p.communes, ci)
	}
	return olds
}

// reformPlan is a new province that has old communes, with how many
// communes it gets.
type reformPlan struct {
	p     newProvince
	olds  []*oldProvince
	avail int     // its old communes
	want  float64 // its real count scaled
	n     int
}

// reformPlans returns the new provinces that have old communes (tiny
// scales keep fewer), and their communes: the real counts scaled, at least
// one, at most their old communes, summing to the scaled total.
func reformPlans(olds map[string]*oldProvince, scale float64) []*reformPlan {
	var plans []*reformPlan
	for _, np := range reformProvinces {
		pl := &reformPlan{p: np, want: float64(np.communes) * scale}
		for _, name := range np.old {
			if op := olds[slug(name)]; op != nil {
				pl.olds = append(pl.olds, op)
				pl.avail += len(op.communes)
			}
		}
		if len(pl.olds) > 0 {
			pl.n = min(pl.avail, max(1, int(pl.want)))
			plans = append(plans, pl)
		}
	}
	balanceReformPlans(plans, max(len(plans), int(math.Round(reformCommunes*scale))))
	return plans
}

// balanceReformPlans adds or takes communes, one at a time from the plan
// furthest from its scaled count, until they sum to target or every plan
// is at its bound.
func balanceReformPlans(plans []*reformPlan, target int) {
	total := 0
	for _, pl := range plans {
		total += pl.n
	}
	for total != target {
		best := -1
		for i, pl := range plans {
			gap := pl.want - float64(pl.n)
			switch {
			case total < target && pl.n < pl.avail && (best < 0 || gap > plans[best].want-float64(plans[best].n)):
				best = i
			case total > target && pl.n > 1 && (best < 0 || gap < plans[best].want-float64(plans[best].n)):
				best = i
			}
		}
		if best < 0 {
			break // every province at its bound
		}
		if total < target {
			plans[best].n++
			total++
		} else {
			plans[best].n--
			total--
		}
	}
}

// reformProvince adds the new province of pl, its pl.n communes made of
// runs of the old ones, and the old units as history with their lineage.
func (w *world) reformProvince(old *world, pl *reformPlan, r *rand.Rand) {
	name, kind := pl.p.fullName()
	w.addUnit(unit{id: pl.p.code, level: snapshot.LevelProvince, name: name, kind: kind, from: mergerEffective, commune: -1, branch: -1})
	// History: the old provinces and their districts end on 30 June.
	var communes []int // old commune indexes, province after province
	var starts []int   // where each old province's communes start, after the first
	for _, op := range pl.olds {
		for _, ui := range append([]int{op.unit}, op.districts...) {
			w.history = append(w.history, endedUnit(old.units[ui]))
			w.addLineage(old.units[ui].id, pl.p.code, "merge", "")
		}
		if len(communes) > 0 {
			starts = append(starts, len(communes))
		}
		communes = append(communes, op.communes...)
	}
	runs := cutReformRuns(r, communes, starts, pl.n)
	split := -1
	for k, run := range runs {
		if len(run) >= 3 && k+1 < len(runs) && len(old.commune[run[len(run)-1]].branches) >= 2 {
			split = k
			break
		}
	}
	newOf, kinds := w.reformCommunes(old, pl.p, runs, r)
	w.succeed(old, runs, newOf, kinds, split, (*world).moveBranch)
}

// cutReformRuns cuts communes into n runs: at the old provinces' borders
// (starts) first, then at random places.
func cutReformRuns(r *rand.Rand, communes, starts []int, n int) [][]int {
	isCut := make([]bool, len(communes))
	cuts := n - 1
	for _, i := range r.Perm(len(starts)) {
		if cuts == 0 {
			break
		}
		isCut[starts[i]] = true
		cuts--
	}
	var free []int
	for i := 1; i < len(communes); i++ {
		if !isCut[i] {
			free = append(free, i)
		}
	}
	for _, i := range r.Perm(len(free))[:cuts] {
		isCut[free[i]] = true
	}
	var runs [][]int
	for i, oc := range communes {
		if i == 0 || isCut[i] {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], oc)
	}
	return runs
}

// reformCommunes adds the new commune of each run of p, on the code and
// name of its first old commune; a run of one is a move, or one time in
// three a rename. It returns the new communes' indexes and the lineage
// kinds, by run.
func (w *world) reformCommunes(old *world, p newProvince, runs [][]int, r *rand.Rand) (newOf []int, kinds []string) {
	newOf = make([]int, len(runs))
	kinds = make([]string, len(runs))
	for k, run := range runs {
		first := old.units[old.commune[run[0]].unit]
		name, ckind := first.name, first.kind
		kinds[k] = "merge"
		if len(run) == 1 {
			kinds[k] = "move"
			if r.IntN(3) == 0 {
				kinds[k] = "rename"
				name = nfc("Xã " + syllables[r.IntN(len(syllables))] + " " + syllables[r.IntN(len(syllables))])
				if p.city {
					name, ckind = nfc("Phường "+name[len("Xã "):]), "phường"
				}
			}
		}
		ci := w.addCommune(first.id, p.code, name, ckind)
		w.units[w.commune[ci].unit].from = mergerEffective
		newOf[k] = ci
	}
	return newOf, kinds
}

// moveBranch is copyBranch keeping the member indexes (and so the members'
// ids) the branch has in old. Every branch of old moves once, so the
// members' indexes stay 0 .. w.members-1.
func (w *world) moveBranch(old *world, ob, ci int) {
	w.copyBranch(old, ob, ci)
	w.branch[len(w.branch)-1].start = old.branch[ob].start
}
