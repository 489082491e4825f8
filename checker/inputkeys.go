package checker

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// inputKeys is a set of top-level keys of input (docs/policy-input.md), one bit
// per key. The checker builds only the keys that the compiled policies of a
// scope can read: building the rest (the cadre records of a commune's
// subtree, its activities and member statistics, ...) cost time and garbage
// for nothing.
type inputKeys uint16

const (
	inSubject inputKeys = 1 << iota
	inAncestors
	inUnits
	inModels
	inCadres
	inRatings
	inActivities
	inMembers
	inSnapshot
	inUnit

	allInputKeys inputKeys = 1<<iota - 1

	// inOwnMembers: the rules read input.members only at the subject's own
	// id (TB-09's object.get(object.get(input, "members", {}), sid, {})
	// with sid := input.subject.id), so input.members holds the subject's
	// statistics alone: its groups' are never built. Outside allInputKeys:
	// the whole input has every entry.
	inOwnMembers inputKeys = 1 << 15
)

// inputKeyBits maps each key of docs/policy-input.md to its bit.
var inputKeyBits = map[string]inputKeys{
	"subject": inSubject, "ancestors": inAncestors, "units": inUnits, "models": inModels,
	"cadres": inCadres, "ratings": inRatings, "activities": inActivities, "members": inMembers,
	"snapshot": inSnapshot, "unit": inUnit,
}

// readInputKeys returns the top-level keys of input that the rules of c can
// read. It walks every rule of every module of c (the targets of a scope and
// the libraries, whether the targets call them or not) for refs rooted at
// input, following input into user functions that receive it as an argument
// (lib.active_models(input, t) reads what the function reads of its
// parameter) and through local variables bound to it (the compiler rewrites
// object.get(input, "x", d) as v = input; object.get(v, "x", d)).
//
// The answer is every key (allInputKeys) as soon as one use of input is not
// a constant key: input read whole or passed to a builtin (walk(input),
// json.marshal(input), x := input, some k, v in input), a computed key
// (input[k], object.get(input, k, d)), or input replaced with `with`. Keys
// that the contract does not define are ignored: they are never built.
//
// input.members is followed one level further: when every rule reads it
// only at the subject's own id (keyScan.membersKey), the answer has
// inOwnMembers instead of inMembers.
func readInputKeys(c *ast.Compiler) inputKeys {
	s := &keyScan{c: c, done: map[funcParam]bool{}}
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			s.rule(r, nil)
			if s.whole {
				return allInputKeys
			}
		}
	}
	if s.keys&inMembers == 0 && s.ownMembers {
		s.keys |= inOwnMembers
	}
	return s.keys
}

type funcParam struct {
	rule  *ast.Rule
	param int
}

type keyScan struct {
	c     *ast.Compiler
	keys  inputKeys
	whole bool
	done  map[funcParam]bool // function parameters already scanned
	// ownMembers: some rule reads input.members at the subject's id; any
	// other read of it sets inMembers in keys.
	ownMembers bool
	nested     int // depth of comprehension and every bodies being scanned
}

// role is what a variable of a rule stands for.
type role uint8

const (
	roleNone      role = iota
	roleInput          // input as a whole
	roleMembers        // input.members as a whole
	roleSubjectID      // input.subject.id
)

// tracked holds the variables of one rule that stand for input as a whole,
// for input.members, or (from the expression that binds them on) for the
// subject's id.
type tracked map[ast.Var]role

// isInput reports whether t is input as a whole: input itself or a tracked
// variable.
func (tr tracked) isInput(t *ast.Term) bool {
	switch v := t.Value.(type) {
	case ast.Var:
		return v.Equal(ast.InputRootDocument.Value) || tr[v] == roleInput
	case ast.Ref:
		return len(v) == 1 && tr.isInput(v[0])
	}
	return false
}

// isMembers reports whether t is a variable standing for input.members.
func (tr tracked) isMembers(t *ast.Term) bool {
	v, ok := t.Value.(ast.Var)
	return ok && tr[v] == roleMembers
}

// isSubjectID reports whether t is the subject's id: input.subject.id or a
// variable bound to it.
func (tr tracked) isSubjectID(t *ast.Term) bool {
	switch v := t.Value.(type) {
	case ast.Var:
		return tr[v] == roleSubjectID
	case ast.Ref:
		return len(v) == 3 && tr.isInput(v[0]) && v[1].Equal(kSubject) && v[2].Equal(kID)
	}
	return false
}

// rule scans r and its else chain with the variables in params standing
// for input.
func (s *keyScan) rule(r *ast.Rule, params tracked) {
	for ; r != nil && !s.whole; r = r.Else {
		s.ruleOne(r, params)
	}
}

