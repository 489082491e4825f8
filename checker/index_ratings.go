package checker

import (
	"sort"

	"github.com/apache/arrow/go/v15/arrow"
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
	years := c.arr("year")
	rc := ratingCols{ratings: c.str("rating"), years: years, scores: c.arr("score")}
	var fields [4]snapshot.StringArray // in the order of snapshot.Fields()
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
