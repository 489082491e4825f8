package app

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// opsFlags are the operations settings that every command but version
// takes, as run does: --config (run's YAML file), --log-format,
// --log-level and the hidden --termination-log.
type opsFlags struct {
	config, logFormat, logLevel, terminationLog string

	// Set after validation.
	level zerolog.Level
}

// configUsage is the help of --config of the commands other than run.
const configUsage = "YAML file with settings, the one of run (keys are the flag names; the keys of run that this command does not take are left to it); flags and environment win over it"

// bindOpsFlags declares the operations flags on fs; config is the help of
// --config.
func bindOpsFlags(fs *pflag.FlagSet, o *opsFlags, config string) {
	fs.StringVar(&o.config, "config", "", config)
	fs.StringVar(&o.logFormat, "log-format", "", "log format: json or console (default: console on a terminal, json otherwise)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&o.terminationLog, "termination-log", DefaultTerminationLog, "file that receives the summary line when it exists")
	_ = fs.MarkHidden("termination-log")
}

// validate checks --log-format and --log-level.
func (o *opsFlags) validate() error {
	switch o.logFormat {
	case "", "json", "console":
	default:
		return configErrorf("log-format", "--log-format %q: want json or console", o.logFormat)
	}
	lvl, err := zerolog.ParseLevel(strings.ToLower(o.logLevel))
	if err != nil || o.logLevel == "" {
		return configErrorf("log-level", "--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	o.level = lvl
	return nil
}

// operation is one command run the way every command runs (docs/operations.md,
// "Settings"): its settings from flags, VUNGMANH_ variables and run's
// --config file; logs on stderr (JSON with severity, or console); one
// summary line at the end whatever the exit code, logged and written to
// the termination log. The command's own output stays on stdout.
type operation struct {
	ops *opsFlags
	// sum starts the summary: Command (empty for merge, whose line is
	// run's).
	sum summary
	// runID, when not nil, is the command's run id setting (merge): it
	// goes into the summary and every log line.
	runID *string
	// validate checks the command's settings once every source is applied.
	validate func() error
	// body does the work; it may fill the summary's counts, report and detail.
	body func(ctx context.Context, log zerolog.Logger, sum *summary) error
}

// operate runs op as cmd's RunE does.
func (a *app) operate(cmd *cobra.Command, op operation) error {
	started := time.Now()
	sum := op.sum
	err := applySourcesOf(cmd.Flags(), a.getenv, os.ReadFile, runFlags())
	if err == nil {
		err = op.ops.validate()
	}
	if err == nil && op.validate != nil {
		err = op.validate()
	}
	var hook zerolog.Hook
	if op.runID != nil {
		sum.RunID = *op.runID
		hook = &runIDHook{id: *op.runID}
	}
	ts := &runSettings{TerminationLog: op.ops.terminationLog}
	if err != nil {
		sum.Code, sum.Err, sum.Duration = exitCode(err), err, time.Since(started)
		a.finish(settingsLogger(a.stderr, &runSettings{LogFormat: op.ops.logFormat}), ts, sum)
		return reportedError{err}
	}
	log := newLogger(a.stderr, op.ops.logFormat, op.ops.level, hook)
	if a.environ != nil {
		warnUnknownEnv(log, a.environ(), cmd.Flags(), runFlags())
	}
	err = op.body(cmd.Context(), log, &sum)
	sum.Err, sum.Code, sum.Duration = err, exitCode(err), time.Since(started)
	a.finish(log, ts, sum)
	if err != nil {
		return reportedError{err}
	}
	return nil
}

// commandName is the summary's name of cmd: "test", "policies export".
func commandName(cmd *cobra.Command) string {
	p := cmd.CommandPath()
	if i := strings.IndexByte(p, ' '); i >= 0 {
		return p[i+1:]
	}
	return p
}
