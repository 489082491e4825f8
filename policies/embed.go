package policies

import "embed"

// FS holds the pack: every target (*.rego), the shared library (lib.rego) and
// the Rego tests (*_test.rego). The checker skips *_test.rego when it loads
// targets; `vungmanh test` runs them.
//
//go:embed *.rego
var FS embed.FS
