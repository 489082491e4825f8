package regovm

import (
	"reflect"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
)

// A function whose only parameters are input and data and that reads
// neither (it may call constant functions with them) has the same value in
// every evaluation: the labels and tables of a library, for instance. Its
// value is computed by the first evaluation that needs it and kept by the
// Program for the others (an error is not kept: each evaluation meets it).
// The value is shared by concurrent evaluations: regovm never modifies a
// value once a statement other than the one that made it has read it
// (ArrayAppendStmt, ObjectInsertStmt, ObjectInsertOnceStmt and SetAddStmt
// add to the collections a function or comprehension is building), and
// reading ast values concurrently is safe (objects and sets sort their keys
// once, under a sync.Once).

var localType = reflect.TypeFor[ir.Local]()

// constantFuncs returns the names of the constant functions of policy.
func constantFuncs(policy *ir.Policy) map[string]bool {
	if policy.Funcs == nil {
		return nil
	}
	type info struct {
		reads   bool            // reads input or data other than to call a function with them
		callees map[string]bool // functions called with (input, data)
	}
	infos := map[string]*info{}
	for _, f := range policy.Funcs.Funcs {
		if len(f.Params) != 2 || f.Params[0] != ir.Input || f.Params[1] != ir.Data {
			continue
		}
		in := &info{callees: map[string]bool{}}
		for _, b := range f.Blocks {
			walkBase(reflect.ValueOf(b), in.callees, &in.reads)
		}
		if !in.reads {
			infos[f.Name] = in
		}
	}
	// Optimistic fixpoint: a candidate stays constant while all its callees
	// are constant candidates (Rego has no recursion).
	for changed := true; changed; {
		changed = false
		for name, in := range infos {
			for callee := range in.callees {
				if infos[callee] == nil {
					delete(infos, name)
					changed = true
					break
				}
			}
		}
	}
	out := map[string]bool{}
	for name := range infos {
		out[name] = true
	}
	return out
}

// walkBase finds the references to input (local 0) and data (local 1) in
// v: a CallStmt whose only such references are its first two arguments,
// (input, data), adds its function to callees; any other reference sets
// *reads.
func walkBase(v reflect.Value, callees map[string]bool, reads *bool) {
	if *reads {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Pointer && v.CanInterface() {
			if cs, ok := v.Interface().(*ir.CallStmt); ok && len(cs.Args) >= 2 && isLocal(cs.Args[0], ir.Input) && isLocal(cs.Args[1], ir.Data) {
				callees[cs.Func] = true
				for _, a := range cs.Args[2:] {
					walkBase(reflect.ValueOf(a), callees, reads)
				}
				return
			}
		}
		walkBase(v.Elem(), callees, reads)
	case reflect.Struct:
		for i := range v.NumField() {
			walkBase(v.Field(i), callees, reads)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkBase(v.Index(i), callees, reads)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if v.Type() == localType && (ir.Local(v.Int()) == ir.Input || ir.Local(v.Int()) == ir.Data) {
			*reads = true
		}
	}
}

func isLocal(o ir.Operand, want ir.Local) bool {
	l, ok := localOf(o)
	return ok && l == want
}

// constSlot holds the value of a constant function once computed
// (undefinedMemo: undefined).
type constSlot = atomic.Pointer[ast.Term]
