package regovm

// For the tests of package regovm_test (numbers_test.go).
var (
	Native        = native
	CompareValues = compareValues
)

const MemoSlots = memoSlots
