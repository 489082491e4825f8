// Package tools pins the modules the project builds with, so that go.mod
// keeps them while packages that use them are being written.
//
// tools.go, built only with the tools build tag, imports them; the
// screenshots folder holds the command that takes the docs' pictures of
// the report site.
package tools
