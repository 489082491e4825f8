package checker

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRollup(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	p := loadTestPolicies(t, "testdata/policies")
	out, err := New(p, WithParams(map[string]any{"TB-03": map[string]any{"min_size": 7}}),
		WithWaivers([]Waiver{{Target: "TB-03", Unit: "xa-3", Expires: "2030-01-01"}}, "")).Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	rolls := Rollup(snap, out.Targets, out.Results)
	byID := map[string]TargetRollup{}
	for _, r := range rolls {
		byID[r.ID] = r
	}
	tests := []struct {
		target string
		want   TargetRollup
	}{
		{"TB-01", TargetRollup{Total: 4, Pass: 1, Fail: 1, Skipped: 1, NotEvaluated: 1, ByUnit: []UnitCount{
			{UnitID: "tinh", Level: "province", Name: "Tỉnh Thử", Total: 4, Pass: 1, Fail: 1, Skipped: 1, NotEvaluated: 1},
			{UnitID: "h-a", Level: "district", Name: "Huyện A", Total: 2, Pass: 1, Skipped: 1},
			{UnitID: "h-b", Level: "district", Name: "Huyện B", Total: 2, Fail: 1, NotEvaluated: 1},
		}}},
		{"TB-03", TargetRollup{Total: 6, Pass: 2, Fail: 2, Waived: 1, NotEvaluated: 1, ByUnit: []UnitCount{
			{UnitID: "tinh", Level: "province", Name: "Tỉnh Thử", Total: 6, Pass: 2, Fail: 2, Waived: 1, NotEvaluated: 1},
			{UnitID: "h-a", Level: "district", Name: "Huyện A", Total: 3, Pass: 1, Fail: 2},
			{UnitID: "h-b", Level: "district", Name: "Huyện B", Total: 3, Pass: 1, Waived: 1, NotEvaluated: 1},
			{UnitID: "xa-1", Level: "commune", Name: "Xã Một", Total: 2, Pass: 1, Fail: 1},
			{UnitID: "xa-2", Level: "commune", Name: "Xã Hai", Total: 1, Fail: 1},
			{UnitID: "xa-3", Level: "commune", Name: "Phường Ba", Total: 2, Pass: 1, Waived: 1},
			{UnitID: "xa-9", Level: "commune", Name: "Xã Chín", Total: 1, NotEvaluated: 1},
		}}},
		{"TB-05", TargetRollup{Total: 1, Fail: 1, ByUnit: []UnitCount{}}},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			got, ok := byID[tc.target]
			if !ok {
				t.Fatalf("no rollup for %s", tc.target)
			}
			got.Target = Target{}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if len(rolls) != len(out.Targets) {
		t.Errorf("%d rollups for %d targets", len(rolls), len(out.Targets))
	}
}

func TestTakeInventory(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	got := TakeInventory(snap)
	idx, err := Prepare(snap)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, idx.Inventory(snap)); diff != "" {
		t.Errorf("Index.Inventory differs from TakeInventory (-take +index):\n%s", diff)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	tops := func(rows ...[3]int) []any {
		ids := []string{"tinh", "h-a", "h-b"}
		levels := []string{"province", "district", "district"}
		out := []any{}
		for i, r := range rows {
			out = append(out, map[string]any{"unit_id": ids[i], "level": levels[i], "count": float64(r[0]),
				"communes_with": float64(r[1]), "branches_with": float64(r[2])})
		}
		return out
	}
	model := func(typ, status string, count, communes, branches int, rows ...[3]int) any {
		return map[string]any{"type": typ, "status": status, "count": float64(count),
			"units_with": map[string]any{"commune": float64(communes), "branch": float64(branches)},
			"by_unit":    tops(rows...)}
	}
	want := map[string]any{
		"units": map[string]any{"province": 1.0, "district": 2.0, "commune": 3.0, "branch": 5.0, "group": 3.0},
		"models": []any{
			model("one_plus_one", "active", 1, 1, 0, [3]int{1, 1, 0}, [3]int{1, 1, 0}, [3]int{0, 0, 0}),
			model("one_plus_one", "inactive", 1, 1, 0, [3]int{1, 1, 0}, [3]int{0, 0, 0}, [3]int{1, 1, 0}),
			model("three_has_three_knows", "active", 2, 2, 2, [3]int{2, 2, 2}, [3]int{1, 1, 1}, [3]int{1, 1, 1}),
			model("special_members", "active", 1, 1, 1, [3]int{1, 1, 1}, [3]int{0, 0, 0}, [3]int{1, 1, 1}),
			model("accompany", "active", 2, 2, 0, [3]int{2, 2, 0}, [3]int{1, 1, 0}, [3]int{1, 1, 0}),
		},
		"members": map[string]any{"total": 61.0},
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
}
