package checker

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// enumErrors finds the comparisons of an input value whose schema has an
// enum (a unit's level, a model's type or status, a cadre's role, a field
// of strong_fields, ...) with a constant string that is not one of its
// values: u.level == "chi_hoi" can never hold, and OPA's type checker, which
// knows only that level is a string, lets it pass.
//
// It walks the compiled rules of c (the compiler has rewritten == and := as
// unification, `x in xs` as internal.member_2, and moved nested calls into
// their own expressions), following the scope's input schema (schema, as
// loadSchema returns it) through:
//
//   - refs into input: input.subject.level, input.units[_].level;
//   - local variables bound to such refs: `some u in input.units`,
//     `u := input.units[i]`, `every m in input.models`, comprehensions;
//   - object.get(x, "key", d) (whose result may also be d);
//   - the parameters of user functions, from their call sites:
//     lib.active_models(input, "one_plus_ones") is reported at the
//     constant, naming the comparison inside the function;
//   - constants bound to variables or to rules (model_type := "accompany").
//
// The comparisons looked at are =, ==, !=, `x in {"a", "b"}` and
// `"a" in c.strong_fields`. What the schema does not type (a computed key,
// a value of any type, a function's result) is never reported.
func enumErrors(c *ast.Compiler, schema any) PolicyErrors {
	root, _ := schema.(map[string]any)
	s := &enumScan{c: c, root: root, seen: map[string]bool{}}
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			s.rule(r, nil, 0)
		}
	}
	return s.errs
}

// enumVal is what the scan knows of a term: the schema of its value (node,
// with its path for messages, and the constants it may be besides: the
// default of object.get), or the constant string it is.
type enumVal struct {
	node  map[string]any
	path  string
	extra []string
	// A constant string; origin is where it was written when it came in
	// through a function's argument (the error goes there).
	str    string
	isStr  bool
	origin *ast.Location
}

func (v enumVal) known() bool { return v.node != nil || v.isStr }

type enumScan struct {
	c    *ast.Compiler
	root map[string]any
	errs PolicyErrors
	seen map[string]bool // function analyses done, by rule and arguments
}

const maxEnumCallDepth = 8

// rule scans r and its else chain; args are what is known of a function's
// parameters (nil: nothing).
func (s *enumScan) rule(r *ast.Rule, args []enumVal, depth int) {
	for ; r != nil; r = r.Else {
		env := map[ast.Var]enumVal{}
		for i, a := range r.Head.Args {
			if v, ok := a.Value.(ast.Var); ok && i < len(args) && args[i].known() {
				env[v] = args[i]
			}
		}
		s.body(r.Body, env, depth)
	}
}

func (s *enumScan) body(b ast.Body, env map[ast.Var]enumVal, depth int) {
	for _, e := range b {
		s.expr(e, env, depth)
	}
}

