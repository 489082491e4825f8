package policies

import (
	"embed"
	"strings"
)

// FS holds the pack: every target (*.rego), the shared library (lib.rego) and
// the Rego tests (*_test.rego). The checker skips *_test.rego when it loads
// targets; `vungmanh test` runs them.
//
//go:embed *.rego
var FS embed.FS

//go:embed VERSION
var versionFile string

// Version is the pack's version, declared once in policies/VERSION;
// CHANGELOG.md lists every change of a verdict under the version that made
// it. report.json carries it next to the policies' sha256 when the run used
// this pack (the same sha256), "custom" otherwise.
var Version = strings.TrimSpace(versionFile)
