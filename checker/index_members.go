package checker

import (
	"hash/maphash"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// memberStats are the member counts of one unit (its own rows, then its
// subtree once rolled up), indexed by the stat constants: the order of
// statsKeyTerms. 32 bits hold the whole country's members and halve the
// index's per-unit counts (national scale: 629,000 units).
type memberStats [nStats]int32

const (
	statTotal = iota
	statHonorary
	statParty
	statPioneer
	statHardship
	statHardshipRecorded
	statNeedsRecorded
	statJoined12
	nStats
)

// add adds the counts of s to d.
func (d *memberStats) add(s *memberStats) {
	for k := range d {
		d[k] += s[k]
	}
}

// buildMembers indexes the members record c: the counts (countMembers)
// in a goroutine of their own, beside the copies of the records of the
// members named (participantMembers: the ids, filled in here; nil when the
// member is not found). Both read c at once, so its dictionaries are made
// before: a Dictionary array makes its dictionary's array on first use,
// unlocked (two first uses at once would race, and leave one of the two
// retained for ever).
func (x *index) buildMembers(c cols, named map[string]*memberRow) {
	x.memberRows, x.membersIndexed = c.rows(), true
	readyDictionaries(c)
	var wg sync.WaitGroup
	wg.Go(func() { x.countMembers(c) })
	x.findPendingMembers(c, c.arr("unit_id"), named)
	wg.Wait()
}

// participantMembers returns the ids of the members the participants
// name (kind member), each mapped to nil: findPendingMembers fills in their
// records. A participant of an unknown model counts too; its member's
// record is not used.
func participantMembers(pc cols) map[string]*memberRow {
	named := map[string]*memberRow{}
	pids, kinds := pc.str("participant_id"), pc.str("kind")
	for i := range pc.rows() {
		if k, ok := sval(kinds, i); ok && k == "member" {
			if id, ok := sval(pids, i); ok {
				named[id] = nil
			}
		}
	}
	return named
}

// readyDictionaries makes the dictionary arrays of c's dictionary columns,
// so that goroutines can then read them at once.
func readyDictionaries(c cols) {
	if c.rec == nil {
		return
	}
	for _, a := range c.rec.Columns() {
		if d, ok := a.(*array.Dictionary); ok {
			d.Dictionary()
		}
	}
}

// countMembers computes member statistics per unit straight from the
// columns (the dictionary of unit_id is mapped to unit indexes once) and
// rolls them up the hierarchy. It needs only the units: buildIndex runs it
// while the models are indexed, and finds the members that models name
// afterwards (findPendingMembers). It writes only the member fields of x
// (stats, sgCounts, sgOrder, sgTerms) and interns through x.in (locked).
func (x *index) countMembers(c cols) {
	n := c.rows()
	mc := x.memberCounter(c, c.arr("unit_id"))
	groups, sgNames := specialGroups(c.arr("special_group"), n)
	mc.groups, mc.G = groups, len(sgNames)
	G := mc.G
	// Each half of the rows is counted by its own goroutine into its own
	// arrays, summed afterwards.
	own, counts := make([]memberStats, len(x.units)), make([]int32, len(x.units)*G)
	own2, counts2 := make([]memberStats, len(x.units)), make([]int32, len(counts))
	var wg sync.WaitGroup
	wg.Go(func() { mc.count(n/2, n, own2, counts2) })
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
}

// rollUp adds each unit's statistics and special group counts (G groups)
// to its parent's, deepest units first, so that each unit counts its
// subtree.
func (x *index) rollUp(counts []int32, G int) {
	order := make([]int, len(x.units))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(x.tree.Ancestors(order[a])) > len(x.tree.Ancestors(order[b])) })
	for _, u := range order {
		anc := x.tree.Ancestors(u)
		if len(anc) == 0 {
			continue
		}
		p := anc[len(anc)-1]
		x.stats[p].add(&x.stats[u])
		for g := 0; g < G; g++ {
			counts[p*G+g] += counts[u*G+g]
		}
	}
}

// memberCounter counts the rows of the members record into per-unit
// statistics.
type memberCounter struct {
	units                        func(lo int, out []int32) // the units of rows lo.., -1 when unknown
	hon, party, pio, hard, needs *array.Boolean
	joined                       *array.Date32
	haveAsOf                     bool
	from, to                     arrow.Date32              // the twelve months before as_of
	groups                       func(lo int, out []int32) // the special groups of rows lo.., -1 when none
	G                            int                       // special groups
}

