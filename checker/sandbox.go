package checker

import (
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// RefusedBuiltins returns the builtins the sandbox removes from the capabilities:
// everything that reaches outside the process, reads the clock or randomness,
// or depends on the running OPA. A policy that calls one fails to compile
// with "undefined function" at the call's file:row:col. Besides these exact
// names, every builtin under net.* and rand.* and every builtin OPA marks as
// non-deterministic is refused (see doc.go).
func RefusedBuiltins() []string { return slices.Clone(refusedBuiltins) }

var refusedBuiltins = []string{
	"crypto.x509.parse_and_verify_certificates",
	"crypto.x509.parse_and_verify_certificates_with_options",
	"http.send",
	"io.jwt.decode_verify",
	"io.jwt.encode_sign",
	"io.jwt.encode_sign_raw",
	"json.match_schema",
	"json.verify_schema",
	"net.lookup_ip_addr",
	"opa.runtime",
	"providers.aws.sign_req",
	"rand.intn",
	"time.now_ns",
	"uuid.rfc4122",
}

// refusedReason says why a builtin the sandbox refuses is refused, and what
// to use instead; "" when name is not a refused builtin.
func refusedReason(name string) string {
	b, ok := ast.BuiltinMap[name]
	if !ok || !refused(b) {
		return ""
	}
	switch {
	case name == "time.now_ns":
		return "it reads the clock, and a report must not depend on when it runs: use input.snapshot.as_of (\"YYYY-MM-DD\") for today"
	case name == "http.send" || strings.HasPrefix(name, "net."):
		return "it reaches the network: a target reads only input, data.params and data.vocab"
	case strings.HasPrefix(name, "rand.") || name == "uuid.rfc4122":
		return "it is random, and the same snapshot must always give the same report"
	case name == "opa.runtime":
		return "it depends on the running process, not on the snapshot"
	case name == "json.match_schema" || name == "json.verify_schema":
		return "it may fetch schemas from the network"
	case strings.HasPrefix(name, "io.jwt.") || strings.HasPrefix(name, "crypto.x509.") || strings.HasPrefix(name, "providers."):
		return "it reads the clock, and a report must not depend on when it runs: use input.snapshot.as_of for today"
	}
	return "it is not deterministic, and the same snapshot must always give the same report"
}

func refused(b *ast.Builtin) bool {
	if b.Nondeterministic || strings.HasPrefix(b.Name, "net.") || strings.HasPrefix(b.Name, "rand.") {
		return true
	}
	return slices.Contains(refusedBuiltins, b.Name)
}

var capsOnce = sync.OnceValue(func() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	keep := c.Builtins[:0:0]
	for _, b := range c.Builtins {
		if !refused(b) {
			keep = append(keep, b)
		}
	}
	c.Builtins = keep
	c.AllowNet = []string{} // no host may be reached, whatever slips through
	return c
})

// Capabilities returns the sandbox capabilities policies compile with: this
// OPA version's builtins minus the refused ones, and no network access.
// Callers must not modify the result.
func Capabilities() *ast.Capabilities { return capsOnce() }
