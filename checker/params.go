package checker

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/open-policy-agent/opa/v1/ast"
	"gopkg.in/yaml.v3"
)

// ParamSpec is one parameter a target declares in its METADATA, under
// custom.params:
//
//	# custom:
//	#   id: TB-06
//	#   params:
//	#     min_size: {type: integer, default: 2, description: fewest members of a group}
//
// A target that declares custom.params (even {}) has exactly those keys in
// the params file, besides ReservedParams; one that declares none is not
// checked (targets written before params were declared).
type ParamSpec struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // one of ParamTypes
	Default     any    `json:"default,omitempty"`
	HasDefault  bool   `json:"-"`
	Description string `json:"description,omitempty"`
}

// ParamTypes returns the types a parameter may declare.
func ParamTypes() []string { return slices.Clone(paramTypes) }

// ReservedParams returns the keys every target may have in the params
// file, declared or not: the reports read them (goal, a ratio or a
// percentage, and deadline, YYYY-MM-DD).
func ReservedParams() []string { return slices.Clone(reservedParams) }

var (
	paramTypes     = []string{"integer", "number", "string", "boolean", "date", "array", "object"}
	reservedParams = []string{"goal", "deadline"}
)

// paramRef is the library function that reads a parameter with a
// default: lib.param(id, key, default).
var paramRef = ast.MustParseRef("data.lib.vungmanh.param")

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// parseParamSpecs reads custom.params of a target's METADATA. On a problem
// it returns the key it concerns ("" for the whole block) and a message.
func parseParamSpecs(raw any) ([]ParamSpec, string, string) {
	if raw == nil {
		return []ParamSpec{}, "", ""
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, "", fmt.Sprintf("want a mapping of name: {type, default, description}, got %v", raw)
	}
	specs := make([]ParamSpec, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if slices.Contains(reservedParams, name) {
			return nil, name, fmt.Sprintf("%s is read by the reports for every target (%s): it cannot be declared", name, strings.Join(reservedParams, ", "))
		}
		d, ok := m[name].(map[string]any)
		if !ok {
			return nil, name, fmt.Sprintf("%s: want {type, default, description}, got %v", name, m[name])
		}
		spec := ParamSpec{Name: name}
		for _, k := range slices.Sorted(maps.Keys(d)) {
			switch k {
			case "type":
				spec.Type, _ = d[k].(string)
			case "description":
				s, ok := d[k].(string)
				if !ok {
					return nil, name, fmt.Sprintf("%s: description must be text, got %v", name, d[k])
				}
				spec.Description = strings.TrimSpace(s)
			case "default":
				spec.Default, spec.HasDefault = d[k], true
			default:
				return nil, name, fmt.Sprintf("%s: unknown key %q (type, default, description)", name, k)
			}
		}
		if !slices.Contains(paramTypes, spec.Type) {
			return nil, name, fmt.Sprintf("%s: type must be one of %s, got %v", name, strings.Join(paramTypes, ", "), d["type"])
		}
		if spec.HasDefault {
			if why := paramTypeError(spec.Type, spec.Default); why != "" {
				return nil, name, fmt.Sprintf("%s: the default %s", name, why)
			}
			spec.Default = normalNumber(spec.Default)
		}
		specs = append(specs, spec)
	}
	return specs, "", ""
}

// paramKeyLoc is the place of parameter name in the custom.params block
// of a (its "params:" line when the name is not found after it, the block's
// start when that is not found either).
func paramKeyLoc(a *ast.Annotations, comments []*ast.Comment, name string) *ast.Location {
	start := metadataKeyLoc(a, comments, "params")
	if name == "" || start == a.Location {
		return start
	}
	if loc := commentKeyLoc(comments, start.Row, name); loc != nil {
		return loc
	}
	return start
}

// normalNumber turns an integral float into an int, so that a default of 2
// is 2 (YAML in METADATA reaches the checker through JSON).
func normalNumber(v any) any {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return v
}

