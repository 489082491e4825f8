package checker

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// reformSnap is Phường Phố Hiến (11953) three months after it took over the
// code of Phường Hiến Nam and absorbed 11956 (known through lineage only),
// with the versions the loaders would resolve.
func reformSnap(t *testing.T) *snapshot.Snapshot {
	s := newSnap(checkedAlloc(t), "hung-yen", "2025-09-30")
	s.unit("33", nil, "province", "Tỉnh Hưng Yên", "tỉnh", true).
		unit("11953", "33", "commune", "Phường Phố Hiến", "phường", true, "2025-07-01", nil).
		unit("chi-1", "11953", "branch", "Tổ dân phố 1", nil, true).
		rating("11953", 2023, "good", nil, nil, nil, nil, nil).
		rating("11953", 2024, "fair", nil, nil, nil, nil, nil).
		rating("11953", 2025, "excellent", nil, nil, nil, nil, nil).
		rating("11956", 2024, "weak", nil, nil, nil, nil, nil).
		activity("11953", "2025-06", "meeting", 10).
		activity("11953", "2025-07", "meeting", 12).
		model("m-old", "11953", "other", nil, "2025-06-30", nil, nil, nil).
		model("m-new", "11953", "other", nil, "2025-07-01", nil, nil, nil).
		model("m-undated", "11953", "other", nil, nil, nil, nil, nil)
	lin := s.tables[snapshot.Lineage]
	lin.row("11953", "11953", "2025-07-01", "merge", nil)
	lin.row("11956", "11953", "2025-07-01", nil, nil)
	lin.row("9001", "11956", "2020-01-01", "split", 0.5)
	snap := s.build()
	t.Cleanup(snap.Release)
	d := func(y int, m time.Month, day int) arrow.Date32 { return snapshot.Day(y, m, day) }
	v := snapshot.NewVersions()
	v.History = []snapshot.UnitVersion{
		{ID: "11953", Name: "Phường Hiến Nam", Level: snapshot.LevelCommune, Active: true, From: snapshot.NoStart, To: d(2025, 6, 30)},
		{ID: "11956", Implicit: true, From: d(2020, 1, 1), To: d(2025, 6, 30)},
		{ID: "9001", Implicit: true, From: snapshot.NoStart, To: d(2019, 12, 31)},
	}
	v.Add("11953", snapshot.NoStart, d(2025, 6, 30), 0, false)
	v.Add("11953", d(2025, 7, 1), snapshot.NoEnd, snapshot.Current, false)
	v.Add("11956", d(2020, 1, 1), d(2025, 6, 30), 1, false)
	v.Add("9001", snapshot.NoStart, d(2019, 12, 31), 2, false)
	v.Seal()
	snap.Versions = v
	return snap
}

func TestHistoryInInput(t *testing.T) {
	snap := reformSnap(t)
	x, err := buildIndex(snap)
	if err != nil {
		t.Fatal(err)
	}
	in := x.unitInput(x.unitByID["11953"])
	var got map[string]any
	if err := json.Unmarshal([]byte(in.String()), &got); err != nil {
		t.Fatal(err)
	}
	wantHistory := []any{
		map[string]any{"id": "11953", "name": "Phường Hiến Nam", "level": "commune", "kind": "merge", "effective": "2025-07-01",
			"valid_to": "2025-06-30", "ratings": []any{
				map[string]any{"year": 2023.0, "rating": "good", "fields": map[string]any{}},
				map[string]any{"year": 2024.0, "rating": "fair", "fields": map[string]any{}},
			}, "activities": []any{map[string]any{"month": "2025-06", "kind": "meeting", "attendees": 10.0}}},
		map[string]any{"id": "11956", "kind": "merge", "effective": "2025-07-01", "valid_from": "2020-01-01", "valid_to": "2025-06-30",
			"ratings": []any{map[string]any{"year": 2024.0, "rating": "weak", "fields": map[string]any{}}},
			"history": []any{map[string]any{"id": "9001", "kind": "split", "effective": "2020-01-01", "share": 0.5,
				"valid_to": "2019-12-31", "ratings": []any{}}}},
	}
	subj := got["subject"].(map[string]any)
	if diff := cmp.Diff(wantHistory, subj["history"]); diff != "" {
		t.Errorf("subject.history (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"11953": []any{map[string]any{"year": 2025.0, "rating": "excellent", "fields": map[string]any{}}}}, got["ratings"]); diff != "" {
		t.Errorf("own ratings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"11953": []any{map[string]any{"month": "2025-07", "kind": "meeting", "attendees": 12.0}}}, got["activities"]); diff != "" {
		t.Errorf("own activities (-want +got):\n%s", diff)
	}
	var models []string
	for _, m := range got["models"].([]any) {
		models = append(models, m.(map[string]any)["id"].(string))
	}
	if diff := cmp.Diff([]string{"m-new", "m-undated"}, models); diff != "" {
		t.Errorf("models: a model launched on 30 June 2025 is the old commune's (-want +got):\n%s", diff)
	}
	// Units that no lineage reaches have no history key.
	for _, id := range []string{"chi-1", "33"} {
		if h := x.unitTerm(x.unitByID[id]).Value.(ast.Object).Get(ast.StringTerm("history")); h != nil {
			t.Errorf("%s has history", id)
		}
	}
	inv := TakeInventory(snap)
	total := 0
	for _, m := range inv.Models {
		total += m.Count
	}
	if total != 2 {
		t.Errorf("inventory counts %d models, want 2 (the old commune's is history)", total)
	}
	raw, err := loadSchema("commune")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem://commune.json", raw); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem://commune.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inputJSON(t, in)); err != nil {
		t.Errorf("input does not match the commune schema: %v", err)
	}
}
