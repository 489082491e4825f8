package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/loaders"
)

// runContext is what the stages of `run` receive.
type runContext struct {
	s        *runSettings
	log      zerolog.Logger
	started  time.Time
	setRunID func(string) // the run id once known (logs carry it from then on)
	progress *progress
	// evaluated is called once evaluation has ended (the heap profile is
	// taken there); may be nil.
	evaluated func()
}

// runOutcome is what a published run reports back.
type runOutcome struct {
	RunID  string
	Counts map[string]int // results per status
	Report string         // the run folder (path or URL)
	// Partial: a shard of a sharded run that wrote its output but did not
	// merge; Counts are the shard's own and --fail-on does not apply.
	Partial bool
}

// stopGrace is how long a cancelled run may take to stop before the
// command gives up waiting; Kubernetes' default grace period is 30s and the
// contract promises an exit within 10s.
const stopGrace = 8 * time.Second

func (a *app) runCommand() *cobra.Command {
	s := &runSettings{}
	cmd := &cobra.Command{
		Use:   "run --snapshot URL [flags]",
		Short: "Load the snapshot, evaluate every target, publish the run folder and move latest.json",
		Long: strings.TrimSpace(`
Run is the nightly job. It loads the snapshot, evaluates every target of the
policies for every subject, writes the run folder under --out
(<out>/<snapshot>/runs/<as_of>/<run_id>/) and then moves latest.json to it.
A run that fails or is stopped (SIGTERM, SIGINT) publishes nothing and leaves
latest.json where it was.

Every flag can also be set with an environment variable VUNGMANH_<FLAG>
(upper case, '-' becomes '_', e.g. VUNGMANH_MAX_BAD_ROWS=2%) or a key of the
YAML --config file (the flag name, e.g. "max-bad-rows: 2%"). Precedence:
flag > environment > file > default. Unknown keys in the file are an error.

At the end one summary line (counts per status, duration, report path) is
logged and written to /dev/termination-log when that file exists.

Exit codes: 0 published; 1 transient (storage, network, timeout, signal),
nothing published; 2 configuration or policy error; 3 data unusable (fatal
data-quality finding or too many bad rows), nothing published; 4 --fail-on
threshold reached, report published.`),
		Example: strings.Trim(`
  vungmanh run --snapshot sample://thai-binh-2024 --out ./reports
  vungmanh run --snapshot gs://exports/thai-binh --out gs://reports/vungmanh --params params.yaml --fail-on error
  VUNGMANH_SNAPSHOT=./snapshot vungmanh run --config run.yaml`, "\n"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.started()
			return a.run(cmd, s)
		},
	}
	bindRunFlags(cmd.Flags(), s)
	return cmd
}

// run merges and validates the settings, runs the pipeline, and ends with
// the summary line.
func (a *app) run(cmd *cobra.Command, s *runSettings) error {
	ctx := cmd.Context()
	started := time.Now()
	if err := settingsFromCommand(cmd, s, a.getenv); err != nil {
		a.finish(settingsLogger(a.stderr, s), s, summary{Code: exitCode(err), Err: err, Duration: time.Since(started)})
		return reportedError{err}
	}
	hook := &runIDHook{id: s.RunID, started: started.UTC().Format("20060102T150405Z")}
	log := newLogger(a.stderr, s.LogFormat, s.level, hook)
	if a.environ != nil {
		warnUnknownEnv(log, a.environ(), cmd.Flags())
	}
	showProgress := s.Progress
	if !cmd.Flags().Changed("progress") {
		showProgress = isTerminal(a.stderr)
	}
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	if n, from, err := applyMemoryLimit(s.MemoryLimit, a.getenv, "/"); err == nil && n > 0 {
		log.Info().Int64("memory_limit_bytes", n).Str("memory_limit_from", from).Msg("soft memory limit set")
	}
	defer startHeapFloor(a.getenv, s.heapFloor)()
	prof, err := startProfiles(s.CPUProfile, s.MemProfile, s.Trace)
	if err != nil {
		log.Warn().Err(err).Msg("profiles not written")
	}
	defer prof.stop(log)
	rc := &runContext{s: s, log: log, started: started, setRunID: hook.set, progress: newProgress(a.stderr, showProgress)}
	if s.MemProfile != "" {
		rc.evaluated = func() { prof.writeHeap(log) }
	}
	log.Info().Str("snapshot", s.Snapshot).Str("out", s.Out).Str("version", Version).
		Int("workers", s.Workers).Int("shard_index", s.ShardIndex).Int("shard_count", s.ShardCount).Msg("run started")

	out, err := a.runStopping(ctx, rc)
	var tooMany *loaders.TooManyBadRowsError
	if errors.As(err, &tooMany) {
		logFindings(log, tooMany.Table, tooMany.Findings)
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("run stopped (%w): %v", ctx.Err(), err)
	}
	sum := summary{Duration: time.Since(started), RunID: hook.get(), Err: err}
	if err == nil {
		hook.set(out.RunID)
		sum.RunID, sum.Counts, sum.Report = out.RunID, out.Counts, out.Report
		if !out.Partial {
			err = failOn(s.FailOn, out.Counts)
		}
		sum.Err = err
	}
	sum.Code = exitCode(err)
	logUsage(log)
	a.finish(log, s, sum)
	if err != nil {
		return reportedError{err}
	}
	return nil
}

