package checker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"gopkg.in/yaml.v3"
)

// ParseError is a problem in a waivers or params file, at a 1-based line and
// column (0 when the whole file is concerned).
type ParseError struct {
	Line, Column int
	Msg          string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
}

// ParseWaivers reads a waivers file (docs/policy-input.md): a YAML list of
// {target, unit, reason, expires, approved_by}. target, unit and expires
// (YYYY-MM-DD) are required; unknown keys are errors. Errors are
// *ParseError with the line and column.
func ParseWaivers(b []byte) ([]Waiver, error) {
	doc, err := parseYAML(b)
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return []Waiver{}, nil
	}
	list := doc.Content[0]
	if list.Kind != yaml.SequenceNode {
		return nil, &ParseError{list.Line, list.Column, "waivers: want a list of waivers"}
	}
	out := make([]Waiver, 0, len(list.Content))
	var errs []error
	for _, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			errs = append(errs, &ParseError{item.Line, item.Column, "waiver: want a mapping with target, unit, reason, expires, approved_by"})
			continue
		}
		var w Waiver
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				errs = append(errs, &ParseError{v.Line, v.Column, fmt.Sprintf("waiver %s: want a plain value", k.Value)})
				continue
			}
			switch k.Value {
			case "target":
				w.Target = v.Value
			case "unit":
				w.Unit = v.Value
			case "reason":
				w.Reason = v.Value
			case "expires":
				if _, err := time.Parse("2006-01-02", v.Value); err != nil {
					errs = append(errs, &ParseError{v.Line, v.Column, fmt.Sprintf("waiver expires %q: want YYYY-MM-DD", v.Value)})
				}
				w.Expires = v.Value
			case "approved_by":
				w.ApprovedBy = v.Value
			default:
				errs = append(errs, &ParseError{k.Line, k.Column, fmt.Sprintf("waiver: unknown key %q", k.Value)})
			}
		}
		for _, req := range []struct {
			key, val string
		}{{"target", w.Target}, {"unit", w.Unit}, {"expires", w.Expires}} {
			if strings.TrimSpace(req.val) == "" {
				errs = append(errs, &ParseError{item.Line, item.Column, fmt.Sprintf("waiver: %s is required", req.key)})
			}
		}
		out = append(out, w)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// ParseParams reads a params file: a YAML mapping, usually target id ->
// knobs. It becomes data.params. Errors are *ParseError with the line.
func ParseParams(b []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}, nil
	}
	doc, err := parseYAML(b)
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return map[string]any{}, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &ParseError{root.Line, root.Column, "params: want a mapping"}
	}
	budget := maxParamsValues
	v, err := nodeValue(root, 0, &budget)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

// parseYAML parses a waivers or params file into its document node, and
// refuses a document whose aliases expand it far beyond its size (an alias
// bomb: a 1 KB file of nested anchors expands to billions of values). The
// expansion is tried with yaml.v3's own decoder, which gives up on
// "excessive aliasing" as it does for snapshot.yaml, before anything walks
// the aliases.
func parseYAML(b []byte) (yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return yaml.Node{}, yamlError(err)
	}
	var expanded any
	if err := doc.Decode(&expanded); err != nil && strings.Contains(err.Error(), "excessive aliasing") {
		return yaml.Node{}, yamlError(err)
	}
	// Other errors of a decoding into Go values (a list as a key) are the
	// callers' to report, with their place.
	return doc, nil
}

// maxParamsValues caps the values of a params file once its aliases are
// expanded, should an alias bomb pass yaml.v3's check.
const maxParamsValues = 1 << 20

// nodeValue converts a YAML node to the values OPA understands: strings,
// numbers, bools, lists and string-keyed objects. Timestamps stay text.
func nodeValue(n *yaml.Node, depth int, budget *int) (any, error) {
	if depth > 64 {
		return nil, &ParseError{n.Line, n.Column, "params: nested too deep"}
	}
	if *budget--; *budget < 0 {
		return nil, &ParseError{n.Line, n.Column, fmt.Sprintf("params: more than %d values once aliases are expanded", maxParamsValues)}
	}
	switch n.Kind {
	case yaml.AliasNode:
		return nodeValue(n.Alias, depth+1, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, &ParseError{k.Line, k.Column, "params: keys must be plain text"}
			}
			v, err := nodeValue(n.Content[i+1], depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, &ParseError{n.Line, n.Column, err.Error()}
			}
			if f, ok := v.(float64); ok && (f != f || f > 1e308 || f < -1e308) {
				return nil, &ParseError{n.Line, n.Column, fmt.Sprintf("params: %q is not a finite number", n.Value)}
			}
			return v, nil
		}
		return n.Value, nil
	}
	return nil, &ParseError{n.Line, n.Column, "params: unsupported YAML node"}
}