func (s *enumScan) expr(e *ast.Expr, env map[ast.Var]enumVal, depth int) {
	if len(e.With) > 0 {
		return // input or data replaced: the schema says nothing
	}
	if ev, ok := e.Terms.(*ast.Every); ok {
		if d := s.eval(ev.Domain, env); d.node != nil {
			if v, ok := ev.Value.Value.(ast.Var); ok {
				if it := s.element(d); it.node != nil {
					env[v] = it
				}
			}
		}
		s.body(ev.Body, env, depth)
		return
	}
	// Comprehensions first: their bodies see the variables bound so far.
	var closures []*ast.Term
	switch t := e.Terms.(type) {
	case *ast.Term:
		closures = append(closures, t)
	case []*ast.Term:
		closures = t
	}
	for _, t := range closures {
		ast.WalkClosures(t, func(x any) bool {
			switch x := x.(type) {
			case *ast.ArrayComprehension:
				s.body(x.Body, env, depth)
			case *ast.SetComprehension:
				s.body(x.Body, env, depth)
			case *ast.ObjectComprehension:
				s.body(x.Body, env, depth)
			}
			return true
		})
	}
	terms, ok := e.Terms.([]*ast.Term)
	if !ok || len(terms) == 0 {
		return
	}
	op := terms[0]
	args := terms[1:]
	switch {
	case op.Value.Compare(ast.Equality.Ref()) == 0:
		if len(args) != 2 {
			return
		}
		a, b := s.eval(args[0], env), s.eval(args[1], env)
		s.bind(args[0], b, env)
		s.bind(args[1], a, env)
		s.compare(e, a, b)
	case op.Value.Compare(ast.Equal.Ref()) == 0 || op.Value.Compare(ast.NotEqual.Ref()) == 0:
		if len(args) == 2 {
			s.compare(e, s.eval(args[0], env), s.eval(args[1], env))
		}
	case op.Value.Compare(ast.Member.Ref()) == 0 || op.Value.Compare(ast.MemberWithKey.Ref()) == 0:
		if len(args) < 2 {
			return
		}
		x, coll := args[0], args[len(args)-1]
		if len(args) == 3 {
			x = args[1]
		}
		cv := s.eval(coll, env)
		if cv.node != nil {
			it := s.element(cv)
			s.bind(x, it, env)
			s.compare(e, s.eval(x, env), it)
			return
		}
		// x in {"a", "b"}: each constant of the literal against x.
		xv := s.eval(x, env)
		if xv.node == nil {
			return
		}
		for _, t := range literalElems(coll) {
			s.compare(e, xv, s.eval(t, env))
		}
	case op.Value.Compare(ast.ObjectGet.Ref()) == 0:
		if len(args) != 4 {
			return
		}
		obj := s.eval(args[0], env)
		key, ok := args[1].Value.(ast.String)
		if !ok || obj.node == nil {
			return
		}
		v := s.child(obj, string(key))
		if v.node == nil {
			return
		}
		// The result may be the default: a string default is one more
		// value (object.get(m, "field", "") != ""); any other default can
		// never equal a constant string.
		if d := s.eval(args[2], env); d.isStr {
			v.extra = append(append([]string(nil), v.extra...), d.str)
		} else if _, ok := args[2].Value.(ast.Var); ok {
			return // a default not known here
		}
		s.bind(args[3], v, env)
	default:
		s.call(e, op, args, env, depth)
	}
}

// call follows a call of a user function into its rules with what is known
// of its arguments.
func (s *enumScan) call(e *ast.Expr, op *ast.Term, args []*ast.Term, env map[ast.Var]enumVal, depth int) {
	ref, ok := op.Value.(ast.Ref)
	if !ok || !ref.HasPrefix(ast.DefaultRootRef) || depth >= maxEnumCallDepth {
		return
	}
	rules := s.c.GetRulesExact(ref)
	if len(rules) == 0 {
		return
	}
	vals := make([]enumVal, len(args))
	var key strings.Builder
	any := false
	for i, a := range args {
		v := s.eval(a, env)
		if v.isStr && v.origin == nil {
			v.origin = a.Location
			if v.origin == nil {
				v.origin = e.Location
			}
		}
		vals[i] = v
		if v.known() {
			any = true
			fmt.Fprintf(&key, "%d:%s|%v|%q|%v;", i, v.path, v.extra, v.str, v.origin)
		}
	}
	if !any {
		return
	}
	for _, r := range rules {
		if len(r.Head.Args) == 0 {
			continue
		}
		k := fmt.Sprintf("%p:%s", r, key.String())
		if s.seen[k] {
			continue
		}
		s.seen[k] = true
		s.rule(r, vals, depth+1)
	}
}

// bind records v for t when t is a variable not known yet.
func (s *enumScan) bind(t *ast.Term, v enumVal, env map[ast.Var]enumVal) {
	x, ok := t.Value.(ast.Var)
	if !ok || !v.known() || x.IsWildcard() {
		return
	}
	if _, done := env[x]; !done {
		env[x] = v
	}
}

// compare reports a comparison of a value with an enum and a constant that
// is not one of its values, either way round.
func (s *enumScan) compare(e *ast.Expr, a, b enumVal) {
	if b.node != nil && a.isStr {
		a, b = b, a
	}
	if a.node == nil || !b.isStr {
		return
	}
	values := enumStrings(a.node)
	if values == nil || slices.Contains(values, b.str) || slices.Contains(a.extra, b.str) {
		return
	}
	loc := e.Location
	msg := fmt.Sprintf("rego_type_error: %q is not a value of %s: one of %s", b.str, a.path, strings.Join(values, ", "))
	if b.origin != nil {
		// A function's argument, compared inside the function.
		if e.Location != nil {
			msg += fmt.Sprintf(" (compared at %s:%d)", e.Location.File, e.Location.Row)
		}
		loc = b.origin
	}
	pe := PolicyError{File: ".", Row: 1, Col: 1, Message: msg}
	if loc != nil {
		pe.File, pe.Row, pe.Col = loc.File, loc.Row, loc.Col
	}
	s.errs = append(s.errs, pe)
}

