package checker

import (
	"fmt"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/hierarchy"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// index holds everything an Evaluate needs, computed once from the Arrow
// columns: the hierarchy, per-unit lists and the prebuilt ast terms that
// every subject's input shares.
type index struct {
	asOf string

	units    []unitRow
	tree     *hierarchy.Tree // the units' hierarchy (node i is units[i])
	unitByID map[string]int  // tree.Indexes()

	models       []modelRow // sorted by id
	modelByID    map[string]int
	modelBase    []obj                 // per model: its fields without participants (modelTerm adds them)
	modelParts   [][]partRow           // per model: its participants, sorted
	memberRec    map[string]*memberRow // participants' members, by id (nil: not found)
	modelsByUnit byUnit                // model indexes, ascending (= by id)

	cadreRows    []int32 // cadre index (id order) -> row of the cadres table; cadreTerm builds the record
	cadreCols    cadreCols
	cadresByUnit byUnit // cadre indexes, ascending (= by id)

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
	ratingRec    []int32       // per row of the ratings table: its record in ratingTerms (nil: not shared, shareRatings)
	ratingTerms  []*ast.Term   // the distinct rating records
	activityRows [][]int32     // per unit: its activities, indexes into actTerms, sorted
	actTerms     []*ast.Term   // the distinct activity records {month, kind, attendees}
	stats        []memberStats // per unit, its subtree counted
	// memberRows is the members record's rows (membersIndexed: counted by
	// buildMembers), for the inventory once the record is released.
	memberRows     int
	membersIndexed bool
	sgCounts       []int32 // unit*len(sgTerms)+group: members of the subtree in the special group
	sgOrder        []int   // special group indexes by name
	sgTerms        []*ast.Term

	snapshotTerm *ast.Term

	modelNames     map[int]string
	excludedUnits  []snapshot.ExcludedUnit
	excludedModels []snapshot.ExcludedModel

	interned map[string]*ast.Term // terms of repeated text (enums, kinds, months)
	internMu sync.Mutex
	// unitIDs is, per unit, the interned term of its id (nil for a unit
	// without children, which no other record names): records and the
	// keys of ratings, activities and members take it by index rather
	// than through the interned map. enumTerms are the interned levels and
	// kinds of the units, enumTerms[0] nil (unitRow.levelT, kindT).
	unitIDs   []*ast.Term
	enumTerms []*ast.Term

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
	// levelT and kindT index the interned terms of level and kind in
	// index.enumTerms (0: look the text up): a byte each in what was the
	// row's padding, instead of a map lookup per record built.
	levelT, kindT uint8
}

func buildIndex(snap *snapshot.Snapshot) (*index, error) {
	return buildIndexWith(snap, prepareConfig{})
}

// buildIndexWith is buildIndex with Prepare's options.
func buildIndexWith(snap *snapshot.Snapshot, cfg prepareConfig) (*index, error) {
	x := &index{asOf: snap.Manifest.AsOf, excludedUnits: snap.ExcludedUnits, excludedModels: snap.ExcludedModels,
		modelNames: map[int]string{}, versions: snap.Versions}
	if x.versions != nil {
		x.histRatings = make([][]int32, len(x.versions.History))
		x.histActs = make([][]int32, len(x.versions.History))
	}
	if err := x.buildUnits(table(snap, snapshot.Units)); err != nil {
		return nil, err
	}
	// Ratings and activities, and the members, are indexed while models
	// and participants are (each touches fields of its own; interning is
	// locked). The members are counted, and the records of those the
	// participants name copied, beside the models, not after them: that
	// takes them off the longest path (at national scale about 0.8 of the
	// index's 3.9 CPU-s), and lets their record go (ReleaseRead) before
	// the models' part of the index is built.
	rel := newReleaser(snap, cfg)
	var wg sync.WaitGroup
	wg.Go(func() {
		x.buildRatings(table(snap, snapshot.Ratings))
		if x.unread(snapshot.Ratings) {
			rel.done(snapshot.Ratings)
		}
		x.buildActivities(table(snap, snapshot.Activities))
		rel.done(snapshot.Activities)
	})
	named := participantMembers(table(snap, snapshot.Participants))
	wg.Go(func() {
		x.buildMembers(table(snap, snapshot.Members), named)
		rel.done(snapshot.Members)
	})
	pend := x.buildModelsAndParticipants(table(snap, snapshot.Models), table(snap, snapshot.Participants), table(snap, snapshot.Cadres))
	wg.Wait()
	for id := range pend.member {
		pend.member[id] = named[id]
	}
	rel.replace()
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
	tree, err := hierarchy.FromRecord(c.rec)
	if err != nil {
		return fmt.Errorf("index units: %w", err)
	}
	x.tree, x.unitByID = tree, tree.Indexes()
	n := tree.Len()
	ids, parents, levels, names, kinds := c.str("unit_id"), c.str("parent_id"), c.str("level"), c.str("name"), c.str("kind")
	active := c.arr("active")
	x.units = make([]unitRow, n)
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
		x.units[i] = u
	}
	// own[i] is the unit's own active flag; x.units[i].active becomes "active
	// all the way up" (domain.md, How the guidance is read 3): the unit and
	// every ancestor active. Subjects, input records (lib.active_unit_ids),
	// model subjects and the inventory all read it from here.
	enums := enumIntern{x: x}
	x.unitIDs = make([]*ast.Term, n)
	own := make([]bool, n)
	for i, u := range x.units {
		own[i] = u.active
	}
	for i, u := range x.units {
		for _, a := range tree.Ancestors(i) {
			if !own[a] {
				x.units[i].active = false
				break
			}
		}
		// The texts unitTerm shares, interned now, read-only afterwards:
		// each level and kind (a handful of values, through a local map
		// rather than the locked one at every unit), the id of each
		// commune and of each unit with children (commune_id and
		// parent_id repeat them), and a parent id that names no unit.
		x.units[i].levelT = enums.index(string(u.level))
		if u.hasKind {
			x.units[i].kindT = enums.index(u.kind)
		}
		if len(tree.Children(i)) > 0 || x.communeOf(i) == i {
			x.unitIDs[i] = x.in(u.id)
		}
		if _, known := x.unitByID[u.parent]; u.hasParent && !known {
			x.in(u.parent)
		}
	}
	return nil
}

