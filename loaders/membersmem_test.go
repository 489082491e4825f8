package loaders

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// TestMembersAllocator loads members from CSV (one row excluded, so that
// the record is a filtered copy) and from Parquet: the members record,
// and nothing else, comes from WithMembersAllocator's allocator, holding
// the same rows as without it.
func TestMembersAllocator(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "member_id", Type: arrow.BinaryTypes.String}, {Name: "unit_id", Type: arrow.BinaryTypes.String},
		{Name: "honorary", Type: arrow.FixedWidthTypes.Boolean}}, nil))
	for i, u := range []string{"chi-1", "to-1", "chi-1", "to-1"} {
		b.Field(0).(*array.StringBuilder).Append(string(rune('a'+i)) + "-member")
		b.Field(1).(*array.StringBuilder).Append(u)
		b.Field(2).(*array.BooleanBuilder).Append(i%2 == 0)
	}
	rec := b.NewRecord()
	b.Release()
	pq := writeParquet(t, rec)
	rec.Release()
	for _, c := range []struct{ name, file, data string }{
		{"csv", "members.csv", "member_id,unit_id,honorary\nm1,chi-1,yes\nm2,to-1,no\nm3,,yes\nm4,chi-1,\n"},
		{"parquet", "members.parquet", string(pq)},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := fstest.MapFS{
				"snapshot.yaml": mapFile([]byte(manifest("units: units.csv\nmembers: " + c.file))),
				"units.csv":     mapFile([]byte(unitsCSV)), c.file: mapFile([]byte(c.data)),
			}
			plain, err := load(t, files, WithMaxBadRows(Limit{Count: 5}))
			if err != nil {
				t.Fatal(err)
			}
			other, members := checked(t), checked(t)
			snap, err := LoadFS(context.Background(), files, WithAllocator(other), WithMembersAllocator(members), WithMaxBadRows(Limit{Count: 5}))
			if err != nil {
				t.Fatal(err)
			}
			defer snap.Release()
			if diff := cmp.Diff(dump(plain.Records[snapshot.Members]), dump(snap.Records[snapshot.Members])); diff != "" {
				t.Errorf("members (-plain +with the allocator):\n%s", diff)
			}
			if c.name == "csv" && snap.Stats[snapshot.Members].Excluded != 1 {
				t.Errorf("excluded %d members, want 1 (the row without a unit)", snap.Stats[snapshot.Members].Excluded)
			}
			if members.CurrentAlloc() == 0 || other.CurrentAlloc() == 0 {
				t.Fatalf("members' allocator holds %d bytes, the other %d: want both some", members.CurrentAlloc(), other.CurrentAlloc())
			}
			held := other.CurrentAlloc()
			snap.Records[snapshot.Members].Release()
			snap.Records[snapshot.Members] = snapshot.EmptyRecord(snapshot.Members)
			if members.CurrentAlloc() != 0 {
				t.Errorf("members' allocator holds %d bytes once the members record is released", members.CurrentAlloc())
			}
			if other.CurrentAlloc() != held {
				t.Errorf("releasing the members record gave back %d bytes of the other allocator", held-other.CurrentAlloc())
			}
		})
	}
}