// ruleOne scans r alone (not its else chain).
func (s *keyScan) ruleOne(r *ast.Rule, params tracked) {
	tr := tracked{}
	for v, r := range params {
		tr[v] = r
	}
	// Aliases: v = input, v := input (and the same with a tracked variable),
	// and the variables holding input.members, to a fixed point. Compiled
	// locals are unique per rule.
	for changed := true; changed; {
		changed = false
		ast.WalkExprs(r.Body, func(e *ast.Expr) bool {
			if v, ok := aliasOf(e, tr); ok && tr[v] != roleInput {
				tr[v] = roleInput
				changed = true
			} else if v, ok := membersOf(e, tr); ok && tr[v] == roleNone {
				tr[v] = roleMembers
				changed = true
			}
			return false
		})
	}
	// The head's arguments are the parameters: their uses are in the body
	// and in the head's key, value and reference.
	s.term(r.Head.Key, tr)
	s.term(r.Head.Value, tr)
	for _, t := range r.Head.Reference {
		s.term(t, tr)
	}
	s.body(r.Body, tr)
}

// aliasOf returns v when e is v = x or v := x with x input as a whole.
func aliasOf(e *ast.Expr, tr tracked) (ast.Var, bool) {
	return boundTo(e, func(x *ast.Term) bool { return tr.isInput(x) }, true)
}

// boundTo returns v when e is v = x or v := x (either side) with is(x), v
// not input itself; a negated e only when negated allows it.
func boundTo(e *ast.Expr, is func(*ast.Term) bool, negated bool) (ast.Var, bool) {
	if !e.IsEquality() && !e.IsAssignment() || len(e.With) > 0 || e.Negated && !negated {
		return "", false
	}
	ts := e.Operands()
	if len(ts) != 2 {
		return "", false
	}
	for i, t := range ts {
		if v, ok := t.Value.(ast.Var); ok && is(ts[1-i]) && !v.Equal(ast.InputRootDocument.Value) {
			return v, true
		}
	}
	return "", false
}

// membersOf returns v when e binds v to input.members: v = input.members,
// v := m with m a variable holding it, or object.get(input, "members", d, v)
// (the compiled form of v := object.get(input, "members", d)).
func membersOf(e *ast.Expr, tr tracked) (ast.Var, bool) {
	if len(e.With) > 0 || e.Negated {
		return "", false
	}
	if e.IsEquality() || e.IsAssignment() {
		return boundTo(e, func(x *ast.Term) bool { return isMembersRef(x, tr) }, false)
	}
	ts, ok := e.Terms.([]*ast.Term)
	if !ok || len(ts) != 5 || !tr.isInput(ts[1]) || !ts[2].Equal(kMembers) {
		return "", false
	}
	if op, ok := ts[0].Value.(ast.Ref); !ok || !op.Equal(objectGet) {
		return "", false
	}
	v, ok := ts[4].Value.(ast.Var)
	return v, ok
}

// isMembersRef reports whether t is input.members itself (not a key into
// it): the ref, or a variable holding it.
func isMembersRef(t *ast.Term, tr tracked) bool {
	if tr.isMembers(t) {
		return true
	}
	r, ok := t.Value.(ast.Ref)
	return ok && len(r) == 2 && tr.isInput(r[0]) && r[1].Equal(kMembers)
}

// subjectIDOf returns v when e is v = input.subject.id or v := ... (v
// bound to the subject's id, or checked against it: either way v is the id
// in every expression after e).
func subjectIDOf(e *ast.Expr, tr tracked) (ast.Var, bool) {
	return boundTo(e, tr.isSubjectID, false)
}

func (s *keyScan) body(b ast.Body, tr tracked) {
	for _, e := range b {
		s.expr(e, tr)
	}
}

func (s *keyScan) expr(e *ast.Expr, tr tracked) {
	if s.whole {
		return
	}
	for _, w := range e.With {
		if ref, ok := w.Target.Value.(ast.Ref); ok && ref.HasPrefix(ast.InputRootRef) {
			s.whole = true // input replaced: what the rules read is no longer the input built
			return
		}
		s.term(w.Value, tr)
	}
	if _, ok := aliasOf(e, tr); ok {
		return // v = input: the uses of v are scanned
	}
	if v, ok := membersOf(e, tr); ok && tr[v] == roleMembers {
		if ts, ok := e.Terms.([]*ast.Term); ok && !e.IsEquality() && !e.IsAssignment() {
			s.term(ts[3], tr) // object.get's default
		}
		return // v = input.members: the uses of v are scanned
	}
	if s.nested == 0 {
		// The subject's id, in the rule's own body only: a variable bound
		// in a comprehension or an every may be the rule's, bound before
		// to something else (compiled locals are unique per rule, not per
		// body), and it is the id only after this expression.
		if v, ok := subjectIDOf(e, tr); ok && tr[v] == roleNone {
			defer func() { tr[v] = roleSubjectID }()
		}
	}
	switch t := e.Terms.(type) {
	case *ast.Term:
		s.term(t, tr)
	case []*ast.Term:
		s.call(t[0], t[1:], tr)
	case *ast.SomeDecl:
		for _, x := range t.Symbols {
			s.term(x, tr)
		}
	case *ast.Every:
		s.term(t.Domain, tr)
		if t.Key != nil {
			s.term(t.Key, tr)
		}
		s.term(t.Value, tr)
		s.nestedBody(t.Body, tr)
	default:
		s.whole = true
	}
}

