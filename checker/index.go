package checker

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// index holds everything an Evaluate needs, computed once from the Arrow
// columns: the hierarchy, per-unit lists and the prebuilt ast terms that
// every subject's input shares.
type index struct {
	asOf string

	units    []unitRow
	unitByID map[string]int
	children [][]int     // sorted by id
	path     [][]int     // ancestors, root first, without the unit
	ancTerm  []*ast.Term // {id, level, name}

	models       []modelRow // sorted by id
	modelByID    map[string]int
	modelBase    []obj       // per model: its fields without participants (modelTerm adds them)
	modelParts   [][]partRow // per model: its participants, sorted
	memberRec    map[string]*ast.Term
	modelsByUnit [][]int // model indexes, ascending (= by id)

	cadreRows    []int32 // cadre index (id order) -> row of the cadres table; cadreTerm builds the record
	cadreCols    cadreCols
	cadreByID    map[string]int
	cadresByUnit [][]int

	// Ratings and member statistics are kept as row numbers and counts;
	// their terms are built per input (ratingsTerm, statsTerm), so that
	// memory stays near the size of the Arrow columns on a national
	// snapshot. Activity records and rating fields objects take few
	// distinct values: those are built once (buildActivities,
	// buildRatings) and shared.
	ratingRows   [][]int32 // per unit: rows of the ratings table, oldest year first
	ratingCols   ratingCols
	ratingFields []int32       // per row of the ratings table: its fields object in fieldTerms
	fieldTerms   []*ast.Term   // the distinct fields objects ({propaganda, family, ...})
	activityRows [][]int32     // per unit: its activities, indexes into actTerms, sorted
	actTerms     []*ast.Term   // the distinct activity records {month, kind, attendees}
	stats        []memberStats // per unit, its subtree counted
	sgCounts     []int         // unit*len(sgTerms)+group: members of the subtree in the special group
	sgOrder      []int         // special group indexes by name
	sgTerms      []*ast.Term

	snapshotTerm *ast.Term

	modelNames     map[int]string
	excludedUnits  []snapshot.ExcludedUnit
	excludedModels []snapshot.ExcludedModel

	interned map[string]*ast.Term // terms of repeated text (enums, kinds, months)
	internMu sync.Mutex

	pending *pendingModels // participants waiting for member records

	redact *redactor // the private values of the participants (privacy.go)
	// Unit versions and lineage (history.go); versions is nil for a
	// snapshot without them.
	versions     *snapshot.Versions
	histRatings  [][]int32         // per history version: its rows of the ratings table, oldest first
	histActs     [][]int32         // per history version: its activities, indexes into actTerms
	historyTerms map[int]*ast.Term // per current unit reached by lineage: its history array
}

type unitRow struct {
	id, parent, name, kind string
	level                  snapshot.Level
	hasParent, hasKind     bool
	active                 bool
}

type modelRow struct {
	id, unitID, typ string
	launchedOn      string // "" when unknown
	active          bool
	unit            int // -1 when unknown
}

type memberStats struct {
	total, honorary, party, pioneer, hardship, hardshipRecorded, needsRecorded, joined12 int
}

// add adds the counts of s to d.
func (d *memberStats) add(s *memberStats) {
	d.total += s.total
	d.honorary += s.honorary
	d.party += s.party
	d.pioneer += s.pioneer
	d.hardship += s.hardship
	d.hardshipRecorded += s.hardshipRecorded
	d.needsRecorded += s.needsRecorded
	d.joined12 += s.joined12
}

// Interned key terms shared by every object.
var (
	kID, kLevel, kName, kKind, kActive, kParentID = ast.StringTerm("id"), ast.StringTerm("level"), ast.StringTerm("name"), ast.StringTerm("kind"), ast.StringTerm("active"), ast.StringTerm("parent_id")
	kUnitID, kType, kLaunchedOn, kStatus, kField  = ast.StringTerm("unit_id"), ast.StringTerm("type"), ast.StringTerm("launched_on"), ast.StringTerm("status"), ast.StringTerm("field")
	kSpecialGroup, kParticipants, kRole, kPair    = ast.StringTerm("special_group"), ast.StringTerm("participants"), ast.StringTerm("role"), ast.StringTerm("pair")
	kComponent, kUnit, kCadre, kMember            = ast.StringTerm("component"), ast.StringTerm("unit"), ast.StringTerm("cadre"), ast.StringTerm("member")
	kCompetence, kStrongFields, kMemberID         = ast.StringTerm("competence"), ast.StringTerm("strong_fields"), ast.StringTerm("member_id")
	kPartyMember, kJoinedOn, kHonorary            = ast.StringTerm("party_member"), ast.StringTerm("joined_on"), ast.StringTerm("honorary")
	kCommuneID                                    = ast.StringTerm("commune_id")
	kPioneer, kHardship, kYear, kRating, kScore   = ast.StringTerm("pioneer"), ast.StringTerm("hardship"), ast.StringTerm("year"), ast.StringTerm("rating"), ast.StringTerm("score")
	kFields, kMonth, kAttendees, kRatings         = ast.StringTerm("fields"), ast.StringTerm("month"), ast.StringTerm("attendees"), ast.StringTerm("ratings")
	kTitle, kAsOf, kByGroup                       = ast.StringTerm("title"), ast.StringTerm("as_of"), ast.StringTerm("by_special_group")
	kSubject, kAncestors, kUnits, kModels         = ast.StringTerm("subject"), ast.StringTerm("ancestors"), ast.StringTerm("units"), ast.StringTerm("models")
	kCadres, kActivities, kMembers, kSnapshot     = ast.StringTerm("cadres"), ast.StringTerm("activities"), ast.StringTerm("members"), ast.StringTerm("snapshot")
	kHistory, kEffective, kShare                  = ast.StringTerm("history"), ast.StringTerm("effective"), ast.StringTerm("share")
	kValidFrom, kValidTo                          = ast.StringTerm("valid_from"), ast.StringTerm("valid_to")
	statsKeyTerms                                 = func() []*ast.Term {
		ts := make([]*ast.Term, len(statsKeys))
		for i, k := range statsKeys {
			ts[i] = ast.StringTerm(k)
		}
		return ts
	}()
)

