package policies_test

import (
	"context"
	"testing"

	"github.com/vungmanh/vungmanh/checker/regotest"
	"github.com/vungmanh/vungmanh/policies"
)

// BenchmarkTestPack measures `vungmanh test policies` on the embedded pack:
// parse, strict compile and every Rego test, with and without coverage.
func BenchmarkTestPack(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts regotest.Options
	}{
		{"plain", regotest.Options{}},
		{"coverage", regotest.Options{Coverage: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rep, err := regotest.Run(context.Background(), policies.FS, bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				if !rep.OK() {
					b.Fatal("a test failed")
				}
			}
		})
	}
}
