package report

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/vungmanh/vungmanh/policies"
)

// The built-in pack's messages name units as the site labels them:
// lib.unit_name (policies/lib.rego) gives displayName's text for every
// unit, and the pack's kind_prefixes are this file's kindPrefixes. A word
// added on one side only fails here.
func TestPackNamesUnitsAsTheSite(t *testing.T) {
	lib, err := policies.FS.ReadFile("lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	units := []Unit{
		{ID: "h", Name: "Đông Hưng", Kind: "huyện"},
		{ID: "tp", Name: "TP Thái Bình", Kind: "thành phố"},
		{ID: "tp2", Name: "Thái Bình", Kind: "thành phố"},
		{ID: "q", Name: "Quận 10", Kind: "quận"},
		{ID: "x", Name: "Thái Xuyên", Kind: "xã"},
		{ID: "p", Name: "Phường Bồ Xuyên", Kind: "phường"},
		{ID: "dk", Name: "Côn Đảo", Kind: "đặc khu"},
		{ID: "c", Name: "Đông", Kind: "thôn"},
		{ID: "c2", Name: "Tổ dân phố số 1", Kind: "tổ dân phố"},
		{ID: "g", Name: "Tổ phụ nữ số 1", Kind: "tổ phụ nữ"},
		{ID: "g2", Name: "số 1", Kind: "tổ phụ nữ"},
		{ID: "n", Name: "Đông Hưng"},
		{ID: "e", Kind: "xã"},
		{ID: "s", Name: "  Kiến Xương ", Kind: " huyện "},
		{ID: "u", Name: "huyện Tiền Hải", Kind: "Huyện"},
	}
	for _, p := range kindPrefixes {
		units = append(units, Unit{ID: "k-" + p, Name: p + " Một", Kind: "khác"})
	}
	in := make([]map[string]any, len(units))
	for i, u := range units {
		m := map[string]any{"id": u.ID}
		if u.Name != "" {
			m["name"] = u.Name
		}
		if u.Kind != "" {
			m["kind"] = u.Kind
		}
		in[i] = m
	}
	r := rego.New(
		rego.Query(`names := [data.lib.vungmanh.unit_name(u) | some u in input]; prefixes := data.lib.vungmanh.kind_prefixes`),
		rego.Module("lib.rego", string(lib)),
		rego.Input(in),
	)
	rs, err := r.Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%d results, want 1", len(rs))
	}
	var got, prefixes []string
	for _, v := range rs[0].Bindings["names"].([]any) {
		got = append(got, v.(string))
	}
	for _, v := range rs[0].Bindings["prefixes"].([]any) {
		prefixes = append(prefixes, v.(string))
	}
	var want []string
	for _, u := range units {
		want = append(want, displayName(u))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lib.unit_name differs from the site's displayName (-site +pack):\n%s", diff)
	}
	if diff := cmp.Diff(kindPrefixes, prefixes); diff != "" {
		t.Errorf("lib.kind_prefixes differs from kindPrefixes (-site +pack):\n%s", diff)
	}
}
