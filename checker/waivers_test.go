package checker

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseWaivers(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []Waiver
		wantErr []string // substrings, with line:col
	}{
		{
			name: "spec example",
			src: `- target: TB-01
  unit: xa-thai-xuyen
  reason: "Xã mới sáp nhập 7/2025, thành lập mô hình trong quý I/2026"
  expires: 2026-03-31
  approved_by: BTV Hội LHPN tỉnh
`,
			want: []Waiver{{Target: "TB-01", Unit: "xa-thai-xuyen", Reason: "Xã mới sáp nhập 7/2025, thành lập mô hình trong quý I/2026",
				Expires: "2026-03-31", ApprovedBy: "BTV Hội LHPN tỉnh"}},
		},
		{name: "empty", src: "", want: []Waiver{}},
		{name: "not a list", src: "target: TB-01\n", wantErr: []string{"1:1: waivers: want a list"}},
		{
			name:    "missing fields and bad date",
			src:     "- target: TB-01\n  expires: 31/03/2026\n  colour: red\n",
			wantErr: []string{"2:12: waiver expires \"31/03/2026\": want YYYY-MM-DD", "3:3: waiver: unknown key \"colour\"", "1:3: waiver: unit is required"},
		},
		{name: "syntax", src: "- target: [\n", wantErr: []string{"1:0: did not find expected node content"}},
		{name: "nested value", src: "- target: {a: 1}\n  unit: x\n  expires: 2026-01-01\n", wantErr: []string{"1:11: waiver target: want a plain value"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWaivers([]byte(tc.src))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, got %v", got)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Errorf("error %T is not a *ParseError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    map[string]any
		wantErr string
	}{
		{
			name: "knobs",
			src:  "TB-04:\n  min_size: 2\n  max_size: 3\n  ratio: 0.5\n  fields: [economy, family]\n  deadline: 2024-12-31\n  on: true\n  none: null\n",
			want: map[string]any{"TB-04": map[string]any{"min_size": 2, "max_size": 3, "ratio": 0.5,
				"fields": []any{"economy", "family"}, "deadline": "2024-12-31", "on": true, "none": nil}},
		},
		{name: "empty", src: "\n", want: map[string]any{}},
		{name: "anchors", src: "a: &x {n: 1}\nb: *x\n", want: map[string]any{"a": map[string]any{"n": 1}, "b": map[string]any{"n": 1}}},
		{name: "list at top", src: "- 1\n", wantErr: "1:1: params: want a mapping"},
		{name: "complex key", src: "? [a]\n: 1\n", wantErr: "1:3: params: keys must be plain text"},
		{name: "bad yaml", src: "a: [\n", wantErr: "1:0: did not find expected node content"},
		{name: "infinite", src: "a: .inf\n", wantErr: "1:4: params: \".inf\" is not a finite number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseParams([]byte(tc.src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseWaivers(f *testing.F) {
	f.Add([]byte("- target: TB-01\n  unit: x\n  expires: 2026-03-31\n"))
	f.Add([]byte("- [1, 2]\n"))
	f.Add([]byte("a: b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ws, err := ParseWaivers(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			return
		}
		for _, w := range ws {
			if w.Target == "" || w.Unit == "" || len(w.Expires) != len("2006-01-02") {
				t.Fatalf("accepted waiver without target, unit or expires: %+v", w)
			}
		}
	})
}

func FuzzParseParams(f *testing.F) {
	f.Add([]byte("TB-04:\n  min_size: 2\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("? {a: 1}\n: 2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseParams(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			return
		}
		// What parses must be usable as data.params.
		if _, err := dataDocument(p, nil); err != nil {
			t.Fatalf("params %v not usable: %v", p, err)
		}
	})
}