func (x *index) memberCounter(c cols, unitCol arrow.Array) *memberCounter {
	boolCol := func(name string) *array.Boolean {
		b, _ := c.arr(name).(*array.Boolean)
		return b
	}
	mc := &memberCounter{units: x.unitIndexes(unitCol),
		hon: boolCol("honorary"), party: boolCol("party_member"), pio: boolCol("pioneer"), hard: boolCol("hardship"), needs: boolCol("needs_recorded")}
	mc.joined, _ = c.arr("joined_on").(*array.Date32)
	if asOf, err := time.Parse("2006-01-02", x.asOf); err == nil {
		mc.haveAsOf = true
		mc.to = arrow.Date32FromTime(asOf)
		mc.from = arrow.Date32FromTime(asOf.AddDate(-1, 0, 0))
	}
	return mc
}

// countChunk is how many rows count takes at a time: their units are
// looked up once, then each column is counted over the runs of rows of one
// unit (exports list a unit's members together: a bitmap's run is counted
// with popcount) in a loop of its own. At national scale, 20 million rows,
// this takes a fraction of the time of a loop that read every column of a
// row through the arrays' accessors.
const countChunk = 4096

// unitRun is rows start to end (relative to a chunk) of one unit.
type unitRun struct{ start, end, unit int }

// runs appends to rs the runs of equal units in u, leaving out the rows
// of no unit (-1).
func runs(u []int32, rs []unitRun) []unitRun {
	for k := 0; k < len(u); {
		e := k + 1
		for e < len(u) && u[e] == u[k] {
			e++
		}
		if u[k] >= 0 {
			rs = append(rs, unitRun{k, e, int(u[k])})
		}
		k = e
	}
	return rs
}

// count counts rows lo to hi into own and counts (unit*G+group).
func (mc *memberCounter) count(lo, hi int, own []memberStats, counts []int32) {
	var units, groups [countChunk]int32
	rs := make([]unitRun, 0, countChunk)
	for c := lo; c < hi; c += countChunk {
		u := units[:min(countChunk, hi-c)]
		mc.units(c, u)
		rs = runs(u, rs[:0])
		for _, r := range rs {
			own[r.unit][statTotal] += int32(r.end - r.start)
		}
		countTrue(mc.hon, c, rs, own, statHonorary)
		countTrue(mc.party, c, rs, own, statParty)
		countTrue(mc.pio, c, rs, own, statPioneer)
		countTrue(mc.hard, c, rs, own, statHardship)
		countValid(mc.hard, c, rs, own, statHardshipRecorded)
		countTrue(mc.needs, c, rs, own, statNeedsRecorded)
		mc.countJoined(c, rs, own)
		if mc.G > 0 {
			g := groups[:len(u)]
			mc.groups(c, g)
			for _, r := range rs {
				for _, gk := range g[r.start:r.end] {
					if gk >= 0 {
						counts[r.unit*mc.G+int(gk)]++
					}
				}
			}
		}
	}
}

// bitmaps are a boolean column's values and validity (nil: no nulls),
// both read at the column's offset plus the row. Not NullN: it counts the
// nulls on first use and keeps the count, a write that the goroutines
// counting the halves of the table would race on.
func bitmaps(b *array.Boolean) (vals, valid []byte, off int) {
	d := b.Data()
	return d.Buffers()[1].Bytes(), validity(d), d.Offset()
}

// validity is the validity bitmap of d, nil when it has none (no nulls).
func validity(d arrow.ArrayData) []byte {
	if buf := d.Buffers()[0]; buf != nil && buf.Len() > 0 {
		return buf.Bytes()
	}
	return nil
}

// countTrue adds to own[unit][f] the rows of each run (of the chunk at
// row lo) whose value in b is true.
func countTrue(b *array.Boolean, lo int, rs []unitRun, own []memberStats, f int) {
	if b == nil {
		return
	}
	vals, valid, off := bitmaps(b)
	off += lo
	for _, r := range rs {
		if valid == nil {
			own[r.unit][f] += int32(bitutil.CountSetBits(vals, off+r.start, r.end-r.start))
			continue
		}
		n := 0
		for i := off + r.start; i < off+r.end; i++ {
			if bitutil.BitIsSet(vals, i) && bitutil.BitIsSet(valid, i) {
				n++
			}
		}
		own[r.unit][f] += int32(n)
	}
}

// countValid adds to own[unit][f] the rows of each run (of the chunk at
// row lo) with a value (true or false) in b.
func countValid(b *array.Boolean, lo int, rs []unitRun, own []memberStats, f int) {
	if b == nil {
		return
	}
	_, valid, off := bitmaps(b)
	off += lo
	for _, r := range rs {
		if valid == nil {
			own[r.unit][f] += int32(r.end - r.start)
		} else {
			own[r.unit][f] += int32(bitutil.CountSetBits(valid, off+r.start, r.end-r.start))
		}
	}
}

