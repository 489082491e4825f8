package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Version is the tool's version, set at build time:
//
//	go build -ldflags "-X github.com/vungmanh/vungmanh/internal/app.Version=1.2.3" ./cmd/vungmanh
var Version = "dev"

// app carries what the commands share: the standard streams, the
// environment, and the stages of `run` (replaceable in tests).
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// environ lists the environment (os.Environ), for the warning about
	// VUNGMANH_ variables that name no setting.
	environ func() []string
	// pipeline runs the stages of `run` once the settings are valid.
	pipeline func(ctx context.Context, rc *runContext) (*runOutcome, error)
	// ran is set when a command's RunE starts: errors before that are
	// usage errors (unknown command or flag).
	ran bool
}

// Main runs the vungmanh command line with args (without the program
// name) and returns the process exit code of docs/operations.md. ctx is cancelled
// on SIGINT and SIGTERM by main.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, environ: os.Environ, pipeline: runPipeline}
	return a.main(ctx, args)
}

func (a *app) main(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !a.ran {
		err = usageError{err}
	}
	code := exitCode(err)
	if _, ok := err.(usageError); ok {
		if cmd, _, ferr := root.Find(args); ferr == nil && cmd.Flags().Lookup("termination-log") != nil {
			a.usageFailed(cmd, err)
			return code
		}
	}
	var reported reportedError
	if err != nil && !errors.As(err, &reported) {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		if _, ok := err.(usageError); ok {
			msg += " (see `vungmanh --help`)"
		}
		fmt.Fprintf(a.stderr, "vungmanh: %s\n", msg)
	}
	return code
}

// reportedError wraps an error that a command has already logged.
type reportedError struct{ err error }

func (e reportedError) Error() string { return e.err.Error() }
func (e reportedError) Unwrap() error { return e.err }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "vungmanh",
		Short: "Check a Women's Union snapshot against its targets and publish compliance reports",
		Long: strings.TrimSpace(`
vungmanh checks a province's nightly snapshot of the Vietnam Women's Union
(Hội LHPN) against the targets of its resolutions, written as Rego policies,
and publishes compliance reports (JSON, HTML, CSV, Parquet, XLSX).

The nightly job is "vungmanh run"; policy authors use "test", "check" and
"eval"; "sample" writes synthetic snapshots to try everything without data.

Every command but version takes its flags also as VUNGMANH_<FLAG>
variables or keys of run's --config file (flag > environment > file),
logs on stderr (--log-format, --log-level) and ends with one summary line,
logged and written to /dev/termination-log when it exists; what it prints
for you stays on stdout (docs/operations.md, "Settings of the other
commands").

Exit codes: 0 published, 1 transient failure (retry), 2 configuration or
policy error, 3 data unusable, 4 --fail-on threshold reached (published).`),
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &ConfigError{Err: err}
	})
	root.AddCommand(a.runCommand(), a.testCommand(), a.checkCommand(), a.evalCommand(),
		a.sampleCommand(), a.mergeCommand(), a.policiesCommand(), a.versionCommand())
	return root
}

// started marks the start of a command's own work; see app.ran.
func (a *app) started() { a.ran = true }