// cols gives typed access to one record's columns by name; a missing column
// reads as all null.
type cols struct{ rec arrow.Record }

func (c cols) str(name string) snapshot.StringArray {
	if c.rec == nil {
		return nil
	}
	a := snapshot.Column(c.rec, name)
	if a == nil {
		return nil
	}
	return snapshot.Strings(a)
}

func (c cols) arr(name string) arrow.Array {
	if c.rec == nil {
		return nil
	}
	return snapshot.Column(c.rec, name)
}

func (c cols) rows() int {
	if c.rec == nil {
		return 0
	}
	return int(c.rec.NumRows())
}

func sval(a snapshot.StringArray, i int) (string, bool) {
	if a == nil || a.IsNull(i) {
		return "", false
	}
	return a.Value(i), true
}

func bval(a arrow.Array, i int) (bool, bool) {
	b, ok := a.(*array.Boolean)
	if !ok || b.IsNull(i) {
		return false, false
	}
	return b.Value(i), true
}

func dval(a arrow.Array, i int) (string, bool) {
	d, ok := a.(*array.Date32)
	if !ok || d.IsNull(i) {
		return "", false
	}
	return d.Value(i).FormattedString(), true
}

func ival(a arrow.Array, i int) (int64, bool) {
	d, ok := a.(*array.Int64)
	if !ok || d.IsNull(i) {
		return 0, false
	}
	return d.Value(i), true
}

func fval(a arrow.Array, i int) (float64, bool) {
	d, ok := a.(*array.Float64)
	if !ok || d.IsNull(i) {
		return 0, false
	}
	return d.Value(i), true
}

// obj collects the items of an object, skipping absent values.
type obj []*ast.Term

func (o *obj) s(k *ast.Term, v string, ok bool) {
	if ok {
		*o = append(*o, k, ast.StringTerm(v))
	}
}
func (o *obj) b(k *ast.Term, v bool, ok bool) {
	if ok {
		*o = append(*o, k, ast.InternedTerm(v))
	}
}

// in returns a shared term for repeated text (enum values, kinds, months).
// Safe for concurrent use (buildIndex builds tables in parallel); lookup,
// used once the index is built, reads without the lock.
func (x *index) in(s string) *ast.Term {
	x.internMu.Lock()
	defer x.internMu.Unlock()
	if t, ok := x.interned[s]; ok {
		return t
	}
	if x.interned == nil {
		x.interned = map[string]*ast.Term{}
	}
	t := ast.StringTerm(s)
	x.interned[s] = t
	return t
}

// si adds an interned text value.
func (o *obj) si(x *index, k *ast.Term, v string, ok bool) {
	if ok {
		*o = append(*o, k, x.in(v))
	}
}
func (o *obj) sio(x *index, k *ast.Term) func(string, bool) {
	return func(v string, ok bool) { o.si(x, k, v, ok) }
}

func (o *obj) so(k *ast.Term) func(string, bool) {
	return func(v string, ok bool) { o.s(k, v, ok) }
}
func (o *obj) bo(k *ast.Term) func(bool, bool) {
	return func(v bool, ok bool) { o.b(k, v, ok) }
}
func (o *obj) t(k, v *ast.Term) {
	if v != nil {
		*o = append(*o, k, v)
	}
}
func (o obj) term() *ast.Term {
	items := make([][2]*ast.Term, 0, len(o)/2)
	for i := 0; i < len(o); i += 2 {
		items = append(items, [2]*ast.Term{o[i], o[i+1]})
	}
	return ast.NewTerm(ast.NewObject(items...))
}

func table(snap *snapshot.Snapshot, t snapshot.Table) cols {
	if snap.Records == nil {
		return cols{}
	}
	return cols{snap.Records[t]}
}

