package regovm

// For the tests of package regovm_test (numbers_test.go).
var (
	Native        = native
	CompareValues = compareValues
)

const MemoSlots = memoSlots

// SharedEmpties is the number of statements of p that hand out a shared
// empty collection (empty.go).
func SharedEmpties(p *Program) int { return p.shared }
