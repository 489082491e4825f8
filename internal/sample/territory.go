package sample

import (
	"math"
	"strings"
	"time"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// towns are the thị trấn / phường names that anchor each district.
var towns = map[string][]string{
	"TP Thái Bình": {"Lê Hồng Phong", "Bồ Xuyên", "Đề Thám", "Kỳ Bá", "Quang Trung", "Phú Khánh", "Tiền Phong", "Trần Hưng Đạo", "Trần Lãm", "Hoàng Diệu"},
	"Đông Hưng":    {"Đông Hưng"},
	"Hưng Hà":      {"Hưng Hà", "Hưng Nhân"},
	"Kiến Xương":   {"Kiến Xương"},
	"Quỳnh Phụ":    {"Quỳnh Côi", "An Bài"},
	"Thái Thụy":    {"Diêm Điền"},
	"Tiền Hải":     {"Tiền Hải"},
	"Vũ Thư":       {"Vũ Thư"},
}

// fixedCommunes are communes the article names.
var fixedCommunes = map[string]string{"Thái Thụy": "Thái Xuyên", "Vũ Thư": "Nguyên Xá"}

// thaiBinh builds the 2024 territory: province, 8 districts, 242 communes,
// 1,797 branches (Thái Thụy 254), 2-5 groups per branch, about 360,000 members.
// It returns the district unit indexes with their commune indexes.
func thaiBinh(w *world) (districts []int, communesOf [][]int) {
	r := newRand(w.seed, 1)
	w.addUnit(unit{id: "thai-binh", level: snapshot.LevelProvince, name: "Tỉnh Thái Bình", kind: "tỉnh", commune: -1, branch: -1})
	used := map[string]bool{}
	// Branch counts: Thái Thụy exactly 254 over 36 communes; the others 1,543 over 206.
	counts := make([][]int, len(thaiBinhDistricts))
	other := 0
	for di, d := range thaiBinhDistricts {
		counts[di] = make([]int, d.communes)
		for c := range counts[di] {
			if d.name == "Thái Thụy" {
				counts[di][c] = 7
			} else {
				counts[di][c] = 5 + r.IntN(6)
				other += counts[di][c]
			}
		}
		if d.name == "Thái Thụy" {
			for _, c := range r.Perm(d.communes)[:2] {
				counts[di][c]++
			}
		}
	}
	for other != 1543 {
		di := r.IntN(len(thaiBinhDistricts))
		if thaiBinhDistricts[di].name == "Thái Thụy" {
			continue
		}
		c := r.IntN(len(counts[di]))
		if other < 1543 && counts[di][c] < 11 {
			counts[di][c]++
			other++
		} else if other > 1543 && counts[di][c] > 4 {
			counts[di][c]--
			other--
		}
	}
	for di, d := range thaiBinhDistricts {
		did := "tb-" + slug(d.name)
		districts = append(districts, w.addUnit(unit{id: did, parent: "thai-binh", level: snapshot.LevelDistrict, name: d.name, kind: d.kind, commune: -1, branch: -1}))
		var cs []int
		tw := towns[d.name]
		for c := 0; c < d.communes; c++ {
			var name, kind string
			switch {
			case c < len(tw) && d.kind == "thành phố":
				name, kind = "Phường "+tw[c], "phường"
			case c < len(tw):
				name, kind = "Thị trấn "+tw[c], "thị trấn"
			case c == len(tw) && fixedCommunes[d.name] != "":
				name, kind = "Xã "+fixedCommunes[d.name], "xã"
			default:
				for {
					name = "Xã " + d.first[r.IntN(len(d.first))] + " " + syllables[r.IntN(len(syllables))]
					if !used[slug(name)] {
						break
					}
				}
				kind = "xã"
			}
			name = nfc(name)
			if used[slug(name)] {
				panic("sample: duplicate commune " + name)
			}
			used[slug(name)] = true
			ci := w.addCommune(slug(name), did, name, kind)
			cs = append(cs, ci)
			urban := kind != "xã"
			thon := r.Perm(len(thonNames))
			for b := 0; b < counts[di][c]; b++ {
				bname, bkind := "Thôn "+thonNames[thon[b%len(thon)]], "thôn"
				if urban {
					bname, bkind = "Tổ dân phố số "+itoa(b+1), "tổ dân phố"
				}
				w.addBranch(r, ci, w.units[w.commune[ci].unit].id+"-ch"+pad(b+1, 2), nfc(bname), nfc(bkind), 2+r.IntN(4), int64(120+r.IntN(161)))
			}
		}
		communesOf = append(communesOf, cs)
	}
	return districts, communesOf
}

// hungYen builds the 2026 territory from the 2024 one: no districts, the
// communes of each district merged into new ones (65 in all), branches kept
// with their ids under their new commune, and the lineage of every old
// commune, district and the province.
func hungYen(w *world) {
	old := &world{seed: w.seed, asOf: w.asOf}
	districts, communesOf := thaiBinh(old)
	r := newRand(w.seed, 2)
	w.addUnit(unit{id: "hung-yen", level: snapshot.LevelProvince, name: "Tỉnh Hưng Yên", kind: "tỉnh", commune: -1, branch: -1})
	eff := "2025-07-01"
	w.lineage = append(w.lineage, [5]string{"thai-binh", "hung-yen", eff})
	ids := map[string]bool{}
	total := 0
	for _, cs := range communesOf {
		total += len(cs)
	}
	for di, cs := range communesOf {
		n := int(math.Round(float64(len(cs)) * 65 / float64(total)))
		// Split the district's communes into n consecutive chunks.
		cuts := r.Perm(len(cs) - 1)[:n-1]
		isCut := make([]bool, len(cs))
		for _, c := range cuts {
			isCut[c+1] = true
		}
		var chunk []int
		flush := func() {
			first := old.units[old.commune[chunk[0]].unit]
			name, kind := first.name, first.kind
			if kind == "thị trấn" {
				name, kind = "Xã "+strings.TrimPrefix(name, "Thị trấn "), "xã"
			}
			id := "hy-" + slug(name)
			for n := 2; ids[id]; n++ {
				id = "hy-" + slug(name) + "-" + itoa(n)
			}
			ids[id] = true
			ci := w.addCommune(id, "hung-yen", name, kind)
			for _, oc := range chunk {
				w.lineage = append(w.lineage, [5]string{old.units[old.commune[oc].unit].id, id, eff})
				for _, ob := range old.commune[oc].branches {
					w.copyBranch(old, ob, ci)
				}
			}
			chunk = chunk[:0]
		}
		for i, c := range cs {
			if isCut[i] {
				flush()
			}
			chunk = append(chunk, c)
		}
		flush()
		w.lineage = append(w.lineage, [5]string{old.units[districts[di]].id, "hung-yen", eff})
	}
}

// copyBranch copies branch ob of old (its groups and member layout) under
// commune ci of w.
func (w *world) copyBranch(old *world, ob, ci int) {
	b := old.branch[ob]
	ou := old.units[b.unit]
	bi := len(w.branch)
	nb := branch{commune: ci, start: w.members, n: b.n, direct: b.direct, quality: b.quality}
	nb.unit = w.addUnit(unit{id: ou.id, parent: w.units[w.commune[ci].unit].id, level: snapshot.LevelBranch, name: ou.name, kind: ou.kind, commune: ci, branch: bi})
	for _, g := range b.groups {
		gu := old.units[g]
		nb.groups = append(nb.groups, w.addUnit(unit{id: gu.id, parent: ou.id, level: snapshot.LevelGroup, name: gu.name, kind: gu.kind, commune: ci, branch: bi}))
	}
	w.members += b.n
	w.branch = append(w.branch, nb)
	w.commune[ci].branches = append(w.commune[ci].branches, bi)
}

// national builds Vietnam before the 2025 reform: 63 provinces with
// districts; communes, branches and members scaled (nationalReform builds
// the 34 provinces after it from this territory).
func national(w *world, scale float64) {
	r := newRand(w.seed, 1)
	provs, communes, perCommune := provinces63, 10600.0, [2]int{8, 18}
	nc := max(1, int(math.Round(communes*scale)))
	provs = provs[:min(len(provs), nc)] // tiny scales keep fewer provinces
	weights := make([]float64, len(provs))
	sum := 0.0
	for i := range weights {
		weights[i] = 0.5 + r.Float64()
		sum += weights[i]
	}
	alloc := make([]int, len(provs))
	given := 0
	for i := range alloc {
		alloc[i] = max(1, int(float64(nc)*weights[i]/sum))
		given += alloc[i]
	}
	for i := 0; given < nc; i = (i + 1) % len(alloc) {
		alloc[i]++
		given++
	}
	name2 := func() string {
		return syllables[r.IntN(len(syllables))] + " " + syllables[r.IntN(len(syllables))]
	}
	for pi, pname := range provs {
		pid := slug(pname)
		w.addUnit(unit{id: pid, level: snapshot.LevelProvince, name: "Tỉnh " + pname, kind: "tỉnh", commune: -1, branch: -1})
		var parents []string
		nd := max(1, int(math.Round(float64(alloc[pi])/15)))
		for d := 1; d <= nd; d++ {
			did := pid + "-h" + pad(d, 2)
			w.addUnit(unit{id: did, parent: pid, level: snapshot.LevelDistrict, name: nfc("Huyện " + name2()), kind: "huyện", commune: -1, branch: -1})
			parents = append(parents, did)
		}
		for c := 0; c < alloc[pi]; c++ {
			parent := parents[c*len(parents)/alloc[pi]]
			ci := w.addCommune(parent+"-x"+pad(c+1, 3), parent, nfc("Xã "+name2()), "xã")
			nb := perCommune[0] + r.IntN(perCommune[1]-perCommune[0]+1)
			thon := r.Perm(len(thonNames))
			for b := 0; b < nb; b++ {
				bname := "Thôn " + thonNames[thon[b%len(thon)]]
				if b >= len(thon) {
					bname += " " + itoa(b/len(thon)+1)
				}
				w.addBranch(r, ci, w.units[w.commune[ci].unit].id+"-c"+pad(b+1, 2), nfc(bname), "thôn", 2+r.IntN(4), int64(80+r.IntN(125)))
			}
		}
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