func buildIndex(snap *snapshot.Snapshot) (*index, error) {
	x := &index{asOf: snap.Manifest.AsOf, excludedUnits: snap.ExcludedUnits, excludedModels: snap.ExcludedModels,
		modelNames: map[int]string{}, versions: snap.Versions}
	if x.versions != nil {
		x.histRatings = make([][]int32, len(x.versions.History))
		x.histActs = make([][]int32, len(x.versions.History))
	}
	if err := x.buildUnits(table(snap, snapshot.Units)); err != nil {
		return nil, err
	}
	// Ratings and activities are indexed while models, participants and
	// members are (the two touch disjoint fields; interning is locked).
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		x.buildRatings(table(snap, snapshot.Ratings))
		x.buildActivities(table(snap, snapshot.Activities))
	}()
	needed := x.buildModelsAndParticipants(table(snap, snapshot.Models), table(snap, snapshot.Participants), table(snap, snapshot.Cadres))
	err := x.buildMembers(table(snap, snapshot.Members), needed)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	x.finishModels()
	x.buildRedactor()
	x.buildHistory(table(snap, snapshot.Lineage))
	var so obj
	so.s(kName, snap.Manifest.Name, true)
	so.s(kTitle, snap.Manifest.Title, snap.Manifest.Title != "")
	so.s(kAsOf, snap.Manifest.AsOf, true)
	x.snapshotTerm = so.term()
	return x, nil
}

func (x *index) buildUnits(c cols) error {
	n := c.rows()
	ids, parents, levels, names, kinds := c.str("unit_id"), c.str("parent_id"), c.str("level"), c.str("name"), c.str("kind")
	active := c.arr("active")
	x.units = make([]unitRow, n)
	x.unitByID = make(map[string]int, n)
	for i := 0; i < n; i++ {
		u := unitRow{active: true}
		u.id, _ = sval(ids, i)
		u.parent, u.hasParent = sval(parents, i)
		lv, _ := sval(levels, i)
		u.level = snapshot.Level(lv)
		u.name, _ = sval(names, i)
		u.kind, u.hasKind = sval(kinds, i)
		if a, ok := bval(active, i); ok {
			u.active = a
		}
		if _, dup := x.unitByID[u.id]; dup {
			return fmt.Errorf("index units: duplicate unit_id %q", u.id)
		}
		x.unitByID[u.id] = i
		x.units[i] = u
	}
	x.children = make([][]int, n)
	for i, u := range x.units {
		if !u.hasParent {
			continue
		}
		if p, ok := x.unitByID[u.parent]; ok {
			x.children[p] = append(x.children[p], i)
		}
	}
	for _, ch := range x.children {
		sort.Slice(ch, func(a, b int) bool { return x.units[ch[a]].id < x.units[ch[b]].id })
	}
	x.path = make([][]int, n)
	x.ancTerm = make([]*ast.Term, n)
	// own[i] is the unit's own active flag; x.units[i].active becomes "active
	// all the way up" (domain.md, How the guidance is read 3): the unit and
	// every ancestor active. Subjects, input records (lib.active_unit_ids),
	// model subjects and the inventory all read it from here.
	own := make([]bool, n)
	for i, u := range x.units {
		own[i] = u.active
	}
	for i, u := range x.units {
		var p []int
		seen := map[int]bool{i: true}
		for cur := u; cur.hasParent; {
			pi, ok := x.unitByID[cur.parent]
			if !ok || seen[pi] {
				break
			}
			seen[pi] = true
			p = append(p, pi)
			cur = x.units[pi]
		}
		for a, b := 0, len(p)-1; a < b; a, b = a+1, b-1 {
			p[a], p[b] = p[b], p[a]
		}
		x.path[i] = p
		for _, a := range p {
			if !own[a] {
				x.units[i].active = false
				break
			}
		}
		// The texts unitTerm shares: interned now, read-only afterwards.
		level := x.in(string(u.level))
		if c := x.communeOf(i); c >= 0 {
			x.in(x.units[c].id)
		}
		if u.hasKind {
			x.in(u.kind)
		}
		if u.hasParent {
			x.in(u.parent) // a parent id repeats for each child
		}
		if len(x.children[i]) > 0 {
			x.ancTerm[i] = obj{kID, ast.StringTerm(u.id), kLevel, level, kName, ast.StringTerm(u.name)}.term()
		}
	}
	return nil
}

// unitTerm builds the record of unit u (input.subject, input.units[_],
// input.unit). It is built per input, not kept in the index: a national
// snapshot's unit records took half a gigabyte of live heap. Safe for
// concurrent use once the index is built.
func (x *index) unitTerm(u int) *ast.Term {
	r := &x.units[u]
	o := make(obj, 0, 14)
	o = append(o, kID, ast.StringTerm(r.id), kLevel, x.lookup(string(r.level)), kName, ast.StringTerm(r.name))
	if c := x.communeOf(u); c >= 0 {
		o = append(o, kCommuneID, x.lookup(x.units[c].id))
	}
	if r.hasKind {
		o = append(o, kKind, x.lookup(r.kind))
	}
	o.b(kActive, r.active, true)
	if r.hasParent {
		o = append(o, kParentID, x.lookup(r.parent))
	}
	if h := x.historyTerms[u]; h != nil {
		o = append(o, kHistory, h)
	}
	return o.term()
}

