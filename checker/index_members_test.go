package checker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// TestMemberCountsEqualRowByRow holds the chunked, run-by-run counting of
// memberCounter.count to a plain row-by-row count through the arrays'
// accessors, on random members with nulls in every column: unit_id and
// special_group as dictionaries (as loaded) and as plain strings, a unit's
// members together and scattered, the whole record and a slice of it (an
// offset into every buffer), over several chunks.
func TestMemberCountsEqualRowByRow(t *testing.T) {
	alloc := checkedAlloc(t)
	s := newSnap(alloc, "m", "2024-09-30")
	s.unit("tinh", nil, "province", "Tỉnh", "tỉnh", true)
	s.unit("xa", "tinh", "commune", "Xã", "xã", true)
	var ids []string
	for b := 0; b < 30; b++ {
		id := fmt.Sprintf("xa-c%02d", b)
		s.unit(id, "xa", "branch", "Thôn "+id, "thôn", true)
		ids = append(ids, id)
	}
	snap := s.build()
	defer snap.Release()
	x, err := buildIndex(snap)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3*countChunk + 123
	for _, dict := range []bool{true, false} {
		for _, order := range []string{"grouped", "scattered"} {
			rec := randomMembers(alloc, rand.New(rand.NewPCG(5, 6)), n, append(ids, "unknown-unit"), order == "grouped", dict)
			for _, part := range []struct {
				name     string
				off, len int64
			}{{"whole", 0, n}, {"slice", 1001, n - 2000}} {
				t.Run(fmt.Sprintf("dict=%v/%s/%s", dict, order, part.name), func(t *testing.T) {
					r := rec.NewSlice(part.off, part.off+part.len)
					defer r.Release()
					c := cols{r}
					mc := x.memberCounter(c, c.arr("unit_id"))
					groups, names := specialGroups(c.arr("special_group"), int(r.NumRows()))
					mc.groups, mc.G = groups, len(names)
					own, counts := make([]memberStats, len(x.units)), make([]int32, len(x.units)*mc.G)
					mc.count(0, int(r.NumRows()), own, counts)
					byName := map[string]map[string]int{}
					for u := range x.units {
						for g, nm := range names {
							if k := counts[u*mc.G+g]; k > 0 {
								if byName[x.units[u].id] == nil {
									byName[x.units[u].id] = map[string]int{}
								}
								byName[x.units[u].id][nm] = int(k)
							}
						}
					}
					wantOwn, wantGroups := countRows(x, r)
					if d := cmp.Diff(wantOwn, own); d != "" {
						t.Errorf("statistics (-row by row +counted):\n%s", d)
					}
					if d := cmp.Diff(wantGroups, byName); d != "" {
						t.Errorf("special groups (-row by row +counted):\n%s", d)
					}
					// countMembers counts the two halves of the table in
					// goroutines of their own, beside findPendingMembers (a slice's null counts are
					// not known yet: reading them must not write them);
					// a branch's rolled-up statistics are its own.
					fresh := rec.NewSlice(part.off, part.off+part.len)
					defer fresh.Release()
					x.buildMembers(cols{fresh}, map[string]*memberRow{"hv0000007": nil})
					for _, id := range ids {
						if u := x.unitByID[id]; x.stats[u] != wantOwn[u] {
							t.Errorf("%s: buildMembers %v, row by row %v", id, x.stats[u], wantOwn[u])
						}
					}
				})
			}
			rec.Release()
		}
	}
}

// countRows is the reference count of the members record r: one row at a
// time through the arrays' accessors.
func countRows(x *index, r arrow.Record) ([]memberStats, map[string]map[string]int) {
	c := cols{r}
	units, sg := c.str("unit_id"), c.str("special_group")
	boolAt := func(name string, i int) (v, ok bool) { return bval(c.arr(name), i) }
	joined := c.arr("joined_on").(*array.Date32)
	to := arrow.Date32FromTime(mustDate("2024-09-30"))
	from := arrow.Date32FromTime(mustDate("2023-09-30"))
	own := make([]memberStats, len(x.units))
	groups := map[string]map[string]int{}
	for i := 0; i < int(r.NumRows()); i++ {
		id, ok := sval(units, i)
		u, known := x.unitByID[id]
		if !ok || !known {
			continue
		}
		s := &own[u]
		s[statTotal]++
		for name, f := range map[string]int{"honorary": statHonorary, "party_member": statParty, "pioneer": statPioneer, "needs_recorded": statNeedsRecorded} {
			if v, ok := boolAt(name, i); ok && v {
				s[f]++
			}
		}
		if v, ok := boolAt("hardship", i); ok {
			s[statHardshipRecorded]++
			if v {
				s[statHardship]++
			}
		}
		if joined.IsValid(i) && joined.Value(i) > from && joined.Value(i) <= to {
			s[statJoined12]++
		}
		if g, ok := sval(sg, i); ok {
			if groups[id] == nil {
				groups[id] = map[string]int{}
			}
			groups[id][g]++
		}
	}
	return own, groups
}