func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return &ParseError{0, 0, te.Error()}
	}
	// yaml.v3 messages look like "yaml: line 3: ..."
	var line int
	var rest string
	if n, _ := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); n == 1 {
		rest = err.Error()
		if i := bytes.IndexByte([]byte(rest), ':'); i >= 0 {
			if j := bytes.IndexByte([]byte(rest[i+1:]), ':'); j >= 0 {
				rest = rest[i+1+j+1:]
			}
		}
		return &ParseError{line, 0, trimSpace(rest)}
	}
	return &ParseError{0, 0, err.Error()}
}

func trimSpace(s string) string { return string(bytes.TrimSpace([]byte(s))) }

// applyWaivers turns failing results covered by an unexpired waiver into
// waived ones and reports expired and unused waivers.
func applyWaivers(results []Result, waivers []Waiver, asOf string) WaiverReport {
	rep := WaiverReport{Expired: []Waiver{}, Unused: []Waiver{}}
	var active []Waiver
	for _, w := range waivers {
		if w.Expires < asOf {
			rep.Expired = append(rep.Expired, w)
		} else {
			active = append(active, w)
		}
	}
	used := make([]bool, len(active))
	byTarget := map[string][]int{}
	for i, w := range active {
		byTarget[w.Target] = append(byTarget[w.Target], i)
	}
	for ri := range results {
		r := &results[ri]
		if r.Status != StatusFail {
			continue
		}
		for _, wi := range byTarget[r.Target] {
			w := active[wi]
			if w.Unit != r.Subject && !slices.Contains(r.Path, w.Unit) {
				continue
			}
			used[wi] = true
			r.Status = StatusWaived
			wc := w
			r.Waiver = &wc
			rep.Applied++
			break
		}
	}
	for i, w := range active {
		if !used[i] {
			rep.Unused = append(rep.Unused, w)
		}
	}
	sortWaivers(rep.Expired)
	sortWaivers(rep.Unused)
	return rep
}

func sortWaivers(ws []Waiver) {
	sort.SliceStable(ws, func(i, j int) bool {
		a, b := ws[i], ws[j]
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		if a.Unit != b.Unit {
			return a.Unit < b.Unit
		}
		return a.Expires < b.Expires
	})
}

// decodeResult reads the query's bindings into r: status, violations,
// warnings, skip reason.
func decodeResult(rs rego.ResultSet, r *Result) error {
	if len(rs) != 1 {
		return fmt.Errorf("query gave %d results, want 1", len(rs))
	}
	return decodeBindings(rs[0].Bindings, "violation", "warning", "skip", r)
}

// decodeBindings reads one target's rules from the bindings named
// violation, warning and skip (the variable names of its query).
func decodeBindings(b rego.Vars, violation, warning, skip string, r *Result) error {
	return decodeRules(b[violation], b[warning], b[skip], r)
}

// decodeRules reads one target's rules from the values of its violation,
// warning and skip ([] when undefined, [value] otherwise; a violation or
// warning set may also come as the set itself), as JSON or as terms
// (keepTerm).
func decodeRules(violation, warning, skip any, r *Result) error {
	var err error
	if r.Violations, err = decodeSet(violation, "violation"); err != nil {
		return err
	}
	if r.Warnings, err = decodeSet(warning, "warning"); err != nil {
		return err
	}
	r.Status = StatusPass
	if len(r.Violations) > 0 {
		r.Status = StatusFail
	}
	sv, err := jsonOf(skip)
	if err != nil {
		return fmt.Errorf("skip: %w", err)
	}
	if skip, _ := sv.([]any); len(skip) == 1 {
		switch v := skip[0].(type) {
		case bool:
			if v {
				r.Status, r.SkipReason = StatusSkipped, ""
			}
		case string:
			r.Status, r.SkipReason = StatusSkipped, v
		default:
			return fmt.Errorf("skip must be true or a string, got %s", jsonKind(v))
		}
		if r.Status == StatusSkipped {
			// Not applicable: what the rules found does not count.
			r.Violations, r.Warnings = []Violation{}, []Violation{}
		}
	}
	return nil
}

// jsonOf is v as OPA's default result conversion gives it (ast.JSON), when v
// is a term kept by keepTerm; other values are returned as they are.
func jsonOf(v any) (any, error) {
	if t, ok := v.(*ast.Term); ok {
		return ast.JSON(t.Value)
	}
	return v, nil
}