// paramTypeError says why v is not of type typ; "" when it is.
func paramTypeError(typ string, v any) string {
	ok := false
	switch typ {
	case "integer":
		switch x := v.(type) {
		case int, int64, uint64:
			ok = true
		case float64:
			ok = x == math.Trunc(x)
		}
	case "number":
		switch v.(type) {
		case int, int64, uint64, float64:
			ok = true
		}
	case "string":
		_, ok = v.(string)
	case "boolean":
		_, ok = v.(bool)
	case "date":
		s, isStr := v.(string)
		ok = isStr && dateRE.MatchString(s)
	case "array":
		_, ok = v.([]any)
	case "object":
		_, ok = v.(map[string]any)
	}
	if ok {
		return ""
	}
	article := "a"
	if strings.IndexByte("aeiou", typ[0]) >= 0 {
		article = "an"
	}
	if typ == "date" {
		return fmt.Sprintf("must be a date (YYYY-MM-DD), got %s", describe(v))
	}
	return fmt.Sprintf("must be %s %s, got %s", article, typ, describe(v))
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the text %q", x)
	case nil:
		return "nothing (null)"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	}
	return fmt.Sprintf("the number %v", v)
}

// ParamsProblem is a problem of a params file against the targets: a key
// of a target that does not declare it, or a value of the wrong type
// (Warning false: `run` stops with exit code 2), or parameters for a target
// id the policies do not have (Warning true: they are not read; run only
// logs them, since one params file may serve several packs).
type ParamsProblem struct {
	Line, Column int
	Target, Key  string
	Msg          string
	Warning      bool
}

func (p ParamsProblem) Error() string {
	return fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Msg)
}

