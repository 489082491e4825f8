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

// TestBuiltinPackLinted: `run` loads the built-in pack without our lint
// (checker.WithoutLint, loadPolicies); that is sound only while the pack
// passes the lint, which this test holds: it loads the pack with every
// check, and loadPolicies' pack must have the same targets.
func TestBuiltinPackLinted(t *testing.T) {
	ctx := context.Background()
	linted, err := checker.Load(ctx, policies.FS, checker.WithPackName(checker.BuiltinPack))
	if err != nil {
		t.Fatalf("the built-in pack fails the lint: %v", err)
	}
	p, err := loadPolicies(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.SHA256() != linted.SHA256() || len(p.Targets()) != len(linted.Targets()) {
		t.Errorf("loadPolicies(\"\") = %d targets (%s), the linted pack %d (%s)",
			len(p.Targets()), p.SHA256(), len(linted.Targets()), linted.SHA256())
	}
}
