package sample

import (
	"math/rand/v2"

	"golang.org/x/text/unicode/norm"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// defecter injects data-quality errors into rows at a rate. Each code the
// format can carry is injected at least once when the rate is above zero;
// DQ001 (fatal) is never injected, since it would stop every run.
type defecter struct {
	rate   float64
	r      *rand.Rand
	format string
	counts map[snapshot.Code]int
	forced map[string]bool
}

func newDefecter(seed int64, rate float64, format string, counts map[snapshot.Code]int) *defecter {
	return &defecter{rate: rate, r: newRand(seed, 7), format: format, counts: counts, forced: map[string]bool{}}
}

func (d *defecter) on() bool { return d.rate > 0 }

func (d *defecter) count(c snapshot.Code) { d.counts[c]++ }

func (d *defecter) unit(row []string, root bool, out func([]string) error) error {
	if !root && d.pick("units.nfd") != "" {
		if nfd := norm.NFD.String(row[3]); nfd != row[3] {
			row[3] = nfd
			d.count(snapshot.DQNormalised)
		}
	}
	return out(row)
}

// extraUnits appends the structural defects: an orphan, a cycle, a broken
// nesting and a duplicate id. None of them has members, so the real tree
// stays whole.
func (d *defecter) extraUnits(w *world, group int, out func([]string) error) error {
	if !d.on() {
		return nil
	}
	g := w.units[group]
	b := w.units[w.branch[g.branch].unit]
	rows := [][]string{
		{"to-mo-coi", "chi-hoi-khong-ton-tai", "group", "Tổ phụ nữ mồ côi", "tổ phụ nữ", "true"},
		{"vong-a", "vong-b", "branch", "Chi hội vòng A", "thôn", "true"},
		{"vong-b", "vong-a", "branch", "Chi hội vòng B", "thôn", "true"},
		{"chi-hoi-long", b.id, "branch", "Chi hội lồng trong chi hội", "thôn", "true"},
		{g.id, g.parent, "group", g.name, g.kind, "true"},
	}
	for i := range rows {
		if w.versions {
			rows[i] = append(rows[i], "", "") // valid_from, valid_to
		}
		rows[i] = append(rows[i], "") // ghi_chu
	}
	for _, c := range []snapshot.Code{snapshot.DQUnknownRef, snapshot.DQCycle, snapshot.DQNesting, snapshot.DQDuplicate, snapshot.DQIgnored} {
		d.count(c)
	}
	for _, r := range rows {
		for i := range r {
			r[i] = nfc(r[i])
		}
		if err := out(r); err != nil {
			return err
		}
	}
	return nil
}

// pick says which defect, among keys, this row gets: each key once first,
// then a random one at the rate; "" for none.
func (d *defecter) pick(keys ...string) string {
	if d.rate <= 0 {
		return ""
	}
	for _, k := range keys {
		if !d.forced[k] {
			d.forced[k] = true
			return k
		}
	}
	if d.r.Float64() < d.rate {
		return keys[d.r.IntN(len(keys))]
	}
	return ""
}

func (d *defecter) member(row []string, out func([]string) error) error {
	keys := []string{"members.dup", "members.orphan", "members.type", "members.fields"}
	if d.format == FormatParquet {
		keys = keys[:3] // a Parquet row cannot have the wrong number of fields
	}
	switch d.pick(keys...) {
	case "members.dup":
		d.count(snapshot.DQDuplicate)
		if err := out(row); err != nil {
			return err
		}
	case "members.orphan":
		d.count(snapshot.DQUnknownRef)
		row = append([]string(nil), row...)
		row[1] = "chi-hoi-da-giai-the"
	case "members.type":
		d.count(snapshot.DQType)
		row = append([]string(nil), row...)
		if d.r.IntN(2) == 0 {
			row[2] = "2023-02-30"
		} else {
			row[5] = "có lẽ"
		}
	case "members.fields":
		d.count(snapshot.DQFieldCount)
		if d.format == FormatCSV {
			row = row[:len(row)-1]
		} else {
			row = append(append([]string(nil), row...), "thừa")
		}
	}
	return out(row)
}

func (d *defecter) cadre(row []string, out func([]string) error) error {
	if d.pick("cadres.role") != "" {
		d.count(snapshot.DQEnum)
		row[2] = "truong_nhom"
	}
	return out(row)
}

func (d *defecter) model(row []string, out func([]string) error) error {
	switch d.pick("models.status", "models.date") {
	case "models.status":
		d.count(snapshot.DQEnum)
		row[5] = "tam_dung"
	case "models.date":
		d.count(snapshot.DQType)
		row[4] = "31/13/2024"
	}
	return out(row)
}

func (d *defecter) participant(row []string, out func([]string) error) error {
	if d.pick("participants.model") != "" {
		d.count(snapshot.DQUnknownRef)
		row[0] = "mh-khong-ton-tai"
	}
	return out(row)
}

func (d *defecter) rating(row []string, out func([]string) error) error {
	switch d.pick("ratings.enum", "ratings.year") {
	case "ratings.enum":
		d.count(snapshot.DQEnum)
		row[2] = "tot"
	case "ratings.year":
		d.count(snapshot.DQType)
		row[1] += "a"
	}
	return out(row)
}

func (d *defecter) activity(row []string, out func([]string) error) error {
	if d.pick("activities.month") != "" {
		d.count(snapshot.DQType)
		row[1] = row[1][:5] + "13"
	}
	return out(row)
}
