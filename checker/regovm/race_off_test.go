//go:build !race

package regovm_test

const raceEnabled = false

// allocSlack is how far two evaluations' mean allocations may differ by
// chance (evalAllocs): without the race detector, by the runtime's own
// rare allocation, a thousandth here.
const allocSlack = 0.1
