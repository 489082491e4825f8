package checker

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/topdown/print"
	"github.com/rs/zerolog"
)

// printLog is one "policy print" line of a run's debug log.
type printLog struct {
	Level    string `json:"level"`
	Message  string `json:"message"`
	Target   string `json:"target"`
	Subject  string `json:"subject"`
	Location string `json:"location"`
	Output   string `json:"output"`
}

// runPrints evaluates pols on the small snapshot with engine and a logger
// at level, and returns the "policy print" lines logged, sorted.
func runPrints(t *testing.T, pols *Policies, engine Engine, level zerolog.Level) ([]printLog, *Checker, *Outcome) {
	t.Helper()
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	var buf bytes.Buffer
	c := mustNew(t, pols, WithEngine(engine), WithWorkers(2), WithLogger(zerolog.New(zerolog.SyncWriter(&buf)).Level(level)))
	out, err := c.Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	var got []printLog
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var l printLog
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.Message == "policy print" {
			got = append(got, l)
		}
	}
	sort.Slice(got, func(i, j int) bool {
		a, b := got[i], got[j]
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.Target+a.Output < b.Target+b.Output
	})
	return got, c, out
}

// TestPrintInRun: what a target prints is logged at debug level, once per
// subject, with the target, the subject and the print's location, by
// regovm (which plans print: the group stays on regovm) as by topdown; at
// info level nothing is printed; the verdicts do not depend on print.
func TestPrintInRun(t *testing.T) {
	pols := loadTargets(t,
		`violation contains {"msg": "no members"} if {
	print("x0 members", count(input.cadres))
	count(input.cadres) == 0
}`,
		`violation contains {"msg": "x1"} if {
	print("x1 sees", input.subject.id)
	false
}`)
	vm, c, vmOut := runPrints(t, pols, EngineRegovm, zerolog.DebugLevel)
	if len(c.unplanned) != 0 || c.groups["commune"].vm == nil {
		t.Fatalf("print should leave the commune group on regovm; unplanned: %v", c.unplanned)
	}
	td, _, tdOut := runPrints(t, pols, EngineTopdown, zerolog.DebugLevel)
	if len(vm) == 0 {
		t.Fatal("regovm logged nothing printed")
	}
	if !reflect.DeepEqual(vm, td) {
		t.Errorf("regovm and topdown logged different prints:\nregovm:  %+v\ntopdown: %+v", vm, td)
	}
	if !reflect.DeepEqual(vmOut.Results, tdOut.Results) {
		t.Errorf("verdicts differ between the engines")
	}
	// Every active commune prints once per target, each line under its
	// own target, subject and file.
	seen := map[string]bool{}
	for _, l := range vm {
		if l.Level != "debug" {
			t.Errorf("print logged at %s: %+v", l.Level, l)
		}
		switch l.Target {
		case "X-0":
			if !strings.HasPrefix(l.Output, "x0 members ") || !strings.HasPrefix(l.Location, "x0.rego:") {
				t.Errorf("X-0's line: %+v", l)
			}
		case "X-1":
			if l.Output != "x1 sees "+l.Subject || !strings.HasPrefix(l.Location, "x1.rego:") {
				t.Errorf("X-1's line: %+v", l)
			}
		default:
			t.Errorf("line of no target: %+v", l)
		}
		key := l.Target + " " + l.Subject
		if seen[key] {
			t.Errorf("printed twice: %s", key)
		}
		seen[key] = true
	}
	for _, id := range []string{"xa-1", "xa-2", "xa-3"} {
		if !seen["X-0 "+id] || !seen["X-1 "+id] {
			t.Errorf("no print logged for %s: %v", id, seen)
		}
	}
	for _, engine := range []Engine{EngineRegovm, EngineTopdown} {
		if info, _, out := runPrints(t, pols, engine, zerolog.InfoLevel); len(info) != 0 || !reflect.DeepEqual(out.Results, vmOut.Results) {
			t.Errorf("%s at info level: %d print lines (want none), same verdicts %v", engine, len(info), reflect.DeepEqual(out.Results, vmOut.Results))
		}
	}
}

