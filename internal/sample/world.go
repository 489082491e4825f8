package sample

import (
	"math/rand/v2"
	"time"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// world is everything of a snapshot except the member rows, which are
// derived on the fly from their index (see member).
type world struct {
	seed    int64
	name    string
	title   string
	asOf    time.Time
	units   []unit
	commune []commune
	branch  []branch
	cadres  []cadre
	models  []model
	parts   []participant
	rating  []unitRating // by unit index
	// lineage rows: predecessor, successor, effective, kind, share (the last
	// two written only with versions).
	lineage [][5]string
	// versions: the profile writes unit versions (units.valid_from,
	// valid_to) and lineage kind and share (docs/snapshot-format.md "Unit versions").
	versions bool
	// history are the units' history versions, written after the units;
	// oldRatings rows of ratings on their codes (merger profile).
	history    []unit
	oldRatings [][]string
	// members is the number of member rows (before defects).
	members int64
}

type unit struct {
	id, parent string
	level      snapshot.Level
	name, kind string
	from, to   string // valid_from, valid_to ("" = open); written with world.versions
	commune    int    // commune index for communes, branches and groups; -1 above
	branch     int    // branch index for branches and groups; -1 otherwise
	// The unit's cadres are w.cadres[cadre0 : cadre0+ncadres].
	cadre0  int32
	ncadres int32
}

type commune struct {
	unit     int   // unit index
	branches []int // branch indexes
}

type branch struct {
	unit    int   // unit index
	commune int   // commune index
	groups  []int // unit indexes of its groups
	// members live in [start, start+n); the first direct of them belong to the
	// branch itself, the rest are spread over its groups in order.
	start, n, direct int64
	quality          float64 // share of members with hardship and needs recorded
}

// cadre is kept small: the national profile has about a million of them.
type cadre struct {
	member int64 // member index, -1 when none
	unit   int32
	role   uint8 // index into snapshot.EnumValues("cadres.role")
	strong uint8 // bit f set: strong in snapshot.Fields()[f]
	good   bool
	party  bool
}

func cadreID(k int) string { return "cb" + pad(k+1, 7) }

var cadreRoles = snapshot.EnumValues("cadres.role")

func roleOf(name string) uint8 {
	for i, r := range cadreRoles {
		if r == name {
			return uint8(i)
		}
	}
	panic("sample: unknown cadre role " + name)
}

// cadresOf returns the cadre indexes of unit ui.
func (w *world) cadresOf(ui int) []int {
	u := w.units[ui]
	out := make([]int, u.ncadres)
	for i := range out {
		out[i] = int(u.cadre0) + i
	}
	return out
}

type model struct {
	id       string
	unit     int
	typ      string
	name     string
	launched time.Time
	active   bool
	field    string
	special  string
}

type participant struct {
	model     int
	id        string
	kind      string
	role      string
	pair      string
	component string
}

// unitRating holds the ratings of one unit for the two years before asOf
// (index 0 = asOf.Year()-2, 1 = asOf.Year()-1).
type unitRating struct {
	has    [2]bool
	rank   [2]int8 // snapshot.RatingRank order: 0 excellent .. 3 weak
	score  [2]float32
	strong [2][4]bool
}

// latest returns the index of the latest year rated, -1 when none.
func (r *unitRating) latest() int {
	if r.has[1] {
		return 1
	}
	if r.has[0] {
		return 0
	}
	return -1
}

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

func (w *world) addUnit(u unit) int {
	w.units = append(w.units, u)
	return len(w.units) - 1
}

// addCommune adds a commune unit under parent.
func (w *world) addCommune(id, parent, name, kind string) int {
	ci := len(w.commune)
	ui := w.addUnit(unit{id: id, parent: parent, level: snapshot.LevelCommune, name: name, kind: kind, commune: ci, branch: -1})
	w.commune = append(w.commune, commune{unit: ui})
	return ci
}

// addBranch adds a branch with ngroups groups and nmem members to commune ci.
func (w *world) addBranch(r *rand.Rand, ci int, id, name, kind string, ngroups int, nmem int64) {
	bi := len(w.branch)
	ui := w.addUnit(unit{id: id, parent: w.units[w.commune[ci].unit].id, level: snapshot.LevelBranch, name: name, kind: kind, commune: ci, branch: bi})
	b := branch{unit: ui, commune: ci, start: w.members, n: nmem}
	for g := 1; g <= ngroups; g++ {
		gi := w.addUnit(unit{id: id + "-t" + itoa(g), parent: id, level: snapshot.LevelGroup,
			name: "Tổ phụ nữ số " + itoa(g), kind: "tổ phụ nữ", commune: ci, branch: bi})
		b.groups = append(b.groups, gi)
	}
	b.direct = nmem / 20
	if r.Float64() < 0.8 {
		b.quality = 0.93 + 0.069*r.Float64()
	} else {
		b.quality = 0.72 + 0.17*r.Float64()
	}
	w.members += nmem
	w.branch = append(w.branch, b)
	w.commune[ci].branches = append(w.commune[ci].branches, bi)
}

func itoa(i int) string {
	if i < 0 {
		return "-" + itoa(-i)
	}
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	return string(b[p:])
}

func pad(i, width int) string {
	s := itoa(i)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
