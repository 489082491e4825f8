package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// referenceJSON is how report.json was written before jsonenc.go: the
// bytes JSON must keep giving.
func referenceJSON(r *Report) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// oddStrings need escaping, or look as if they did: HTML characters,
// control characters, invalid UTF-8, U+2028/2029, Vietnamese.
var oddStrings = []string{"", `"quoted" \back\slash`, "<b>&amp;</b>", "tab\tnl\nret\rbs\bff\f", "\x00\x01\x1f\x7f",
	"bad \xff\xfe utf8 \xc3", "line\u2028para\u2029end", "Xã Thụy Trường ▲ +1", "\U0001F600 emoji", "trailing \\"}

// oddReport holds every field of report.json, nil and empty lists, and
// details of every type a policy (or a caller of Build) can put there.
func oddReport() *Report {
	r := built()
	var long []Finding
	for i, s := range oddStrings {
		long = append(long, Finding{Target: s, Subject: s + "x", SubjectLevel: s, SubjectName: s, Path: []string{s, ""},
			Status: checker.Status(s), Key: s, Error: &oddStrings[i],
			Waiver:     &checker.Waiver{Target: s, Unit: s, Reason: s, Expires: s, ApprovedBy: s},
			Violations: []checker.Violation{{Msg: s, Refs: []string{s}, Details: map[string]any{s: s, s + "k": []any{s, nil}}}},
			Warnings:   []checker.Violation{{Msg: s}}})
	}
	long = append(long, Finding{Violations: []checker.Violation{{Msg: "types", Refs: []string{}, Details: map[string]any{
		"int": 7, "int64": int64(-9), "float": 0.1, "big": 1e21, "small": 1e-7, "neg zero": math.Copysign(0, -1),
		"whole": 3.0, "e-9": 1.5e-9, "number": json.Number("1.50"), "empty number": json.Number(""),
		"bool": true, "false": false, "nil": nil, "nil map": map[string]any(nil), "nil list": []any(nil),
		"empty map": map[string]any{}, "nested": map[string]any{"b": []any{1, "x", map[string]any{"z": 1, "a": 2}}},
		"uint8": uint8(3), "status": checker.StatusFail, "strings": []string{"a", "<b>"}, "struct": UnitCount{UnitID: "u"},
		"float32": float32(0.1), "bytes": []byte("hi"), "raw": json.RawMessage(`{"a": 1}`),
	}}}}, Finding{})
	r.Findings = append(r.Findings, long...)
	r.DataQuality = append(r.DataQuality, snapshot.Finding{Code: "DQ\"", Table: "<t>", File: "\xff", Row: -3, Value: "\n"})
	r.Targets = append(r.Targets, TargetSummary{ID: "<nil by_unit>", Total: math.MaxInt64, Pass: math.MinInt64})
	r.Waivers.Expired = append(r.Waivers.Expired, checker.Waiver{Reason: "a\u2028b"})
	r.Inventory = json.RawMessage("{\n  \"spaced\" : [1, 2],\t\"html\": \"<&>\"\n}")
	return r
}

