// Command vungmanh checks a Women's Union snapshot against its targets and
// publishes compliance reports. See `vungmanh --help` and docs/operations.md.
package main
