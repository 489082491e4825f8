package regovm

// For the tests of package regovm_test (numbers_test.go).
var (
	NativeDivide  = nativeDivide
	CompareValues = compareValues
	SmallInt      = smallInt
)

const MemoSlots = memoSlots
