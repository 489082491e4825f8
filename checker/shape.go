package checker

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/types"
)

// shapeErrors checks the rules violation, warning and skip of a target
// module against the shapes a target returns (docs/policy-input.md):
// violation and warning are sets (contains) of objects with a string msg;
// skip is true or a reason string. A violation written as a string (the
// conftest habit, violation contains msg if { msg := sprintf(...) }) would
// be an error on every subject at run time: it is a load error at the rule.
// Only what the source says for certain is reported: a value computed by a
// function of the policy, or read from input, is left to the run.
func shapeErrors(m *ast.Module) PolicyErrors {
	var errs PolicyErrors
	at := func(loc *ast.Location, format string, args ...any) {
		e := PolicyError{File: m.Package.Location.File, Row: 1, Col: 1, Message: fmt.Sprintf(format, args...)}
		if loc != nil {
			e.File, e.Row, e.Col = loc.File, loc.Row, loc.Col
		}
		errs = append(errs, e)
	}
	for _, r := range m.Rules {
		name := r.Head.Ref().String()
		switch name {
		case "violation", "warning":
			if r.Head.RuleKind() != ast.MultiValue {
				// A complete rule must give a set: violation := {{"msg": ...}}.
				v := r.Head.Value
				if v != nil {
					v = resolve(r, v)
				}
				if v == nil {
					continue
				}
				if kind := literalKind(v); kind != "" && kind != "a set" {
					at(r.Head.Location, "rego_shape_error: %s is %s, not a set of objects: write %s contains {\"msg\": ...} if { ... }", name, kind, name)
				}
				continue
			}
			key := resolve(r, r.Head.Key)
			if key == nil {
				continue
			}
			if kind := notObject(key); kind != "" {
				at(r.Head.Location, "rego_shape_error: an element of %s is %s, not an object: write %s contains {\"msg\": %s} if { ... } (a string element is an error on every subject at run time)",
					name, kind, name, shortTerm(key))
				continue
			}
			obj, ok := key.Value.(ast.Object)
			if !ok {
				continue
			}
			msg := obj.Get(ast.StringTerm("msg"))
			if msg == nil {
				if constantKeys(obj) {
					at(r.Head.Location, "rego_shape_error: an element of %s has no \"msg\" (the keys are msg, refs and details)", name)
				}
				continue
			}
			if v := resolve(r, msg); v != nil {
				if kind := literalKind(v); kind != "" && !strings.HasPrefix(kind, "a string") {
					at(v.Location, "rego_shape_error: the msg of %s is %s, not a string", name, kind)
				}
			}
			if refs := obj.Get(ast.StringTerm("refs")); refs != nil {
				if v := resolve(r, refs); v != nil {
					if kind := literalKind(v); kind != "" && kind != "an array" && kind != "a set" {
						at(v.Location, "rego_shape_error: the refs of %s are %s, not an array of ids", name, kind)
					}
				}
			}
		case "skip":
			if r.Head.RuleKind() == ast.MultiValue {
				at(r.Head.Location, "rego_shape_error: skip is true or a reason string, not a set: write skip if { ... } or skip := \"reason\" if { ... }")
				continue
			}
			if r.Head.Value == nil {
				continue
			}
			if v := resolve(r, r.Head.Value); v != nil {
				if kind := literalKind(v); kind != "" && !strings.HasPrefix(kind, "a string") && !strings.HasPrefix(kind, "a boolean") {
					at(r.Head.Location, "rego_shape_error: skip is %s: it must be true or a reason string", kind)
				}
			}
		}
	}
	return errs
}

// resolve follows a variable to the term the rule's body assigns it (v :=
// term, v = term), up to a few steps; nil for a variable that cannot be
// followed (bound by some, by a function's output, ...).
func resolve(r *ast.Rule, t *ast.Term) *ast.Term {
	for range 4 {
		v, ok := t.Value.(ast.Var)
		if !ok {
			return t
		}
		var next *ast.Term
		for _, e := range r.Body {
			if !(e.IsAssignment() || e.IsEquality()) || e.Negated || len(e.With) > 0 {
				continue
			}
			ops := e.Operands()
			if len(ops) != 2 {
				continue
			}
			switch {
			case ops[0].Value.Compare(v) == 0:
				next = ops[1]
			case ops[1].Value.Compare(v) == 0 && e.IsEquality():
				next = ops[0]
			}
			if next != nil {
				break
			}
		}
		if next == nil {
			return nil
		}
		t = next
	}
	return nil
}

// literalKind names the kind of a term whose kind the source fixes: a
// scalar or composite literal, or a call of a builtin with a scalar
// result; "" otherwise.
func literalKind(t *ast.Term) string {
	switch v := t.Value.(type) {
	case ast.String:
		return "a string"
	case ast.Number:
		return "a number"
	case ast.Boolean:
		return "a boolean"
	case ast.Null:
		return "null"
	case *ast.Array, *ast.ArrayComprehension:
		return "an array"
	case ast.Set, *ast.SetComprehension:
		return "a set"
	case ast.Object, *ast.ObjectComprehension:
		return "an object"
	case ast.Call:
		b, ok := ast.BuiltinMap[v[0].String()]
		if !ok || b.Decl == nil {
			return ""
		}
		switch b.Decl.Result().(type) {
		case types.String:
			return "a string (the result of " + b.Name + ")"
		case types.Number:
			return "a number (the result of " + b.Name + ")"
		case types.Boolean:
			return "a boolean (the result of " + b.Name + ")"
		}
	}
	return ""
}

// notObject is literalKind for a term that is known not to be an object;
// "" when it is an object or unknown.
func notObject(t *ast.Term) string {
	k := literalKind(t)
	if k == "an object" {
		return ""
	}
	return k
}

func constantKeys(o ast.Object) bool {
	ok := true
	o.Foreach(func(k, _ *ast.Term) {
		if !ast.IsConstant(k.Value) {
			ok = false
		}
	})
	return ok
}

// shortTerm is a term as written, cut to a readable length.
func shortTerm(t *ast.Term) string {
	s := t.String()
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}
