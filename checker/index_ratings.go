package checker

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// buildRatings keeps, per unit, the rows of its ratings (oldest year first);
// ratingsTerm builds the ast array from the columns when an input needs it.
// Nothing but row numbers stays in memory between inputs: prebuilt terms
// for every rating of a national snapshot took gigabytes.
func (x *index) buildRatings(c cols) {
	n := c.rows()
	units := c.str("unit_id")
	unitOf := make([]int32, n)
	x.unitIndexes(c.arr("unit_id"))(0, unitOf)
	years := c.arr("year")
	rc := ratingCols{ratings: c.str("rating"), years: years, scores: c.arr("score")}
	// The fields' values by their numbers (textCodes), in the order of
	// snapshot.Fields().
	var fieldOf [4][]int32
	var fieldVals [4][]string
	for i, f := range snapshot.Fields() {
		fieldOf[i], fieldVals[i] = textCodes(c.arr(f), n)
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
	fieldsOf := map[[4]int32]int32{}
	x.ratingFields = make([]int32, n)
	for i := 0; i < n; i++ {
		u := int(unitOf[i])
		if x.versions != nil {
			if uid, _ := sval(units, i); x.versions.Has(uid) {
				y, _ := ival(years, i)
				ver, _, found := x.versions.InYear(uid, int(y))
				switch {
				case !found:
					continue
				case ver != snapshot.Current:
					x.histRatings[ver] = append(x.histRatings[ver], int32(i))
					u = -1
				}
			}
		}
		if u >= 0 {
			x.ratingRows[u] = append(x.ratingRows[u], int32(i))
		}
		var k [4]int32
		for j := range k {
			k[j] = fieldOf[j][i]
		}
		f, ok := fieldsOf[k]
		if !ok {
			o := make(obj, 0, 8)
			for j, name := range snapshot.Fields() {
				if k[j] >= 0 {
					o = append(o, x.in(name), x.in(fieldVals[j][k[j]]))
				}
			}
			f = int32(len(x.fieldTerms))
			x.fieldTerms = append(x.fieldTerms, o.term())
			fieldsOf[k] = f
		}
		x.ratingFields[i] = f
	}
	ratingCodes, _ := textCodes(c.arr("rating"), n)
	x.shareRatings(rc, ratingCodes)
	for _, rows := range append(x.ratingRows, x.histRatings...) {
		sort.SliceStable(rows, func(a, b int) bool {
			ya, _ := ival(years, int(rows[a]))
			yb, _ := ival(years, int(rows[b]))
			return ya < yb
		})
	}
}

// maxSharedRatings bounds the distinct rating records shareRatings builds
// up front. Exports round scores (one decimal), so a national snapshot's
// 1.2 M ratings are a few thousand distinct records; an export of scores
// so fine that nearly every row differs would keep a term per row for the
// whole run (the gigabytes buildRatings avoids), so past this bound the
// records are built per input instead.
var maxSharedRatings = 1 << 17 // a variable for the tests

// ratingKey is what a rating record is made of: equal keys, equal records.
type ratingKey struct {
	year           int64
	rating, fields int32
	score          uint64 // math.Float64bits
	has            uint8  // bit 0: year, bit 1: score
}

// shareRatings numbers the distinct rating records (year, rating, score,
// fields) and builds each once: ratingsOf then shares them between rows,
// as activities are shared (buildActivities), instead of building an
// object per rating per input. Past maxSharedRatings distinct records it
// leaves ratingRec nil and ratingsOf builds each record from the columns.
// codes numbers each row's rating (textCodes).
func (x *index) shareRatings(c ratingCols, codes []int32) {
	n := len(codes)
	recOf := make(map[ratingKey]int32)
	rec := make([]int32, n)
	var first []int32 // per record, a row that has it
	for i := 0; i < n; i++ {
		k := ratingKey{rating: codes[i], fields: x.ratingFields[i]}
		if y, ok := ival(c.years, i); ok {
			k.year, k.has = y, 1
		}
		if sc, ok := fval(c.scores, i); ok {
			k.score, k.has = math.Float64bits(sc), k.has|2
		}
		r, ok := recOf[k]
		if !ok {
			if len(first) == maxSharedRatings {
				return
			}
			r = int32(len(first))
			recOf[k] = r
			first = append(first, int32(i))
		}
		rec[i] = r
	}
	// The rating's text copied: the terms outlive the ratings record, which
	// run releases after Prepare (Index.Unread).
	inCopy := func(s string) *ast.Term { return x.in(strings.Clone(s)) }
	terms := make([]*ast.Term, len(first))
	for r, i := range first {
		terms[r] = x.ratingRecord(int(i), inCopy) // x.lookup's map is being written: buildIndex runs builders side by side
	}
	x.ratingRec, x.ratingTerms = rec, terms
	x.ratingCols = ratingCols{} // read no more: the ratings record may go (Index.Unread)
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
	ts := make([]*ast.Term, len(rows))
	for k, r := range rows {
		if x.ratingRec != nil {
			ts[k] = x.ratingTerms[x.ratingRec[r]]
		} else {
			ts[k] = x.ratingRecord(int(r), x.lookup)
		}
	}
	return ast.ArrayTerm(ts...)
}

// ratingRecord is the object of the rating at row i of the ratings table,
// its rating's text interned by in.
func (x *index) ratingRecord(i int, in func(string) *ast.Term) *ast.Term {
	c := &x.ratingCols
	year, _ := ival(c.years, i)
	o := make(obj, 0, 8)
	o = append(o, kYear, ast.InternedTerm(int(year)))
	if v, ok := sval(c.ratings, i); ok {
		o = append(o, kRating, in(v))
	}
	if sc, ok := fval(c.scores, i); ok {
		o = append(o, kScore, ast.FloatNumberTerm(sc))
	}
	o = append(o, kFields, x.fieldTerms[x.ratingFields[i]])
	return o.term()
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
// the units keep indexes into actTerms. The rows are read through the
// numbers of their dictionaries (unit, month, kind), not their text: at
// national scale 1.7 million rows.
func (x *index) buildActivities(c cols) {
	n := c.rows()
	units, monthCol := c.str("unit_id"), c.str("month")
	unitOf := make([]int32, n)
	x.unitIndexes(c.arr("unit_id"))(0, unitOf)
	monthOf, months := textCodes(c.arr("month"), n)
	kindOf, kinds := textCodes(c.arr("kind"), n)
	att := c.arr("attendees")
	type actKey struct {
		month, kind int32 // -1: null
		attendees   int64
		hasAtts     bool
	}
	recOf := map[actKey]int32{}
	var keys []actKey
	x.activityRows = make([][]int32, len(x.units))
	for i := 0; i < n; i++ {
		u := int(unitOf[i])
		var hist []int32 // the history version's list, when the row is one's
		var ver int
		if x.versions != nil {
			if uid, _ := sval(units, i); x.versions.Has(uid) {
				m, _ := sval(monthCol, i)
				d, _ := snapshot.MonthEnd(m)
				v, _, found := x.versions.At(uid, d)
				switch {
				case !found:
					continue
				case v != snapshot.Current:
					ver, hist, u = v, x.histActs[v], -2
				}
			}
		}
		if u == -1 {
			continue
		}
		key := actKey{month: monthOf[i], kind: kindOf[i]}
		key.attendees, key.hasAtts = ival(att, i)
		r, ok := recOf[key]
		if !ok {
			r = int32(len(keys))
			keys = append(keys, key)
			recOf[key] = r
		}
		if u == -2 {
			x.histActs[ver] = append(hist, r)
		} else {
			x.activityRows[u] = append(x.activityRows[u], r)
		}
	}
	text := func(vals []string, code int32) (string, bool) {
		if code < 0 {
			return "", false
		}
		return vals[code], true
	}
	// The records, and their order: month, kind, attendees (a null text as
	// "", a null count as -1); records that compare equal share a rank,
	// so that a unit's list keeps their order in the table.
	x.actTerms = make([]*ast.Term, len(keys))
	byOrder := make([]int32, len(keys))
	for r, key := range keys {
		byOrder[r] = int32(r)
		o := make(obj, 0, 6)
		if m, ok := text(months, key.month); ok {
			o = append(o, kMonth, x.in(m))
		}
		if k, ok := text(kinds, key.kind); ok {
			o = append(o, kKind, x.in(k))
		}
		if key.hasAtts {
			o = append(o, kAttendees, ast.InternedTerm(int(key.attendees)))
		}
		x.actTerms[r] = o.term()
	}
	compare := func(a, b actKey) int {
		ma, _ := text(months, a.month)
		mb, _ := text(months, b.month)
		ka, _ := text(kinds, a.kind)
		kb, _ := text(kinds, b.kind)
		aa, ab := a.attendees, b.attendees
		if !a.hasAtts {
			aa = -1
		}
		if !b.hasAtts {
			ab = -1
		}
		return cmp.Or(strings.Compare(ma, mb), strings.Compare(ka, kb), cmp.Compare(aa, ab))
	}
	slices.SortFunc(byOrder, func(a, b int32) int { return compare(keys[a], keys[b]) })
	rank := make([]int32, len(keys))
	for k, r := range byOrder {
		if k > 0 && compare(keys[byOrder[k-1]], keys[r]) == 0 {
			rank[r] = rank[byOrder[k-1]]
		} else {
			rank[r] = int32(k)
		}
	}
	for _, rows := range append(x.activityRows, x.histActs...) {
		slices.SortStableFunc(rows, func(a, b int32) int { return cmp.Compare(rank[a], rank[b]) })
	}
}

// textCodes numbers the rows of the text column a (n rows): codes[i] is
// the number of row i's value in values, -1 when null. A dictionary's own
// numbering is used (values may hold values no row has); a plain column is
// numbered in the order its values are met.
func textCodes(a arrow.Array, n int) (codes []int32, values []string) {
	codes = make([]int32, n)
	switch a := a.(type) {
	case *array.Dictionary:
		dict := snapshot.Strings(a.Dictionary())
		values = make([]string, dict.Len())
		same := make([]int32, dict.Len())
		for j := range values {
			// Copies: the values outlive the record when it is released
			// after Prepare (Index.Unread); a dictionary holds few.
			values[j], same[j] = strings.Clone(dict.Value(j)), int32(j)
		}
		dictRows(a, same)(0, codes)
	case nil:
		for i := range codes {
			codes[i] = -1
		}
	default:
		s := snapshot.Strings(a)
		pos := map[string]int32{}
		for i := range codes {
			codes[i] = -1
			if s.IsNull(i) {
				continue
			}
			v := s.Value(i)
			p, ok := pos[v]
			if !ok {
				v = strings.Clone(v)
				p = int32(len(values))
				pos[v] = p
				values = append(values, v)
			}
			codes[i] = p
		}
	}
	return codes, values
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