// runStopping runs the pipeline and returns when it ends, or stopGrace
// after ctx is cancelled if the pipeline has not returned by then.
func (a *app) runStopping(ctx context.Context, rc *runContext) (*runOutcome, error) {
	type result struct {
		out *runOutcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := a.pipeline(ctx, rc)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
	}
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case r := <-done:
		if r.err == nil {
			// Published before the stage noticed the signal.
			return r.out, nil
		}
		return nil, r.err
	case <-t.C:
		return nil, fmt.Errorf("run did not stop within %s: %w", stopGrace, ctx.Err())
	}
}

// failOn returns a *FailOnError when the counts reach the --fail-on
// threshold: "fail" counts fail and error results, "error" only errors.
func failOn(mode string, counts map[string]int) error {
	var n int
	switch mode {
	case "fail":
		n = counts["fail"] + counts["error"]
	case "error":
		n = counts["error"]
	default:
		return nil
	}
	if n == 0 {
		return nil
	}
	return &FailOnError{FailOn: mode, Count: n}
}

// finish logs the summary line once and writes it to the termination log.
func (a *app) finish(log zerolog.Logger, s *runSettings, sum summary) {
	line := sum.String()
	// The summary is logged whatever --log-level says: a success at info
	// level (shown as such) even when only warnings and errors are.
	level := zerolog.InfoLevel
	if sum.Code != ExitOK {
		level = zerolog.ErrorLevel
	}
	ev := log.Log().Str(zerolog.LevelFieldName, level.String()).Str("severity", cloudSeverity(level))
	if sum.Command != "" {
		ev = ev.Str("command", sum.Command)
	} else {
		counts := zerolog.Dict()
		for _, st := range statusOrder {
			counts = counts.Int(st, sum.Counts[st])
		}
		ev = ev.Dict("counts", counts).Str("report", sum.Report)
	}
	ev = ev.Int("exit_code", sum.Code).Float64("duration_seconds", sum.Duration.Seconds())
	if sum.Err != nil {
		ev = ev.AnErr("error", sum.Err)
	}
	ev.Msg(line)
	path := s.TerminationLog
	if path == "" {
		path = DefaultTerminationLog
	}
	if err := writeTerminationLog(path, line); err != nil {
		log.Warn().Err(err).Msg("termination log not written")
	}
}

// settingsLogger is the logger of a run whose settings are not valid: their
// --log-format when it is one, JSON otherwise (console on a terminal).
func settingsLogger(w io.Writer, s *runSettings) zerolog.Logger {
	format := s.LogFormat
	if format != "json" && format != "console" {
		format = ""
	}
	return newLogger(w, format, zerolog.InfoLevel, nil)
}

// usageFailed ends a command (every one but version) whose command line did
// not parse (an unknown flag, a value of the wrong type, an argument): the
// summary goes to the log and to the termination log (--termination-log did
// not parse either: VUNGMANH_TERMINATION_LOG or the default) like any other
// exit code 2.
func (a *app) usageFailed(cmd *cobra.Command, err error) {
	s := &runSettings{LogFormat: a.getenv(envName("log-format")), TerminationLog: a.getenv(envName("termination-log"))}
	sum := summary{Code: exitCode(err), Err: err}
	if n := cmd.Name(); n != "run" && n != "merge" {
		sum.Command = commandName(cmd)
	}
	a.finish(settingsLogger(a.stderr, s), s, sum)
}

// maxLoggedFindings bounds the findings logged one by one when a run stops
// for too many bad rows; the rest are counted per code, table and column.
const maxLoggedFindings = 50

// logFindings logs the data-quality findings of a snapshot that was not
// used (exit code 3) because table stop had too many bad rows: a count per
// code, table and column, then the first maxLoggedFindings findings with
// their file, row and column, so that the export can be fixed from the log
// alone: the errors of table stop first, then the other errors, then the
// warnings. Findings about people quote no cell (the loaders leave their
// value empty).
func logFindings(log zerolog.Logger, stop snapshot.Table, findings []snapshot.Finding) {
	rank := func(f snapshot.Finding) int {
		switch {
		case f.Severity == snapshot.SeverityWarning:
			return 2
		case f.Table == stop:
			return 0
		}
		return 1
	}
	findings = slices.Clone(findings)
	slices.SortStableFunc(findings, func(a, b snapshot.Finding) int { return rank(a) - rank(b) })
	type key struct {
		code   snapshot.Code
		sev    snapshot.Severity
		table  snapshot.Table
		column string
	}
	level := func(s snapshot.Severity) zerolog.Level {
		if s == snapshot.SeverityWarning {
			return zerolog.WarnLevel
		}
		return zerolog.ErrorLevel
	}
	counts := map[key]int{}
	var keys []key
	for _, f := range findings {
		k := key{f.Code, f.Severity, f.Table, f.Column}
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	for _, k := range keys {
		log.WithLevel(level(k.sev)).Str("code", string(k.code)).Str("table", string(k.table)).Str("column", k.column).
			Int("findings", counts[k]).Msg("data-quality findings")
	}
	for i, f := range findings {
		if i == maxLoggedFindings {
			log.Error().Int("not_logged", len(findings)-i).Msg("more data-quality findings, not logged one by one (the counts above include them)")
			break
		}
		log.WithLevel(level(f.Severity)).Str("code", string(f.Code)).Str("table", string(f.Table)).Str("file", f.File).Int("row", f.Row).
			Str("column", f.Column).Str("value", f.Value).Msg(f.Message)
	}
}