// randomMembers is a members record of n rows with nulls in every column:
// unit_id and special_group dictionary-encoded (as the loaders make them)
// or plain strings; grouped keeps each unit's rows together.
func randomMembers(alloc memory.Allocator, rng *rand.Rand, n int, units []string, grouped, dict bool) arrow.Record {
	str := func(name string) arrow.Field {
		if dict {
			return arrow.Field{Name: name, Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true}
		}
		return arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	boolNames := []string{"honorary", "party_member", "pioneer", "hardship", "needs_recorded"}
	fields := []arrow.Field{{Name: "member_id", Type: arrow.BinaryTypes.String}, str("unit_id"),
		{Name: "joined_on", Type: arrow.FixedWidthTypes.Date32, Nullable: true}}
	for _, b := range boolNames {
		fields = append(fields, arrow.Field{Name: b, Type: arrow.FixedWidthTypes.Boolean, Nullable: true})
	}
	fields = append(fields, str("special_group"))
	rb := array.NewRecordBuilder(alloc, arrow.NewSchema(fields, nil))
	defer rb.Release()
	appendStr := func(b array.Builder, v string, null bool) {
		switch b := b.(type) {
		case *array.BinaryDictionaryBuilder:
			if null {
				b.AppendNull()
			} else if err := b.AppendString(v); err != nil {
				panic(err)
			}
		case *array.StringBuilder:
			if null {
				b.AppendNull()
			} else {
				b.Append(v)
			}
		}
	}
	asOf := mustDate("2024-09-30")
	sgs := []string{"worker", "religious", "migrant"}
	for i := 0; i < n; i++ {
		rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("hv%07d", i))
		u := units[rng.IntN(len(units))]
		if grouped {
			u = units[(i/37)%len(units)]
		}
		appendStr(rb.Field(1), u, rng.IntN(20) == 0)
		jb := rb.Field(2).(*array.Date32Builder)
		if rng.IntN(10) == 0 {
			jb.AppendNull()
		} else {
			jb.Append(arrow.Date32FromTime(asOf.AddDate(0, 0, 30-rng.IntN(800))))
		}
		for k := range boolNames {
			bb := rb.Field(3 + k).(*array.BooleanBuilder)
			if rng.IntN(4) == 0 {
				bb.AppendNull()
			} else {
				bb.Append(rng.IntN(3) == 0)
			}
		}
		appendStr(rb.Field(3+len(boolNames)), sgs[rng.IntN(len(sgs))], rng.IntN(2) == 0)
	}
	return rb.NewRecord()
}

// TestIDFilter: every id put in the filter may be there, and most others
// surely are not.
func TestIDFilter(t *testing.T) {
	in := map[string]bool{}
	for i := 0; i < 5000; i++ {
		in[fmt.Sprintf("hv%07d", i*7)] = true
	}
	f := newIDFilter(in)
	false_ := 0
	for i := 0; i < 100000; i++ {
		id := fmt.Sprintf("hv%07d", i)
		switch {
		case in[id] && !f.mayHave(id):
			t.Fatalf("%s is in the set, the filter says it is not", id)
		case !in[id] && f.mayHave(id):
			false_++
		}
	}
	// Two bits in a table of 2^17 for 5,000 ids: about 0.6% false.
	if false_ > 2000 {
		t.Errorf("%d of 95,000 ids not in the set pass the filter", false_)
	}
	if f := newIDFilter(map[string]bool{}); f.mayHave("hv0000001") {
		t.Error("an empty filter passes an id")
	}
}

