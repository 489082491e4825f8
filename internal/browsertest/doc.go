// Package browsertest finds the headless Chromium that the HTML tests and
// benchmarks drive (Debian's chromium; .ci/run installs it).
package browsertest
