package checker

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// memberStats are the member counts of one unit (its own rows, then its
// subtree once rolled up).
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

// buildMembers computes member statistics per unit straight from the
// columns (the dictionary of unit_id is mapped to unit indexes once), rolls
// them up the hierarchy, and collects the records of members who take part
// in a model.
func (x *index) buildMembers(c cols, pend *pendingModels) error {
	n := c.rows()
	unitCol := c.arr("unit_id")
	mc := x.memberCounter(c, unitCol)
	sgOf, sgNames := specialGroups(c.arr("special_group"), n)
	mc.sgOf, mc.G = sgOf, len(sgNames)
	G := mc.G
	// Each half of the rows is counted by its own goroutine into its own
	// arrays, summed afterwards; the members that models name are found in
	// a third goroutine meanwhile (findPendingMembers).
	own, counts := make([]memberStats, len(x.units)), make([]int, len(x.units)*G)
	own2, counts2 := make([]memberStats, len(x.units)), make([]int, len(counts))
	var wg sync.WaitGroup
	wg.Go(func() { mc.count(n/2, n, own2, counts2) })
	wg.Go(func() { x.findPendingMembers(c, unitCol, pend) })
	mc.count(0, n/2, own, counts)
	wg.Wait()
	for u := range own {
		own[u].add(&own2[u])
	}
	for k, v := range counts2 {
		counts[k] += v
	}
	x.stats = own
	x.rollUp(counts, G)
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

// rollUp adds each unit's statistics and special group counts (G groups)
// to its parent's, deepest units first, so that each unit counts its
// subtree.
func (x *index) rollUp(counts []int, G int) {
	order := make([]int, len(x.units))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(x.path[order[a]]) > len(x.path[order[b]]) })
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
}

// memberCounter counts the rows of the members record into per-unit
// statistics.
type memberCounter struct {
	unitOf                       func(i int) int // the row's unit, -1 when unknown
	hon, party, pio, hard, needs *array.Boolean
	joined                       *array.Date32
	haveAsOf                     bool
	from, to                     arrow.Date32 // the twelve months before as_of
	sgOf                         func(i int) int
	G                            int // special groups
}

func (x *index) memberCounter(c cols, unitCol arrow.Array) *memberCounter {
	boolCol := func(name string) *array.Boolean {
		b, _ := c.arr(name).(*array.Boolean)
		return b
	}
	mc := &memberCounter{unitOf: x.unitIndexes(unitCol),
		hon: boolCol("honorary"), party: boolCol("party_member"), pio: boolCol("pioneer"), hard: boolCol("hardship"), needs: boolCol("needs_recorded")}
	mc.joined, _ = c.arr("joined_on").(*array.Date32)
	if asOf, err := time.Parse("2006-01-02", x.asOf); err == nil {
		mc.haveAsOf = true
		mc.to = arrow.Date32FromTime(asOf)
		mc.from = arrow.Date32FromTime(asOf.AddDate(-1, 0, 0))
	}
	return mc
}

func isTrue(b *array.Boolean, i int) bool { return b != nil && b.IsValid(i) && b.Value(i) }

// count counts rows lo to hi into own and counts (unit*G+group).
func (mc *memberCounter) count(lo, hi int, own []memberStats, counts []int) {
	for i := lo; i < hi; i++ {
		u := mc.unitOf(i)
		if u < 0 {
			continue
		}
		s := &own[u]
		s.total++
		if isTrue(mc.hon, i) {
			s.honorary++
		}
		if isTrue(mc.party, i) {
			s.party++
		}
		if isTrue(mc.pio, i) {
			s.pioneer++
		}
		if mc.hard != nil && mc.hard.IsValid(i) {
			s.hardshipRecorded++
			if mc.hard.Value(i) {
				s.hardship++
			}
		}
		if isTrue(mc.needs, i) {
			s.needsRecorded++
		}
		if mc.haveAsOf && mc.joined != nil && mc.joined.IsValid(i) {
			if d := mc.joined.Value(i); d > mc.from && d <= mc.to {
				s.joined12++
			}
		}
		if g := mc.sgOf(i); g >= 0 {
			counts[u*mc.G+g]++
		}
	}
}

// unitIndexes maps a row of the members' unit_id column to its unit
// (-1 when null or unknown); a dictionary's values are looked up once.
func (x *index) unitIndexes(unitCol arrow.Array) func(i int) int {
	if d, ok := unitCol.(*array.Dictionary); ok {
		dict := snapshot.Strings(d.Dictionary())
		m := make([]int, dict.Len())
		for j := range m {
			m[j] = -1
			if u, ok := x.unitByID[dict.Value(j)]; ok && !dict.IsNull(j) {
				m[j] = u
			}
		}
		return func(i int) int {
			if d.IsNull(i) {
				return -1
			}
			return m[d.GetValueIndex(i)]
		}
	}
	if unitCol == nil {
		return func(int) int { return -1 }
	}
	s := snapshot.Strings(unitCol)
	return func(i int) int {
		if s.IsNull(i) {
			return -1
		}
		if u, ok := x.unitByID[s.Value(i)]; ok {
			return u
		}
		return -1
	}
}

// specialGroups maps each of the n rows of the special_group column sg to
// a group index in names (-1 when null), in the order the groups are met.
// The names are copies: no reference into the members record. The mapping
// is safe for concurrent use.
func specialGroups(sg arrow.Array, n int) (sgOf func(i int) int, names []string) {
	pos := map[string]int{}
	name := func(v string) int {
		p, ok := pos[v]
		if !ok {
			p = len(names)
			pos[v] = p
			names = append(names, v)
		}
		return p
	}
	switch sg := sg.(type) {
	case *array.Dictionary:
		dict := snapshot.Strings(sg.Dictionary())
		canon := make([]int, dict.Len())
		for j := range canon {
			canon[j] = name(strings.Clone(dict.Value(j)))
		}
		return func(i int) int {
			if sg.IsNull(i) {
				return -1
			}
			return canon[sg.GetValueIndex(i)]
		}, names
	case nil:
		return func(int) int { return -1 }, nil
	default:
		// A plain column names its groups row by row (name is not safe
		// for concurrent use): the rows are mapped here, once.
		s := snapshot.Strings(sg)
		rowSG := make([]int32, n)
		for i := range rowSG {
			rowSG[i] = -1
			if !s.IsNull(i) {
				rowSG[i] = int32(name(strings.Clone(s.Value(i))))
			}
		}
		return func(i int) int { return int(rowSG[i]) }, names
	}
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
