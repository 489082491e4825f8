package checker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// tableBuilder appends rows to a record with the schema snapshot.Schema(t).
// Values go in schema order: string, bool, "YYYY-MM-DD" for dates, int,
// float64, []string for lists; nil is null. Columns left out at the end are
// null (units.valid_from / valid_to, lineage.kind / share).
type tableBuilder struct {
	t  snapshot.Table
	rb *array.RecordBuilder
}

func newTable(alloc memory.Allocator, t snapshot.Table) *tableBuilder {
	return &tableBuilder{t: t, rb: array.NewRecordBuilder(alloc, snapshot.Schema(t))}
}

func (b *tableBuilder) row(vals ...any) {
	fs := b.rb.Fields()
	for len(vals) < len(fs) && len(vals) >= len(fs)-2 && (b.t == snapshot.Units || b.t == snapshot.Lineage) {
		vals = append(vals, nil)
	}
	if len(vals) != len(fs) {
		panic(fmt.Sprintf("%s: %d values for %d columns", b.t, len(vals), len(fs)))
	}
	for i, v := range vals {
		f := fs[i]
		if v == nil {
			f.AppendNull()
			continue
		}
		switch fb := f.(type) {
		case *array.StringBuilder:
			fb.Append(v.(string))
		case *array.BooleanBuilder:
			fb.Append(v.(bool))
		case *array.Date32Builder:
			d, err := time.Parse("2006-01-02", v.(string))
			if err != nil {
				panic(err)
			}
			fb.Append(arrow.Date32FromTime(d))
		case *array.Int64Builder:
			fb.Append(int64(v.(int)))
		case *array.Float64Builder:
			fb.Append(v.(float64))
		case *array.ListBuilder:
			fb.Append(true)
			vb := fb.ValueBuilder().(*array.StringBuilder)
			for _, s := range v.([]string) {
				vb.Append(s)
			}
		case *array.BinaryDictionaryBuilder:
			if err := fb.AppendString(v.(string)); err != nil {
				panic(err)
			}
		default:
			panic(fmt.Sprintf("%s column %d: builder %T", b.t, i, f))
		}
	}
}

func (b *tableBuilder) record() arrow.Record {
	defer b.rb.Release()
	return b.rb.NewRecord()
}

// snapBuilder collects the tables of a test snapshot.
type snapBuilder struct {
	alloc  memory.Allocator
	tables map[snapshot.Table]*tableBuilder
	snap   *snapshot.Snapshot
}

func newSnap(alloc memory.Allocator, name, asOf string) *snapBuilder {
	sb := &snapBuilder{alloc: alloc, tables: map[snapshot.Table]*tableBuilder{}}
	for _, t := range snapshot.Tables() {
		sb.tables[t] = newTable(alloc, t)
	}
	sb.snap = &snapshot.Snapshot{Manifest: snapshot.Manifest{APIVersion: "vungmanh/v1", Kind: "Snapshot", Name: name,
		Title: "Hội LHPN " + name, AsOf: asOf}}
	return sb
}

// unit: id, parent, level, name, kind, active.
func (s *snapBuilder) unit(vals ...any) *snapBuilder { s.tables[snapshot.Units].row(vals...); return s }

// member: id, unit, joined_on, honorary, party_member, pioneer, hardship, needs_recorded, special_group.
func (s *snapBuilder) member(vals ...any) *snapBuilder {
	s.tables[snapshot.Members].row(vals...)
	return s
}

// cadre: id, unit, role, competence, strong_fields, member_id, party_member.
func (s *snapBuilder) cadre(vals ...any) *snapBuilder {
	s.tables[snapshot.Cadres].row(vals...)
	return s
}

// model: id, unit, type, name, launched_on, status, field, special_group.
func (s *snapBuilder) model(vals ...any) *snapBuilder {
	s.tables[snapshot.Models].row(vals...)
	return s
}

// participant: model, id, kind, role, pair, component.
func (s *snapBuilder) participant(vals ...any) *snapBuilder {
	s.tables[snapshot.Participants].row(vals...)
	return s
}

// rating: unit, year, rating, score, propaganda, family, economy, membership.
func (s *snapBuilder) rating(vals ...any) *snapBuilder {
	s.tables[snapshot.Ratings].row(vals...)
	return s
}