// countJoined counts the rows of each run (of the chunk at row lo) that
// joined in the twelve months before as_of.
func (mc *memberCounter) countJoined(lo int, rs []unitRun, own []memberStats) {
	if !mc.haveAsOf || mc.joined == nil {
		return
	}
	days := mc.joined.Date32Values()[lo:]
	for _, r := range rs {
		n := 0
		for k := r.start; k < r.end; k++ {
			if d := days[k]; d > mc.from && d <= mc.to && mc.joined.IsValid(lo+k) {
				n++
			}
		}
		own[r.unit][statJoined12] += int32(n)
	}
}

// unitIndexes maps rows of the members' unit_id column to their units
// (-1 when null or unknown), a chunk at a time; a dictionary's values are
// looked up once.
func (x *index) unitIndexes(unitCol arrow.Array) func(lo int, out []int32) {
	if d, ok := unitCol.(*array.Dictionary); ok {
		dict := snapshot.Strings(d.Dictionary())
		m := make([]int32, dict.Len())
		for j := range m {
			m[j] = -1
			if u, ok := x.unitByID[dict.Value(j)]; ok && !dict.IsNull(j) {
				m[j] = int32(u)
			}
		}
		return dictRows(d, m)
	}
	if unitCol == nil {
		return func(_ int, out []int32) {
			for k := range out {
				out[k] = -1
			}
		}
	}
	s := snapshot.Strings(unitCol)
	return func(lo int, out []int32) {
		for k := range out {
			out[k] = -1
			if i := lo + k; !s.IsNull(i) {
				if u, ok := x.unitByID[s.Value(i)]; ok {
					out[k] = int32(u)
				}
			}
		}
	}
}

// dictRows maps rows of d to m[the row's dictionary index] (-1 when the
// row is null), a chunk at a time.
func dictRows(d *array.Dictionary, m []int32) func(lo int, out []int32) {
	if idx, ok := d.Indices().(*array.Int32); ok {
		raw := idx.Int32Values()
		valid, off := validity(d.Data()), d.Data().Offset() // valid nil: no nulls
		return func(lo int, out []int32) {
			for k, j := range raw[lo : lo+len(out)] {
				if valid != nil && !bitutil.BitIsSet(valid, off+lo+k) {
					out[k] = -1
					continue
				}
				out[k] = m[j]
			}
		}
	}
	return func(lo int, out []int32) {
		for k := range out {
			out[k] = -1
			if i := lo + k; !d.IsNull(i) {
				out[k] = m[d.GetValueIndex(i)]
			}
		}
	}
}

// specialGroups maps the rows of the special_group column sg to group
// indexes in names (-1 when null), a chunk at a time, the groups numbered
// in the order they are met. The names are copies: no reference into the
// members record. The mapping is safe for concurrent use.
func specialGroups(sg arrow.Array, n int) (groups func(lo int, out []int32), names []string) {
	pos := map[string]int{}
	name := func(v string) int32 {
		p, ok := pos[v]
		if !ok {
			p = len(names)
			pos[v] = p
			names = append(names, v)
		}
		return int32(p)
	}
	switch sg := sg.(type) {
	case *array.Dictionary:
		dict := snapshot.Strings(sg.Dictionary())
		canon := make([]int32, dict.Len())
		for j := range canon {
			canon[j] = name(strings.Clone(dict.Value(j)))
		}
		return dictRows(sg, canon), names
	case nil:
		return nil, nil
	default:
		// A plain column names its groups row by row (name is not safe
		// for concurrent use): the rows are mapped here, once.
		s := snapshot.Strings(sg)
		rowSG := make([]int32, n)
		for i := range rowSG {
			rowSG[i] = -1
			if !s.IsNull(i) {
				rowSG[i] = name(strings.Clone(s.Value(i)))
			}
		}
		return func(lo int, out []int32) { copy(out, rowSG[lo:]) }, names
	}
}

// findPendingMembers keeps what a participant's record shows of every
// member named (named's keys: participantMembers), from the members
// table.
func (x *index) findPendingMembers(c cols, unitCol arrow.Array, named map[string]*memberRow) {
	if n := c.rows(); len(named) > 0 {
		mids := c.str("member_id")
		var units snapshot.StringArray
		if unitCol != nil {
			units = snapshot.Strings(unitCol)
		}
		flags := [...]arrow.Array{c.arr("honorary"), c.arr("party_member"), c.arr("pioneer"), c.arr("hardship")}
		f := newIDFilter(named)
		for i := 0; i < n; i++ {
			id, _ := sval(mids, i)
			if !f.mayHave(id) {
				continue
			}
			if _, want := named[id]; !want {
				continue
			}
			// Clones: the index keeps no reference into the members
			// record, so the caller may release it once the index is built.
			r := &memberRow{id: strings.Clone(id), commune: -1}
			uid, uok := sval(units, i)
			r.unitID, r.hasUnit = strings.Clone(uid), uok
			if u, ok := x.unitByID[uid]; ok && uok {
				r.commune = int32(x.communeOf(u))
			}
			r.joinedOn, r.hasJoined = dval(c.arr("joined_on"), i)
			r.joinedOn = strings.Clone(r.joinedOn)
			for k, a := range flags {
				r.flag[k], r.hasFlag[k] = bval(a, i)
			}
			named[r.id] = r
		}
	}
}

