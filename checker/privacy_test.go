package checker

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Planted personal data: participant ids of people who are not members and
// pair labels, as real exports hold them.
const (
	personID      = "Nguyễn Thị Lan 0912345678"
	unknownMember = "Trần Thị Bình 0987654321"
	pairLabel     = "cặp chị Hoa (0977111222)"
)

var planted = []string{personID, unknownMember, pairLabel, "Nguyễn Thị Lan", "0912345678", "0987654321", "Hoa", "0977111222"}

// privateSnap is a commune with a "1+1" model whose participants are a
// member (hv-1), a cadre (cb-1), a woman who is not a member (named by her
// name and phone) and a member id the members table does not hold; pairs
// "1" and pairLabel.
func privateSnap(t *testing.T) *snapshot.Snapshot {
	s := newSnap(checkedAlloc(t), "rieng-tu", "2024-09-30")
	s.unit("tinh", nil, "province", "Tỉnh", nil, nil).
		unit("xa-1", "tinh", "commune", "Xã Một", "xã", true).
		unit("ch-1", "xa-1", "branch", "Thôn Một", "thôn", true)
	s.member("hv-1", "ch-1", "2020-01-01", false, false, false, false, false, nil)
	s.cadre("cb-1", "ch-1", "branch_head", "good", nil, nil, true)
	s.model("m-1", "xa-1", "one_plus_one", "1+1", "2024-01-01", "active", nil, nil)
	s.participant("m-1", "hv-1", "member", "helper", pairLabel, "member_recruits_woman").
		participant("m-1", personID, "person", "helped", pairLabel, "member_recruits_woman").
		participant("m-1", "cb-1", "cadre", "helper", "1", "cadre_supports_member").
		participant("m-1", unknownMember, "member", "helped", "1", "cadre_supports_member")
	snap := s.build()
	t.Cleanup(snap.Release)
	return snap
}

const modelMeta = "# METADATA\n# title: T\n# custom:\n#   id: P-%d\n#   scope: model\n#   model_type: one_plus_one\npackage targets.p%d\n\n"

// privateTargets copy participant ids and pair labels into every place a
// result has: msg, refs, details, warnings, skip, a builtin's error, a
// malformed violation.
var privateTargets = []string{
	`violation contains {"msg": sprintf("Thành viên %s của cặp %s (%d)", [p.id, p.pair, 1]), "refs": [input.subject.id, p.id, p.pair], "details": {p.id: [p.pair, {"who": p.id}]}} if {
	some p in input.subject.participants
}
warning contains {"msg": concat(", ", [p.id | some p in input.subject.participants])} if true`,
	`violation contains {"msg": "x"} if {
	some p in input.subject.participants
	to_number(p.id) > 0
}`,
	`skip := concat("; ", sort({p.pair | some p in input.subject.participants}))`,
	`violation contains {"msg": 7, "refs": [p.id]} if {
	some p in input.subject.participants
	p.kind == "person"
}`,
	`violation contains {"msg": "x", "refs": "` + personID + `"} if input.subject.id`,
}

func privatePolicies(t *testing.T) *Policies {
	t.Helper()
	fsys := fstest.MapFS{}
	for i, body := range privateTargets {
		fsys[fmt.Sprintf("p%d.rego", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf(modelMeta, i, i) + body + "\n")}
	}
	p, err := Load(context.Background(), fsys, withoutShapeCheck()) // p3, p4: malformed on purpose
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func leaked(v any) []string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out []string
	for _, s := range planted {
		if strings.Contains(string(b), s) {
			out = append(out, s)
		}
	}
	return out
}

// TestRedaction: whatever a target copies from the participants, no id of
// a person who is not a known member or cadre and no pair label reaches a
// result, with either engine, through Evaluate or EvalOne; member, cadre,
// model ids and short labels stay.
func TestRedaction(t *testing.T) {
	snap := privateSnap(t)
	pols := privatePolicies(t)
	_, got, want := evaluateBoth(t, pols, snap)
	if diff := cmp.Diff(want.Results, got.Results); diff != "" {
		t.Errorf("regovm and topdown differ (-topdown +regovm):\n%s", diff)
	}
	ones, _, err := mustNew(t, pols).EvalOne(context.Background(), snap, "m-1", "", true)
	if err != nil {
		t.Fatal(err)
	}
	for name, rs := range map[string][]Result{"regovm": got.Results, "topdown": want.Results, "EvalOne": ones} {
		if l := leaked(rs); len(l) > 0 {
			b, _ := json.MarshalIndent(rs, "", " ")
			t.Errorf("%s: results hold %q:\n%s", name, l, b)
		}
		byTarget := map[string]Result{}
		for _, r := range rs {
			byTarget[r.Target] = r
		}
		r := byTarget["P-0"]
		var msgs, refs []string
		for _, v := range r.Violations {
			msgs = append(msgs, v.Msg)
			refs = append(refs, v.Refs...)
		}
		for _, want := range []string{"Thành viên hv-1 của cặp ***) (1)", "Thành viên cb-1 của cặp 1 (1)", "Thành viên *** của cặp ***) (1)", "Thành viên *** của cặp 1 (1)"} {
			if !strings.Contains(strings.Join(msgs, "\n"), want) {
				t.Errorf("%s: P-0 messages %q lack %q", name, msgs, want)
			}
		}
		for _, want := range []string{"m-1", "hv-1", "cb-1", Redacted} {
			if !strings.Contains(" "+strings.Join(refs, " ")+" ", " "+want+" ") {
				t.Errorf("%s: P-0 refs %q lack %q", name, refs, want)
			}
		}
		// A pair label is free text: as a ref it is blanked whatever its
		// length (in text only long ones are).
		if strings.Contains(" "+strings.Join(refs, " ")+" ", " 1 ") {
			t.Errorf("%s: P-0 refs %q hold the pair label 1", name, refs)
		}
		if e := byTarget["P-1"].Error; e == nil || !strings.Contains(*e, "to_number") || !strings.Contains(*e, "p1.rego:") {
			t.Errorf("%s: P-1 error %v, want the builtin's name and the place", name, e)
		}
		if r := byTarget["P-2"]; r.Status != StatusSkipped || r.SkipReason != "1; ***)" {
			t.Errorf("%s: P-2 %s %q, want skipped \"1; ***)\"", name, r.Status, r.SkipReason)
		}
		for _, id := range []string{"P-3", "P-4"} {
			if r := byTarget[id]; r.Status != StatusError {
				t.Errorf("%s: %s status %s, want error", name, id, r.Status)
			}
		}
	}
}