// communeOf is the commune unit u is or sits in, -1 when none (above
// communes, or a broken parent chain). It needs x.path.
func (x *index) communeOf(u int) int {
	if x.units[u].level == snapshot.LevelCommune {
		return u
	}
	for _, a := range x.path[u] {
		if x.units[a].level == snapshot.LevelCommune {
			return a
		}
	}
	return -1
}

// buildRatings keeps, per unit, the rows of its ratings (oldest year first);
// ratingsTerm builds the ast array from the columns when an input needs it.
// Nothing but row numbers stays in memory between inputs: prebuilt terms
// for every rating of a national snapshot took gigabytes.
func (x *index) buildRatings(c cols) {
	n := c.rows()
	units := c.str("unit_id")
	years := c.arr("year")
	rc := ratingCols{ratings: c.str("rating"), years: years, scores: c.arr("score")}
	var fields [4]snapshot.StringArray // in the order of snapshot.Fields
	for i, f := range snapshot.Fields() {
		fields[i] = c.str(f)
		x.in(f)
	}
	for _, v := range snapshot.EnumValues("ratings.rating") {
		x.in(v)
	}
	x.in("strong")
	x.in("not_strong")
	x.ratingCols = rc
	x.ratingRows = make([][]int32, len(x.units))
	// A rating's fields object takes a few values (strong or not_strong for
	// each of 4 fields): each distinct one is built once and shared by
	// every rating and input that has it.
	type fieldsKey struct {
		v   [4]string
		has [4]bool
	}
	fieldsOf := map[fieldsKey]int32{}
	x.ratingFields = make([]int32, n)
	for i := 0; i < n; i++ {
		uid, _ := sval(units, i)
		u, ok := x.unitByID[uid]
		if x.versions.Has(uid) {
			y, _ := ival(years, i)
			ver, _, found := x.versions.InYear(uid, int(y))
			switch {
			case !found:
				continue
			case ver != snapshot.Current:
				x.histRatings[ver] = append(x.histRatings[ver], int32(i))
				ok = false
			}
		}
		if ok {
			x.ratingRows[u] = append(x.ratingRows[u], int32(i))
		}
		var k fieldsKey
		for j := range snapshot.Fields() {
			k.v[j], k.has[j] = sval(fields[j], i)
		}
		f, ok := fieldsOf[k]
		if !ok {
			o := make(obj, 0, 8)
			for j, name := range snapshot.Fields() {
				if k.has[j] {
					o = append(o, x.in(name), x.in(k.v[j]))
				}
			}
			f = int32(len(x.fieldTerms))
			x.fieldTerms = append(x.fieldTerms, o.term())
			fieldsOf[k] = f
		}
		x.ratingFields[i] = f
	}
	for _, rows := range append(x.ratingRows, x.histRatings...) {
		sort.SliceStable(rows, func(a, b int) bool {
			ya, _ := ival(years, int(rows[a]))
			yb, _ := ival(years, int(rows[b]))
			return ya < yb
		})
	}
}

// ratingCols are the columns ratingsTerm reads.
type ratingCols struct {
	ratings       snapshot.StringArray
	years, scores arrow.Array
}

// ratingsTerm is the array of u's ratings, oldest first; nil when none. It
// only reads the index, so workers may call it concurrently.
func (x *index) ratingsTerm(u int) *ast.Term { return x.ratingsOf(x.ratingRows[u]) }

// ratingsOf is the array of the ratings at rows; nil when none.
func (x *index) ratingsOf(rows []int32) *ast.Term {
	if len(rows) == 0 {
		return nil
	}
	c := &x.ratingCols
	ts := make([]*ast.Term, len(rows))
	for k, r := range rows {
		i := int(r)
		year, _ := ival(c.years, i)
		o := make(obj, 0, 8)
		o = append(o, kYear, ast.InternedTerm(int(year)))
		if v, ok := sval(c.ratings, i); ok {
			o = append(o, kRating, x.lookup(v))
		}
		if sc, ok := fval(c.scores, i); ok {
			o = append(o, kScore, ast.FloatNumberTerm(sc))
		}
		o = append(o, kFields, x.fieldTerms[x.ratingFields[i]])
		ts[k] = o.term()
	}
	return ast.ArrayTerm(ts...)
}

