package checker

import (
	"embed"
	"encoding/json"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

//go:generate go test -run TestSchemasUpToDate -update-schemas .

//go:embed schemas/*.json
var schemaFS embed.FS

// loadSchema returns the checked-in JSON Schema of a scope's input, decoded.
func loadSchema(scope string) (any, error) {
	b, err := schemaFS.ReadFile("schemas/" + scope + ".json")
	if err != nil {
		return nil, fmt.Errorf("read input schema of scope %q: %w", scope, err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("decode input schema of scope %q: %w", scope, err)
	}
	return v, nil
}

// InputSchema generates the JSON Schema of input for a scope from the
// snapshot model (snapshot.Columns and snapshot.EnumValues). The files under
// checker/schemas are its output (go generate); a test fails when they drift.
func InputSchema(scope string) map[string]any {
	defs := map[string]any{
		"unit":     unitSchema(),
		"history":  historySchema(0),
		"history1": historySchema(1),
		"history2": historySchema(2),
		"ancestor": closed(map[string]any{"id": str(), "level": enumOf("units.level"), "name": str()}, "id", "level", "name"),
		"cadre":    withCommune(tableObject(snapshot.Cadres, map[string]string{"cadre_id": "id"}, nil)),
		"member": withCommune(tableObject(snapshot.Members, map[string]string{"member_id": "id"},
			map[string]bool{"needs": true, "special_group": true})),
		"rating":   ratingSchema(),
		"activity": tableObject(snapshot.Activities, nil, map[string]bool{"unit_id": true}),
		"stats":    statsSchema(),
		"model":    modelSchema(),
		"participant": func() map[string]any {
			o := tableObject(snapshot.Participants, map[string]string{"participant_id": "id"}, map[string]bool{"model_id": true})
			props := o["properties"].(map[string]any)
			props["unit"] = withRatings()
			props["cadre"] = ref("cadre")
			props["member"] = ref("member")
			return o
		}(),
		"snapshot": closed(map[string]any{"name": str(), "title": str(), "as_of": date()}, "name", "as_of"),
	}
	var props map[string]any
	var req []string
	if scope == "model" {
		props = map[string]any{
			"subject":   ref("model"),
			"unit":      ref("unit"),
			"ancestors": arrayOf(ref("ancestor")),
			"snapshot":  ref("snapshot"),
		}
		req = []string{"subject", "unit", "ancestors", "snapshot"}
	} else {
		props = map[string]any{
			"subject":    ref("unit"),
			"ancestors":  arrayOf(ref("ancestor")),
			"units":      arrayOf(ref("unit")),
			"models":     arrayOf(ref("model")),
			"cadres":     arrayOf(ref("cadre")),
			"ratings":    mapOf(arrayOf(ref("rating"))),
			"activities": mapOf(arrayOf(ref("activity"))),
			"members":    mapOf(ref("stats")),
			"snapshot":   ref("snapshot"),
		}
		req = []string{"subject", "ancestors", "units", "models", "cadres", "ratings", "activities", "members", "snapshot"}
	}
	s := closed(props, req...)
	s["$schema"] = "http://json-schema.org/draft-07/schema#"
	s["title"] = "vungmanh input, scope " + scope
	s["definitions"] = defs
	return s
}

func str() map[string]any  { return map[string]any{"type": "string"} }
func date() map[string]any { return map[string]any{"type": "string", "pattern": `^\d{4}-\d{2}-\d{2}$`} }
func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/definitions/" + name}
}
func arrayOf(items any) map[string]any { return map[string]any{"type": "array", "items": items} }
func mapOf(v any) map[string]any {
	return map[string]any{"type": "object", "additionalProperties": v}
}
func enumOf(key string) map[string]any {
	return map[string]any{"type": "string", "enum": append([]string(nil), snapshot.EnumValues(key)...)}
}
func closed(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func columnSchema(t snapshot.Table, c snapshot.ColumnSpec) map[string]any {
	switch c.Kind {
	case snapshot.KindEnum:
		return enumOf(c.Enum)
	case snapshot.KindBool:
		return map[string]any{"type": "boolean"}
	case snapshot.KindDate:
		return date()
	case snapshot.KindMonth:
		return map[string]any{"type": "string", "pattern": `^\d{4}-\d{2}$`}
	case snapshot.KindInt:
		return map[string]any{"type": "integer"}
	case snapshot.KindFloat:
		return map[string]any{"type": "number"}
	case snapshot.KindList:
		if c.Enum != "" {
			return arrayOf(enumOf(c.Enum))
		}
		return arrayOf(str())
	}
	return str()
}

// tableObject is the object of one row of t: its spec columns, renamed and
// omitted as asked; required columns are required keys.
func tableObject(t snapshot.Table, rename map[string]string, omit map[string]bool) map[string]any {
	props := map[string]any{}
	var req []string
	for _, c := range snapshot.Columns(t) {
		if omit[c.Name] {
			continue
		}
		name := c.Name
		if r, ok := rename[name]; ok {
			name = r
		}
		props[name] = columnSchema(t, c)
		if c.Required {
			req = append(req, name)
		}
	}
	return closed(props, req...)
}

// withCommune adds the project's one extension of the input records:
// commune_id, the commune a unit, cadre or member sits in (or is).
func withCommune(o map[string]any) map[string]any {
	o["properties"].(map[string]any)["commune_id"] = str()
	return o
}

func unitSchema() map[string]any {
	o := withCommune(tableObject(snapshot.Units, map[string]string{"unit_id": "id"}, versionColumns))
	o["required"] = append(o["required"].([]string), "active")
	o["properties"].(map[string]any)["history"] = arrayOf(ref("history"))
	return o
}

// versionColumns are the units columns that only history entries carry.
var versionColumns = map[string]bool{"valid_from": true, "valid_to": true}

// historyDepth is how many levels of history the schema types: OPA's type
// checker does not follow recursive schemas (it recurses until the stack
// overflows), so history nested deeper is an array of anything.
const historyDepth = 3

// historySchema is one predecessor in a unit's history (docs/policy-input.md):
// kind is the lineage kind; name and level are absent for a code that only
// lineage names. Its own history is history1, history2, ... up to
// historyDepth.
func historySchema(level int) map[string]any {
	var nested any = map[string]any{"type": "array"}
	if level+1 < historyDepth {
		nested = arrayOf(ref(fmt.Sprint("history", level+1)))
	}
	return closed(map[string]any{
		"id": str(), "name": str(), "level": enumOf("units.level"),
		"kind": enumOf("lineage.kind"), "effective": date(), "share": map[string]any{"type": "number"},
		"valid_from": date(), "valid_to": date(),
		"ratings":    arrayOf(ref("rating")),
		"activities": arrayOf(ref("activity")),
		"history":    nested,
	}, "id", "kind", "effective", "ratings")
}

func withRatings() map[string]any {
	o := unitSchema()
	o["properties"].(map[string]any)["ratings"] = arrayOf(ref("rating"))
	return o
}

func ratingSchema() map[string]any {
	fields := map[string]any{}
	props := map[string]any{}
	var req []string
	for _, c := range snapshot.Columns(snapshot.Ratings) {
		switch {
		case c.Name == "unit_id":
		case snapshot.IsField(c.Name):
			fields[c.Name] = columnSchema(snapshot.Ratings, c)
		default:
			props[c.Name] = columnSchema(snapshot.Ratings, c)
			if c.Required {
				req = append(req, c.Name)
			}
		}
	}
	props["fields"] = closed(fields)
	return closed(props, append(req, "fields")...)
}

// statsKeys are the integer member statistics of docs/policy-input.md.
var statsKeys = []string{"total", "honorary", "party_member", "pioneer", "hardship", "hardship_recorded",
	"needs_recorded", "joined_last_12_months"}

func statsSchema() map[string]any {
	props := map[string]any{}
	for _, k := range statsKeys {
		props[k] = map[string]any{"type": "integer"}
	}
	props["by_special_group"] = mapOf(map[string]any{"type": "integer"})
	return closed(props, append(append([]string(nil), statsKeys...), "by_special_group")...)
}

func modelSchema() map[string]any {
	o := tableObject(snapshot.Models, map[string]string{"model_id": "id"}, nil)
	o["properties"].(map[string]any)["participants"] = arrayOf(ref("participant"))
	o["required"] = append(o["required"].([]string), "status", "participants")
	return o
}

// mapKey is the one property lintSchema gives every map-valued object of
// the input schema (input.members, input.ratings, input.activities,
// by_special_group): a key no input has, standing for "any key".
const mapKey = "<any key>"

// lintSchema is the scope's input schema as the lint compile reads it.
//
// OPA converts a JSON Schema object with properties into a closed object
// type and any other object, whatever its additionalProperties, into
// object[any: any]; patternProperties and format are not read either. The
// values of input.members, input.ratings and input.activities are thus of
// type any in the real compile, and no typo under them is found. Here every
// object that has an additionalProperties schema and no properties gets the
// single property mapKey with that schema: a lookup with a variable key,
// `some k, v in input.members` or `input.members[_]`, then has the value's
// type. A constant key (input.members["u1"]) is reported by OPA as missing
// from the object: lintTypes drops those reports.
func lintSchema(scope string) (any, error) {
	s, err := loadSchema(scope)
	if err != nil {
		return nil, err
	}
	return withMapKeys(s), nil
}

func withMapKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = withMapKeys(e)
		}
		if ap, ok := x["additionalProperties"].(map[string]any); ok && x["properties"] == nil {
			x["properties"] = map[string]any{mapKey: ap}
		}
	case []any:
		for i, e := range x {
			x[i] = withMapKeys(e)
		}
	}
	return v
}

