package checker

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

type modelRow struct {
	id, unitID, typ string
	launchedOn      string // "" when unknown
	active          bool
	unit            int // -1 when unknown
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
	member map[string]*memberRow // member_id -> what its record shows; filled by buildMembers (nil: not found)
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
			o = append(o, kCommuneID, x.idTerm(cm))
		}
	}
	return o.term()
}

// cadreOf is the index of the cadre whose id is id (the last of the rows
// with that id, in row order, as a map filled in id order would say), found
// by binary search over the ids in id order: a map of a national
// snapshot's million cadre ids held some 50 MB for the whole run.
func (x *index) cadreOf(id string) (int, bool) {
	ids := x.cadreCols.ids
	k := sort.Search(len(x.cadreRows), func(j int) bool {
		v, _ := sval(ids, int(x.cadreRows[j]))
		return v > id
	})
	if k == 0 {
		return 0, false
	}
	v, _ := sval(ids, int(x.cadreRows[k-1]))
	return k - 1, v == id
}

// idOrder is the rows 0..n-1 of the id column ids, sorted by id (nulls as
// "", rows of one id in row order).
func idOrder(ids snapshot.StringArray, n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		va, _ := sval(ids, order[a])
		vb, _ := sval(ids, order[b])
		return va < vb
	})
	return order
}

func (x *index) buildModelsAndParticipants(mc, pc, cc cols) *pendingModels {
	// Cadres first: participants resolve to them.
	n := cc.rows()
	cids, cunits, roles, comps, mids := cc.str("cadre_id"), cc.str("unit_id"), cc.str("role"), cc.str("competence"), cc.str("member_id")
	sf, party := cc.arr("strong_fields"), cc.arr("party_member")
	order := idOrder(cids, n)
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
	// Each row's unit through the column's dictionary (unitIndexes, as
	// members, ratings and activities are read). The unit ids are not
	// interned here: a national snapshot's cadres sit in some 600 k units,
	// and interning each id took a locked map insert and a term kept for
	// the whole run; cadreTerm shares the term of a unit id that is
	// interned anyway (a parent's, a commune's) and builds the others.
	unitCol := cc.arr("unit_id")
	unitOf := make([]int32, n)
	x.unitIndexes(unitCol)(0, unitOf)
	x.cadreRows = make([]int32, 0, n)
	cadreUnit := make([]int32, 0, n)
	for _, i := range order {
		x.cadreRows = append(x.cadreRows, int32(i))
		cadreUnit = append(cadreUnit, unitOf[i])
	}
	x.cadresByUnit = groupByUnit(len(x.units), cadreUnit)

	// Models, sorted by id.
	n = mc.rows()
	mIDs, mUnits, types, mNames, statuses, fields, sgs := mc.str("model_id"), mc.str("unit_id"), mc.str("type"), mc.str("name"), mc.str("status"), mc.str("field"), mc.str("special_group")
	launched := mc.arr("launched_on")
	order = idOrder(mIDs, n)
	x.modelByID = make(map[string]int, n)
	x.models = make([]modelRow, 0, n)
	modelUnit := make([]int32, n)
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
		}
		modelUnit[k] = int32(r.unit)
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
	x.modelsByUnit = groupByUnit(len(x.units), modelUnit)

	// Participants.
	n = pc.rows()
	pm, pids, kinds, proles, pairs, compsP := pc.str("model_id"), pc.str("participant_id"), pc.str("kind"), pc.str("role"), pc.str("pair"), pc.str("component")
	pend := &pendingModels{member: map[string]*memberRow{}, rows: make([]partRow, 0, n)}
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

// finishModels sorts the participants of each model and keeps them for
// modelTerm, with the member records they name.
func (x *index) finishModels() {
	pend := x.pending
	rows := pend.rows
	slices.SortStableFunc(rows, func(a, b partRow) int {
		return cmp.Or(cmp.Compare(a.model, b.model), strings.Compare(a.id, b.id), strings.Compare(a.kind, b.kind),
			strings.Compare(a.role, b.role), strings.Compare(a.pair, b.pair), strings.Compare(a.component, b.component))
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
			if c, ok := x.cadreOf(r.id); ok {
				o.t(kCadre, x.cadreTerm(c))
			}
		case "member":
			o.t(kMember, x.memberTerm(x.memberRec[r.id]))
		}
		parts = append(parts, o.term())
	}
	base := x.modelBase[m]
	o := make(obj, len(base), len(base)+2)
	copy(o, base)
	o = append(o, kParticipants, ast.ArrayTerm(parts...))
	return o.term()
}

// byUnit lists item indexes (cadres, models) per unit, ascending, as runs
// of one flat slice: unit u's run is flat[off[u]:off[u+1]]. A slice per
// unit held a header for each of a national snapshot's 629 k units, and
// the appends left about as much again behind.
type byUnit struct {
	off  []int32
	flat []int
}

// of is u's items (shared: do not modify).
func (b byUnit) of(u int) []int {
	lo, hi := b.off[u], b.off[u+1]
	return b.flat[lo:hi:hi]
}

// groupByUnit groups the items 0..len(unitOf)-1 by their unit (unitOf[k],
// -1 for none: left out) among units 0..units-1, each unit's in item order.
func groupByUnit(units int, unitOf []int32) byUnit {
	b := byUnit{off: make([]int32, units+1)}
	for _, u := range unitOf {
		if u >= 0 {
			b.off[u+1]++
		}
	}
	for u := 0; u < units; u++ {
		b.off[u+1] += b.off[u]
	}
	b.flat = make([]int, b.off[units])
	next := slices.Clone(b.off[:units])
	for k, u := range unitOf {
		if u >= 0 {
			b.flat[next[u]] = k
			next[u]++
		}
	}
	return b
}