// lookup is in without the write: the interned term when there is one, a
// new term otherwise. Safe for concurrent use once the index is built.
func (x *index) lookup(s string) *ast.Term {
	if t, ok := x.interned[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}

// unitWithRatings is the unit's object plus its ratings, for resolved
// participants. Safe for concurrent use once the index is built.
func (x *index) unitWithRatings(u int) *ast.Term {
	r := x.ratingsTerm(u)
	if r == nil {
		r = ast.ArrayTerm()
	}
	obj := x.unitTerm(u).Value.(ast.Object)
	obj.Insert(kRatings, r)
	return ast.NewTerm(obj)
}

// buildActivities keeps, per unit, its activities sorted by month, kind,
// attendees; activitiesTerm builds the array on demand. The records repeat
// (a province's 23 k activities are 3.4 k distinct month, kind and
// attendees): each distinct record is built once, here, and shared, and
// the units keep indexes into actTerms.
func (x *index) buildActivities(c cols) {
	n := c.rows()
	units, months, kinds := c.str("unit_id"), c.str("month"), c.str("kind")
	att := c.arr("attendees")
	x.activityRows = make([][]int32, len(x.units))
	for i := 0; i < n; i++ {
		uid, _ := sval(units, i)
		u, ok := x.unitByID[uid]
		if x.versions.Has(uid) {
			m, _ := sval(months, i)
			d, _ := snapshot.MonthEnd(m)
			ver, _, found := x.versions.At(uid, d)
			switch {
			case !found:
				continue
			case ver != snapshot.Current:
				x.histActs[ver] = append(x.histActs[ver], int32(i))
				ok = false
			}
		}
		if !ok {
			continue
		}
		x.activityRows[u] = append(x.activityRows[u], int32(i))
		// Months and kinds repeat: intern them now, read-only later.
		if m, ok := sval(months, i); ok {
			x.in(m)
		}
		if k, ok := sval(kinds, i); ok {
			x.in(k)
		}
	}
	for _, rows := range append(x.activityRows, x.histActs...) {
		sort.SliceStable(rows, func(a, b int) bool {
			ia, ib := int(rows[a]), int(rows[b])
			ma, _ := sval(months, ia)
			mb, _ := sval(months, ib)
			if ma != mb {
				return ma < mb
			}
			ka, _ := sval(kinds, ia)
			kb, _ := sval(kinds, ib)
			if ka != kb {
				return ka < kb
			}
			aa, ok := ival(att, ia)
			if !ok {
				aa = -1
			}
			ab, ok := ival(att, ib)
			if !ok {
				ab = -1
			}
			return aa < ab
		})
	}
	type actKey struct {
		month, kind         string
		attendees           int64
		hasM, hasK, hasAtts bool
	}
	recOf := map[actKey]int32{}
	for _, rows := range append(x.activityRows, x.histActs...) {
		for k, r := range rows {
			i := int(r)
			var key actKey
			key.month, key.hasM = sval(months, i)
			key.kind, key.hasK = sval(kinds, i)
			key.attendees, key.hasAtts = ival(att, i)
			t, ok := recOf[key]
			if !ok {
				o := make(obj, 0, 6)
				if key.hasM {
					o = append(o, kMonth, x.in(key.month))
				}
				if key.hasK {
					o = append(o, kKind, x.in(key.kind))
				}
				if key.hasAtts {
					o = append(o, kAttendees, ast.InternedTerm(int(key.attendees)))
				}
				t = int32(len(x.actTerms))
				x.actTerms = append(x.actTerms, o.term())
				recOf[key] = t
			}
			rows[k] = t
		}
	}
}

// activitiesTerm is the array of u's activities; nil when none. Safe for
// concurrent use.
func (x *index) activitiesTerm(u int) *ast.Term { return x.activitiesOf(x.activityRows[u]) }

// activitiesOf is the array of the activity records rows; nil when none.
func (x *index) activitiesOf(rows []int32) *ast.Term {
	if len(rows) == 0 {
		return nil
	}
	ts := make([]*ast.Term, len(rows))
	for k, r := range rows {
		ts[k] = x.actTerms[r]
	}
	return ast.ArrayTerm(ts...)
}

// participant rows waiting for member records.
type partRow struct {
	model                int
	id, kind, role, pair string
	component            string
	hasRole, hasPair     bool
	hasComponent         bool
}

type pendingModels struct {
	rows   []partRow
	member map[string]*ast.Term // member_id -> record; filled by buildMembers
}

// cadreCols are the columns cadreTerm reads.
type cadreCols struct {
	ids, units, roles, comps, mids snapshot.StringArray
	list                           *array.List
	listVals                       snapshot.StringArray
	party                          arrow.Array
}

// cadreTerm builds the record of cadre ci (index in id order) from the
// columns. Safe for concurrent use once the index is built.
func (x *index) cadreTerm(ci int) *ast.Term {
	c := &x.cadreCols
	i := int(x.cadreRows[ci])
	o := make(obj, 0, 16)
	id, _ := sval(c.ids, i)
	o.s(kID, id, true)
	uid, _ := sval(c.units, i)
	o = append(o, kUnitID, x.lookup(uid))
	if v, ok := sval(c.roles, i); ok {
		o = append(o, kRole, x.lookup(v))
	}
	if v, ok := sval(c.comps, i); ok {
		o = append(o, kCompetence, x.lookup(v))
	}
	if c.list != nil && !c.list.IsNull(i) {
		start, end := c.list.ValueOffsets(i)
		ts := make([]*ast.Term, 0, end-start)
		for j := start; j < end; j++ {
			if !c.listVals.IsNull(int(j)) {
				ts = append(ts, x.lookup(c.listVals.Value(int(j))))
			}
		}
		o = append(o, kStrongFields, ast.ArrayTerm(ts...))
	}
	o.so(kMemberID)(sval(c.mids, i))
	o.bo(kPartyMember)(bval(c.party, i))
	if u, ok := x.unitByID[uid]; ok {
		if cm := x.communeOf(u); cm >= 0 {
			o = append(o, kCommuneID, x.lookup(x.units[cm].id))
		}
	}
	return o.term()
}

func (x *index) buildModelsAndParticipants(mc, pc, cc cols) *pendingModels {
	// Cadres first: participants resolve to them.
	n := cc.rows()
	cids, cunits, roles, comps, mids := cc.str("cadre_id"), cc.str("unit_id"), cc.str("role"), cc.str("competence"), cc.str("member_id")
	sf, party := cc.arr("strong_fields"), cc.arr("party_member")
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		va, _ := sval(cids, order[a])
		vb, _ := sval(cids, order[b])
		return va < vb
	})
	x.cadreByID = make(map[string]int, n)
	x.cadresByUnit = make([][]int, len(x.units))
	list, _ := sf.(*array.List)
	var listVals snapshot.StringArray
	if list != nil {
		listVals = snapshot.Strings(list.ListValues())
	}
	x.cadreCols = cadreCols{ids: cids, units: cunits, roles: roles, comps: comps, mids: mids,
		list: list, listVals: listVals, party: party}
	for _, v := range snapshot.EnumValues("cadres.role") {
		x.in(v)
	}
	for _, v := range snapshot.EnumValues("cadres.competence") {
		x.in(v)
	}
	for _, v := range snapshot.EnumValues("cadres.strong_fields") {
		x.in(v)
	}
	x.cadreRows = make([]int32, 0, n)
	for _, i := range order {
		id, _ := sval(cids, i)
		uid, _ := sval(cunits, i)
		x.in(uid)
		ci := len(x.cadreRows)
		x.cadreRows = append(x.cadreRows, int32(i))
		x.cadreByID[id] = ci
		if u, ok := x.unitByID[uid]; ok {
			x.cadresByUnit[u] = append(x.cadresByUnit[u], ci)
		}
	}

	// Models, sorted by id.
	n = mc.rows()
	mIDs, mUnits, types, mNames, statuses, fields, sgs := mc.str("model_id"), mc.str("unit_id"), mc.str("type"), mc.str("name"), mc.str("status"), mc.str("field"), mc.str("special_group")
	launched := mc.arr("launched_on")
	order = make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		va, _ := sval(mIDs, order[a])
		vb, _ := sval(mIDs, order[b])
		return va < vb
	})
	x.modelByID = make(map[string]int, n)
	x.modelsByUnit = make([][]int, len(x.units))
	base := make([]obj, n)
	for k, i := range order {
		var r modelRow
		r.id, _ = sval(mIDs, i)
		r.unitID, _ = sval(mUnits, i)
		r.typ, _ = sval(types, i)
		st, ok := sval(statuses, i)
		if !ok {
			st = "active"
		}
		r.active = st == "active"
		r.launchedOn, _ = dval(launched, i)
		r.unit = -1
		if u, ok := x.unitByID[r.unitID]; ok && x.currentOn(r.unitID, launched, i) {
			r.unit = u
			x.modelsByUnit[u] = append(x.modelsByUnit[u], k)
		}
		x.models = append(x.models, r)
		x.modelByID[r.id] = k
		var o obj
		o.s(kID, r.id, true)
		o.si(x, kUnitID, r.unitID, true)
		o.si(x, kType, r.typ, true)
		if name, ok := sval(mNames, i); ok {
			o.s(kName, name, true)
			x.modelNames[k] = name
		}
		o.so(kLaunchedOn)(dval(launched, i))
		o.si(x, kStatus, st, true)
		o.sio(x, kField)(sval(fields, i))
		o.sio(x, kSpecialGroup)(sval(sgs, i))
		base[k] = o
	}
	x.modelBase = base

	// Participants.
	n = pc.rows()
	pm, pids, kinds, proles, pairs, compsP := pc.str("model_id"), pc.str("participant_id"), pc.str("kind"), pc.str("role"), pc.str("pair"), pc.str("component")
	pend := &pendingModels{member: map[string]*ast.Term{}}
	for i := 0; i < n; i++ {
		mid, _ := sval(pm, i)
		m, ok := x.modelByID[mid]
		if !ok {
			continue
		}
		var r partRow
		r.model = m
		r.id, _ = sval(pids, i)
		r.kind, _ = sval(kinds, i)
		r.role, r.hasRole = sval(proles, i)
		r.pair, r.hasPair = sval(pairs, i)
		r.component, r.hasComponent = sval(compsP, i)
		if r.kind == "member" {
			pend.member[r.id] = nil
		}
		pend.rows = append(pend.rows, r)
	}
	x.pending = pend
	return pend
}