// comparisonOps are the builtins OPA declares as (any, any) => boolean, so
// that its checker never compares their operands' types; the values are
// their infix spellings. == is not here: the compiler rewrites it into
// unification, whose operands the checker does compare.
var comparisonOps = map[string]string{
	ast.GreaterThan.Name: ">", ast.GreaterThanEq.Name: ">=",
	ast.LessThan.Name: "<", ast.LessThanEq.Name: "<=", ast.NotEqual.Name: "!=",
}

// lintTypes compiles modules (copies no other compiler uses) a second time,
// for the type errors OPA's checker misses with the scope's input schema as
// it is, and returns them; the real compile of the same modules must have
// succeeded. Two things differ from the real compile:
//
//   - the input schema is lintSchema's, so that the values of map-valued
//     inputs have their types;
//   - just before type checking, every comparison a > b, a >= b, a < b,
//     a <= b, a != b (the compiler has already moved nested calls out of
//     it, so a and b are terms) becomes the unification a = b, which the
//     checker does type: it reports "match error" with both types when
//     their types cannot hold the same value.
//
// Of what this compile reports, only errors that are sound are kept: a
// reference through a key that the object cannot have (but not a lookup of
// a constant key on a map: only mapKey is known), a reference into a scalar,
// a builtin argument of the wrong type, a unification of two operands whose
// known types have no value in common, and a rewritten comparison only when
// both operands are scalars of two different types (number, string,
// boolean, null): its result then depends on the types alone. An operand of
// type any, or of a type that is partly unknown, is never reported.
func lintTypes(modules map[string]*ast.Module, scope string) PolicyErrors {
	schema, err := lintSchema(scope)
	if err != nil {
		return PolicyErrors{{File: ".", Row: 1, Col: 1, Message: err.Error()}}
	}
	// Each rewritten comparison, by the location of its expression (which
	// the checker's error carries).
	rewritten := map[*ast.Location]string{}
	eq := ast.Equality.Ref()
	c := newCompiler(schema).
		SetErrorLimit(0).
		WithStageAfterID(ast.StageCheckRecursion, ast.CompilerStageDefinition{
			Name:       "vungmanh_rewrite_comparisons",
			MetricName: "vungmanh_rewrite_comparisons",
			Stage: func(c *ast.Compiler) *ast.Error {
				for _, m := range c.Modules {
					ast.WalkExprs(m, func(e *ast.Expr) bool {
						terms, ok := e.Terms.([]*ast.Term)
						if !ok || len(terms) != 3 || e.Location == nil {
							return false
						}
						op, ok := comparisonOps[e.Operator().String()]
						if !ok {
							return false
						}
						terms[0] = ast.NewTerm(eq).SetLocation(terms[0].Location)
						rewritten[e.Location] = op
						return false
					})
				}
				return nil
			},
		})
	c.Compile(modules)
	var out PolicyErrors
	for _, e := range c.Errors {
		msg, ok := lintMessage(e, rewritten)
		if !ok {
			continue
		}
		for _, pe := range astErrors("", e) {
			pe.Message = msg
			out = append(out, pe)
		}
	}
	return out
}

