package regovm

import "github.com/open-policy-agent/opa/v1/ir"

// FromPolicy prepares an evaluator for the named plans of a policy planned
// elsewhere (for example by the rego package for a target plugin, from
// modules it has already compiled). Each plan's value is the "result"
// binding of its result set, as for Plan's entrypoints. The Program has no
// topdown fallback: Eval returns the plan's errors as EvalPlan does (the
// caller evaluates with topdown when it gets one).
func FromPolicy(policy *ir.Policy, plans []string) (*Program, error) {
	return compileProgram(policy, plans)
}
