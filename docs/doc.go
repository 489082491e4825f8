// Package docs holds the project's manuals, in Markdown: ARCHITECTURE.md
// (the packages and the one-way flow between them), snapshot-format.md,
// policy-input.md, reports.md, operations.md, and the screenshots of the
// report site they show. The package itself holds no code: its test,
// docs_test.go, keeps the Markdown honest (every link points at a file of
// the repository and at one of its headings, and the snapshot format names
// every column the loaders read).
package docs