// buildMembers computes member statistics per unit straight from the
// columns (the dictionary of unit_id is mapped to unit indexes once), rolls
// them up the hierarchy, and collects the records of members who take part
// in a model.
func (x *index) buildMembers(c cols, pend *pendingModels) error {
	n := c.rows()
	own := make([]memberStats, len(x.units))
	asOf, err := time.Parse("2006-01-02", x.asOf)
	var from, to arrow.Date32
	haveAsOf := err == nil
	if haveAsOf {
		to = arrow.Date32FromTime(asOf)
		from = arrow.Date32FromTime(asOf.AddDate(-1, 0, 0))
	}
	unitCol := c.arr("unit_id")
	unitOf := func(i int) int { return -1 }
	if d, ok := unitCol.(*array.Dictionary); ok {
		dict := snapshot.Strings(d.Dictionary())
		m := make([]int, dict.Len())
		for j := range m {
			m[j] = -1
			if u, ok := x.unitByID[dict.Value(j)]; ok && !dict.IsNull(j) {
				m[j] = u
			}
		}
		unitOf = func(i int) int {
			if d.IsNull(i) {
				return -1
			}
			return m[d.GetValueIndex(i)]
		}
	} else if unitCol != nil {
		s := snapshot.Strings(unitCol)
		unitOf = func(i int) int {
			if s.IsNull(i) {
				return -1
			}
			if u, ok := x.unitByID[s.Value(i)]; ok {
				return u
			}
			return -1
		}
	}
	boolCol := func(name string) *array.Boolean {
		b, _ := c.arr(name).(*array.Boolean)
		return b
	}
	hon, party, pio, hard, needs := boolCol("honorary"), boolCol("party_member"), boolCol("pioneer"), boolCol("hardship"), boolCol("needs_recorded")
	isTrue := func(b *array.Boolean, i int) bool { return b != nil && b.IsValid(i) && b.Value(i) }
	joined, _ := c.arr("joined_on").(*array.Date32)
	// Special groups are counted densely: sgOf maps a row to a group
	// index in sgNames (or -1), counts[u*G+g] per unit.
	var sgNames []string
	sgPos := map[string]int{}
	name := func(v string) int {
		p, ok := sgPos[v]
		if !ok {
			p = len(sgNames)
			sgPos[v] = p
			sgNames = append(sgNames, v)
		}
		return p
	}
	sgOf := func(int) int { return -1 }
	switch sg := c.arr("special_group").(type) {
	case *array.Dictionary:
		dict := snapshot.Strings(sg.Dictionary())
		canon := make([]int, dict.Len())
		for j := range canon {
			canon[j] = name(strings.Clone(dict.Value(j))) // no reference into the members record
		}
		sgOf = func(i int) int {
			if sg.IsNull(i) {
				return -1
			}
			return canon[sg.GetValueIndex(i)]
		}
	case nil:
	default:
		s := snapshot.Strings(sg)
		sgOf = func(i int) int {
			if s.IsNull(i) {
				return -1
			}
			return name(strings.Clone(s.Value(i)))
		}
	}
	// A plain special_group column names its groups row by row (name is
	// not safe for concurrent use): those rows are mapped first. A
	// dictionary's groups are named above, and sgOf only reads.
	if _, dict := c.arr("special_group").(*array.Dictionary); !dict && c.arr("special_group") != nil {
		rowSG := make([]int32, n)
		for i := range rowSG {
			rowSG[i] = int32(sgOf(i))
		}
		sgOf = func(i int) int { return int(rowSG[i]) }
	}
	G := len(sgNames)
	// Each half of the rows is counted by its own goroutine into its own
	// arrays, summed afterwards; the members that models name are found in
	// a third goroutine meanwhile (findPendingMembers).
	count := func(lo, hi int, own []memberStats, counts []int) {
		for i := lo; i < hi; i++ {
			u := unitOf(i)
			if u < 0 {
				continue
			}
			s := &own[u]
			s.total++
			if isTrue(hon, i) {
				s.honorary++
			}
			if isTrue(party, i) {
				s.party++
			}
			if isTrue(pio, i) {
				s.pioneer++
			}
			if hard != nil && hard.IsValid(i) {
				s.hardshipRecorded++
				if hard.Value(i) {
					s.hardship++
				}
			}
			if isTrue(needs, i) {
				s.needsRecorded++
			}
			if haveAsOf && joined != nil && joined.IsValid(i) {
				if d := joined.Value(i); d > from && d <= to {
					s.joined12++
				}
			}
			if g := sgOf(i); g >= 0 {
				counts[u*G+g]++
			}
		}
	}
	counts := make([]int, len(x.units)*G)
	own2, counts2 := make([]memberStats, len(x.units)), make([]int, len(counts))
	var wg sync.WaitGroup
	wg.Go(func() { count(n/2, n, own2, counts2) })
	wg.Go(func() { x.findPendingMembers(c, unitCol, pend) })
	count(0, n/2, own, counts)
	wg.Wait()
	for u := range own {
		own[u].add(&own2[u])
	}
	for k, v := range counts2 {
		counts[k] += v
	}
	// Roll up: deepest units first.
	order := make([]int, len(x.units))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(x.path[order[a]]) > len(x.path[order[b]]) })
	x.stats = own
	for _, u := range order {
		if len(x.path[u]) == 0 {
			continue
		}
		p := x.path[u][len(x.path[u])-1]
		x.stats[p].add(&x.stats[u])
		for g := 0; g < G; g++ {
			counts[p*G+g] += counts[u*G+g]
		}
	}
	sgOrder := make([]int, G) // group indexes by name
	for g := range sgOrder {
		sgOrder[g] = g
	}
	sort.Slice(sgOrder, func(a, b int) bool { return sgNames[sgOrder[a]] < sgNames[sgOrder[b]] })
	sgTerms := make([]*ast.Term, G)
	for g, nm := range sgNames {
		sgTerms[g] = x.in(nm)
	}
	x.sgCounts, x.sgOrder, x.sgTerms = counts, sgOrder, sgTerms

	return nil
}

