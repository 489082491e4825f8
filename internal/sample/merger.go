package sample

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// The merger of 1 July 2025 (docs/snapshot-format.md "Unit versions"): the same
// provincial union, name hung-yen, the day before and three months after.
// Both are built from the Thái Bình territory of thai-binh-2024 (the part
// of the new Hưng Yên this package has communes for); the ids are those of
// that profile, the province codes the state's (33 Hưng Yên, 34 Thái Bình).
//
//   - hung-yen-2025-06 (asOf 2025-06-30): the old structure, province,
//     8 districts, 242 communes.
//   - hung-yen-2025-09 (asOf 2025-09-30): 104 communes directly under the
//     province, district unions gone. Each new commune reuses the code of
//     its first predecessor (as 3,314 of the 3,321 real ones do); the old
//     communes, districts and province are kept as history versions
//     (valid_to 2025-06-30), the new versions start on 2025-07-01.
//     Lineage has every kind: merge (the reused code's own row, predecessor
//     = successor, and its other predecessors), split (one old commune
//     shared by two new ones, with shares), rename (a commune that kept its
//     territory under a new name) and move (one that kept its name and went
//     up to the province). The communes' ratings of 2023 and 2024 are on
//     the old communes' codes: the checker files them under history.
const (
	ProfileMergerBefore = "hung-yen-2025-06"
	ProfileMergerAfter  = "hung-yen-2025-09"
)

// mergerNewCommunes is the number of communes of the new province.
const mergerNewCommunes = 104

const mergerEffective = "2025-07-01"
const mergerLastDay = "2025-06-30"

// mergerBefore is the old structure on 30 June 2025.
func mergerBefore(w *world) {
	thaiBinh(w)
	w.units[0].id = "34" // the province's state code: its communes' parent_id follows
	for i := range w.units {
		if w.units[i].parent == "thai-binh" {
			w.units[i].parent = "34"
		}
	}
}

// mergerAfter is the new structure on 30 September 2025, with history.
func mergerAfter(w *world) {
	old := &world{seed: w.seed, asOf: w.asOf}
	mergerBefore(old)
	old.people()
	old.rate()
	r := newRand(w.seed, 2)
	w.versions = true
	w.addUnit(unit{id: "33", level: snapshot.LevelProvince, name: "Tỉnh Hưng Yên", kind: "tỉnh", commune: -1, branch: -1})
	// History: the old province and districts end on 30 June.
	for _, u := range old.units {
		if u.level == snapshot.LevelProvince || u.level == snapshot.LevelDistrict {
			w.history = append(w.history, endedUnit(u))
			w.addLineage(u.id, "33", "merge", "")
		}
	}
	// The old communes, in order, cut into 104 runs of consecutive ones.
	n := len(old.commune)
	isCut := make([]bool, n)
	for _, c := range r.Perm(n - 1)[:mergerNewCommunes-1] {
		isCut[c+1] = true
	}
	var runs [][]int
	for oc := range n {
		if oc == 0 || isCut[oc] {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], oc)
	}
	// The first run of one commune that is not a ward is renamed, the
	// next run of one moved; the first
	// run of three or more gives its last commune's branches half to the
	// next run (a split).
	renamed, moved, split := -1, -1, -1
	for k, run := range runs {
		// The renamed commune becomes a ward: one that is a ward already
		// would keep its name ("Phường Phường …").
		ward := strings.HasPrefix(old.units[old.commune[run[0]].unit].name, "Phường ")
		switch {
		case len(run) == 1 && renamed < 0 && !ward:
			renamed = k
		case len(run) == 1 && moved < 0:
			moved = k
		case len(run) >= 3 && split < 0 && k+1 < len(runs):
			split = k
		}
	}
	newOf := make([]int, len(runs)) // run -> new commune index
	kinds := make([]string, len(runs))
	for k, run := range runs {
		first := old.units[old.commune[run[0]].unit]
		name, kind := first.name, first.kind
		kinds[k] = "merge"
		switch {
		case k == moved:
			kinds[k] = "move"
		case k == renamed:
			kinds[k] = "rename"
			name, kind = "Phường "+strings.TrimPrefix(strings.TrimPrefix(name, "Xã "), "Thị trấn "), "phường"
		case kind == "thị trấn":
			name, kind = "Xã "+strings.TrimPrefix(name, "Thị trấn "), "xã"
		}
		ci := w.addCommune(first.id, "33", nfc(name), kind)
		w.units[w.commune[ci].unit].from = mergerEffective
		newOf[k] = ci
	}
	w.succeed(old, runs, newOf, kinds, split, (*world).copyBranch)
	if renamed < 0 || moved < 0 || split < 0 {
		panic(fmt.Sprintf("sample: merger without rename (%d), move (%d) or split (%d)", renamed, moved, split))
	}
}

// addLineage adds a lineage row effective on the day of the merger.
func (w *world) addLineage(pred, succ, kind, share string) {
	w.lineage = append(w.lineage, [5]string{pred, succ, mergerEffective, kind, share})
}

// endedUnit is old unit u as history: its version ends the day before the
// merger.
func endedUnit(u unit) unit {
	u.to, u.commune, u.branch = mergerLastDay, -1, -1
	return u
}

// succeed ends the old communes of runs (history), files a lineage row from
// each to the new commune of its run (newOf[k], of kind kinds[k]), carries
// their branches over with carry and keeps their old ratings. The last old
// commune of run split (-1: none) is split instead: the first half of its
// branches goes to the next run's commune, with the shares in its two
// lineage rows.
func (w *world) succeed(old *world, runs [][]int, newOf []int, kinds []string, split int, carry func(w, old *world, ob, ci int)) {
	for k, run := range runs {
		ci := newOf[k]
		succ := w.units[w.commune[ci].unit].id
		for i, oc := range run {
			ou := old.units[old.commune[oc].unit]
			w.history = append(w.history, endedUnit(ou))
			branches := old.commune[oc].branches
			if k == split && i == len(run)-1 {
				half := len(branches) / 2
				share := math.Round(float64(half)/float64(len(branches))*100) / 100
				w.addLineage(ou.id, succ, "split", strconv.FormatFloat(1-share, 'f', 2, 64))
				w.addLineage(ou.id, w.units[w.commune[newOf[k+1]].unit].id, "split", strconv.FormatFloat(share, 'f', 2, 64))
				for j, ob := range branches {
					to := ci
					if j < half {
						to = newOf[k+1]
					}
					carry(w, old, ob, to)
				}
			} else {
				w.addLineage(ou.id, succ, kinds[k], "")
				for _, ob := range branches {
					carry(w, old, ob, ci)
				}
			}
			w.keepOldRatings(old, oc)
		}
	}
}

// keepOldRatings keeps the ratings of the two years before asOf of old
// commune oc of old on its own code: after a reform they belong to the old
// unit, which the new export keeps as history.
func (w *world) keepOldRatings(old *world, oc int) {
	ou := old.units[old.commune[oc].unit]
	rt := old.rating[old.commune[oc].unit]
	for y := range 2 {
		if rt.has[y] {
			w.oldRatings = append(w.oldRatings, []string{ou.id, strconv.Itoa(w.asOf.Year() - 2 + y),
				snapshot.EnumValues("ratings.rating")[rt.rank[y]], strconv.FormatFloat(float64(rt.score[y]), 'f', 1, 32), "", "", "", ""})
		}
	}
}