// lintMessage is the message of a lint compile's error, and whether to
// report it at all (see lintTypes).
func lintMessage(e *ast.Error, rewritten map[*ast.Location]string) (string, bool) {
	if e.Code != ast.TypeErr {
		return "", false
	}
	withDetails := func() string { return e.Code + ": " + e.Message + detailHints(e) }
	switch d := e.Details.(type) {
	case *ast.RefErrInvalidDetail:
		for _, k := range d.OneOf {
			if s, ok := k.(ast.String); ok && string(s) == mapKey {
				// A key looked up on a map: any key may be there.
				return "", false
			}
		}
		if types.Nil(d.Have) && d.Have != nil {
			return "", false
		}
		return withDetails(), true
	case *ast.RefErrUnsupportedDetail:
		if types.Nil(d.Have) {
			return "", false
		}
		return withDetails(), true
	case *ast.ArgErrDetail:
		for _, t := range d.Have {
			if types.Nil(t) {
				return "", false
			}
		}
		return withDetails(), true
	case *ast.UnificationErrDetail:
		if types.Nil(d.Left) || types.Nil(d.Right) {
			return "", false
		}
		op, cmp := rewritten[e.Location]
		if !cmp {
			return withDetails(), true
		}
		l, r := scalarType(d.Left), scalarType(d.Right)
		if l == "" || r == "" || l == r {
			return "", false
		}
		return fmt.Sprintf("%s: %s compares a %s with a %s: its result is the same whatever the input", e.Code, op, l, r), true
	}
	return "", false
}

// scalarType names t when it is exactly one scalar type, else "".
func scalarType(t types.Type) string {
	if n, ok := t.(*types.NamedType); ok {
		t = n.Type
	}
	switch t.(type) {
	case types.Number:
		return "number"
	case types.String:
		return "string"
	case types.Boolean:
		return "boolean"
	case types.Null:
		return "null"
	}
	return ""
}
