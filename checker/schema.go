package checker

import (
	"embed"
	"encoding/json"
	"fmt"

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
// snapshot model (snapshot.Columns and snapshot.Enums). The files under
// checker/schemas are its output (go generate); a test fails when they drift.
func InputSchema(scope string) map[string]any {
	defs := map[string]any{
		"unit":     unitSchema(),
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
	return map[string]any{"type": "string", "enum": append([]string(nil), snapshot.Enums[key]...)}
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
	for _, c := range snapshot.Columns[t] {
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
	o := withCommune(tableObject(snapshot.Units, map[string]string{"unit_id": "id"}, nil))
	o["required"] = append(o["required"].([]string), "active")
	return o
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
	for _, c := range snapshot.Columns[snapshot.Ratings] {
		switch {
		case c.Name == "unit_id":
		case contains(snapshot.Fields, c.Name):
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

// statsKeys are the integer member statistics of spec/policies.md.
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