func TestRedactorScrub(t *testing.T) {
	r := &redactor{exact: map[string]struct{}{}, text: map[string]struct{}{}, first: map[string]struct{}{}}
	for _, v := range []string{personID, "(Hoa)", "P-01", "1", "12345", "Lê Thị Mai"} {
		r.exact[v] = struct{}{}
		if c, ok := core(v); ok {
			r.text[c] = struct{}{}
			r.first[firstWord(c)] = struct{}{}
			r.max = max(r.max, len(c))
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"Thành viên " + personID + " chưa ghép cặp", "Thành viên *** chưa ghép cặp"},
		{`to_number: parsing "` + personID + `": invalid`, `to_number: parsing "***": invalid`},
		{"có 1 người, 12345 đồng", "có 1 người, 12345 đồng"},
		{"chị Hoa, P-01 và M-P-01, P-012", "chị ***, *** và M-P-01, P-012"},
		{"Lê Thị Mai Anh", "*** Anh"}, // ends a word: blanked, though a longer name
		{"Lê Thị Mai.", "***."},
		{"Nguyễn Thị Lan", "Nguyễn Thị Lan"}, // a prefix of a value only
		{"", ""},
	} {
		if got := r.scrub(tc.in); got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := r.ref("1"); got != Redacted {
		t.Errorf("ref(1) = %q, want %q", got, Redacted)
	}
}

// TestRedactorValue: details are scrubbed keys and strings included, at any
// depth; a value with nothing to scrub is returned as it is (no copy), and
// the value given is never modified.
func TestRedactorValue(t *testing.T) {
	r := &redactor{exact: map[string]struct{}{}, text: map[string]struct{}{}, first: map[string]struct{}{}}
	for _, v := range []string{"Lê Thị Mai", "P-01"} {
		r.exact[v] = struct{}{}
		if c, ok := core(v); ok {
			r.text[c] = struct{}{}
			r.first[firstWord(c)] = struct{}{}
			r.max = max(r.max, len(c))
		}
	}
	counts := map[string]any{"active": json.Number("0"), "not_counted": json.Number("2"), "ids": []any{"M-1", "M-2"}}
	got := r.value(counts).(map[string]any)
	if reflect.ValueOf(got).Pointer() != reflect.ValueOf(counts).Pointer() {
		t.Errorf("value copied a map with nothing to scrub")
	}
	in := map[string]any{
		"n":          json.Number("1"),
		"Lê Thị Mai": "x",
		"people":     []any{"P-01", "M-1", map[string]any{"name": "chị Lê Thị Mai"}},
	}
	before := fmt.Sprint(in)
	out := r.value(in).(map[string]any)
	want := map[string]any{
		"n":      json.Number("1"),
		Redacted: "x",
		"people": []any{Redacted, "M-1", map[string]any{"name": "chị " + Redacted}},
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("value = %v, want %v", out, want)
	}
	if fmt.Sprint(in) != before {
		t.Errorf("value modified its argument: %v, was %s", in, before)
	}
}

// TestWordTable: the table word reads agrees with the unicode classes it
// stands for, on every rune of the Basic Multilingual Plane and some above.
func TestWordTable(t *testing.T) {
	for r := rune(0); r < 1<<16+512; r++ {
		if word(r) != isWord(r) {
			t.Fatalf("word(%U) = %v, isWord %v", r, word(r), isWord(r))
		}
	}
	for _, r := range "aZ09-_ếƠđ\u0301" {
		if !word(r) {
			t.Errorf("word(%q) = false", r)
		}
	}
	for _, r := range " ,.;:\"'()/\u00a0%" {
		if word(r) {
			t.Errorf("word(%q) = true", r)
		}
	}
}

// BenchmarkWord classifies every rune of a Vietnamese message (scrub's
// inner loop) with the table word reads and with the unicode classes.
func BenchmarkWord(b *testing.B) {
	msg := []rune("Chi hội Thôn Đông Hưng 3 chưa có mô hình \"3 có, 3 biết\" nào đang hoạt động (0 mô hình đang hoạt động; 2 mô hình không được tính: đã dừng, ra mắt sau ngày số liệu)")
	for _, c := range []struct {
		name string
		f    func(rune) bool
	}{{"table", wordBMP().has}, {"unicode", isWord}} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for i := 0; i < b.N; i++ {
				for _, r := range msg {
					if c.f(r) {
						n++
					}
				}
			}
			b.ReportMetric(float64(len(msg)*b.N)/b.Elapsed().Seconds()/1e6, "Mrunes/s")
			_ = n
		})
	}
}