// enumIntern interns the texts of few values (levels, kinds) into
// x.enumTerms, through a local map so that a loop over hundreds of
// thousands of rows takes x's lock once per value.
type enumIntern struct {
	x    *index
	seen map[string]uint8
}

// index is s's index in x.enumTerms, 0 past 255 values (s is interned
// then, and read through x.lookup).
func (e *enumIntern) index(s string) uint8 {
	if i, ok := e.seen[s]; ok {
		return i
	}
	if e.seen == nil {
		e.seen = map[string]uint8{}
		e.x.enumTerms = []*ast.Term{nil}
	}
	t := e.x.in(s)
	var i uint8
	if len(e.x.enumTerms) <= 255 {
		i = uint8(len(e.x.enumTerms))
		e.x.enumTerms = append(e.x.enumTerms, t)
	}
	e.seen[s] = i
	return i
}

// enumTerm is enumTerms[i], or the term of s when i is 0.
func (x *index) enumTerm(i uint8, s string) *ast.Term {
	if i != 0 {
		return x.enumTerms[i]
	}
	return x.lookup(s)
}

// idTerm is the term of unit u's id: the interned one when there is one.
func (x *index) idTerm(u int) *ast.Term {
	if t := x.unitIDs[u]; t != nil {
		return t
	}
	return ast.StringTerm(x.units[u].id)
}

// unitTerm builds the record of unit u (input.subject, input.units[_],
// input.unit). It is built per input, not kept in the index: a national
// snapshot's unit records took half a gigabyte of live heap. Safe for
// concurrent use once the index is built.
//
// The interned texts come by index (idTerm, enumTerm: the parent of a unit
// in the tree has children, its id is interned), and the items pass
// through an array on the stack: this runs for every unit of a run.
func (x *index) unitTerm(u int) *ast.Term {
	r := &x.units[u]
	// The record's term, its name's and its id's (when not interned) are
	// one allocation: they live and die together.
	id := x.unitIDs[u]
	n := 2
	if id == nil {
		n = 3
	}
	terms := make([]ast.Term, n)
	if id == nil {
		terms[2].Value = ast.String(r.id)
		id = &terms[2]
	}
	terms[1].Value = ast.String(r.name)
	var buf [8][2]*ast.Term
	items := append(buf[:0], [2]*ast.Term{kID, id}, [2]*ast.Term{kLevel, x.enumTerm(r.levelT, string(r.level))},
		[2]*ast.Term{kName, &terms[1]})
	if c := x.communeOf(u); c >= 0 {
		items = append(items, [2]*ast.Term{kCommuneID, x.idTerm(c)})
	}
	if r.hasKind {
		items = append(items, [2]*ast.Term{kKind, x.enumTerm(r.kindT, r.kind)})
	}
	items = append(items, [2]*ast.Term{kActive, ast.InternedTerm(r.active)})
	if r.hasParent {
		// The parent's interned id by index; the text looked up only for
		// a parent id that names no unit.
		var t *ast.Term
		if p := x.tree.Parent(u); p >= 0 {
			t = x.idTerm(p)
		} else {
			t = x.lookup(r.parent)
		}
		items = append(items, [2]*ast.Term{kParentID, t})
	}
	if h := x.historyTerms[u]; h != nil {
		items = append(items, [2]*ast.Term{kHistory, h})
	}
	terms[0].Value = ast.NewObject(items...)
	return &terms[0]
}

// communeOf is the commune unit u is or sits in, -1 when none (above
// communes, or a broken parent chain).
func (x *index) communeOf(u int) int { return x.tree.Commune(u) }

// releaser lets go of the records the index has read for the last time
// (Prepare's ReleaseRead).
type releaser struct {
	on    bool
	recs  map[snapshot.Table]arrow.Record // read before the builders start
	snap  *snapshot.Snapshot
	after func(snapshot.Table)
	mu    sync.Mutex
	gone  []snapshot.Table
}

func newReleaser(snap *snapshot.Snapshot, cfg prepareConfig) *releaser {
	r := &releaser{on: cfg.release, snap: snap, after: cfg.after, recs: map[snapshot.Table]arrow.Record{}}
	if r.on {
		for _, t := range readOnce {
			if rec := snap.Records[t]; rec != nil {
				r.recs[t] = rec
			}
		}
	}
	return r
}

// done releases table t's record: the index has read it for the last
// time. Safe for concurrent use.
func (r *releaser) done(t snapshot.Table) {
	rec := r.recs[t]
	if !r.on || rec == nil {
		return
	}
	rec.Release()
	r.mu.Lock()
	r.gone = append(r.gone, t)
	r.mu.Unlock()
	if r.after != nil {
		r.after(t)
	}
}

// replace puts empty records of their schema in place of the released
// ones, once no builder reads snap.Records any more.
func (r *releaser) replace() {
	for _, t := range r.gone {
		r.snap.Records[t] = snapshot.EmptyRecord(t)
	}
}
