package regovm

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/util"
)

// Keys into the base document (data given to Eval, not the rules' values)
// follow topdown, not Wasm. Topdown reads a ref into the base document from
// the store: storage.NewPathForRef turns every key into a path segment, a
// string as it is and a number as its text (ast.Number.String: 2024 is
// "2024", 1.5 is "1.5", 1e3 is "1e3"), a boolean or null into "not found",
// a composite into undefined; the store then looks the segment up, an
// object by the string key, an array by util.Atoi of the segment (which
// accepts "1", "+1", "1.0"). So data.params.limit[2024] finds the key
// "2024" of data.params.limit (as YAML or JSON params have it), and
// data.xs["1"] finds xs[1]. A rule's value is not in the store: topdown
// looks keys up in it by equality, as regovm does everywhere else
// (data.t.q[2024] is undefined when q has the key "2024"), and so is a
// value once bound to a variable (x := data.params.limit; x[2024]).
//
// OPA's planner reads the base document with DotStmts from the data local,
// each from the previous one's target; it scans it (ScanStmt) where a key
// is a variable and rules live below the same path, comparing each key
// with the variable's value (EqualStmt). The compiler follows those locals
// through each function (they are fresh: the planner binds a variable to a
// local of its own with AssignVarStmt) and compiles those DotStmts and
// EqualStmts with the store's semantics (baseGet, baseKeyMatches). One
// construct mixes the two: where the planner looks a ref up dynamically
// (CallDynamicStmt), one local gets either a rule's value (the call) or,
// when no rule matches, the base document's (an AssignVarStmt from the base
// document); a hidden local beside it (docInfo.flag) records which, and the
// keys into it and into what comes of it follow the one or the other at
// run time.

// docKind is what a local holds, as far as the base document goes.
type docKind uint8

const (
	docValue    docKind = iota // a value: keys by equality
	docBase                    // the base document, or a document in it
	docBaseKey                 // a key of a scan of the base document
	docMixed                   // a rule's value or the base document's (CallDynamicStmt)
	docMixedKey                // a key of a scan of a docMixed local
)

// docInfo is what the compiler knows of a local of the function being
// compiled.
type docInfo struct {
	kind docKind
	// docMixed, docMixedKey: the index of the hidden local that is
	// non-nil when the CallDynamicStmt's result came from the base
	// document (set once the function is compiled: endFunction).
	flag *int32
}

// startFunction starts the locals of a function (or plan) whose parameters
// are params: the second is data.
func (c *compiler) startFunction(params []ir.Local) {
	c.docs = map[ir.Local]docInfo{}
	c.dynResults = map[ir.Local]*int32{}
	c.flags = c.flags[:0]
	if len(params) >= 2 {
		c.docs[params[1]] = docInfo{kind: docBase}
	}
}

// endFunction places the hidden locals of the function after its nlocals
// locals and returns the new count.
func (c *compiler) endFunction(nlocals int) int {
	for _, f := range c.flags {
		*f = int32(nlocals)
		nlocals++
	}
	return nlocals
}

// dynResult notes the result of a CallDynamicStmt and returns its flag.
func (c *compiler) dynResult(l ir.Local) *int32 {
	f := c.dynResults[l]
	if f == nil {
		f = new(int32)
		c.dynResults[l] = f
		c.flags = append(c.flags, f)
	}
	return f
}

// assignDoc: the base document's value assigned to the result of a
// CallDynamicStmt (the planner's fallback when no rule matches the path)
// makes that local docMixed; it returns the flag to set, or nil.
func (c *compiler) assignDoc(x *ir.AssignVarStmt) *int32 {
	src, ok := localOf(x.Source)
	flag := c.dynResults[x.Target]
	if !ok || flag == nil {
		return nil
	}
	if k := c.docs[src].kind; k == docBase || k == docMixed {
		c.docs[x.Target] = docInfo{kind: docMixed, flag: flag}
		return flag
	}
	return nil
}

// scanDoc marks the key and value of a scan of the base document.
func (c *compiler) scanDoc(x *ir.ScanStmt) {
	d := c.docs[x.Source]
	switch d.kind {
	case docBase:
		c.docs[x.Key], c.docs[x.Value] = docInfo{kind: docBaseKey}, d
	case docMixed:
		c.docs[x.Key], c.docs[x.Value] = docInfo{kind: docMixedKey, flag: d.flag}, d
	}
}

// baseDot tells how x looks its key up: by equality (nil, false), with the
// store's semantics (nil, true), or at run time the one or the other
// (flag, true: the store's when the local *flag is non-nil). The store's
// semantics apply when the source is (or may be) the base document and the
// key is one whose lookup differs from a value's: a local, or a constant
// string that is an array index. It marks x's target.
func (c *compiler) baseDot(x *ir.DotStmt, src ir.Local, key opnd) (*int32, bool) {
	d := c.docs[src]
	switch d.kind {
	case docBase, docMixed:
		c.docs[x.Target] = d
	default:
		return nil, false
	}
	if key.c != nil {
		str, ok := key.c.Value.(ast.String)
		if !ok {
			return nil, false // a constant boolean: not found either way
		}
		if _, index := util.Atoi(string(str)); !index {
			return nil, false // a string that is no array index: Get agrees
		}
	}
	return d.flag, true
}

// baseKeyEqual tells whether x compares a key of a scan of the base
// document (key) with other, and returns the flag of a docMixed scan.
func (c *compiler) baseKeyEqual(x *ir.EqualStmt, a, b opnd) (key, other opnd, flag *int32, ok bool) {
	infoOf := func(o ir.Operand) docInfo {
		if l, ok := localOf(o); ok {
			return c.docs[l]
		}
		return docInfo{}
	}
	da, db := infoOf(x.A), infoOf(x.B)
	switch {
	case da.kind == docBaseKey || da.kind == docMixedKey:
		return a, b, da.flag, true
	case db.kind == docBaseKey || db.kind == docMixedKey:
		return b, a, db.flag, true
	}
	return opnd{}, opnd{}, nil, false
}

// pathSegment is key as a segment of a storage path
// (storage.NewPathForRef): a string as it is, a number as its text; false
// for anything else (not found, or undefined, in the store).
func pathSegment(key *ast.Term) (string, bool) {
	switch k := key.Value.(type) {
	case ast.String:
		return string(k), true
	case ast.Number:
		return string(k), true
	}
	return "", false
}

// baseGet is doc[key] as topdown reads it from the store (ptr.ValuePtr):
// nil when undefined.
func baseGet(doc, key *ast.Term) *ast.Term {
	seg, ok := pathSegment(key)
	if !ok {
		return nil
	}
	switch d := doc.Value.(type) {
	case ast.Object:
		if _, isString := key.Value.(ast.String); isString {
			return d.Get(key)
		}
		return d.Get(ast.StringTerm(seg))
	case *ast.Array:
		i, ok := util.Atoi(seg)
		if !ok || i < 0 || i >= d.Len() {
			return nil
		}
		return d.Elem(i)
	}
	return nil
}

// baseKeyMatches tells whether the key k of a scan of a base document (a
// string for an object, an index for an array) is the one topdown looks up
// for the value v (baseGet).
func baseKeyMatches(k, v *ast.Term) bool {
	seg, ok := pathSegment(v)
	if !ok {
		return false
	}
	switch key := k.Value.(type) {
	case ast.String:
		return string(key) == seg
	case ast.Number:
		i, ok1 := key.Int()
		j, ok2 := util.Atoi(seg)
		return ok1 && ok2 && i == j
	}
	return equal(k, v)
}