func TestJSONMatchesEncodingJSON(t *testing.T) {
	noDelta := built()
	noDelta.Delta = nil
	emptyDelta := Build(fixture())
	emptyDelta.Delta = &DeltaSection{}
	parsed, err := Parse(mustJSON(t, oddReport()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		r    *Report
	}{
		{"fixture with delta", built()},
		{"fixture without delta", noDelta},
		{"empty delta (nil lists)", emptyDelta},
		{"nationalish", Build(nationalish(300))},
		{"built from nothing", Build(Inputs{})},
		{"zero Report: nil lists and inventory", &Report{}},
		{"odd strings and detail types", oddReport()},
		{"parsed back (details as float64)", parsed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := referenceJSON(tc.r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := JSON(tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("JSON differs from encoding/json (-want +got):\n%s", diff)
			}
			var buf bytes.Buffer
			if err := WriteJSON(&buf, tc.r); err != nil || !bytes.Equal(buf.Bytes(), got) {
				t.Errorf("WriteJSON differs from JSON (err %v)", err)
			}
		})
	}
}

// What encoding/json refuses, JSON refuses too.
func TestJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(r *Report)
	}{
		{"NaN detail", func(r *Report) { r.Findings[0].Violations[0].Details["x"] = math.NaN() }},
		{"infinite detail", func(r *Report) { r.Findings[0].Violations[0].Details["x"] = math.Inf(-1) }},
		{"invalid json.Number", func(r *Report) { r.Findings[0].Violations[0].Details["x"] = json.Number("1.") }},
		{"unsupported type", func(r *Report) {
			r.Findings[0].Warnings = []checker.Violation{{Details: map[string]any{"c": make(chan int)}}}
		}},
		{"invalid inventory", func(r *Report) { r.Inventory = json.RawMessage(`{"a":`) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := built()
			tc.mod(r)
			if _, err := referenceJSON(r); err == nil {
				t.Fatal("encoding/json accepted it: the case tests nothing")
			}
			if b, err := JSON(r); err == nil {
				t.Errorf("JSON accepted it: %.200s", b)
			}
		})
	}
}

func mustJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	b, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Any string, anywhere in the report, gives the bytes of encoding/json.
func FuzzJSONMatchesEncodingJSON(f *testing.F) {
	for _, s := range oddStrings {
		f.Add(s, 1.5)
	}
	f.Add("", 1e21)
	f.Add("x", 1e-7)
	f.Fuzz(func(t *testing.T, s string, x float64) {
		r := Build(fixture())
		r.Run.Snapshot.Title = s
		r.Targets[0].ByUnit[0].Name = s
		r.Findings[0].SubjectName = s
		r.Findings[0].Violations[0].Msg = s
		r.Findings[0].Violations[0].Details = map[string]any{s: x, "s": s, "n": json.Number(s)}
		r.DataQuality[0].Message = s
		want, werr := referenceJSON(r)
		got, gerr := JSON(r)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("errors differ: encoding/json %v, JSON %v", werr, gerr)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("JSON differs from encoding/json:\n want %q\n got  %q", want, got)
		}
	})
}

// referenceKey is Key as first written (sha256 through hash.Hash, the
// messages always copied and sorted): keys must not change from run to
// run, or every finding would show as resolved and new in the delta.
func referenceKey(r checker.Result) string {
	msgs := make([]string, 0, len(r.Violations))
	for _, v := range r.Violations {
		msgs = append(msgs, v.Msg)
	}
	slices.Sort(msgs)
	h := sha256.New()
	h.Write([]byte(r.Target))
	h.Write([]byte{0})
	h.Write([]byte(r.Subject))
	for _, m := range msgs {
		h.Write([]byte{0})
		h.Write([]byte(m))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func TestKeyMatchesReference(t *testing.T) {
	long := strings.Repeat("chưa có mô hình \"1+1\" ", 40) // beyond Key's stack buffer
	vs := func(msgs ...string) []checker.Violation {
		var out []checker.Violation
		for _, m := range msgs {
			out = append(out, checker.Violation{Msg: m})
		}
		return out
	}
	for _, r := range []checker.Result{
		{},
		{Target: "TB-01", Subject: "xa-1"},
		{Target: "TB-01", Subject: "xa-1", Violations: vs("a")},
		{Target: "TB-01", Subject: "xa-1", Violations: vs("c", "a", "b")},
		{Target: "TB-01", Subject: "xa-1", Violations: vs("", "")},
		{Target: long, Subject: long, Violations: vs(long, "x", long+"y")},
		{Target: "TB-01", Subject: "xa-1", Violations: vs(long)},
		{Target: "\x00", Subject: "\xff", Violations: vs("\x00", "é")},
	} {
		if got, want := Key(r), referenceKey(r); got != want {
			t.Errorf("Key(%.40q, %.40q, %d violations) = %s, want %s", r.Target, r.Subject, len(r.Violations), got, want)
		}
	}
}