// decodeSetTerm decodes the binding of a violation or warning rule kept as
// a term, [], [set] or the set itself, when every element has the usual shape: an object
// with string keys, a string msg, refs a list of strings, details an
// object. It reports false for anything else, which decodeSet then decodes
// from the JSON conversion, so that errors and odd values come out exactly
// as before.
func decodeSetTerm(t *ast.Term) ([]Violation, bool) {
	if set, ok := t.Value.(ast.Set); ok {
		return decodeElems(set)
	}
	wrap, ok := t.Value.(*ast.Array)
	if !ok || wrap.Len() > 1 {
		return nil, false
	}
	if wrap.Len() == 0 {
		return []Violation{}, true
	}
	set, ok := wrap.Elem(0).Value.(ast.Set)
	if !ok {
		return nil, false
	}
	return decodeElems(set)
}

// decodeElems decodes the elements of a violation or warning set when they
// all have the usual shape (decodeSetTerm).
func decodeElems(set ast.Set) ([]Violation, bool) {
	out := make([]Violation, 0, set.Len())
	good := true
	set.Foreach(func(e *ast.Term) { // in the order of ast.JSON
		if !good {
			return
		}
		obj, ok := e.Value.(ast.Object)
		if !ok {
			good = false
			return
		}
		viol := Violation{Refs: []string{}} // Details: made below, from the set's or empty
		hasMsg := false
		obj.Foreach(func(k, v *ast.Term) {
			key, ok := k.Value.(ast.String)
			if !ok {
				good = false
				return
			}
			switch key {
			case "msg":
				msg, ok := v.Value.(ast.String)
				viol.Msg, hasMsg, good = string(msg), ok, good && ok
			case "refs":
				list, ok := v.Value.(*ast.Array)
				if !ok {
					good = false
					return
				}
				viol.Refs = make([]string, 0, list.Len())
				for i := 0; i < list.Len(); i++ {
					ref, ok := list.Elem(i).Value.(ast.String)
					if !ok {
						good = false
						return
					}
					viol.Refs = append(viol.Refs, string(ref))
				}
			case "details":
				if _, ok := v.Value.(ast.Object); !ok {
					good = false
					return
				}
				d, err := ast.JSON(v.Value)
				if err != nil {
					good = false
					return
				}
				viol.Details = d.(map[string]any)
			}
		})
		if good && !hasMsg {
			good = false
		}
		if viol.Details == nil {
			viol.Details = map[string]any{}
		}
		out = append(out, viol)
	})
	if !good {
		return nil, false
	}
	return out, true
}

func decodeSet(v any, rule string) ([]Violation, error) {
	if t, ok := v.(*ast.Term); ok {
		if out, ok := decodeSetTerm(t); ok {
			return out, nil
		}
		j, err := ast.JSON(t.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rule, err)
		}
		v = j
		if _, ok := t.Value.(ast.Set); ok {
			v = []any{j} // the set itself: as the list of one value below
		}
	}
	out := []Violation{}
	wrap, _ := v.([]any)
	if len(wrap) == 0 {
		return out, nil
	}
	elems, ok := wrap[0].([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a set of objects, got %s", rule, jsonKind(wrap[0]))
	}
	for _, e := range elems {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s element must be an object with msg, got %s", rule, jsonKind(e))
		}
		msg, ok := m["msg"].(string)
		if !ok {
			return nil, fmt.Errorf("%s element must have a string msg, got an object with msg %s", rule, jsonKind(m["msg"]))
		}
		viol := Violation{Msg: msg, Refs: []string{}, Details: map[string]any{}}
		if refs, ok := m["refs"]; ok {
			list, ok := refs.([]any)
			if !ok {
				return nil, fmt.Errorf("%s refs must be a list, got %s", rule, jsonKind(refs))
			}
			for _, x := range list {
				switch y := x.(type) {
				case string:
					viol.Refs = append(viol.Refs, y)
				default:
					b, _ := json.Marshal(y)
					viol.Refs = append(viol.Refs, string(b))
				}
			}
		}
		if d, ok := m["details"]; ok {
			dm, ok := d.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s details must be an object, got %s", rule, jsonKind(d))
			}
			viol.Details = dm
		}
		out = append(out, viol)
	}
	return out, nil
}

// jsonKind names the JSON type of v, for the errors of decodeSet: an error
// text names the type, never the value (it may hold personal data).
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, float64, int, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