// TestPrintFallback: when regovm fails on a subject, what it printed is
// dropped and topdown's prints of each target are logged instead, once.
func TestPrintFallback(t *testing.T) {
	pols := loadTargets(t,
		`violation contains {"msg": "x"} if {
	print("x0 before", input.subject.id)
	to_number("not a number") > 1
}`,
		`violation contains {"msg": "y"} if {
	print("x1", input.subject.id)
	false
}`)
	got, _, out := runPrints(t, pols, EngineRegovm, zerolog.DebugLevel)
	n := map[string]int{}
	for _, l := range got {
		n[l.Target+" "+l.Subject]++
	}
	for k, c := range n {
		if c != 1 {
			t.Errorf("%s printed %d times, want once", k, c)
		}
	}
	if n["X-0 xa-1"] != 1 || n["X-1 xa-1"] != 1 {
		t.Errorf("prints of xa-1: %v", n)
	}
	for _, r := range out.Results {
		if r.Target == "X-0" && r.Status != StatusError && r.Status != StatusNotEvaluated {
			t.Errorf("X-0 on %s: %s, want error", r.Subject, r.Status)
		}
	}
}

type printHook []string

func (h *printHook) Print(ctx print.Context, s string) error {
	*h = append(*h, ctx.Location.File+": "+s)
	return nil
}

// TestEvalDebugPrint: EvalDebug hands each print to Debug.Print and
// records a trace.
func TestEvalDebugPrint(t *testing.T) {
	pols := loadTargets(t, `violation contains {"msg": "x"} if {
	print("members", count(input.cadres))
	count(input.cadres) > 1000
}`)
	snap := smallSnap(checkedAlloc(t))
	t.Cleanup(snap.Release)
	var h printHook
	evs, err := mustNew(t, pols).EvalDebug(context.Background(), snap, "xa-1", "", Debug{Trace: true, Print: &h})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Target != "X-0" || evs[0].Status != StatusPass || len(evs[0].Trace) == 0 {
		t.Fatalf("evaluations: %+v", evs)
	}
	if len(h) != 1 || !strings.HasPrefix(h[0], "x0.rego: members ") {
		t.Errorf("printed %q, want one line from x0.rego", h)
	}
}

// BenchmarkPrint measures what a print() in a target costs a run: the
// pack as is, the pack with a print in TB-03's body (evaluated for every
// commune) on regovm and on topdown at info level (nothing printed), and
// on regovm at debug level (every line logged, to io.Discard).
func BenchmarkPrint(b *testing.B) {
	src, err := os.ReadFile("../policies/tb03_special_members.rego")
	if err != nil {
		b.Fatal(err)
	}
	printed := strings.Replace(string(src), "violation contains v if {\n", "violation contains v if {\n\tprint(\"tb03\", input.subject.id)\n", 1)
	if printed == string(src) {
		b.Fatal("TB-03 has no body to print in")
	}
	fsys := fstest.MapFS{}
	names, _ := filepath.Glob("../policies/*.rego")
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		fsys[filepath.Base(n)] = &fstest.MapFile{Data: data}
	}
	pack, err := Load(context.Background(), fsys)
	if err != nil {
		b.Fatal(err)
	}
	fsys["tb03_special_members.rego"] = &fstest.MapFile{Data: []byte(printed)}
	withPrint, err := Load(context.Background(), fsys)
	if err != nil {
		b.Fatal(err)
	}
	snap := provinceSnap()
	debug := zerolog.New(io.Discard).Level(zerolog.DebugLevel)
	for _, bc := range []struct {
		name string
		p    *Policies
		opts []Option
	}{
		{"pack/regovm", pack, nil},
		{"print/regovm/info", withPrint, nil},
		{"print/topdown/info", withPrint, []Option{WithEngine(EngineTopdown)}},
		{"print/regovm/debug", withPrint, []Option{WithLogger(debug)}},
	} {
		c := mustNew(b, bc.p, bc.opts...)
		b.Run(bc.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := c.Evaluate(context.Background(), snap); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
