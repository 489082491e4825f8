package regovm

import (
	"cmp"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// native are builtins that regovm runs itself in the common case, with the
// very code of topdown's implementation (topdown/object.go, aggregates.go,
// comparison.go, v1.22.3), without the builtin wrapper, the copies of the
// builtin context and the result callback. A native function returns false
// when topdown's builtin must run instead (an operand of a type that is an
// error, whose message topdown makes).
var native = map[string]func(ops []*ast.Term) (*ast.Term, bool){
	ast.ObjectGet.Name: nativeObjectGet,
	ast.Count.Name:     nativeCount,
	ast.Member.Name:    nativeMember,
	ast.Concat.Name:    nativeConcat,
	ast.Divide.Name:    nativeDivide,
	ast.Multiply.Name:  nativeMultiply,
	ast.Round.Name:     nativeRound,
	ast.Floor.Name:     nativeFloor,
	ast.GreaterThan.Name: func(ops []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(compareValues(ops[0].Value, ops[1].Value) > 0), true
	},
	ast.GreaterThanEq.Name: func(ops []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(compareValues(ops[0].Value, ops[1].Value) >= 0), true
	},
	ast.LessThan.Name: func(ops []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(compareValues(ops[0].Value, ops[1].Value) < 0), true
	},
	ast.LessThanEq.Name: func(ops []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(compareValues(ops[0].Value, ops[1].Value) <= 0), true
	},
	ast.NotEqual.Name: func(ops []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(!ops[0].Equal(ops[1])), true
	},
	ast.Equal.Name: func(ops []*ast.Term) (*ast.Term, bool) {
		return ast.InternedTerm(ops[0].Equal(ops[1])), true
	},
}

// nativeObjectGet is builtinObjectGet for an object operand.
func nativeObjectGet(ops []*ast.Term) (*ast.Term, bool) {
	defaultValue, path, curr := ops[2], ops[1], ops[0]
	object, ok := curr.Value.(ast.Object)
	if !ok {
		return nil, false
	}
	arr, ok := path.Value.(*ast.Array)
	if !ok {
		return cmp.Or(object.Get(path), defaultValue), true
	}
	for i := range arr.Len() {
		if curr = curr.Get(arr.Elem(i)); curr == nil {
			break
		}
	}
	return cmp.Or(curr, defaultValue), true
}

// nativeCount is builtinCount.
func nativeCount(ops []*ast.Term) (*ast.Term, bool) {
	switch a := ops[0].Value.(type) {
	case *ast.Array:
		return ast.InternedTerm(a.Len()), true
	case ast.Object:
		return ast.InternedTerm(a.Len()), true
	case ast.Set:
		return ast.InternedTerm(a.Len()), true
	case ast.String:
		return ast.InternedTerm(len([]rune(a))), true
	}
	return nil, false
}

// nativeMember is builtinMember (internal.member_2).
func nativeMember(ops []*ast.Term) (*ast.Term, bool) {
	switch c := ops[1].Value.(type) {
	case ast.Set:
		return ast.InternedTerm(c.Contains(ops[0])), true
	case *ast.Array:
		return ast.InternedTerm(c.Until(ops[0].Equal)), true
	case ast.Object:
		x := ops[0]
		return ast.InternedTerm(c.Until(func(_, v *ast.Term) bool { return x.Equal(v) })), true
	}
	return ast.InternedTerm(false), true
}

// maxNativeConcat is the longest string nativeConcat makes: a longer one
// is topdown's, whose writer stops when the evaluation is cancelled.
const maxNativeConcat = 1 << 20

// nativeConcat is builtinConcat (topdown/strings.go) for a string
// delimiter and an array or set of strings, the set in its sorted order:
// the same string, made in one allocation (topdown's makes a buffer, grows
// it, then copies it into the string). Zero or one element gives the same
// terms as topdown's fast path.
func nativeConcat(ops []*ast.Term) (*ast.Term, bool) {
	join, ok := ops[0].Value.(ast.String)
	if !ok {
		return nil, false
	}
	switch c := ops[1].Value.(type) {
	case *ast.Array:
		return concatTerms(string(join), c.Len(), c.Elem)
	case ast.Set:
		elems := c.Slice()
		return concatTerms(string(join), len(elems), func(i int) *ast.Term { return elems[i] })
	}
	return nil, false
}

// concatTerms joins the n strings at(0)...at(n-1) with sep, as nativeConcat.
func concatTerms(sep string, n int, at func(int) *ast.Term) (*ast.Term, bool) {
	if n == 0 {
		return ast.InternedEmptyString, true
	}
	size := len(sep) * (n - 1)
	for i := range n {
		s, ok := at(i).Value.(ast.String)
		if !ok {
			return nil, false // topdown's error names the element
		}
		size += len(s)
	}
	if n == 1 {
		return at(0), true
	}
	if size > maxNativeConcat {
		return nil, false
	}
	var b strings.Builder
	b.Grow(size)
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(string(at(i).Value.(ast.String)))
	}
	return ast.InternedTerm(b.String()), true
}
