package schema

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ReportJSON is report.schema.json.
//
//go:embed report.schema.json
var ReportJSON []byte

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ReportJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("report.schema.json")
})

// Validate checks a report.json document against the schema.
func Validate(data []byte) error {
	s, err := compiled()
	if err != nil {
		return fmt.Errorf("compile report schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("validate report.json: %w", err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("validate report.json: %w", err)
	}
	return nil
}
