//go:build race

package regovm_test

// raceEnabled: the tests run under the race detector (five to ten times
// slower, and indexing a sample for one subject's input takes 0.3 s): the
// differential test over the pack keeps every group, sample and parameter
// set, with a few subjects each.
const raceEnabled = true

// allocSlack is how far two evaluations' mean allocations may differ by
// chance (evalAllocs): the race detector makes sync.Pool drop a random
// quarter of what is put back.
const allocSlack = 0.75
