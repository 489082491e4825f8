//go:build race

package checker

// raceEnabled: the tests run under the race detector (about ten times
// slower); the largest comparisons shrink.
const raceEnabled = true