// eval is what is known of term t.
func (s *enumScan) eval(t *ast.Term, env map[ast.Var]enumVal) enumVal {
	switch x := t.Value.(type) {
	case ast.String:
		return enumVal{str: string(x), isStr: true}
	case ast.Var:
		if x.Equal(ast.InputRootDocument.Value) {
			return enumVal{node: s.root, path: "input"}
		}
		return env[x]
	case ast.Ref:
		var v enumVal
		switch {
		case x[0].Value.Compare(ast.InputRootDocument.Value) == 0:
			v = enumVal{node: s.root, path: "input"}
		case x.HasPrefix(ast.DefaultRootRef):
			return s.constRule(x)
		default:
			hv, ok := x[0].Value.(ast.Var)
			if !ok {
				return enumVal{}
			}
			v = env[hv]
		}
		for _, p := range x[1:] {
			if v.node == nil {
				return enumVal{}
			}
			if k, ok := p.Value.(ast.String); ok {
				v = s.child(v, string(k))
			} else {
				v = s.element(v)
			}
		}
		return v
	}
	return enumVal{}
}

// constRule is the constant string a rule of data gives (model_type :=
// "accompany"), when it is one rule with a constant value and no body.
func (s *enumScan) constRule(ref ast.Ref) enumVal {
	rules := s.c.GetRulesExact(ref)
	if len(rules) != 1 || len(rules[0].Head.Args) > 0 || rules[0].Else != nil || rules[0].Head.Value == nil {
		return enumVal{}
	}
	r := rules[0]
	str, ok := r.Head.Value.Value.(ast.String)
	if !ok || len(r.Body) != 1 {
		return enumVal{}
	}
	if t, ok := r.Body[0].Terms.(*ast.Term); !ok || !t.Equal(ast.BooleanTerm(true)) {
		return enumVal{}
	}
	return enumVal{str: string(str), isStr: true}
}

// child is the value of key k of v.
func (s *enumScan) child(v enumVal, k string) enumVal {
	n := s.resolve(v.node)
	if props, ok := n["properties"].(map[string]any); ok {
		if p, ok := props[k].(map[string]any); ok {
			return enumVal{node: s.resolve(p), path: v.path + "." + k}
		}
	}
	if ap, ok := n["additionalProperties"].(map[string]any); ok {
		return enumVal{node: s.resolve(ap), path: v.path + "[_]"}
	}
	return enumVal{}
}

// element is the value of an element of v (an array's item, a map's value).
func (s *enumScan) element(v enumVal) enumVal {
	n := s.resolve(v.node)
	if it, ok := n["items"].(map[string]any); ok {
		return enumVal{node: s.resolve(it), path: v.path + "[_]"}
	}
	if ap, ok := n["additionalProperties"].(map[string]any); ok {
		return enumVal{node: s.resolve(ap), path: v.path + "[_]"}
	}
	return enumVal{}
}

// resolve follows a "$ref": "#/definitions/name" of the schema.
func (s *enumScan) resolve(n map[string]any) map[string]any {
	for i := 0; i < 8 && n != nil; i++ {
		r, ok := n["$ref"].(string)
		if !ok {
			return n
		}
		name, ok := strings.CutPrefix(r, "#/definitions/")
		if !ok {
			return nil
		}
		defs, _ := s.root["definitions"].(map[string]any)
		n, _ = defs[name].(map[string]any)
	}
	return n
}

// enumStrings is the enum of a string schema, nil when it has none.
func enumStrings(n map[string]any) []string {
	var out []string
	switch e := n["enum"].(type) {
	case []any:
		for _, x := range e {
			s, ok := x.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
	case []string:
		out = append(out, e...)
	}
	return out
}

// literalElems is the elements of a set or array literal, nil otherwise.
func literalElems(t *ast.Term) []*ast.Term {
	var out []*ast.Term
	switch x := t.Value.(type) {
	case ast.Set:
		out = x.Slice()
	case *ast.Array:
		for i := range x.Len() {
			out = append(out, x.Elem(i))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Value.Compare(out[j].Value) < 0 })
	return out
}