// CheckParams checks a params file (its YAML source, as ParseParams reads
// it) against the parameters the targets of p declare. Problems are sorted
// by line; a file that ParseParams refuses gives its *ParseError.
func (p *Policies) CheckParams(src []byte) ([]ParamsProblem, error) {
	if _, err := ParseParams(src); err != nil {
		return nil, err
	}
	doc, err := parseYAML(src)
	if err != nil || len(doc.Content) == 0 {
		return nil, err
	}
	byID := map[string]Target{}
	var ids []string
	for _, t := range p.targets {
		byID[t.ID] = t
		ids = append(ids, t.ID)
	}
	var out []ParamsProblem
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		kn, vn := root.Content[i], root.Content[i+1]
		id := kn.Value
		t, ok := byID[id]
		if !ok {
			out = append(out, ParamsProblem{Line: kn.Line, Column: kn.Column, Target: id, Warning: true,
				Msg: fmt.Sprintf("parameters for %q, which is not a target of these policies: they are not read%s", id, didYouMean(id, ids))})
			continue
		}
		if !t.ParamsDeclared {
			continue
		}
		for vn.Kind == yaml.AliasNode && vn.Alias != nil {
			vn = vn.Alias
		}
		if vn.Kind != yaml.MappingNode {
			out = append(out, ParamsProblem{Line: vn.Line, Column: vn.Column, Target: id,
				Msg: fmt.Sprintf("%s: want a mapping of parameter: value", id)})
			continue
		}
		names := slices.Clone(reservedParams)
		specs := map[string]ParamSpec{}
		for _, s := range t.Params {
			names = append(names, s.Name)
			specs[s.Name] = s
		}
		sort.Strings(names)
		for j := 0; j+1 < len(vn.Content); j += 2 {
			pk, pv := vn.Content[j], vn.Content[j+1]
			if slices.Contains(reservedParams, pk.Value) {
				continue
			}
			s, ok := specs[pk.Value]
			if !ok {
				out = append(out, ParamsProblem{Line: pk.Line, Column: pk.Column, Target: id, Key: pk.Value,
					Msg: fmt.Sprintf("%s has no parameter %q%s (its parameters: %s)", id, pk.Value, didYouMean(pk.Value, names), strings.Join(names, ", "))})
				continue
			}
			budget := maxParamsValues
			v, err := nodeValue(pv, 0, &budget)
			if err != nil {
				return nil, err
			}
			if why := paramTypeError(s.Type, v); why != "" {
				out = append(out, ParamsProblem{Line: pv.Line, Column: pv.Column, Target: id, Key: pk.Value,
					Msg: fmt.Sprintf("%s.%s %s", id, pk.Value, why)})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return out, nil
}

// didYouMean is `: did you mean "x"?` for the name of names nearest to s
// (at most a third of its letters away, or one letter for a short s), or
// "".
func didYouMean(s string, names []string) string {
	best, bestD := "", max(1, len(s)/3)+1
	for _, n := range names { // sorted: the first of equals wins
		if d := levenshtein.ComputeDistance(strings.ToLower(s), strings.ToLower(n)); d < bestD && d > 0 {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(": did you mean %q?", best)
}

// withParamDefaults is params with the declared default of every parameter
// the file does not set, for each target that declares some: data.params
// as the targets read it. params itself is not changed.
func withParamDefaults(params map[string]any, targets []Target) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		out[k] = v
	}
	for _, t := range targets {
		var set map[string]any
		switch v := out[t.ID].(type) {
		case nil:
			set = map[string]any{}
		case map[string]any:
			set = v
		default:
			continue // not a mapping: CheckParams says so
		}
		var merged map[string]any
		for _, s := range t.Params {
			if _, given := set[s.Name]; given || !s.HasDefault {
				continue
			}
			if merged == nil {
				merged = make(map[string]any, len(set)+len(t.Params))
				for k, v := range set {
					merged[k] = v
				}
			}
			merged[s.Name] = s.Default
		}
		if merged != nil {
			out[t.ID] = merged
		}
	}
	return out
}

// paramCallErrors checks the calls lib.param(id, key, default) of the
// compiled modules of c with a constant id of a target that declares its
// parameters: the key must be declared (or reserved), and a constant
// default must be the declared one, so that the METADATA is the one place a
// parameter's default is read from.
func paramCallErrors(c *ast.Compiler, byID map[string]Target) PolicyErrors {
	var errs PolicyErrors
	for _, m := range c.Modules {
		ast.WalkExprs(m, func(e *ast.Expr) bool {
			terms, ok := e.Terms.([]*ast.Term)
			if !ok || len(terms) < 4 || terms[0].Value.Compare(paramRef) != 0 {
				return false
			}
			id, ok1 := terms[1].Value.(ast.String)
			key, ok2 := terms[2].Value.(ast.String)
			t, known := byID[string(id)]
			if !ok1 || !ok2 || !known || !t.ParamsDeclared || slices.Contains(reservedParams, string(key)) {
				return false
			}
			at := func(format string, args ...any) {
				pe := PolicyError{File: ".", Row: 1, Col: 1, Message: fmt.Sprintf(format, args...)}
				if e.Location != nil {
					pe.File, pe.Row, pe.Col = e.Location.File, e.Location.Row, e.Location.Col
				}
				errs = append(errs, pe)
			}
			var spec *ParamSpec
			var names []string
			for i := range t.Params {
				names = append(names, t.Params[i].Name)
				if t.Params[i].Name == string(key) {
					spec = &t.Params[i]
				}
			}
			if spec == nil {
				at("rego_params_error: lib.param reads %q of %s, which %s does not declare in custom.params%s", string(key), string(id), string(id), didYouMean(string(key), names))
				return false
			}
			if !spec.HasDefault {
				return false
			}
			def, err := ast.InterfaceToValue(spec.Default)
			if err != nil {
				return false
			}
			if _, isConst := terms[3].Value.(ast.Var); !isConst && ast.IsConstant(terms[3].Value) && terms[3].Value.Compare(def) != 0 {
				at("rego_params_error: lib.param(%q, %q, %v): the default is not the one custom.params declares (%v)", string(id), string(key), terms[3], def)
			}
			return false
		})
	}
	return errs
}
