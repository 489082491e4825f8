// Package schema holds the JSON Schema (draft 2020-12) of report.json and
// validates documents against it.
//
// report.schema.json is the schema; schema.go embeds it and compiles it
// once for Validate.
package schema