// memberRow is what a participant's record shows of a member, as values:
// memberTerm builds the object when a model's record is built (a prebuilt
// object per member held some 260 bytes each, 52 MB at national scale,
// for the whole evaluation).
type memberRow struct {
	id, unitID, joinedOn string
	commune              int32 // the commune the unit is or sits in; -1 when none
	hasUnit, hasJoined   bool
	flag, hasFlag        [4]bool // honorary, party_member, pioneer, hardship
}

// memberFlagKeys are the keys of memberRow.flag, in its order.
var memberFlagKeys = [4]*ast.Term{kHonorary, kPartyMember, kPioneer, kHardship}

// memberTerm is r's object (nil for nil: a member not found).
func (x *index) memberTerm(r *memberRow) *ast.Term {
	if r == nil {
		return nil
	}
	o := make(obj, 0, 16) // room for every item: appending to an empty obj grew it four times
	o.s(kID, r.id, true)
	o.s(kUnitID, r.unitID, r.hasUnit)
	if r.commune >= 0 {
		o = append(o, kCommuneID, x.idTerm(int(r.commune)))
	}
	o.s(kJoinedOn, r.joinedOn, r.hasJoined)
	for k, key := range memberFlagKeys {
		o.b(key, r.flag[k], r.hasFlag[k])
	}
	return o.term()
}

// idFilter is a Bloom filter of a set of ids: two bits per id in a table
// of at least 16 bits per id (a false "may have" about one time in 70). It
// lets findPendingMembers pass over the rows whose id is surely not in
// the set without a lookup in a map that does not fit in the cache: at
// national scale 20 million rows for some 20,000 ids.
type idFilter struct {
	bits []uint64
	mask uint64
	seed maphash.Seed
}

func newIDFilter[V any](ids map[string]V) *idFilter {
	size := uint64(1 << 16)
	for size < 16*uint64(len(ids)) {
		size <<= 1
	}
	f := &idFilter{bits: make([]uint64, size/64), mask: size - 1, seed: maphash.MakeSeed()}
	for id := range ids {
		a, b := f.positions(id)
		f.bits[a>>6] |= 1 << (a & 63)
		f.bits[b>>6] |= 1 << (b & 63)
	}
	return f
}

// positions are the two bits of id.
func (f *idFilter) positions(id string) (a, b uint64) {
	h := maphash.String(f.seed, id)
	return h & f.mask, (h >> 32) & f.mask
}

// mayHave reports false when id is surely not in the set.
func (f *idFilter) mayHave(id string) bool {
	a, b := f.positions(id)
	return f.bits[a>>6]&(1<<(a&63)) != 0 && f.bits[b>>6]&(1<<(b&63)) != 0
}

// statsTerm is the member statistics object of u (its whole subtree),
// built from the rolled-up counts on demand. Safe for concurrent use.
func (x *index) statsTerm(u int) *ast.Term {
	// The items pass through arrays on the stack (ast.NewObject copies
	// them), and a unit without special groups shares OPA's empty object:
	// this runs for every branch and group of a national snapshot.
	var items [nStats + 1][2]*ast.Term
	for i, v := range x.stats[u] {
		items[i] = [2]*ast.Term{statsKeyTerms[i], ast.InternedTerm(v)}
	}
	G := len(x.sgTerms)
	var gbuf [16][2]*ast.Term
	g := gbuf[:0]
	for _, k := range x.sgOrder {
		if c := x.sgCounts[u*G+k]; c > 0 {
			g = append(g, [2]*ast.Term{x.sgTerms[k], ast.InternedTerm(c)})
		}
	}
	terms := new([2]ast.Term) // the object's term and by_special_group's, in one allocation
	byGroup := ast.InternedEmptyObject
	if len(g) > 0 {
		terms[1].Value = ast.NewObject(g...)
		byGroup = &terms[1]
	}
	items[nStats] = [2]*ast.Term{kByGroup, byGroup}
	terms[0].Value = ast.NewObject(items[:]...)
	return &terms[0]
}
