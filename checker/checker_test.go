package checker

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

func loadTestPolicies(t testing.TB, dir string) *Policies {
	t.Helper()
	p, err := Load(context.Background(), os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// brief is a result reduced to what the tests below check.
type brief struct {
	Target, Subject string
	Status          Status
	Path            string
	Msgs            []string
	Warnings        []string
	Skip            string
	Waiver          string
}

func briefs(rs []Result) []brief {
	out := make([]brief, len(rs))
	for i, r := range rs {
		b := brief{Target: r.Target, Subject: r.Subject, Status: r.Status, Path: strings.Join(r.Path, "/"), Skip: r.SkipReason}
		for _, v := range r.Violations {
			b.Msgs = append(b.Msgs, v.Msg+" "+strings.Join(v.Refs, ",")+fmt.Sprint(v.Details))
		}
		for _, v := range r.Warnings {
			b.Warnings = append(b.Warnings, v.Msg)
		}
		if r.Waiver != nil {
			b.Waiver = r.Waiver.Unit
		}
		if r.Error != nil {
			b.Skip = "error: " + *r.Error
		}
		out[i] = b
	}
	return out
}

func TestEvaluate(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	p := loadTestPolicies(t, "testdata/policies")
	waivers := []Waiver{
		{Target: "TB-03", Unit: "xa-3", Expires: "2025-01-01"},
		{Target: "TB-01", Unit: "h-b", Expires: "2024-01-01"},
		{Target: "TB-06", Unit: "tinh", Expires: "2030-01-01"},
		{Target: "TB-04", Unit: "h-a", Expires: "2030-01-01"},
	}
	out, err := mustNew(t, p, WithParams(map[string]any{"TB-03": map[string]any{"min_size": 7}}), WithWaivers(waivers, "")).
		Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	no := []string(nil)
	want := []brief{
		{"TB-01", "xa-1", StatusPass, "tinh/h-a", no, no, "", ""},
		{"TB-01", "xa-2", StatusSkipped, "tinh/h-a", no, no, "thành lập sau hạn", ""},
		{"TB-01", "xa-3", StatusFail, "tinh/h-b", []string{`chưa có mô hình "1+1" đang hoạt động map[]`}, no, "", ""},
		{"TB-01", "xa-9", StatusNotEvaluated, "tinh/h-b", no, no, "error: DQ003 on row 12", ""},
		{"TB-02", "xa-1", StatusFail, "tinh/h-a", []string{`chi hội Thôn 1B chưa có mô hình "3 có, 3 biết" ch-1bmap[members:7]`}, no, "", ""},
		{"TB-02", "xa-2", StatusFail, "tinh/h-a", []string{`chi hội Thôn 2A chưa có mô hình "3 có, 3 biết" ch-2amap[members:7]`}, []string{"chưa ghi nhận nhu cầu hội viên"}, "", ""},
		{"TB-02", "xa-3", StatusFail, "tinh/h-b", []string{`chi hội TDP 3B chưa có mô hình "3 có, 3 biết" ch-3bmap[members:8]`, `chi hội TDP 3A chưa có mô hình "3 có, 3 biết" ch-3amap[members:13]`}, no, "", ""},
		{"TB-02", "xa-9", StatusNotEvaluated, "tinh/h-b", no, no, "error: DQ003 on row 12", ""},
		{"TB-03", "ch-1a", StatusPass, "tinh/h-a/xa-1", no, no, "", ""},
		{"TB-03", "ch-1b", StatusFail, "tinh/h-a/xa-1", []string{"không có chi hội trưởng map[]"}, []string{"xếp loại Trung bình năm 2023"}, "", ""},
		{"TB-03", "ch-2a", StatusFail, "tinh/h-a/xa-2", []string{"không có chi hội trưởng map[]"}, no, "", ""},
		{"TB-03", "ch-3a", StatusPass, "tinh/h-b/xa-3", no, no, "", ""},
		{"TB-03", "ch-3b", StatusWaived, "tinh/h-b/xa-3", []string{"không có chi hội trưởng map[]"}, no, "", "xa-3"},
		{"TB-03", "ch-9a", StatusNotEvaluated, "tinh/h-b/xa-9", no, no, "error: ancestor xa-9 excluded", ""},
		{"TB-04", "h-a", StatusPass, "tinh", no, []string{"Huyện A: 40 hội viên"}, "", ""},
		{"TB-04", "h-b", StatusPass, "tinh", no, []string{"Huyện B: 21 hội viên"}, "", ""},
		{"TB-05", "tinh", StatusFail, "", []string{"ít cơ sở map[communes:4]"}, no, "", ""},
		{"TB-06", "to-1a1", StatusSkipped, "tinh/h-a/xa-1/ch-1a", no, no, "", ""},
		{"TB-06", "to-1a2", StatusPass, "tinh/h-a/xa-1/ch-1a", no, no, "", ""},
		{"TB-06", "to-3a1", StatusWaived, "tinh/h-b/xa-3/ch-3a", []string{"chưa có tổ trưởng map[]"}, no, "", "tinh"},
		{"TB-07", "m-4", StatusSkipped, "tinh/h-a/xa-1", no, no, "not launched yet", ""},                                // launched 2024-10-02, after as_of
		{"TB-07", "m-5", StatusFail, "tinh/h-b/xa-3", []string{"có 3 chi hội, cần 2 ch-3a,ch-3b,***map[]"}, no, "", ""}, // ghost: a unit id the units table lacks, redacted
		{"TB-07", "m-9", StatusNotEvaluated, "tinh/h-b/xa-9/ch-9a", no, no, "error: unit ch-9a excluded", ""},
	}
	_ = m
	if diff := cmp.Diff(want, briefs(out.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	wantWaivers := WaiverReport{Applied: 2,
		Expired: []Waiver{{Target: "TB-01", Unit: "h-b", Expires: "2024-01-01"}},
		Unused:  []Waiver{{Target: "TB-04", Unit: "h-a", Expires: "2030-01-01"}}}
	if diff := cmp.Diff(wantWaivers, out.Waivers); diff != "" {
		t.Errorf("waivers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(p.Targets(), out.Targets); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestWorkersIdentical(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := synthProvince(alloc, 24, 6, 20)
	defer snap.Release()
	p := loadTestPolicies(t, "testdata/policies")
	var outs []*Outcome
	for _, w := range []int{1, 8} {
		var calls, last int
		var mu sync.Mutex
		out, err := mustNew(t, p, WithWorkers(w), WithProgress(func(done, total int) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if done < last || done > total {
				t.Errorf("progress %d/%d after %d", done, total, last)
			}
			last = done
		})).Evaluate(context.Background(), snap)
		if err != nil {
			t.Fatal(err)
		}
		if calls == 0 {
			t.Errorf("workers %d: progress never called", w)
		}
		outs = append(outs, out)
	}
	if len(outs[0].Results) < 500 {
		t.Fatalf("only %d results", len(outs[0].Results))
	}
	if diff := cmp.Diff(outs[0], outs[1]); diff != "" {
		t.Errorf("1 worker vs 8 workers (-1 +8):\n%s", diff)
	}
	if !sort.SliceIsSorted(outs[0].Results, func(i, j int) bool {
		a, b := outs[0].Results[i], outs[0].Results[j]
		return a.Target < b.Target || a.Target == b.Target && a.Subject < b.Subject
	}) {
		t.Errorf("results not sorted by target, subject")
	}
}

func TestShards(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := synthProvince(alloc, 30, 3, 5)
	defer snap.Release()
	p := loadTestPolicies(t, "testdata/policies")
	whole, err := mustNew(t, p).Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	var merged []Result
	const count = 3
	for i := 0; i < count; i++ {
		out, err := mustNew(t, p, WithShard(i, count)).Evaluate(context.Background(), snap)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Results) == 0 {
			t.Errorf("shard %d is empty", i)
		}
		merged = append(merged, out.Results...)
	}
	var want []Result
	for _, r := range whole.Results {
		if r.SubjectLevel != "province" && r.SubjectLevel != "district" {
			want = append(want, r)
		}
	}
	sort.SliceStable(merged, func(i, j int) bool {
		a, b := merged[i], merged[j]
		return a.Target < b.Target || a.Target == b.Target && a.Subject < b.Subject
	})
	if diff := cmp.Diff(want, merged); diff != "" {
		t.Errorf("merged shards differ from the whole run without province/district subjects (-whole +merged):\n%s", diff)
	}
	// The merge step evaluates what no shard does.
	upper, err := mustNew(t, p, WithScopes("province", "district")).Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	merged = append(merged, upper.Results...)
	sort.SliceStable(merged, func(i, j int) bool {
		a, b := merged[i], merged[j]
		return a.Target < b.Target || a.Target == b.Target && a.Subject < b.Subject
	})
	if diff := cmp.Diff(whole.Results, merged); diff != "" {
		t.Errorf("shards + upper scopes differ from the whole run (-whole +merged):\n%s", diff)
	}
}

func TestEvalDeadline(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	fsys := policyFS(t, map[string]string{"testdata/loop": "", "testdata/policies": "", "testdata/policies/lib": "lib/"})
	p, err := Load(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	out, err := mustNew(t, p, WithEvalTimeout(300*time.Millisecond), WithWorkers(2)).Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	got := map[Status]int{}
	for _, r := range out.Results {
		if r.Target == "LOOP-01" {
			got[r.Status]++
			if r.Status == StatusError && !strings.Contains(*r.Error, "deadline") {
				t.Errorf("%s: error %q does not mention the deadline", r.Subject, *r.Error)
			}
		}
	}
	if diff := cmp.Diff(map[Status]int{StatusError: 3, StatusNotEvaluated: 1}, got); diff != "" {
		t.Errorf("LOOP-01 statuses (-want +got):\n%s", diff)
	}
	// The other targets of the commune scope were evaluated together with
	// LOOP-01, within the same deadline: they are errors too, and the
	// deadline was not spent a second time to tell them apart. The branch
	// targets ran as usual.
	for _, r := range out.Results {
		switch {
		case r.Target == "TB-01" && r.Status != StatusNotEvaluated:
			if r.Status != StatusError || !strings.Contains(*r.Error, "were evaluated together and ran past it") {
				t.Errorf("TB-01 %s: %s %v, want the shared deadline's error", r.Subject, r.Status, r.Error)
			}
		case r.SubjectLevel == "branch" && r.Status == StatusError:
			t.Errorf("%s %s: error %q", r.Target, r.Subject, *r.Error)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	tests := []struct {
		name, body, want string
	}{
		{"strict builtin error", `violation contains {"msg": "x"} if to_number(input.subject.name) > 0`, "a.rego:8: eval_builtin_error: to_number: the operand's value is not shown"},
		{"conflict", "skip := true if input.subject.id\nskip := \"b\" if input.subject.id", "conflict"},
		{"violation without msg", `violation contains {"text": "x"} if input.subject.id`, "must have a string msg"},
		{"violation not an object", `violation contains "x" if input.subject.id`, "must be an object"},
		{"skip of wrong type", `skip := 3 if input.subject.id`, "skip must be true or a string"},
		{"refs not a list", `violation contains {"msg": "x", "refs": "a"} if input.subject.id`, "refs must be a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Load refuses the shapes the source fixes (TestShapeErrors); the
			// run must still make them errors when only the data reveals them.
			p, err := Load(context.Background(), fstest.MapFS{"a.rego": {Data: []byte(okMeta + tc.body + "\n")}}, withoutShapeCheck())
			if err != nil {
				t.Fatal(err)
			}
			out, err := mustNew(t, p).Evaluate(context.Background(), snap)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Results {
				if r.Status == StatusNotEvaluated {
					continue
				}
				if r.Status != StatusError || !strings.Contains(*r.Error, tc.want) {
					e := "<nil>"
					if r.Error != nil {
						e = *r.Error
					}
					t.Errorf("%s: status %s error %q, want error containing %q", r.Subject, r.Status, e, tc.want)
				}
			}
		})
	}
}

func TestEvaluateCancelled(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	p := loadTestPolicies(t, "testdata/policies")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := mustNew(t, p).Evaluate(ctx, snap); err == nil {
		t.Fatal("Evaluate with a cancelled context succeeded")
	}
}

func TestEvalOne(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	p := loadTestPolicies(t, "testdata/policies")
	c := mustNew(t, p, WithWaivers([]Waiver{{Target: "TB-03", Unit: "xa-1", Expires: "2030-01-01"}}, "2024-09-30"))
	tests := []struct {
		subject, target string
		explain         bool
		want            []string // target status
		wantErr         string
	}{
		{"xa-3", "", false, []string{"TB-01 fail", "TB-02 fail"}, ""},
		{"xa-3", "TB-02", true, []string{"TB-02 fail"}, ""},
		{"ch-1b", "", false, []string{"TB-03 waived"}, ""},
		{"m-5", "", false, []string{"TB-07 fail"}, ""},
		{"xa-3", "TB-03", false, nil, "scope branch"},
		{"xa-3", "TB-99", false, nil, "no target"},
		{"nope", "", false, nil, "no such unit or model"},
	}
	for _, tc := range tests {
		t.Run(tc.subject+"/"+tc.target, func(t *testing.T) {
			rs, trace, err := c.EvalOne(context.Background(), snap, tc.subject, tc.target, tc.explain)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.Target+" "+string(r.Status))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tc.explain != strings.Contains(trace, "Enter") {
				t.Errorf("explain %v but trace is %d bytes", tc.explain, len(trace))
			}
		})
	}
	v, scope, err := c.Input(snap, "m-4")
	if err != nil || scope != "model" || v == nil {
		t.Fatalf("Input(m-4) = %v, %q, %v", v, scope, err)
	}
}

// TestGroupMatchesOneByOne checks that one query for every target of a
// scope gives, for every subject, the results of evaluating the targets one
// by one, also when some targets of the group fail at run time or leave
// violation undefined (the group falls back) or give malformed sets
// (decoded per target).
func TestGroupMatchesOneByOne(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	faulty := map[string]string{
		"strict builtin error":  `violation contains {"msg": "x"} if to_number(input.subject.name) > 0`,
		"conflict":              "skip := true if input.subject.id\nskip := \"b\" if input.subject.id",
		"violation without msg": `violation contains {"text": "x"} if input.subject.id`,
		"skip of wrong type":    `skip := 3 if input.subject.id`,
		"only on some subjects": `violation contains {"msg": "x"} if to_number(input.subject.id) > 0`,
		"violation undefined":   `violation := {{"msg": "x"}} if input.subject.id == "xa-1"`,
	}
	for name, body := range faulty {
		t.Run(name, func(t *testing.T) {
			fsys := policyFS(t, map[string]string{"testdata/policies": "", "testdata/policies/lib": "lib/"})
			fsys["zz.rego"] = &fstest.MapFile{Data: []byte(strings.Replace(okMeta, "X-1", "TB-00", 1) + body + "\n")}
			p, err := Load(context.Background(), fsys, withoutShapeCheck()) // see TestRuntimeErrors
			if err != nil {
				t.Fatal(err)
			}
			c := mustNew(t, p, WithWorkers(1))
			pl, err := c.plan(snap)
			if err != nil {
				t.Fatal(err)
			}
			grouped := 0
			for _, s := range pl.subjects {
				g := c.groups[pl.key(s)]
				if len(g.targets) > 1 {
					grouped++
				}
				input := pl.x.input(s)
				got, err := c.evalGroup(context.Background(), pl.x, s, g, input)
				if err != nil {
					t.Fatal(err)
				}
				var want []Result
				for _, pt := range g.targets {
					r, err := c.evalOne(context.Background(), pl.x, s, pt, input, hooks{}, time.Now().Add(c.timeout))
					if err != nil {
						t.Fatal(err)
					}
					want = append(want, r)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: grouped results differ (-one by one +grouped):\n%s", pl.x.subjectID(s), diff)
				}
			}
			if grouped == 0 {
				t.Error("no subject had a group of several targets")
			}
		})
	}
}

// poisonAlloc overwrites memory when it is freed, so that a reference kept
// into a released record reads garbage instead of the old values.
type poisonAlloc struct{ memory.Allocator }

func (a poisonAlloc) Free(b []byte) {
	for i := range b {
		b[i] = 0xA5
	}
	a.Allocator.Free(b)
}

// TestEvaluateIndexWithoutMembers checks that an Index keeps no reference
// into the records it says it no longer reads (Unread: members,
// activities, ratings): released (and overwritten) after Prepare, the
// results are those of Evaluate on an intact snapshot, with the test
// policies and with the project's pack (which reads ratings and
// activities).
//
// With ReleaseRead, Prepare releases them itself as soon as it has read
// them (while it indexes the rest: a read after that sees the poison),
// calls after once for each, puts empty records in their place, and the
// inventory still counts the members.
func TestEvaluateIndexWithoutMembers(t *testing.T) {
	for name, p := range benchPolicies(t) {
		t.Run(name, func(t *testing.T) { evaluateWithoutUnread(t, p, false) })
		t.Run(name+"/ReleaseRead", func(t *testing.T) { evaluateWithoutUnread(t, p, true) })
	}
}

func evaluateWithoutUnread(t *testing.T, p *Policies, during bool) {
	intactAlloc := checkedAlloc(t)
	intact := synthProvince(intactAlloc, 12, 5, 20)
	defer intact.Release()
	want, err := mustNew(t, p).Evaluate(context.Background(), intact)
	if err != nil {
		t.Fatal(err)
	}

	checked := checkedAlloc(t)
	snap := synthProvince(poisonAlloc{checked}, 12, 5, 20)
	defer snap.Release()
	for _, tb := range []snapshot.Table{snapshot.Members, snapshot.Activities, snapshot.Ratings} {
		if snap.Records[tb].NumRows() == 0 {
			t.Fatalf("the synthetic province has no %s: releasing them proves nothing", tb)
		}
	}
	var opts []PrepareOption
	var mu sync.Mutex
	var released []snapshot.Table
	if during {
		opts = append(opts, ReleaseRead(func(tb snapshot.Table) {
			mu.Lock()
			defer mu.Unlock()
			released = append(released, tb)
		}))
	}
	idx, err := Prepare(snap, opts...)
	if err != nil {
		t.Fatal(err)
	}
	unread := idx.Unread()
	if !slices.Contains(unread, snapshot.Members) || !slices.Contains(unread, snapshot.Activities) || !slices.Contains(unread, snapshot.Ratings) {
		t.Fatalf("Unread = %v; want members, activities and ratings (few distinct ratings)", unread)
	}
	wantIdx, err := Prepare(intact)
	if err != nil {
		t.Fatal(err)
	}
	if during {
		slices.Sort(released)
		if sorted := slices.Sorted(slices.Values(unread)); !slices.Equal(released, sorted) {
			t.Errorf("released %v, want Unread's %v once each", released, sorted)
		}
		for _, tb := range unread {
			if rec := snap.Records[tb]; rec.NumRows() != 0 || !rec.Schema().Equal(snapshot.Schema(tb)) {
				t.Errorf("%s after Prepare: %d rows, schema %v; want an empty record of its schema", tb, rec.NumRows(), rec.Schema())
			}
		}
		if got, want := idx.Inventory(snap).Members, wantIdx.Inventory(intact).Members; got != want || got.Total == 0 {
			t.Errorf("inventory's members %+v after ReleaseRead, want %+v", got, want)
		}
	} else {
		for _, tb := range unread {
			snap.Records[tb].Release()
			delete(snap.Records, tb)
		}
	}
	terms := func(x *index) map[string]string {
		out := map[string]string{}
		for i := range x.models {
			out[x.models[i].id] = x.modelTerm(i).String()
		}
		for _, g := range x.sgTerms {
			out["sg:"+g.String()] = g.String()
		}
		for u := range x.units {
			for what, t := range map[string]*ast.Term{"ratings": x.ratingsTerm(u), "activities": x.activitiesTerm(u)} {
				if t != nil {
					out[what+":"+x.units[u].id] = t.String()
				}
			}
		}
		return out
	}
	if n := strings.Count(fmt.Sprint(terms(wantIdx.x)), `"member": {`); n == 0 {
		t.Fatal("no member takes part in a model")
	}
	if diff := cmp.Diff(terms(wantIdx.x), terms(idx.x)); diff != "" {
		t.Errorf("terms after releasing %v (-intact +released):\n%s", unread, diff)
	}
	for _, w := range []int{1, 4} {
		got, err := mustNew(t, p, WithWorkers(w)).EvaluateIndex(context.Background(), idx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("workers %d: EvaluateIndex after releasing %v differs from Evaluate (-want +got):\n%s", w, unread, diff)
		}
	}
}

// TestBatchInputs checks that the inputs of a commune's batch, built with
// shared per-unit terms, are the inputs built one by one, and that every
// subject is in exactly one batch.
func TestBatchInputs(t *testing.T) {
	alloc := checkedAlloc(t)
	snap := synthProvince(alloc, 6, 4, 10)
	defer snap.Release()
	c := mustNew(t, loadTestPolicies(t, "testdata/policies"))
	pl, err := c.plan(snap)
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]int, len(pl.subjects))
	shared := 0
	for _, b := range pl.batches() {
		tc := newTermCache()
		for _, i := range b {
			seen[i]++
			s := pl.subjects[i]
			got, want := pl.x.inputCached(s, tc), pl.x.input(s)
			if got.Compare(want) != 0 {
				t.Errorf("%s: input with shared terms differs:\n got %v\nwant %v", pl.x.subjectID(s), got, want)
			}
		}
		if len(b) > 1 {
			shared++
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("subject %s is in %d batches", pl.x.subjectID(pl.subjects[i]), n)
		}
	}
	if shared == 0 {
		t.Error("no batch of several subjects")
	}
}
