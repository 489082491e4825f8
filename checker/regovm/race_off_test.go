//go:build !race

package regovm_test

const raceEnabled = false