var objectGet = ast.MustParseRef("object.get")

// call scans a call of op with args (outputs included, as in compiled
// bodies).
func (s *keyScan) call(op *ast.Term, args []*ast.Term, tr tracked) {
	ref, ok := op.Value.(ast.Ref)
	if !ok {
		s.whole = true
		return
	}
	if ref.Equal(objectGet) && len(args) >= 3 && tr.isMembers(args[0]) {
		// object.get(m, k, d) with m holding input.members.
		s.membersKey(args[1], tr)
		for _, a := range args[1:] {
			s.term(a, tr)
		}
		return
	}
	if ref.Equal(objectGet) && len(args) >= 3 && tr.isInput(args[0]) {
		switch k := args[1].Value.(type) {
		case ast.String:
			s.key(string(k))
		case *ast.Array:
			if k.Len() == 0 {
				s.whole = true
				return
			}
			first, ok := k.Elem(0).Value.(ast.String)
			if !ok {
				s.whole = true
				return
			}
			if first == "members" && k.Len() > 1 {
				s.membersKey(k.Elem(1), tr) // object.get(input, ["members", k, ...], d)
			} else {
				s.key(string(first))
			}
		default:
			s.whole = true
			return
		}
		for _, a := range args[1:] {
			s.term(a, tr)
		}
		return
	}
	var rules []*ast.Rule
	if ref.HasPrefix(ast.DefaultRootRef) {
		rules = s.c.GetRulesExact(ref)
	}
	for i, a := range args {
		if !tr.isInput(a) {
			s.term(a, tr)
			continue
		}
		if len(rules) == 0 {
			s.whole = true // a builtin (or unknown function) receives input whole
			return
		}
		for _, r := range rules {
			for ; r != nil; r = r.Else {
				s.param(r, i)
			}
		}
	}
}

// param scans function rule r with its i-th parameter standing for input.
func (s *keyScan) param(r *ast.Rule, i int) {
	fp := funcParam{r, i}
	if s.done[fp] || s.whole {
		return
	}
	s.done[fp] = true
	if i >= len(r.Head.Args) {
		s.whole = true // input in an output position
		return
	}
	v, ok := r.Head.Args[i].Value.(ast.Var)
	if !ok {
		s.whole = true // a pattern on input
		return
	}
	// Only this rule of the chain: the caller walks the else chain, each
	// rule with its own parameter names.
	s.ruleOne(r, tracked{v: roleInput})
}

func (s *keyScan) key(k string) {
	s.keys |= inputKeyBits[k]
}

// membersKey records a read of input.members at key k: the subject's own
// entry, or any.
func (s *keyScan) membersKey(k *ast.Term, tr tracked) {
	if tr.isSubjectID(k) {
		s.ownMembers = true
	} else {
		s.key("members")
	}
}

// nestedBody scans the body of a comprehension or an every.
func (s *keyScan) nestedBody(b ast.Body, tr tracked) {
	s.nested++
	s.body(b, tr)
	s.nested--
}

// term scans one term: a ref rooted at input (or a tracked variable) with a
// constant first key reads that key; input anywhere else is read whole.
func (s *keyScan) term(t *ast.Term, tr tracked) {
	if s.whole || t == nil {
		return
	}
	switch v := t.Value.(type) {
	case ast.Var:
		if tr.isInput(t) {
			s.whole = true
		} else if tr.isMembers(t) {
			s.key("members") // input.members whole
		}
	case ast.Ref:
		if tr.isMembers(v[0]) && len(v) > 1 {
			s.membersKey(v[1], tr) // m[k]
			for _, x := range v[1:] {
				s.term(x, tr)
			}
			return
		}
		if tr.isInput(v[0]) {
			if len(v) < 2 {
				s.whole = true
				return
			}
			k, ok := v[1].Value.(ast.String)
			if !ok {
				s.whole = true
				return
			}
			if k == "members" && len(v) > 2 {
				s.membersKey(v[2], tr) // input.members[k]
			} else {
				s.key(string(k))
			}
			for _, x := range v[2:] {
				s.term(x, tr)
			}
			return
		}
		for _, x := range v {
			s.term(x, tr)
		}
	case ast.Call:
		s.call(v[0], v[1:], tr)
	case *ast.Array:
		for i := 0; i < v.Len(); i++ {
			s.term(v.Elem(i), tr)
		}
	case ast.Object:
		v.Foreach(func(k, x *ast.Term) {
			s.term(k, tr)
			s.term(x, tr)
		})
	case ast.Set:
		v.Foreach(func(x *ast.Term) { s.term(x, tr) })
	case *ast.ArrayComprehension:
		s.term(v.Term, tr)
		s.nestedBody(v.Body, tr)
	case *ast.SetComprehension:
		s.term(v.Term, tr)
		s.nestedBody(v.Body, tr)
	case *ast.ObjectComprehension:
		s.term(v.Key, tr)
		s.term(v.Value, tr)
		s.nestedBody(v.Body, tr)
	}
}
