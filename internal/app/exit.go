package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/checker/regotest"
	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/loaders"
)

// The exit codes of docs/operations.md.
const (
	ExitOK        = 0 // run finished, report published
	ExitTransient = 1 // storage, network, timeout, SIGTERM: nothing published, retry
	ExitConfig    = 2 // bad setting or policy error: do not retry
	ExitData      = 3 // data unusable: do not retry
	ExitFailOn    = 4 // --fail-on threshold reached, report published
)

// ConfigError is a setting that is wrong: a bad flag, a missing --snapshot,
// an unknown key in the config file, an unreadable params file. Setting
// names the flag (without dashes), or the config key.
type ConfigError struct {
	Setting string
	Err     error
}

func (e *ConfigError) Error() string {
	if e.Setting == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("setting %s: %v", e.Setting, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

func configErrorf(setting, format string, args ...any) error {
	return &ConfigError{Setting: setting, Err: fmt.Errorf(format, args...)}
}

// FailOnError says that --fail-on found results of the given kind. The
// report was published.
type FailOnError struct {
	FailOn string // fail | error
	Count  int    // results that reached the threshold
}

func (e *FailOnError) Error() string {
	return fmt.Sprintf("--fail-on %s: %d result(s) reached the threshold", e.FailOn, e.Count)
}

// TargetErrorsError says that `vungmanh check --snapshot` found targets
// that end in an error (not a verdict) on subjects of the snapshot.
type TargetErrorsError struct{ Targets, Subjects int }

func (e *TargetErrorsError) Error() string {
	return fmt.Sprintf("%d target(s) end in an error on %d subject(s) of the snapshot", e.Targets, e.Subjects)
}

// TestsFailedError says that `vungmanh test` found failing or erroring
// Rego tests.
type TestsFailedError struct{ Failed, Errored, Total int }

func (e *TestsFailedError) Error() string {
	return fmt.Sprintf("%d of %d Rego test(s) failed, %d errored", e.Failed, e.Total, e.Errored)
}

// CoverageError says that `vungmanh test --threshold` found the coverage of
// the policies by their tests under the threshold.
type CoverageError struct{ Percent, Threshold float64 }

func (e *CoverageError) Error() string {
	return fmt.Sprintf("coverage %.1f%% is under the threshold of %g%%", e.Percent, e.Threshold)
}

// usageError marks an error that cobra returned before a command ran
// (unknown command, unknown flag, wrong number of arguments).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode maps an error to the exit code of docs/operations.md. It is the only
// place where errors become exit codes.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	// A cancelled or timed-out run is transient whatever stage noticed it.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ExitTransient
	}
	var (
		cfg       *ConfigError
		usage     usageError
		policy    checker.PolicyErrors
		regoErrs  regotest.Errors
		testsFail *TestsFailedError
		fatal     *loaders.FatalError
		badRows   *loaders.TooManyBadRowsError
		memory    *checker.MemoryError
		failOn    *FailOnError
		targetErr *TargetErrorsError
		coverage  *CoverageError
	)
	switch {
	case errors.As(err, &cfg), errors.As(err, &usage),
		errors.As(err, &policy), errors.As(err, &regoErrs), errors.As(err, &testsFail), errors.As(err, &targetErr),
		errors.As(err, &coverage), errors.As(err, &memory):
		// A policy too large for the pod's memory (memory): the same again
		// would fail again.
		return ExitConfig
	case errors.As(err, &fatal), errors.As(err, &badRows):
		return ExitData
	case errors.Is(err, storage.ErrNoBucket):
		// --out names a bucket that does not exist: a setting to fix.
		return ExitConfig
	case errors.Is(err, storage.ErrPermission), errors.Is(err, storage.ErrSymlink):
		// A folder under a local --out that may not be written, or a
		// symbolic link inside it: a setting to fix.
		return ExitConfig
	case errors.Is(err, storage.ErrBadURL), errors.Is(err, loaders.ErrBadURL):
		// A gs:// URL with "..", "." or "//" in its prefix: a setting to fix.
		return ExitConfig
	case errors.Is(err, storage.ErrCredentials), errors.Is(err, loaders.ErrCredentials):
		// No credentials for gs://: retrying cannot help.
		return ExitConfig
	case errors.As(err, &failOn):
		return ExitFailOn
	}
	// Storage, network and anything unforeseen: retrying may help.
	return ExitTransient
}