// activity: unit, month, kind, attendees.
func (s *snapBuilder) activity(vals ...any) *snapBuilder {
	s.tables[snapshot.Activities].row(vals...)
	return s
}

func (s *snapBuilder) build() *snapshot.Snapshot {
	s.snap.Records = map[snapshot.Table]arrow.Record{}
	for t, b := range s.tables {
		s.snap.Records[t] = b.record()
	}
	return s.snap
}

func checkedAlloc(t testing.TB) *memory.CheckedAllocator {
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { alloc.AssertSize(t, 0) })
	return alloc
}

// smallIndex indexes smallSnap, with the snapshot released and its memory
// checked when the test ends.
func smallIndex(t *testing.T) *index {
	t.Helper()
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	x, err := buildIndex(snap)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// smallSnap is a hand-made province: 2 districts, 4 communes, branches,
// groups, members, cadres, models with participants, ratings, activities.
func smallSnap(alloc memory.Allocator) *snapshot.Snapshot {
	s := newSnap(alloc, "thu-nghiem", "2024-09-30")
	s.unit("tinh", nil, "province", "Tỉnh Thử", nil, nil).
		unit("h-a", "tinh", "district", "Huyện A", "huyện", true).
		unit("h-b", "tinh", "district", "Huyện B", "huyện", nil).
		unit("xa-1", "h-a", "commune", "Xã Một", "xã", true).
		unit("xa-2", "h-a", "commune", "Xã Hai", "new", true).
		unit("xa-3", "h-b", "commune", "Phường Ba", "phường", true).
		unit("xa-4", "h-b", "commune", "Xã Bốn (cũ)", "xã", false).
		unit("ch-1a", "xa-1", "branch", "Thôn 1A", "thôn", true).
		unit("ch-1b", "xa-1", "branch", "Thôn 1B", "thôn", nil).
		unit("ch-2a", "xa-2", "branch", "Thôn 2A", "thôn", true).
		unit("ch-3a", "xa-3", "branch", "TDP 3A", "tổ dân phố", true).
		unit("ch-3b", "xa-3", "branch", "TDP 3B", nil, true).
		unit("to-1a1", "ch-1a", "group", "Tổ 1", "skip-me", true).
		unit("to-1a2", "ch-1a", "group", "Tổ 2", nil, true).
		unit("to-3a1", "ch-3a", "group", "Tổ 3", nil, true)
	sgs := []any{nil, "worker", "religious", nil, "trader"}
	units := []string{"ch-1a", "ch-1b", "ch-2a", "ch-3a", "ch-3b", "to-1a1", "to-1a2", "to-3a1", "xa-1"}
	for i := 0; i < 60; i++ {
		var hardship any
		if i%3 == 0 {
			hardship = i%2 == 0
		}
		joined := fmt.Sprintf("20%02d-%02d-15", 18+i%7, 1+i%12)
		s.member(fmt.Sprintf("hv-%03d", i), units[i%len(units)], joined, i%11 == 0, i%5 == 0, i%4 == 0, hardship, i%6 == 0, sgs[i%len(sgs)])
	}
	s.member("hv-x", "ch-3b", nil, nil, nil, nil, nil, false, nil)
	s.cadre("cb-1", "ch-1a", "branch_head", "good", []string{"economy", "family"}, "hv-000", true).
		cadre("cb-2", "ch-1b", "branch_deputy", "not_yet_good", nil, nil, nil).
		cadre("cb-3", "ch-3a", "branch_head", nil, []string{}, "hv-003", false).
		cadre("cb-4", "to-1a2", "group_head", "good", nil, nil, nil).
		cadre("cb-5", "xa-1", "commune_chair", "good", []string{"propaganda"}, nil, true)
	s.model("m-1", "xa-1", "one_plus_one", "1+1 xã Một", "2024-03-01", "active", nil, nil).
		model("m-2", "ch-1a", "three_has_three_knows", "3 có 3 biết", "2024-04-01", nil, nil, nil).
		model("m-3", "xa-3", "one_plus_one", nil, nil, "inactive", nil, nil).
		model("m-4", "xa-1", "accompany", "Đồng hành", "2024-10-02", "active", "economy", nil).
		model("m-5", "xa-3", "accompany", "Đồng hành 2", "2024-01-02", "active", "family", nil).
		model("m-6", "ch-3a", "special_members", "Công nhân", "2023-05-05", "active", nil, "worker").
		model("m-7", "to-3a1", "three_has_three_knows", nil, "2022-02-02", "active", nil, nil)
	s.participant("m-1", "ch-1a", "unit", "helper", "p1", "branch_twinning").
		participant("m-1", "ch-1b", "unit", "helped", "p1", "branch_twinning").
		participant("m-1", "hv-005", "member", "helper", "p2", "member_recruits_woman").
		participant("m-1", "ng-1", "person", "helped", "p2", "member_recruits_woman").
		participant("m-1", "cb-5", "cadre", "helper", "p3", "cadre_supports_member").
		participant("m-4", "ch-1a", "unit", "helper", nil, nil).
		participant("m-4", "ch-1b", "unit", "helped", nil, nil).
		participant("m-5", "ch-3a", "unit", "helper", nil, nil).
		participant("m-5", "ch-3b", "unit", "helped", nil, nil).
		participant("m-5", "ghost", "unit", "member", nil, nil).
		participant("m-5", "hv-nope", "member", nil, nil, nil)
	s.rating("ch-1a", 2023, "excellent", 92.5, "strong", "strong", "strong", nil).
		rating("ch-1a", 2022, "good", nil, nil, nil, nil, nil).
		rating("ch-1b", 2023, "weak", 41.0, "not_strong", nil, "not_strong", "not_strong").
		rating("ch-3a", 2023, "fair", nil, nil, "strong", nil, nil).
		rating("xa-1", 2023, "good", 80.0, nil, nil, nil, nil)
	s.activity("ch-1a", "2024-08", "meeting", 20).
		activity("ch-1a", "2024-07", "support", nil).
		activity("xa-3", "2024-09", nil, 5)
	s.snap.ExcludedUnits = []snapshot.ExcludedUnit{
		{ID: "xa-9", ParentID: "h-b", Level: snapshot.LevelCommune, Name: "Xã Chín", Reason: snapshot.RowReason("DQ003", 12)},
		{ID: "ch-9a", ParentID: "xa-9", Level: snapshot.LevelBranch, Name: "Thôn 9A", Reason: snapshot.AncestorReason("xa-9")},
	}
	s.snap.ExcludedModels = []snapshot.ExcludedModel{{ID: "m-9", UnitID: "ch-9a", Type: "accompany", Reason: snapshot.UnitReason("ch-9a")}}
	return s.build()
}

// inputJSON turns an input value into plain JSON data (as a policy author
// would see it printed by `vungmanh eval`).
func inputJSON(t testing.TB, v ast.Value) any {
	t.Helper()
	b := inputBytes(t, v)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func inputBytes(t testing.TB, v ast.Value) []byte {
	t.Helper()
	j, err := ast.JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// synthProvince builds a province-sized snapshot: 8 districts, communes,
// branchesPer branches per commune on average, 3 groups per branch, and
// membersPer members per branch (spread over the branch and its groups),
// with cadres, models, participants, ratings and activities. The data is
// pseudo-random but fixed.
func synthProvince(alloc memory.Allocator, communes, branchesPer, membersPer int) *snapshot.Snapshot {
	s := newSnap(alloc, "tong-hop", "2024-09-30")
	rng := rand.New(rand.NewPCG(1, 2))
	s.unit("tinh", nil, "province", "Tỉnh Tổng Hợp", "tỉnh", true)
	for d := 0; d < 8; d++ {
		s.unit(fmt.Sprintf("h%d", d), "tinh", "district", fmt.Sprintf("Huyện %d", d), "huyện", true)
	}
	sgs := []any{nil, nil, nil, nil, "worker", "religious", "ethnic_minority", "migrant", "trader"}
	ratings := []string{"excellent", "good", "fair", "weak"}
	strong := []any{"strong", "not_strong", nil}
	fields := []string{"propaganda", "family", "economy", "membership"}
	types := []string{"one_plus_one", "three_has_three_knows", "special_members", "cadres_progress", "accompany", "other"}
	member, model := 0, 0
	for c := 0; c < communes; c++ {
		cid := fmt.Sprintf("x%03d", c)
		s.unit(cid, fmt.Sprintf("h%d", c%8), "commune", "Xã "+cid, "xã", c%50 != 49)
		s.cadre("cb-"+cid, cid, "commune_chair", "good", []string{fields[c%4]}, nil, true)
		nb := branchesPer - 1 + rng.IntN(3)
		var branches []string
		for b := 0; b < nb; b++ {
			bid := fmt.Sprintf("%s-c%02d", cid, b)
			branches = append(branches, bid)
			s.unit(bid, cid, "branch", "Thôn "+bid, "thôn", true)
			if rng.IntN(10) > 0 {
				s.cadre("cb-"+bid, bid, "branch_head", []any{"good", "not_yet_good"}[rng.IntN(2)], []string{fields[rng.IntN(4)]}, nil, rng.IntN(2) == 0)
			}
			s.rating(bid, 2023, ratings[rng.IntN(4)], float64(40+rng.IntN(60)), strong[rng.IntN(3)], strong[rng.IntN(3)], strong[rng.IntN(3)], strong[rng.IntN(3)])
			s.rating(bid, 2022, ratings[rng.IntN(4)], nil, nil, nil, nil, nil)
			for m := 1; m <= 3; m++ {
				s.activity(bid, fmt.Sprintf("2024-%02d", m*3), "meeting", 10+rng.IntN(30))
			}
			groups := []string{bid}
			for g := 0; g < 3; g++ {
				gid := fmt.Sprintf("%s-t%d", bid, g)
				groups = append(groups, gid)
				s.unit(gid, bid, "group", "Tổ "+gid, nil, true)
				if rng.IntN(4) > 0 {
					s.cadre("cb-"+gid, gid, "group_head", "good", nil, nil, nil)
				}
			}
			for i := 0; i < membersPer; i++ {
				var hardship any
				if rng.IntN(3) > 0 {
					hardship = rng.IntN(8) == 0
				}
				joined := fmt.Sprintf("%d-%02d-%02d", 2000+rng.IntN(25), 1+rng.IntN(12), 1+rng.IntN(28))
				s.member(fmt.Sprintf("hv%07d", member), groups[rng.IntN(len(groups))], joined, rng.IntN(50) == 0,
					rng.IntN(10) == 0, rng.IntN(6) == 0, hardship, rng.IntN(4) == 0, sgs[rng.IntN(len(sgs))])
				member++
			}
			if rng.IntN(3) == 0 {
				s.model(fmt.Sprintf("m%06d", model), bid, "three_has_three_knows", nil, "2024-02-01", "active", nil, nil)
				model++
			}
		}
		for k := 0; k < rng.IntN(4); k++ {
			typ := types[rng.IntN(len(types))]
			mid := fmt.Sprintf("m%06d", model)
			model++
			st := []any{"active", "active", "inactive", nil}[rng.IntN(4)]
			var field any
			if typ == "accompany" || typ == "cadres_progress" {
				field = fields[rng.IntN(4)]
			}
			s.model(mid, cid, typ, "Mô hình "+mid, fmt.Sprintf("2024-%02d-01", 1+rng.IntN(12)), st, field, nil)
			if len(branches) >= 2 {
				s.participant(mid, branches[0], "unit", "helper", "p1", "branch_twinning")
				s.participant(mid, branches[1], "unit", "helped", "p1", "branch_twinning")
			}
			s.participant(mid, fmt.Sprintf("hv%07d", rng.IntN(member)), "member", "helper", "p2", "member_recruits_woman")
			s.participant(mid, "cb-"+cid, "cadre", "helper", "p3", "cadre_supports_member")
			s.participant(mid, "ng-"+mid, "person", "helped", "p2", "member_recruits_woman")
		}
	}
	return s.build()
}

// policyFS reads the files of each folder (not its subfolders) into one
// MapFS, each under the prefix given for its folder.
func policyFS(t testing.TB, dirs map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for dir, prefix := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			fsys[prefix+e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	return fsys
}

// mustNew is New with a background context, failing tb on an error.
func mustNew(tb testing.TB, p *Policies, opts ...Option) *Checker {
	tb.Helper()
	c, err := New(context.Background(), p, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
