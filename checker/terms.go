package checker

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

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

// term builds the object of o's items. The items pass through an array on
// the stack (ast.NewObject copies them, it keeps only the terms), not a
// slice allocated per object: records have at most a dozen items.
func (o obj) term() *ast.Term {
	var buf [16][2]*ast.Term
	items := buf[:0]
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

// lookup is in without the write: the interned term when there is one, a
// new term otherwise. Safe for concurrent use once the index is built.
func (x *index) lookup(s string) *ast.Term {
	if t, ok := x.interned[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}