// findPendingMembers builds the term of every member that a model's
// participants name (pend.member's keys), from the members table.
func (x *index) findPendingMembers(c cols, unitCol arrow.Array, pend *pendingModels) {
	if n := c.rows(); len(pend.member) > 0 {
		mids := c.str("member_id")
		var units snapshot.StringArray
		if unitCol != nil {
			units = snapshot.Strings(unitCol)
		}
		for i := 0; i < n; i++ {
			id, _ := sval(mids, i)
			if _, want := pend.member[id]; !want {
				continue
			}
			// Clones: the index keeps no reference into the members
			// record, so the caller may release it once the index is built.
			id = strings.Clone(id)
			var o obj
			o.s(kID, id, true)
			uid, uok := sval(units, i)
			uid = strings.Clone(uid)
			o.so(kUnitID)(uid, uok)
			if u, ok := x.unitByID[uid]; ok && uok {
				if cm := x.communeOf(u); cm >= 0 {
					o = append(o, kCommuneID, x.in(x.units[cm].id))
				}
			}
			o.so(kJoinedOn)(dval(c.arr("joined_on"), i))
			o.bo(kHonorary)(bval(c.arr("honorary"), i))
			o.bo(kPartyMember)(bval(c.arr("party_member"), i))
			o.bo(kPioneer)(bval(c.arr("pioneer"), i))
			o.bo(kHardship)(bval(c.arr("hardship"), i))
			pend.member[id] = o.term()
		}
	}
}

