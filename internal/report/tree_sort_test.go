package report

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
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
			nodes[i] = &node{Unit: Unit{ID: fmt.Sprintf("u%d", rng.IntN(len(labels)))}, label: l}
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