func mustDate(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestActivitiesAndRatingsRead: activities are sorted by month, kind and
// attendees (a null text as "", a null count as -1; rows that compare
// equal keep their order), ratings oldest first with their fields, a unit's
// cadres by id (one at an unknown unit, one without); the same from
// dictionary columns (as loaded) and from plain strings.
func TestActivitiesAndRatingsRead(t *testing.T) {
	alloc := checkedAlloc(t)
	s := provinceCommuneBranch(alloc)
	s.activity("ch", "2024-03", "meeting", 5).
		activity("ch", "2024-01", "meeting", nil).
		activity("xa", "2024-02", "training", 9).
		activity("ch", "2024-01", nil, 7).
		activity("ch", "2024-01", "meeting", 3).
		activity("nowhere", "2024-01", "meeting", 3).
		activity("ch", "2024-01", "", 7).
		activity("ch", "2024-03", "meeting", 5)
	s.rating("ch", 2023, "good", 80.5, "strong", nil, "not_strong", nil).
		rating("ch", 2021, "fair", nil, nil, nil, nil, nil).
		rating("xa", 2022, "excellent", 99.0, "strong", "strong", "strong", "strong").
		rating("ch", 2022, "weak", nil, "strong", nil, "not_strong", nil)
	s.cadre("cb-2", "ch", "branch_deputy", nil, nil, nil, nil).
		cadre("cb-1", "ch", "branch_head", "good", []string{"economy"}, "hv-1", true).
		cadre("cb-3", "nowhere", "branch_head", nil, nil, nil, nil).
		cadre("cb-4", nil, "group_head", nil, nil, nil, nil)
	snap := s.build()
	defer snap.Release()
	want := map[string]string{
		"ch acts":    `[{"attendees": 7, "month": "2024-01"}, {"attendees": 7, "kind": "", "month": "2024-01"}, {"month": "2024-01", "kind": "meeting"}, {"attendees": 3, "kind": "meeting", "month": "2024-01"}, {"attendees": 5, "kind": "meeting", "month": "2024-03"}, {"attendees": 5, "kind": "meeting", "month": "2024-03"}]`,
		"xa acts":    `[{"attendees": 9, "kind": "training", "month": "2024-02"}]`,
		"ch ratings": `[{"fields": {}, "rating": "fair", "year": 2021}, {"fields": {"economy": "not_strong", "propaganda": "strong"}, "rating": "weak", "year": 2022}, {"fields": {"economy": "not_strong", "propaganda": "strong"}, "rating": "good", "score": 80.5, "year": 2023}]`,
		"ch cadres":  `[{"commune_id": "xa", "competence": "good", "id": "cb-1", "member_id": "hv-1", "party_member": true, "role": "branch_head", "strong_fields": ["economy"], "unit_id": "ch"}, {"commune_id": "xa", "id": "cb-2", "role": "branch_deputy", "unit_id": "ch"}]`,
		"xa cadres":  `[]`,
		"xa ratings": `[{"fields": {"economy": "strong", "family": "strong", "membership": "strong", "propaganda": "strong"}, "rating": "excellent", "score": 99.0, "year": 2022}]`,
	}
	eachIndex(t, alloc, snap, func(t *testing.T, _ *snapshot.Snapshot, x *index) {
		for _, id := range []string{"ch", "xa"} {
			u := x.unitByID[id]
			var cadres []*ast.Term
			for _, ci := range x.cadresByUnit.of(u) {
				cadres = append(cadres, x.cadreTerm(ci))
			}
			for what, term := range map[string]*ast.Term{"acts": x.activitiesTerm(u), "ratings": x.ratingsTerm(u), "cadres": ast.ArrayTerm(cadres...)} {
				w := ast.MustParseTerm(want[id+" "+what])
				if term == nil || !term.Equal(w) {
					t.Errorf("%s %s:\n got %v\nwant %v", id, what, term, w)
				}
			}
		}
	})
}

// plainText is snap with every dictionary column of every table turned
// into plain strings.
func plainText(alloc memory.Allocator, snap *snapshot.Snapshot) *snapshot.Snapshot {
	out := *snap
	out.Records = map[snapshot.Table]arrow.Record{}
	for t, rec := range snap.Records {
		fields := rec.Schema().Fields()
		cols := make([]arrow.Array, len(fields))
		for i := range fields {
			d, ok := rec.Column(i).(*array.Dictionary)
			if !ok {
				cols[i] = rec.Column(i)
				cols[i].Retain()
				continue
			}
			fields[i].Type = arrow.BinaryTypes.String
			b := array.NewStringBuilder(alloc)
			vals := snapshot.Strings(d.Dictionary())
			for j := 0; j < d.Len(); j++ {
				if d.IsNull(j) {
					b.AppendNull()
				} else {
					b.Append(vals.Value(d.GetValueIndex(j)))
				}
			}
			cols[i] = b.NewArray()
			b.Release()
		}
		out.Records[t] = array.NewRecord(arrow.NewSchema(fields, nil), cols, rec.NumRows())
		for _, c := range cols {
			c.Release()
		}
	}
	return &out
}

// TestRatingsShared holds the shared rating records (shareRatings) to the
// records built row by row: rows that differ in one part only (score,
// score present or not, year, rating, a field) stay apart, equal rows share
// one record, and past maxSharedRatings nothing is shared.
func TestRatingsShared(t *testing.T) {
	alloc := checkedAlloc(t)
	s := provinceCommuneBranch(alloc)
	s.unit("ch2", "xa", "branch", "Thôn 2", "thôn", true)
	for _, u := range []string{"ch", "ch2", "xa"} {
		s.rating(u, 2023, "good", 80.5, "strong", nil, nil, nil).
			rating(u, 2023, "good", 80.4, "strong", nil, nil, nil).
			rating(u, 2023, "good", nil, "strong", nil, nil, nil).
			rating(u, 2023, "good", 0.0, "strong", nil, nil, nil).
			rating(u, 2022, "good", 80.5, "strong", nil, nil, nil).
			rating(u, 2023, "fair", 80.5, "strong", nil, nil, nil).
			rating(u, 2023, "good", 80.5, "not_strong", nil, nil, nil).
			rating(u, 2023, "good", 80.5, nil, "strong", nil, nil)
	}
	snap := s.build()
	defer snap.Release()
	eachIndex(t, alloc, snap, func(t *testing.T, src *snapshot.Snapshot, x *index) {
		distinct := map[string]bool{}
		for _, r := range x.ratingRec {
			distinct[x.ratingTerms[r].String()] = true
		}
		if len(distinct) != 8 || len(x.ratingTerms) != len(distinct) || len(x.ratingRec) != len(x.ratingFields) {
			t.Fatalf("%d distinct records, %d shared for %d rows; want 8 and 8 for %d", len(distinct), len(x.ratingTerms), len(x.ratingRec), len(x.ratingFields))
		}
		shared := map[string]*ast.Term{}
		for _, id := range []string{"ch", "ch2", "xa"} {
			shared[id] = x.ratingsTerm(x.unitByID[id])
		}
		if x.ratingCols != (ratingCols{}) {
			t.Error("the ratings' columns are still referenced once their records are shared")
		}

		// Past the bound, the records are built row by row.
		defer func(n int) { maxSharedRatings = n }(maxSharedRatings)
		maxSharedRatings = len(distinct) - 1
		y, err := buildIndex(src)
		if err != nil {
			t.Fatal(err)
		}
		if y.ratingRec != nil || y.ratingTerms != nil {
			t.Errorf("%d distinct records over a bound of %d: shared anyway", len(distinct), maxSharedRatings)
		}
		for id, got := range shared {
			if want := y.ratingsTerm(y.unitByID[id]); got == nil || !got.Equal(want) {
				t.Errorf("%s: shared records\n %v\nrow by row\n %v", id, got, want)
			}
		}
	})
}

// TestCadreOf holds the binary search of cadre ids to the map it replaced
// (filled in id order: the last row of an id wins), with ids repeated, ids
// that sort before, between and after the known ones, and the empty id.
func TestCadreOf(t *testing.T) {
	alloc := checkedAlloc(t)
	s := newSnap(alloc, "a", "2024-09-30")
	s.unit("tinh", nil, "province", "Tỉnh", "tỉnh", true).
		unit("xa", "tinh", "commune", "Xã", "xã", true)
	for _, id := range []string{"cb-5", "cb-2", "cb-9", "cb-2", "cb-10", "cb-5", "cb-1"} {
		s.cadre(id, "xa", "branch_head", nil, nil, nil, nil)
	}
	snap := s.build()
	defer snap.Release()
	eachIndex(t, alloc, snap, func(t *testing.T, _ *snapshot.Snapshot, x *index) {
		want := map[string]int{}
		for ci, row := range x.cadreRows {
			id, _ := sval(x.cadreCols.ids, int(row))
			want[id] = ci
		}
		if len(want) != 5 || len(x.cadreRows) != 7 {
			t.Fatalf("%d ids over %d cadres; want 5 over 7", len(want), len(x.cadreRows))
		}
		for _, id := range []string{"cb-1", "cb-10", "cb-2", "cb-5", "cb-9", "", "cb-0", "cb-11", "cb-3", "cb-99", "cb-2x"} {
			w, wok := want[id]
			got, ok := x.cadreOf(id)
			if ok != wok || (ok && got != w) {
				t.Errorf("cadreOf(%q) = %d, %v; want %d, %v", id, got, ok, w, wok)
			}
		}
	})
}

// TestGroupByUnit holds groupByUnit to a slice per unit filled by
// appending, items without a unit left out.
func TestGroupByUnit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for round := 0; round < 100; round++ {
		units := 1 + rng.IntN(20)
		unitOf := make([]int32, rng.IntN(80))
		want := make([][]int, units)
		for k := range unitOf {
			unitOf[k] = int32(rng.IntN(units+1) - 1)
			if u := unitOf[k]; u >= 0 {
				want[u] = append(want[u], k)
			}
		}
		b := groupByUnit(units, unitOf)
		for u := range want {
			if got := b.of(u); !slices.Equal(got, want[u]) {
				t.Fatalf("round %d: unit %d has %v; want %v", round, u, got, want[u])
			}
		}
	}
}

