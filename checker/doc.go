// Package checker turns a directory (or bundle) of Rego targets and a loaded
// snapshot into one result per (target, subject): the contract of
// spec/policies.md, and the counts of spec/reports.md.
package checker
