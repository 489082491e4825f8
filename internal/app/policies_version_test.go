package app

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/policies"
)

// report.json's run.policies.version is the built-in pack's version for
// the built-in pack (or a copy of it, same sha256) and "custom" for a
// changed pack.
func TestPoliciesVersion(t *testing.T) {
	if policies.Version == "" || policies.Version == "custom" {
		t.Fatalf("policies.Version = %q, want a version from policies/VERSION", policies.Version)
	}
	ctx := context.Background()
	builtin, err := checker.Load(ctx, policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	if got := policiesVersion(builtin.SHA256()); got != policies.Version {
		t.Errorf("built-in pack: version %q, want %q", got, policies.Version)
	}
	copied := fstest.MapFS{}
	names, _ := fs.Glob(policies.FS, "*.rego")
	for _, n := range names {
		b, _ := fs.ReadFile(policies.FS, n)
		copied[n] = &fstest.MapFile{Data: b}
	}
	copied["lib.rego"].Data = append(append([]byte(nil), copied["lib.rego"].Data...), "\n# a local change\n"...)
	custom, err := checker.Load(ctx, copied)
	if err != nil {
		t.Fatal(err)
	}
	if got := policiesVersion(custom.SHA256()); got != "custom" {
		t.Errorf("changed pack: version %q, want custom", got)
	}
	if sha, err := checker.HashFS(ctx, copied); err != nil || sha != custom.SHA256() {
		t.Errorf("HashFS = %q, %v; want Load's %q", sha, err, custom.SHA256())
	}
}
