package report

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/collate"
)

// sortByLabel (collation keys) gives the order of the comparison it
// replaced, col.CompareString on the labels then the ids: on names with
// numbers, tones, case, spaces, equal labels and labels equal but for
// their bytes, and on the unit names of real reports when
// VUNGMANH_REPORT_JSON names some.
func TestSortByLabelAsCompareString(t *testing.T) {
	labels := []string{
		"Phường 2", "Phường 10", "Phường 02", "Phường 1", "phường 1", "Phường  1", "Xã Đông Hưng", "Xã Đông hưng",
		"Xã Dong Hung", "Xã Đồng Hưng", "Xã Đông Hưng (Thái Bình)", "Xã Đông Hưng [x1]", "Thị trấn Tiền Hải", "Ấp 3",
		"Ấp 3A", "Ấp 03", "Chi hội thôn 1", "Chi hội thôn 1 ", "", "a", "A", "á", "à", "ả", "ã", "ạ", "ă", "â", "Tổ 7", "Tổ 007",
		"TP. Thái Bình", "Thành phố Thái Bình", "x\u0301", "\u00e1", "Khu phố 1-2", "Khu phố 1–2", "9", "10", "Ｐhường",
	}
	for i := range 300 {
		labels = append(labels, fmt.Sprintf("Chi hội thôn %d", i), fmt.Sprintf("Xã số %d", i%37))
	}
	for _, f := range envReports(t) {
		for _, tg := range f.report.Targets {
			for _, u := range tg.ByUnit {
				labels = append(labels, u.Name, displayName(Unit{Name: u.Name, Kind: "xã"}))
			}
		}
	}
	col := newCollator()
	var buf collate.Buffer
	var keys []keyedNode
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 4 {
		nodes := make([]*node, len(labels))
		for i, l := range labels {
			nodes[i] = &node{Unit: &Unit{ID: fmt.Sprintf("u%d", rng.IntN(len(labels)))}, label: l}
		}
		rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
		want := slices.Clone(nodes)
		slices.SortFunc(want, func(a, b *node) int {
			return cmp.Or(col.CompareString(a.label, b.label), cmp.Compare(a.ID, b.ID))
		})
		keys = sortByLabel(col, &buf, keys, nodes)
		for i := range nodes {
			if nodes[i].label != want[i].label || nodes[i].ID != want[i].ID {
				t.Fatalf("round %d: at %d of %d: %q %s, want %q %s", round, i, len(nodes), nodes[i].label, nodes[i].ID, want[i].label, want[i].ID)
			}
		}
	}
}

// displayNameBefore is displayName as it was written first, with
// strings.ToLower: the reference of TestDisplayNameAsBefore.
func displayNameBefore(u Unit) string {
	name := strings.TrimSpace(u.Name)
	if name == "" {
		return u.ID
	}
	kind := strings.TrimSpace(u.Kind)
	if kind == "" {
		return name
	}
	low := strings.ToLower(name)
	has := func(s, w string) bool { return len(s) > len(w) && s[len(w)] == ' ' && strings.HasPrefix(s, w) }
	if has(low, strings.ToLower(kind)) || slices.ContainsFunc(kindPrefixes, func(p string) bool { return has(low, p) }) {
		return name
	}
	return capitalise(kind) + " " + name
}

var displayNameSeeds = []Unit{
	{Name: "Đông Hưng", Kind: "huyện"}, {Name: "Huyện Đông Hưng", Kind: "huyện"}, {Name: "HUYỆN Đông Hưng", Kind: "Huyện"},
	{Name: "huyện", Kind: "huyện"}, {Name: "huyệnĐông", Kind: "huyện"}, {Name: "Thị xã Hương Trà", Kind: "thị xã"},
	{Name: "TP. Thái Bình", Kind: "thành phố"}, {Name: "Tổ dân phố 3", Kind: "tổ"}, {Name: "Tổ dân phố", Kind: "tổ dân phố"},
	{Name: "Chi hội thôn 1", Kind: "chi hội"}, {Name: "  Xã A  ", Kind: " xã "}, {Name: "", Kind: "xã", ID: "x1"},
	{Name: "Xã A"}, {Name: "İstanbul x", Kind: "i̇stanbul"}, {Name: "\u212a K", Kind: "k"}, {Name: "\xff\xfe x", Kind: "\ufffd\ufffd"},
	{Name: "Hội LHPN tỉnh Thái Bình", Kind: "hội lhpn"}, {Name: "Ấp 3", Kind: "ấp"}, {Name: "ẤP 3", Kind: "ấp"},
	{Name: "Một tên rất dài của một đơn vị hành chính cấp xã ở vùng cao", Kind: "một tên rất dài của một đơn vị hành chính cấp"},
	{Name: "Thôn Đông", Kind: "thôn đông và một loại đơn vị có tên dài hơn bốn mươi tám byte"},
}

// displayName, which lowers only the start of a name and on the stack,
// gives what strings.ToLower of the whole name and kind gave: on names
// with kinds, case, tones, runes whose lower case is longer or shorter
// than they are (İ, the Kelvin sign), invalid UTF-8 and long kinds.
func TestDisplayNameAsBefore(t *testing.T) {
	for _, u := range displayNameSeeds {
		if got, want := displayName(u), displayNameBefore(u); got != want {
			t.Errorf("displayName(%q, %q) = %q, want %q", u.Name, u.Kind, got, want)
		}
	}
}

func FuzzDisplayName(f *testing.F) {
	for _, u := range displayNameSeeds {
		f.Add(u.Name, u.Kind)
	}
	f.Fuzz(func(t *testing.T, name, kind string) {
		u := Unit{ID: "id", Name: name, Kind: kind}
		var got, want string
		wantPanic := func() (p any) { defer func() { p = recover() }(); want = displayNameBefore(u); return nil }()
		gotPanic := func() (p any) { defer func() { p = recover() }(); got = displayName(u); return nil }()
		if (gotPanic != nil) != (wantPanic != nil) || got != want {
			t.Errorf("displayName(%q, %q) = %q (panic %v), want %q (panic %v)", name, kind, got, gotPanic, want, wantPanic)
		}
	})
}
