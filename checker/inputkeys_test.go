package checker

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// names lists the keys of k, or "all".
func (k inputKeys) names() []string {
	if k == allInputKeys {
		return []string{"all"}
	}
	var out []string
	for name, bit := range inputKeyBits {
		if k&bit != 0 {
			out = append(out, name)
		}
	}
	if k&inOwnMembers != 0 {
		out = append(out, "members(own)")
	}
	sort.Strings(out)
	return out
}

// TestReadInputKeys checks which keys of input the analysis finds, and that
// every use of input it cannot follow means the whole input.
func TestReadInputKeys(t *testing.T) {
	const lib = "package lib.t\n\n" +
		"models(inp) := count(object.get(inp, \"models\", []))\n" +
		"subject_id(inp) := inp.subject.id\n" +
		"nested(inp) := models(inp) + count(inp.units)\n" +
		"marshal(inp) := json.marshal(inp)\n" +
		"same(inp) := inp\n" +
		"twice(inp) := inp.ratings if inp.subject.level == \"commune\"\n" +
		"else := inp.activities\n" +
		"own_stats(inp) := object.get(object.get(inp, \"members\", {}), inp.subject.id, {})\n" +
		"total(ms) := count(ms)\n"
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"refs with constant keys", `violation contains {"msg": input.subject.id} if count(input.models) == 0`, []string{"models", "subject"}},
		{"object.get with a constant key", `violation contains {"msg": "x"} if count(object.get(input, "units", [])) == 0`, []string{"units"}},
		{"object.get with a path", `violation contains {"msg": object.get(input, ["subject", "id"], "")} if true`, []string{"subject"}},
		{"object.get with a computed key", "violation contains {\"msg\": \"x\"} if {\n\tsome k in [\"units\"]\n\tobject.get(input, k, []) == []\n}", []string{"all"}},
		{"computed key", "violation contains {\"msg\": \"x\"} if {\n\tsome k in [\"units\"]\n\tinput[k] == []\n}", []string{"all"}},
		{"walk", "violation contains {\"msg\": \"x\"} if {\n\twalk(input, [p, v])\n\tv == \"x\"\n\tp != []\n}", []string{"all"}},
		{"json.marshal", `violation contains {"msg": json.marshal(input)} if true`, []string{"all"}},
		{"iterated", "violation contains {\"msg\": k} if {\n\tsome k, v in input\n\tv != null\n}", []string{"all"}},
		{"bound to a variable", "violation contains {\"msg\": x.subject.id} if {\n\tx := input\n\tx.units != []\n}", []string{"subject", "units"}},
		{"with", "r if input.subject.id == \"a\"\n\nviolation contains {\"msg\": \"x\"} if not r with input as {\"subject\": {\"id\": \"a\"}}", []string{"all"}},
		{"function reads its parameter", `violation contains {"msg": data.lib.t.subject_id(input)} if data.lib.t.models(input) == 0`, []string{"models", "subject"}},
		{"function passes its parameter on", `violation contains {"msg": "x"} if data.lib.t.nested(input) == 0`, []string{"models", "units"}},
		{"function gives its parameter to a builtin", `violation contains {"msg": data.lib.t.marshal(input)} if true`, []string{"all"}},
		{"function returns its parameter", `violation contains {"msg": data.lib.t.same(input).subject.id} if true`, []string{"all"}},
		{"function given part of input", `violation contains {"msg": data.lib.t.marshal(input.subject)} if true`, []string{"subject"}},
		{"function with else", `violation contains {"msg": "x"} if data.lib.t.twice(input) == []`, []string{"activities", "ratings", "subject"}},
		{"library rule", `violation contains {"msg": "x"} if input.subject.id == "a"`, []string{"snapshot", "subject"}},
		{"in an array", "violation contains {\"msg\": \"x\"} if {\n\tx := [input]\n\tcount(x[0].cadres) == 0\n}", []string{"all"}},
		{"in an object", "violation contains {\"msg\": \"x\"} if {\n\tx := {\"i\": input}\n\tcount(x.i.cadres) == 0\n}", []string{"all"}},
		{"in a comprehension", "violation contains {\"msg\": \"x\"} if {\n\tx := [y | some y in [input]]\n\tcount(x[0].cadres) == 0\n}", []string{"all"}},
		{"unified", "violation contains {\"msg\": \"x\"} if {\n\t[x] = [input]\n\tcount(x.cadres) == 0\n}", []string{"all"}},
		{"rule value", "inp := input\n\nviolation contains {\"msg\": \"x\"} if count(inp.cadres) == 0", []string{"all"}},
		// input.members read at the subject's id only: its own entry.
		{"members at the subject's id", "violation contains {\"msg\": \"x\"} if {\n\tsid := input.subject.id\n\tobject.get(object.get(input, \"members\", {}), sid, {}).total == 0\n}", []string{"members(own)", "subject"}},
		{"members ref at the subject's id", `violation contains {"msg": "x"} if input.members[input.subject.id].total == 0`, []string{"members(own)", "subject"}},
		{"members path at the subject's id", `violation contains {"msg": "x"} if object.get(input, ["members", input.subject.id, "total"], 0) == 0`, []string{"members(own)", "subject"}},
		{"members bound, then read at the subject's id", "violation contains {\"msg\": \"x\"} if {\n\tms := input.members\n\tm2 := ms\n\tm2[input.subject.id].total == 0\n}", []string{"members(own)", "subject"}},
		{"members at the subject's id in a function", `violation contains {"msg": "x"} if data.lib.t.own_stats(input).total == 0`, []string{"members(own)", "subject"}},
		{"members at another key", `violation contains {"msg": "x"} if object.get(object.get(input, "members", {}), input.subject.parent_id, {}).total == 0`, []string{"members", "subject"}},
		{"members at a constant key", `violation contains {"msg": "x"} if input.members.xa.total == 0`, []string{"members"}},
		{"members counted", `violation contains {"msg": "x"} if count(input.members) == 0`, []string{"members"}},
		{"members iterated", "violation contains {\"msg\": \"x\"} if {\n\tsome _, st in input.members\n\tst.total == 0\n}", []string{"members"}},
		{"members given to a function", `violation contains {"msg": "x"} if data.lib.t.total(object.get(input, "members", {})) == 0`, []string{"members"}},
		{"members in the head", "violation contains {\"msg\": \"x\", \"m\": m} if {\n\tm := object.get(input, \"members\", {})\n\tinput.subject.id != \"\"\n}", []string{"members", "subject"}},
		{"members compared", "violation contains {\"msg\": \"x\"} if {\n\tm := object.get(input, \"members\", {})\n\tm == {}\n}", []string{"members"}},
		{"the id checked in a comprehension", "violation contains {\"msg\": \"x\"} if {\n\tsid := \"b\"\n\tn := count([1 | sid = input.subject.id])\n\tobject.get(input.members, sid, {}) == {}\n\tn == 0\n}", []string{"members", "subject"}},
		{"the id denied", "violation contains {\"msg\": \"x\"} if {\n\tsid := \"b\"\n\tnot sid = input.subject.id\n\tobject.get(input.members, sid, {}) == {}\n}", []string{"members", "subject"}},
		{"own members and others", "r if count(input.members) > 1\n\nviolation contains {\"msg\": \"x\"} if {\n\tnot r\n\tinput.members[input.subject.id].total == 0\n}", []string{"members", "subject"}},
	}
	// Every rule of the libraries counts, called or not.
	extra := map[string]string{"library rule": "as_of := input.snapshot.as_of\n"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load(context.Background(), fstest.MapFS{
				"a.rego":   {Data: []byte(okMeta + tc.body + "\n")},
				"lib.rego": {Data: []byte(lib + extra[tc.name])},
			})
			if err != nil {
				t.Fatal(err)
			}
			got := p.inputKeys["commune"].names()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("keys read (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrunedInputsSameResults checks that EvaluateIndex, which builds only
// the keys of input that each scope's rules read, gives for every subject
// the results of evaluating the targets on the whole input document.
func TestPrunedInputsSameResults(t *testing.T) {
	sets := map[string]*Policies{"testdata": loadTestPolicies(t, "testdata/policies")}
	if m, _ := filepath.Glob("../policies/*.rego"); len(m) > 0 {
		if p, err := Load(context.Background(), os.DirFS("../policies")); err == nil {
			sets["pack"] = p
		} else {
			t.Logf("policies pack does not load: %v", err)
		}
	}
	alloc := checkedAlloc(t)
	small := smallSnap(alloc)
	defer small.Release()
	province := synthProvince(alloc, 8, 4, 12)
	defer province.Release()
	snaps := []struct {
		name string
		snap *snapshot.Snapshot
	}{{"small", small}, {"province", province}}
	pruned := 0
	for name, p := range sets {
		for scope, k := range p.inputKeys {
			t.Logf("%s: scope %s reads %s", name, scope, strings.Join(k.names(), ", "))
			if k != allInputKeys {
				pruned++
			}
		}
		for _, sn := range snaps {
			c := mustNew(t, p, WithWorkers(2))
			idx, err := Prepare(sn.snap)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.EvaluateIndex(context.Background(), idx)
			if err != nil {
				t.Fatal(err)
			}
			pl := c.planIndex(idx.x)
			var want []Result
			for _, sub := range pl.subjects {
				rs, err := c.evalGroup(context.Background(), pl.x, sub, c.groups[pl.key(sub)], pl.x.input(sub))
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, rs...)
			}
			sort.Slice(want, func(i, j int) bool {
				if want[i].Target != want[j].Target {
					return want[i].Target < want[j].Target
				}
				return want[i].Subject < want[j].Subject
			})
			var evaluated []Result
			for _, r := range got.Results {
				if r.Status != StatusNotEvaluated && r.SkipReason != reasonNotLaunched {
					evaluated = append(evaluated, r)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s on %s: nothing evaluated", name, sn.name)
			}
			if diff := cmp.Diff(want, evaluated); diff != "" {
				t.Errorf("%s on %s: results with pruned inputs differ (-whole input +pruned):\n%s", name, sn.name, diff)
			}
		}
	}
	if pruned == 0 {
		t.Error("no scope reads less than the whole input: nothing was pruned")
	}
}

// TestSharedRecords pins the ratings and activities of an input: their
// fields objects and activity records are built once per distinct value in
// the index and shared, and must read as if built per row.
func TestSharedRecords(t *testing.T) {
	x := smallIndex(t)
	doc := inputBytes(t, x.input(subject{scope: "province", unit: x.unitByID["tinh"], model: -1}))
	var got struct {
		Ratings, Activities any
	}
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	const want = `{
		"ratings": {
			"ch-1a": [
				{"year": 2022, "rating": "good", "fields": {}},
				{"year": 2023, "rating": "excellent", "score": 92.5, "fields": {"propaganda": "strong", "family": "strong", "economy": "strong"}}
			],
			"ch-1b": [{"year": 2023, "rating": "weak", "score": 41, "fields": {"propaganda": "not_strong", "economy": "not_strong", "membership": "not_strong"}}],
			"ch-3a": [{"year": 2023, "rating": "fair", "fields": {"family": "strong"}}],
			"xa-1": [{"year": 2023, "rating": "good", "score": 80, "fields": {}}]
		},
		"activities": {
			"ch-1a": [{"month": "2024-07", "kind": "support"}, {"month": "2024-08", "kind": "meeting", "attendees": 20}],
			"xa-3": [{"month": "2024-09", "attendees": 5}]
		}
	}`
	var exp struct {
		Ratings, Activities any
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(exp, got); diff != "" {
		t.Errorf("ratings and activities (-want +got):\n%s", diff)
	}
	if len(x.fieldTerms) != 4 || len(x.actTerms) != 3 {
		t.Errorf("distinct fields objects %d, activity records %d; want 4 and 3", len(x.fieldTerms), len(x.actTerms))
	}
}
