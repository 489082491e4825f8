package checker

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var updateSchemas = flag.Bool("update-schemas", false, "rewrite checker/schemas/*.json from the snapshot model")

func TestSchemasUpToDate(t *testing.T) {
	for _, scope := range Scopes {
		t.Run(scope, func(t *testing.T) {
			want, err := json.MarshalIndent(InputSchema(scope), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			file := filepath.Join("schemas", scope+".json")
			if *updateSchemas {
				if err := os.WriteFile(file, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s is out of date with the snapshot model; run go generate ./checker (-generated +file):\n%s", file, diff)
			}
		})
	}
}

// TestInputsMatchSchemas validates the input of every subject of the small
// snapshot against its scope's schema with a real JSON Schema validator.
func TestInputsMatchSchemas(t *testing.T) {
	x := smallIndex(t)
	c := jsonschema.NewCompiler()
	schemas := map[string]*jsonschema.Schema{}
	for _, scope := range Scopes {
		raw, err := loadSchema(scope)
		if err != nil {
			t.Fatal(err)
		}
		url := "mem://" + scope + ".json"
		if err := c.AddResource(url, raw); err != nil {
			t.Fatal(err)
		}
		if schemas[scope], err = c.Compile(url); err != nil {
			t.Fatal(err)
		}
	}
	var subjects []subject
	for u, row := range x.units {
		subjects = append(subjects, subject{scope: string(row.level), unit: u, model: -1})
	}
	for m, row := range x.models {
		subjects = append(subjects, subject{scope: "model", unit: row.unit, model: m})
	}
	for _, s := range subjects {
		t.Run(x.subjectID(s), func(t *testing.T) {
			doc := inputJSON(t, x.input(s))
			if err := schemas[s.scope].Validate(doc); err != nil {
				t.Errorf("input does not match schema %s: %v", s.scope, err)
			}
		})
	}
}
