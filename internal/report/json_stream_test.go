package report

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// encodeWhole is report.json as encoding/json encodes the whole Report in
// one call: what JSON's streamed bytes must equal.
func encodeWhole(t testing.TB, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// JSON streams the report a value at a time; its bytes are those of
// encoding/json over the whole Report: the fixture, with a delta across a
// reform (merged entries), with nil and empty lists, HTML characters and
// no delta, a national run, and real reports when VUNGMANH_REPORT_JSON
// names some (colon-separated report.json files, e.g. of the national
// sample and thai-binh-2024: each is parsed and encoded again).
func TestJSONStreamedSameBytes(t *testing.T) {
	withDelta := Build(fixture())
	withDelta.Delta = Delta(previous(), withDelta)
	prev := runOn("2025-06-30", [2]string{"TB-01", "11956"}, [2]string{"TB-02", "12300"})
	cur := runOn("2025-09-30", [2]string{"TB-01", "11953"})
	cur.Delta = Delta(prev, cur, AcrossLineage([]LineageLink{{"11956", "11953", "2025-07-01", "merge"}}))
	html := Build(fixture())
	html.Findings[0].SubjectName = `<b>"Xã" & 'thôn'</b>` + "\u2028\t"
	html.Findings[0].Violations[0].Details = map[string]any{"z": 1.5, "a": []any{"<", nil, true}, "m": map[string]any{"k": "&"}}
	html.Run.Status = StatusStopped
	cases := map[string]*Report{
		"fixture":     Build(fixture()),
		"delta":       withDelta,
		"merged":      cur,
		"nil lists":   {APIVersion: APIVersion, Kind: Kind},
		"empty":       {Targets: []TargetSummary{}, Findings: []Finding{}, DataQuality: nil, Inventory: json.RawMessage("{ }"), Delta: &DeltaSection{}},
		"html":        html,
		"national":    Build(nationalSite(false, 2, 4)),
		"reform":      Build(nationalSite(true, 1, 3)),
		"nationalish": Build(nationalish(300)),
	}
	for _, f := range envReports(t) {
		cases[f.path] = f.report
		got, err := JSON(f.report)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.data) {
			t.Errorf("%s: JSON of the parsed file differs from the file", f.path)
		}
	}
	for name, r := range cases {
		got, err := JSON(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := encodeWhole(t, r)
		if !bytes.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Errorf("%s: streamed report.json differs from encoding/json's at byte %d:\n got %.120q\nwant %.120q", name, i, got[i:], want[i:])
		}
		var w bytes.Buffer
		if err := WriteJSON(&w, r); err != nil || !bytes.Equal(w.Bytes(), got) {
			t.Errorf("%s: WriteJSON differs from JSON (%v)", name, err)
		}
	}
}

// jsonAppender.report writes the JSON fields of Report and of
// DeltaSection in the structs' order: a field added to either must be
// added there too.
func TestJSONFieldsStreamed(t *testing.T) {
	for typ, want := range map[reflect.Type]string{
		reflect.TypeFor[Report]():       "apiVersion kind run summary targets findings inventory data_quality waivers delta,omitempty",
		reflect.TypeFor[DeltaSection](): "previous_run previous_as_of policies_changed new resolved merged by_target",
	} {
		var tags []string
		for f := range typ.Fields() {
			if tag := f.Tag.Get("json"); tag != "-" {
				tags = append(tags, tag)
			}
		}
		if got := strings.Join(tags, " "); got != want {
			t.Errorf("%s's json fields are %q; jsonAppender.report writes %q: update it", typ, got, want)
		}
	}
}

// report.json of a real report (the first file VUNGMANH_REPORT_JSON
// names; skipped without), streamed (JSON) and, as JSON did before, in
// one call of encoding/json copied into a buffer of jsonSizeHint.
func BenchmarkJSONReal(b *testing.B) {
	files := envReports(b)
	if len(files) == 0 {
		b.Skip("VUNGMANH_REPORT_JSON names no report.json")
	}
	r := files[0].report
	b.Run("streamed", func(b *testing.B) {
		b.ReportAllocs()
		c0 := cpuTime()
		for b.Loop() {
			if _, err := JSON(r); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, c0)
	})
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		c0 := cpuTime()
		for b.Loop() {
			buf := bytes.NewBuffer(make([]byte, 0, jsonSizeHint(r)))
			enc := json.NewEncoder(buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(r); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, c0)
	})
}

// envReport is a report.json named by VUNGMANH_REPORT_JSON, its bytes and
// the report parsed from them.
type envReport struct {
	path   string
	data   []byte
	report *Report
}

// envReports reads and parses every report.json VUNGMANH_REPORT_JSON
// names (a list separated by ":"; none when it is not set): real national
// reports for the tests that hold a rewrite to the code it replaced.
func envReports(t testing.TB) []envReport {
	var out []envReport
	for _, p := range strings.Split(os.Getenv("VUNGMANH_REPORT_JSON"), ":") {
		if p == "" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, envReport{p, data, r})
	}
	return out
}