// TestParticipantMemberRecord checks the member records of a model's
// participants (memberTerm), field by field: a member with every field, one
// whose unit is unknown, one without a unit, one not in the members table.
func TestParticipantMemberRecord(t *testing.T) {
	alloc := checkedAlloc(t)
	s := provinceCommuneBranch(alloc)
	s.member("hv-1", "ch", "2020-05-01", true, false, nil, true, false, nil).
		member("hv-2", "nowhere", nil, nil, nil, false, nil, false, nil).
		member("hv-3", nil, nil, nil, nil, nil, nil, false, nil).
		member("hv-4", "ch", nil, nil, nil, nil, nil, false, nil)
	s.model("m-1", "xa", "one_plus_one", "1+1", "2024-03-01", "active", nil, nil)
	for _, id := range []string{"hv-1", "hv-2", "hv-3", "hv-9"} {
		s.participant("m-1", id, "member", "helper", "p1", nil)
	}
	snap := s.build()
	defer snap.Release()
	x, err := buildIndex(snap)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"hv-1": `{"id": "hv-1", "unit_id": "ch", "commune_id": "xa", "joined_on": "2020-05-01", "honorary": true, "party_member": false, "hardship": true}`,
		"hv-2": `{"id": "hv-2", "unit_id": "nowhere", "pioneer": false}`,
		"hv-3": `{"id": "hv-3"}`,
		"hv-9": ``,
	}
	m, ok := x.modelByID["m-1"]
	if !ok {
		t.Fatal("model m-1 not indexed")
	}
	parts := x.modelTerm(m).Get(ast.StringTerm("participants")).Value.(*ast.Array)
	if parts.Len() != len(want) {
		t.Fatalf("%d participants; want %d", parts.Len(), len(want))
	}
	for i := 0; i < parts.Len(); i++ {
		p := parts.Elem(i)
		id := string(p.Get(ast.StringTerm("id")).Value.(ast.String))
		got := p.Get(ast.StringTerm("member"))
		switch w := want[id]; {
		case w == "" && got != nil:
			t.Errorf("%s: member record %v; want none (not in the members table)", id, got)
		case w != "" && (got == nil || !got.Equal(ast.MustParseTerm(w))):
			t.Errorf("%s: member record\n got %v\nwant %v", id, got, w)
		}
	}
}

// eachIndex runs f on the index of snap and on that of snap with every
// dictionary column turned plain (plainText), as subtests; f also gets the
// snapshot it was built from.
func eachIndex(t *testing.T, alloc memory.Allocator, snap *snapshot.Snapshot, f func(t *testing.T, src *snapshot.Snapshot, x *index)) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plain=%v", plain), func(t *testing.T) {
			src := snap
			if plain {
				src = plainText(alloc, snap)
				defer src.Release()
			}
			x, err := buildIndex(src)
			if err != nil {
				t.Fatal(err)
			}
			f(t, src, x)
		})
	}
}

// provinceCommuneBranch starts a snapshot "a" of 2024-09-30 with a
// province (tinh), its commune (xa) and the commune's branch (ch).
func provinceCommuneBranch(alloc memory.Allocator) *snapBuilder {
	s := newSnap(alloc, "a", "2024-09-30")
	s.unit("tinh", nil, "province", "Tỉnh", "tỉnh", true).
		unit("xa", "tinh", "commune", "Xã", "xã", true).
		unit("ch", "xa", "branch", "Thôn", "thôn", true)
	return s
}