// finishModels resolves participants and builds each model's term.
// statsTerm is the member statistics object of u (its whole subtree),
// built from the rolled-up counts on demand. Safe for concurrent use.
func (x *index) statsTerm(u int) *ast.Term {
	s := x.stats[u]
	vals := [...]int{s.total, s.honorary, s.party, s.pioneer, s.hardship, s.hardshipRecorded, s.needsRecorded, s.joined12}
	items := make([][2]*ast.Term, 0, len(vals)+1)
	for i, v := range vals {
		items = append(items, [2]*ast.Term{statsKeyTerms[i], ast.InternedTerm(v)})
	}
	G := len(x.sgTerms)
	var g [][2]*ast.Term
	for _, k := range x.sgOrder {
		if c := x.sgCounts[u*G+k]; c > 0 {
			g = append(g, [2]*ast.Term{x.sgTerms[k], ast.InternedTerm(c)})
		}
	}
	items = append(items, [2]*ast.Term{kByGroup, ast.NewTerm(ast.NewObject(g...))})
	return ast.NewTerm(ast.NewObject(items...))
}

func (x *index) finishModels() {
	pend := x.pending
	rows := pend.rows
	sort.SliceStable(rows, func(a, b int) bool {
		ra, rb := rows[a], rows[b]
		if ra.model != rb.model {
			return ra.model < rb.model
		}
		if ra.id != rb.id {
			return ra.id < rb.id
		}
		if ra.kind != rb.kind {
			return ra.kind < rb.kind
		}
		if ra.role != rb.role {
			return ra.role < rb.role
		}
		if ra.pair != rb.pair {
			return ra.pair < rb.pair
		}
		return ra.component < rb.component
	})
	// Terms are built per input (modelTerm): at national scale the resolved
	// participants of every model would hold hundreds of MB for the whole
	// evaluation.
	x.modelParts = make([][]partRow, len(x.models))
	for _, r := range rows {
		x.in(r.kind) // repeated text: interned now, read-only later
		x.in(r.role)
		x.in(r.pair)
		x.in(r.component)
		x.modelParts[r.model] = append(x.modelParts[r.model], r)
	}
	x.memberRec = pend.member
	x.pending = nil
}

// modelTerm builds the object of model m with its participants resolved.
// Safe for concurrent use once the index is built.
func (x *index) modelTerm(m int) *ast.Term {
	parts := make([]*ast.Term, 0, len(x.modelParts[m]))
	for _, r := range x.modelParts[m] {
		o := make(obj, 0, 12)
		o.s(kID, r.id, true)
		o = append(o, kKind, x.lookup(r.kind))
		if r.hasRole {
			o = append(o, kRole, x.lookup(r.role))
		}
		if r.hasPair {
			o = append(o, kPair, x.lookup(r.pair))
		}
		if r.hasComponent {
			o = append(o, kComponent, x.lookup(r.component))
		}
		switch r.kind {
		case "unit":
			if u, ok := x.unitByID[r.id]; ok {
				o.t(kUnit, x.unitWithRatings(u))
			}
		case "cadre":
			if c, ok := x.cadreByID[r.id]; ok {
				o.t(kCadre, x.cadreTerm(c))
			}
		case "member":
			o.t(kMember, x.memberRec[r.id])
		}
		parts = append(parts, o.term())
	}
	base := x.modelBase[m]
	o := make(obj, len(base), len(base)+2)
	copy(o, base)
	o = append(o, kParticipants, ast.ArrayTerm(parts...))
	return o.term()
}
