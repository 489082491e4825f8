package checker

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// aliasBomb is a YAML mapping of about 1 KB whose aliases expand to 10^9
// values ("billion laughs").
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// TestParseAliasBomb: params and waivers refuse an alias bomb as a
// *ParseError, before anything expands it, while anchors used within
// reason still work in params.
func TestParseAliasBomb(t *testing.T) {
	bomb := aliasBomb()
	if len(bomb) > 2000 {
		t.Fatalf("the bomb holds %d bytes", len(bomb))
	}
	for name, parse := range map[string]func([]byte) error{
		"params":  func(b []byte) error { _, err := ParseParams(b); return err },
		"waivers": func(b []byte) error { _, err := ParseWaivers(b); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := parse([]byte(bomb))
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), "excessive aliasing") {
				t.Errorf("err = %v, want a ParseError saying excessive aliasing", err)
			}
		})
	}
	p, err := ParseParams([]byte("defaults: &d {max_size: 4}\nTB-06: *d\nTB-08: *d\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"defaults": map[string]any{"max_size": 4}, "TB-06": map[string]any{"max_size": 4}, "TB-08": map[string]any{"max_size": 4}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("params with anchors (-want +got):\n%s", diff)
	}
}

// TestParamsValueBudget: the values of params are counted as aliases are
// expanded; past the budget the file is refused at the place reached.
func TestParamsValueBudget(t *testing.T) {
	n, err := parseYAML([]byte("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"))
	if err != nil {
		t.Fatal(err)
	}
	budget := 8
	_, err = nodeValue(n.Content[0], 0, &budget)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line == 0 || !strings.Contains(pe.Msg, "values once aliases are expanded") {
		t.Errorf("err = %v, want a located ParseError", err)
	}
}
