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
	out, err := mustNew(t, p, WithParams(map[string]any{"TB-03": map[string]any{"min_size": 7}}),
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
		{"TB-01", TargetRollup{Counts: Counts{Total: 4, Pass: 1, Fail: 1, Skipped: 1, NotEvaluated: 1}, ByUnit: []UnitCount{
			{UnitID: "tinh", Level: "province", Name: "Tỉnh Thử", Counts: Counts{Total: 4, Pass: 1, Fail: 1, Skipped: 1, NotEvaluated: 1}},
			{UnitID: "h-a", Level: "district", Name: "Huyện A", Counts: Counts{Total: 2, Pass: 1, Skipped: 1}},
			{UnitID: "h-b", Level: "district", Name: "Huyện B", Counts: Counts{Total: 2, Fail: 1, NotEvaluated: 1}},
		}}},
		{"TB-03", TargetRollup{Counts: Counts{Total: 6, Pass: 2, Fail: 2, Waived: 1, NotEvaluated: 1}, ByUnit: []UnitCount{
			{UnitID: "tinh", Level: "province", Name: "Tỉnh Thử", Counts: Counts{Total: 6, Pass: 2, Fail: 2, Waived: 1, NotEvaluated: 1}},
			{UnitID: "h-a", Level: "district", Name: "Huyện A", Counts: Counts{Total: 3, Pass: 1, Fail: 2}},
			{UnitID: "h-b", Level: "district", Name: "Huyện B", Counts: Counts{Total: 3, Pass: 1, Waived: 1, NotEvaluated: 1}},
			{UnitID: "xa-1", Level: "commune", Name: "Xã Một", Counts: Counts{Total: 2, Pass: 1, Fail: 1}},
			{UnitID: "xa-2", Level: "commune", Name: "Xã Hai", Counts: Counts{Total: 1, Fail: 1}},
			{UnitID: "xa-3", Level: "commune", Name: "Phường Ba", Counts: Counts{Total: 2, Pass: 1, Waived: 1}},
			{UnitID: "xa-9", Level: "commune", Name: "Xã Chín", Counts: Counts{Total: 1, NotEvaluated: 1}},
		}}},
		{"TB-05", TargetRollup{Counts: Counts{Total: 1, Fail: 1}, ByUnit: []UnitCount{}}},
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
	withNotCounted := func(m any, notLaunched, inactiveUnit int) any {
		m.(map[string]any)["not_counted"] = map[string]any{"not_launched": float64(notLaunched), "inactive_unit": float64(inactiveUnit)}
		return m
	}
	want := map[string]any{
		"units": map[string]any{"province": 1.0, "district": 2.0, "commune": 3.0, "branch": 5.0, "group": 3.0},
		"models": []any{
			model("one_plus_one", "active", 1, 1, 0, [3]int{1, 1, 0}, [3]int{1, 1, 0}, [3]int{0, 0, 0}),
			model("one_plus_one", "inactive", 1, 1, 0, [3]int{1, 1, 0}, [3]int{0, 0, 0}, [3]int{1, 1, 0}),
			model("three_has_three_knows", "active", 2, 2, 2, [3]int{2, 2, 2}, [3]int{1, 1, 1}, [3]int{1, 1, 1}),
			model("special_members", "active", 1, 1, 1, [3]int{1, 1, 1}, [3]int{0, 0, 0}, [3]int{1, 1, 1}),
			// m-4, launched 2024-10-02 after as_of, does not count.
			withNotCounted(model("accompany", "active", 1, 1, 0, [3]int{1, 1, 0}, [3]int{0, 0, 0}, [3]int{1, 1, 0}), 1, 0),
		},
		"members": map[string]any{"total": 61.0},
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
}

func TestAddImproved(t *testing.T) {
	inv := Inventory{Models: []ModelInventory{
		{Type: "one_plus_one", Status: "active", Count: 3, ByUnit: []ModelUnitCount{{UnitID: "tinh"}, {UnitID: "h-a"}, {UnitID: "h-b"}}},
		{Type: "one_plus_one", Status: "inactive", Count: 1, ByUnit: []ModelUnitCount{{UnitID: "tinh"}, {UnitID: "h-a"}, {UnitID: "h-b"}}},
		{Type: "accompany", Status: "active", Count: 1, ByUnit: []ModelUnitCount{{UnitID: "tinh"}, {UnitID: "h-a"}, {UnitID: "h-b"}}},
	}}
	targets := []Target{{ID: "TB-08", Scope: "model", ModelType: "one_plus_one"}, {ID: "TB-07", Scope: "model", ModelType: "accompany"},
		{ID: "TB-01", Scope: "commune"}}
	improved := func(ids ...any) []Violation { return []Violation{{Msg: "x", Details: map[string]any{"improved": ids}}} }
	results := []Result{
		{Target: "TB-08", Subject: "m1", Path: []string{"tinh", "h-a", "xa"}, Status: StatusPass, Warnings: improved("c1", "c2")},
		{Target: "TB-08", Subject: "m2", Path: []string{"tinh", "h-b", "xb"}, Status: StatusFail, Warnings: improved("c3"),
			Violations: []Violation{{Msg: "y"}}},
		{Target: "TB-08", Subject: "m3", Path: []string{"tinh", "h-b", "xb"}, Status: StatusSkipped, Warnings: improved("c4")},
		{Target: "TB-07", Subject: "m4", Path: []string{"tinh", "h-a", "xa"}, Status: StatusPass, Warnings: improved("t1")},
		{Target: "TB-01", Subject: "xa", Path: []string{"tinh", "h-a"}, Status: StatusPass, Warnings: improved("z")},
	}
	inv.AddImproved(targets, results)
	got := map[string][]int{}
	for _, m := range inv.Models {
		k := m.Type + "/" + m.Status
		got[k] = []int{m.ImprovedPairs}
		for _, u := range m.ByUnit {
			got[k] = append(got[k], u.ImprovedPairs)
		}
	}
	want := map[string][]int{"one_plus_one/active": {3, 3, 2, 1}, "one_plus_one/inactive": {0, 0, 0, 0}, "accompany/active": {1, 1, 1, 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("improved pairs (-want +got):\n%s", diff)
	}
}
