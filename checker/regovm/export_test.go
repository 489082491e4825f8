package regovm

import "github.com/open-policy-agent/opa/v1/ast"

// For the tests of package regovm_test (numbers_test.go).
var (
	NativeDivide  = nativeDivide
	CompareValues = compareValues
	SmallInt      = smallInt
	NativeNumber  = map[string]func([]*ast.Term) (*ast.Term, bool){
		ast.Multiply.Name: nativeMultiply,
		ast.Round.Name:    nativeUnary(rounds),
		ast.Floor.Name:    nativeUnary(floors),
	}
)

const MemoSlots = memoSlots
