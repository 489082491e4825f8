package checker

import (
	"encoding/json"
	"fmt"
)

// The default caps on the violations (and, apart, the warnings) a run
// keeps: per target per subject, and per target over all its subjects.
const (
	DefaultMaxViolations       = 100
	DefaultMaxTargetViolations = 100_000
)

// WithMaxViolations caps the violations kept, and apart the warnings:
// perSubject for one target on one subject (default 100), perTarget for
// one target over all its subjects (default 100,000; in a sharded run, per
// shard). A value below 1 keeps the default. What is left out is counted:
// the list ends with one more entry saying how many were left out (its
// details hold "omitted"), so a result keeps its status and its place (the
// findings stay located), only its list is a sample. A policy that returns
// 500,000 violations thus costs a report of a few MB, not tens.
func WithMaxViolations(perSubject, perTarget int) Option {
	return func(c *Checker) {
		if perSubject > 0 {
			c.maxViolations = perSubject
		}
		if perTarget > 0 {
			c.maxTargetViolations = perTarget
		}
	}
}

// omitted is the entry that ends a capped list: how many entries of the
// kind were left out and which setting left them out.
func omitted(kind string, n int, setting string, limit int) Violation {
	return Violation{
		Msg:     fmt.Sprintf("Còn %d %s khác không liệt kê (giới hạn %s %d)", n, kind, setting, limit),
		Refs:    []string{},
		Details: map[string]any{"omitted": n, "limit": limit, "setting": setting},
	}
}

// capList keeps the first keep entries of vs and counts the rest in one
// more entry.
func capList(vs []Violation, keep int, kind, setting string, limit int) []Violation {
	if len(vs) <= keep {
		return vs
	}
	out := make([]Violation, keep, keep+1)
	copy(out, vs[:keep])
	return append(out, omitted(kind, len(vs)-keep, setting, limit))
}

const (
	kindViolation = "vi phạm"
	kindWarning   = "cảnh báo"
)

// capSubject caps the lists of one result at c.maxViolations.
func (c *Checker) capSubject(r *Result) {
	n := c.maxViolations
	r.Violations = capList(r.Violations, n, kindViolation, "--max-violations", n)
	r.Warnings = capList(r.Warnings, n, kindWarning, "--max-violations", n)
}

// capTargets caps the entries kept per target over all its subjects at
// c.maxTargetViolations, in the order of results (sorted by target, then
// subject): once a target's budget is spent, each later result keeps only
// the entry that counts what it left out.
func (c *Checker) capTargets(results []Result) {
	limit := c.maxTargetViolations
	var target string
	var violations, warnings int // entries kept so far for target
	for i := range results {
		r := &results[i]
		if r.Target != target {
			target, violations, warnings = r.Target, 0, 0
		}
		r.Violations = capBudget(r.Violations, &violations, limit, kindViolation)
		r.Warnings = capBudget(r.Warnings, &warnings, limit, kindWarning)
	}
}

func capBudget(vs []Violation, used *int, limit int, kind string) []Violation {
	if len(vs) == 0 {
		return vs
	}
	keep := max(0, min(len(vs), limit-*used))
	if keep == len(vs) {
		*used += keep
		return vs
	}
	// A list already capped per subject counts what it left out.
	left := len(vs) - keep
	if last := vs[len(vs)-1]; last.Details["setting"] == "--max-violations" {
		if n, ok := last.Details["omitted"].(int); ok {
			left += n - 1 // that entry stands for n
		}
	}
	*used += keep
	out := make([]Violation, keep, keep+1)
	copy(out, vs[:keep])
	return append(out, omitted(kind, left, "--max-target-violations", limit))
}

// Count is the number of violations (or warnings) a list stands for: its
// length, where the entry that ends a capped list counts as the entries it
// left out. It reads the list as Evaluate gives it or as report.json holds
// it (details numbers decoded as float64 or json.Number).
func Count(vs []Violation) int {
	n := len(vs)
	if n == 0 {
		return 0
	}
	d := vs[n-1].Details
	if s, _ := d["setting"].(string); s != "--max-violations" && s != "--max-target-violations" {
		return n
	}
	switch v := d["omitted"].(type) {
	case int:
		return n - 1 + v
	case float64:
		return n - 1 + int(v)
	case json.Number:
		if k, err := v.Int64(); err == nil {
			return n - 1 + int(k)
		}
	}
	return n
}
