package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/vungmanh/vungmanh/checker"
)

// paramsFile is a --params file: its source (for the lines of its
// problems) and its parsed value (data.params).
type paramsFile struct {
	name string
	src  []byte
	val  map[string]any
}

// readParamsFile reads and parses --params; nil when unset.
func readParamsFile(ctx context.Context, name string) (*paramsFile, error) {
	if name == "" {
		return nil, nil
	}
	data, err := readSettingFile(ctx, "params", name)
	if err != nil {
		return nil, err
	}
	p, err := checker.ParseParams(data)
	if err != nil {
		return nil, configErrorf("params", "--params %q: %v", name, err)
	}
	return &paramsFile{name: name, src: data, val: p}, nil
}

// checkParams checks f against the parameters the targets of pol declare
// (checker.Policies.CheckParams): a key a target does not declare, or a
// value of the wrong type, is a *ConfigError (exit code 2) listing every
// such problem at its line; warnings (parameters for a target the policies
// do not have) are returned apart, for the caller to print or log.
func checkParams(f *paramsFile, pol *checker.Policies) (warnings []string, err error) {
	if f == nil {
		return nil, nil
	}
	problems, err := pol.CheckParams(f.src)
	if err != nil {
		return nil, configErrorf("params", "--params %q: %v", f.name, err)
	}
	var errs []string
	for _, p := range problems {
		line := fmt.Sprintf("%s:%d:%d: %s", f.name, p.Line, p.Column, p.Msg)
		if p.Warning {
			warnings = append(warnings, line)
		} else {
			errs = append(errs, line)
		}
	}
	if len(errs) > 0 {
		return warnings, configErrorf("params", "--params %q does not match the parameters the targets declare:\n%s", f.name, strings.Join(errs, "\n"))
	}
	return warnings, nil
}

// checkParamsFile is `check --params`: it prints each problem of the params
// file as file:line:col: message (warnings prefixed "warning: ") and fails
// with exit code 2 when one is not a warning.
func checkParamsFile(ctx context.Context, w io.Writer, name string, pol *checker.Policies) (map[string]any, error) {
	f, err := readParamsFile(ctx, name)
	if err != nil || f == nil {
		return nil, err
	}
	problems, err := pol.CheckParams(f.src)
	if err != nil {
		return nil, configErrorf("params", "--params %q: %v", name, err)
	}
	n := 0
	for _, p := range problems {
		if p.Warning {
			fmt.Fprintf(w, "%s:%d:%d: warning: %s\n", name, p.Line, p.Column, p.Msg)
			continue
		}
		n++
		fmt.Fprintf(w, "%s:%d:%d: %s\n", name, p.Line, p.Column, p.Msg)
	}
	if n > 0 {
		return nil, reportedError{configErrorf("params", "--params %q: %d problem(s)", name, n)}
	}
	return f.val, nil
}
