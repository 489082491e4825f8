package checker

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/policies"
)

func packLib(t *testing.T) []byte {
	t.Helper()
	b, err := fs.ReadFile(policies.FS, "lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// activeSnap: a province whose district h-off is inactive while the
// commune, branch and group below it say they are active (the ancestor is
// two levels above the branch, three above the group), next to an active
// district with a model launched after as_of.
func activeSnapPolicies(t *testing.T) *Policies {
	t.Helper()
	meta := func(id, scope, typ string) string {
		return "# METADATA\n# title: t\n# custom:\n#   id: " + id + "\n#   scope: " + scope + "\n#   model_type: " + typ + "\npackage targets." + scope + "\n\n"
	}
	fsys := fstest.MapFS{
		"c.rego":       {Data: []byte(meta("A-1", "commune", "") + "import data.lib.vungmanh as lib\n\nviolation contains {\"msg\": concat(\",\", sort(lib.active_unit_ids(input)))} if true\n")},
		"b.rego":       {Data: []byte(meta("A-2", "branch", "") + "violation contains {\"msg\": \"b\"} if true\n")},
		"g.rego":       {Data: []byte(meta("A-3", "group", "") + "violation contains {\"msg\": \"g\"} if true\n")},
		"m.rego":       {Data: []byte(meta("A-4", "model", "accompany") + "violation contains {\"msg\": \"m\"} if true\n")},
		"lib/lib.rego": {Data: packLib(t)},
	}
	p, err := Load(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestActiveAllTheWayUp(t *testing.T) {
	s := newSnap(checkedAlloc(t), "hoat-dong", "2024-09-30")
	s.unit("tinh", nil, "province", "Tỉnh", nil, nil).
		unit("h-off", "tinh", "district", "Huyện nghỉ", nil, false).
		unit("xa-off", "h-off", "commune", "Xã dưới huyện nghỉ", nil, true).
		unit("ch-off", "xa-off", "branch", "Thôn dưới huyện nghỉ", nil, true).
		unit("to-off", "ch-off", "group", "Tổ dưới huyện nghỉ", nil, true).
		unit("h-on", "tinh", "district", "Huyện", nil, true).
		unit("xa-on", "h-on", "commune", "Xã", nil, true).
		unit("ch-on", "xa-on", "branch", "Thôn", nil, true).
		unit("ch-on-off", "xa-on", "branch", "Thôn nghỉ", nil, false).
		unit("to-on-off", "ch-on-off", "group", "Tổ dưới thôn nghỉ", nil, true)
	s.model("m-off", "to-off", "accompany", "Dưới huyện nghỉ", "2024-01-01", "active", "economy", nil).
		model("m-on", "ch-on", "accompany", "Đã ra mắt", "2024-09-30", "active", "economy", nil).
		model("m-late", "ch-on", "accompany", "Chưa ra mắt", "2024-10-01", "active", "economy", nil).
		model("m-grp-off", "to-on-off", "accompany", "Dưới thôn nghỉ", "2024-01-01", "active", "economy", nil)
	snap := s.build()
	t.Cleanup(snap.Release)
	pols := activeSnapPolicies(t)
	vm, got, want := evaluateBoth(t, pols, snap)
	_ = vm
	for name, out := range map[string]*Outcome{"regovm": got, "topdown": want} {
		var b []brief
		for _, r := range out.Results {
			b = append(b, briefs([]Result{r})...)
		}
		no := []string(nil)
		wantB := []brief{
			{"A-1", "xa-on", StatusFail, "tinh/h-on", []string{"ch-on,xa-on map[]"}, no, "", ""},
			{"A-2", "ch-on", StatusFail, "tinh/h-on/xa-on", []string{"b map[]"}, no, "", ""},
			{"A-4", "m-late", StatusSkipped, "tinh/h-on/xa-on/ch-on", no, no, "not launched yet", ""},
			{"A-4", "m-on", StatusFail, "tinh/h-on/xa-on/ch-on", []string{"m map[]"}, no, "", ""},
		}
		if diff := cmp.Diff(wantB, b); diff != "" {
			t.Errorf("%s: results (-want +got):\n%s", name, diff)
		}
	}
	inv := TakeInventory(snap)
	if diff := cmp.Diff(map[string]int{"province": 1, "district": 1, "commune": 1, "branch": 1}, inv.Units); diff != "" {
		t.Errorf("inventory units (-want +got):\n%s", diff)
	}
	if len(inv.Models) != 1 || inv.Models[0].Status != "active" || inv.Models[0].Count != 1 ||
		inv.Models[0].NotCounted != (NotCounted{NotLaunched: 1, InactiveUnit: 2}) {
		t.Errorf("inventory models = %+v, want 1 active model counted, 1 not launched, 2 under inactive units", inv.Models)
	}
}
