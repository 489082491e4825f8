package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/storage"
	"gopkg.in/yaml.v3"
)

// EnvPrefix starts the environment variable of every setting:
// --max-bad-rows is VUNGMANH_MAX_BAD_ROWS.
const EnvPrefix = "VUNGMANH_"

// DefaultTerminationLog is where Kubernetes reads a container's termination
// message.
const DefaultTerminationLog = "/dev/termination-log"

// formatNames returns the report formats --formats accepts, those of
// report.AllFormats (report.json and manifest.json are always written).
func formatNames() []string {
	var names []string
	for _, f := range report.AllFormats() {
		names = append(names, string(f))
	}
	return names
}

// runSettings are the settings of `vungmanh run` (docs/operations.md), after flags,
// environment and config file have been merged.
type runSettings struct {
	Config         string
	Snapshot       string
	Policies       string
	Out            string
	Params         string
	Waivers        string
	Lang           string
	Timezone       string
	Formats        []string
	RunID          string
	Workers        int
	MaxBadRows     string
	FailOn         string
	EvalTimeout    time.Duration
	MaxViolations  int // per target per subject
	MaxTargetViol  int // per target
	Timeout        time.Duration
	ShardIndex     int
	ShardCount     int
	LogFormat      string
	LogLevel       string
	Progress       bool
	TerminationLog string
	MemoryLimit    string
	GCHeapFloor    string
	MaxDecompress  string
	CPUProfile     string
	MemProfile     string
	Trace          string
	RegoEngine     string

	// Set after validation.
	level     zerolog.Level
	engine    checker.Engine
	heapFloor uint64 // bytes; 0: none
}

// bindRunFlags declares the flags of `run` on fs.
func bindRunFlags(fs *pflag.FlagSet, s *runSettings) {
	fs.StringVar(&s.Config, "config", "", "YAML file with settings (keys are the flag names); flags and environment win over it")
	fs.StringVar(&s.Snapshot, "snapshot", "", "snapshot folder, file:// or gs:// URL, or sample://PROFILE (required)")
	fs.StringVar(&s.Policies, "policies", "", "policy folder, .tar.gz OPA bundle, or gs:// URL of either (default: the policies built into the binary); a folder with a layer.yaml adds its targets to the built-in ones")
	fs.StringVar(&s.Out, "out", "./reports", "where run folders go: a folder, file:// or gs://bucket/prefix")
	fs.StringVar(&s.Params, "params", "", "YAML file of target parameters (local or gs://); a key its target does not declare, or a value of the wrong type, is exit code 2")
	fs.StringVar(&s.Waivers, "waivers", "", "YAML file of waivers (local or gs://)")
	fs.StringVar(&s.Lang, "lang", "vi", "language of the HTML and XLSX reports: vi or en")
	fs.StringVar(&s.Timezone, "timezone", report.DefaultTimezone, "IANA time zone of the run time shown in the reports")
	fs.StringSliceVar(&s.Formats, "formats", formatNames(), "report formats to write, comma-separated (report.json and manifest.json are always written)")
	fs.StringVar(&s.RunID, "run-id", "", "run id (default: <UTC yyyymmddThhmmssZ>-<8 hex of sha256(snapshot+policies)>)")
	fs.IntVar(&s.Workers, "workers", runtime.NumCPU(), "evaluation parallelism")
	fs.StringVar(&s.MaxBadRows, "max-bad-rows", "1%", "share (\"1%\") or count (\"50\") of excluded rows per table that stops the run")
	fs.StringVar(&s.FailOn, "fail-on", "never", "which results make the exit code 4: never, fail (fail or error) or error")
	fs.DurationVar(&s.EvalTimeout, "eval-timeout", 5*time.Second, "deadline of one subject's evaluation (its targets are evaluated together)")
	fs.IntVar(&s.MaxViolations, "max-violations", checker.DefaultMaxViolations, "violations (and, apart, warnings) kept per target per subject; the rest is counted")
	fs.IntVar(&s.MaxTargetViol, "max-target-violations", checker.DefaultMaxTargetViolations, "violations (and, apart, warnings) kept per target over all its subjects (per shard); the rest is counted")
	fs.DurationVar(&s.Timeout, "timeout", 0, "deadline of the whole run (0: none)")
	fs.IntVar(&s.ShardIndex, "shard-index", 0, "this shard's index, 0-based (default: $JOB_COMPLETION_INDEX, else 0)")
	fs.IntVar(&s.ShardCount, "shard-count", 1, "number of shards; above 1 the run writes shard output for \"vungmanh merge\"")
	fs.StringVar(&s.LogFormat, "log-format", "", "log format: json or console (default: console on a terminal, json otherwise)")
	fs.StringVar(&s.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.BoolVar(&s.Progress, "progress", false, "progress bars for loading and evaluation (default: on when stderr is a terminal)")
	fs.StringVar(&s.TerminationLog, "termination-log", DefaultTerminationLog, "file that receives the summary line when it exists")
	_ = fs.MarkHidden("termination-log")
	fs.StringVar(&s.MemoryLimit, "memory-limit", "auto", "soft memory limit of the Go heap: auto (80% of the container's memory limit unless GOMEMLIMIT is set), off, or a size such as 3GiB")
	fs.StringVar(&s.GCHeapFloor, "gc-heap-floor", defaultHeapFloor, "heap size the garbage collector lets the run reach before it collects (GOGC raised while the live heap is under half of it): a size such as 128MiB, or off (Go's default); GOGC in the environment turns it off")
	fs.StringVar(&s.MaxDecompress, "max-decompressed", "auto", "most bytes one snapshot file may inflate to (gzip, XLSX parts): auto (100x its stored size, 64MiB to 4GiB) or a size such as 2GiB")
	fs.StringVar(&s.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (for go tool pprof)")
	fs.StringVar(&s.MemProfile, "memprofile", "", "write a heap profile, taken when evaluation ends (the live peak), to this file")
	fs.StringVar(&s.Trace, "trace", "", "write an execution trace of the whole run to this file (for go tool trace: how busy the workers are)")
	fs.StringVar(&s.RegoEngine, "rego-engine", checker.EngineRegovm.String(), regoEngineUsage)
	_ = fs.MarkHidden("cpuprofile")
	_ = fs.MarkHidden("memprofile")
	_ = fs.MarkHidden("trace")
}

// regoEngineUsage is the help of --rego-engine (run and merge).
const regoEngineUsage = "Rego evaluator: regovm (plans each group of targets and runs the plan, topdown where it cannot) or topdown (OPA's evaluator only); both give the same results"

// parseRegoEngine reads --rego-engine.
func parseRegoEngine(name string) (checker.Engine, error) {
	e, err := checker.ParseEngine(strings.TrimSpace(name))
	if err != nil {
		return e, configErrorf("rego-engine", "--rego-engine %q: want regovm or topdown", name)
	}
	return e, nil
}

// envRegoEngine is the Rego evaluator of the commands without
// --rego-engine (check --snapshot): $VUNGMANH_REGO_ENGINE, else regovm.
func (a *app) envRegoEngine() (checker.Engine, error) {
	v, _ := lookupEnv(a.getenv, envName("rego-engine"))
	e, err := checker.ParseEngine(strings.TrimSpace(v))
	if err != nil {
		return e, configErrorf("rego-engine", "%s=%q: want regovm or topdown", envName("rego-engine"), v)
	}
	return e, nil
}

// envName returns the environment variable of a flag.
func envName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applySources fills every flag that was not given on the command line from
// its environment variable, then from the config file: flag > environment >
// file > default. A flag set from any source is marked Changed.
func applySources(fs *pflag.FlagSet, getenv func(string) string, readFile func(string) ([]byte, error)) error {
	return applySourcesOf(fs, getenv, readFile, nil)
}

// applySourcesOf is applySources for a command that reads run's config
// file without taking every setting of run (merge): a key of the file that
// names no flag of fs but one of others is left to run, not an error.
func applySourcesOf(fs *pflag.FlagSet, getenv func(string) string, readFile func(string) ([]byte, error), others *pflag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		v, ok := lookupEnv(getenv, envName(f.Name))
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, configErrorf(f.Name, "environment variable %s=%q: %v", envName(f.Name), v, err))
		}
	})
	if len(errs) > 0 {
		return errs[0]
	}
	cfg := fs.Lookup("config")
	if cfg == nil || cfg.Value.String() == "" {
		return nil
	}
	path := cfg.Value.String()
	data, err := readFile(path)
	if err != nil {
		return configErrorf("config", "read config file: %v", err)
	}
	values, err := parseConfig(data)
	if err != nil {
		return configErrorf("config", "config file %q: %v", path, err)
	}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		f := fs.Lookup(key)
		if f == nil && others != nil && others.Lookup(key) != nil && key != "config" {
			continue // a setting of run that this command does not take
		}
		if f == nil || key == "config" {
			if others != nil {
				return configErrorf(key, "config file %q: unknown key %q (keys are the flag names of `vungmanh run` and of this command)", path, key)
			}
			return configErrorf(key, "config file %q: unknown key %q (keys are the flag names of `vungmanh run`, e.g. snapshot, max-bad-rows)", path, key)
		}
		if f.Changed {
			continue
		}
		if err := fs.Set(key, values[key]); err != nil {
			return configErrorf(key, "config file %q: key %q: %v", path, key, err)
		}
	}
	return nil
}

func lookupEnv(getenv func(string) string, name string) (string, bool) {
	if getenv == nil {
		return "", false
	}
	v := getenv(name)
	return v, v != ""
}

// parseConfig reads a YAML mapping of flag names to scalars (or lists, for
// list flags). Values come back as the text a flag would receive.
func parseConfig(data []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		return nil, err
	}
	if len(doc.Content) == 0 {
		return out, nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of setting names to values", m.Line)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := strings.ReplaceAll(k.Value, "_", "-")
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: key %q given twice", k.Line, k.Value)
		}
		switch v.Kind {
		case yaml.ScalarNode:
			out[key] = v.Value
		case yaml.SequenceNode:
			items := make([]string, 0, len(v.Content))
			for _, it := range v.Content {
				if it.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("line %d: key %q: list items must be plain values", it.Line, k.Value)
				}
				items = append(items, it.Value)
			}
			out[key] = strings.Join(items, ",")
		default:
			return nil, fmt.Errorf("line %d: key %q: want a plain value or a list", v.Line, k.Value)
		}
	}
	return out, nil
}

// checkLocation checks the form of --snapshot or --out (setting): a local
// folder, file:///path, gs://bucket[/prefix], or for --snapshot
// sample://PROFILE; a local path that exists must be a folder. A wrong
// location is a setting error (exit code 2): retrying would not help. A
// snapshot folder that does not exist is left to the loader (DQ001, exit
// code 3, as a folder without snapshot.yaml); an --out folder is created.
func checkLocation(setting, v string) error {
	want := "a folder, file:///path or gs://bucket/prefix"
	if setting == "snapshot" {
		want = "the folder that holds snapshot.yaml: a folder, file:///path, gs://bucket/prefix or sample://PROFILE"
	}
	if strings.HasPrefix(v, "sample://") && setting == "snapshot" {
		return nil // sample.ParseURL checks the profile
	}
	loc, err := storage.ParseURL(v)
	if err != nil {
		return configErrorf(setting, "--%s %q: %v (want %s)", setting, v, err, want)
	}
	if loc.IsGCS() {
		return nil
	}
	dir := loc.Dir
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return configErrorf(setting, "--%s %q is a file (want %s)", setting, v, want)
	}
	return nil
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// validate checks the merged settings. It reads no data: files named by
// settings are read later, before the snapshot.
func (s *runSettings) validate(fs *pflag.FlagSet, getenv func(string) string) error {
	if s.Snapshot == "" {
		return configErrorf("snapshot", "--snapshot is required (a folder, file:// or gs:// URL, or sample://thai-binh-2024); set it with the flag, %s or the config file", envName("snapshot"))
	}
	if s.Out == "" {
		return configErrorf("out", "--out must not be empty")
	}
	if err := checkLocation("snapshot", s.Snapshot); err != nil {
		return err
	}
	if err := checkLocation("out", s.Out); err != nil {
		return err
	}
	if _, err := location(s.Timezone); err != nil {
		return err
	}
	if s.Lang != "vi" && s.Lang != "en" {
		return configErrorf("lang", "--lang %q: want vi or en", s.Lang)
	}
	if len(s.Formats) == 0 {
		return configErrorf("formats", "--formats is empty: name at least one of %s", strings.Join(formatNames(), ","))
	}
	seen := map[string]bool{}
	formats := make([]string, 0, len(s.Formats))
	for _, f := range s.Formats {
		f = strings.ToLower(strings.TrimSpace(f))
		if !slices.Contains(formatNames(), f) {
			return configErrorf("formats", "--formats: unknown format %q (want some of %s)", f, strings.Join(formatNames(), ","))
		}
		if !seen[f] {
			seen[f] = true
			formats = append(formats, f)
		}
	}
	s.Formats = formats
	if _, err := report.ParseFormats(strings.Join(formats, ",")); err != nil {
		return configErrorf("formats", "--formats: %v", err)
	}
	if _, err := report.ParseLang(s.Lang); err != nil {
		return configErrorf("lang", "--lang: %v", err)
	}
	if s.RunID != "" && !runIDPattern.MatchString(s.RunID) {
		return configErrorf("run-id", "--run-id %q: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", s.RunID)
	}
	if s.Workers < 1 {
		return configErrorf("workers", "--workers %d: want at least 1", s.Workers)
	}
	if err := checkLimit(s.MaxBadRows); err != nil {
		return configErrorf("max-bad-rows", "--max-bad-rows %q: %v", s.MaxBadRows, err)
	}
	switch s.FailOn {
	case "never", "fail", "error":
	default:
		return configErrorf("fail-on", "--fail-on %q: want never, fail or error", s.FailOn)
	}
	if s.EvalTimeout <= 0 {
		return configErrorf("eval-timeout", "--eval-timeout %s: want a positive duration such as 5s", s.EvalTimeout)
	}
	if s.MaxViolations < 1 {
		return configErrorf("max-violations", "--max-violations %d: want at least 1", s.MaxViolations)
	}
	if s.MaxTargetViol < 1 {
		return configErrorf("max-target-violations", "--max-target-violations %d: want at least 1", s.MaxTargetViol)
	}
	if s.Timeout < 0 {
		return configErrorf("timeout", "--timeout %s: want 0 (none) or a positive duration", s.Timeout)
	}
	if s.ShardCount < 1 {
		return configErrorf("shard-count", "--shard-count %d: want at least 1", s.ShardCount)
	}
	if !fs.Changed("shard-index") {
		if v, ok := lookupEnv(getenv, "JOB_COMPLETION_INDEX"); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return configErrorf("shard-index", "JOB_COMPLETION_INDEX=%q is not a number", v)
			}
			s.ShardIndex = n
		}
	}
	if s.ShardIndex < 0 || s.ShardIndex >= s.ShardCount {
		return configErrorf("shard-index", "--shard-index %d: want 0 to %d (--shard-count %d)", s.ShardIndex, s.ShardCount-1, s.ShardCount)
	}
	if s.ShardCount > 1 && s.RunID == "" {
		return configErrorf("run-id", "--shard-count %d needs --run-id: every shard of a run must use the same run id (the chart passes the Job name)", s.ShardCount)
	}
	engine, err := parseRegoEngine(s.RegoEngine)
	if err != nil {
		return err
	}
	s.engine = engine
	if _, err := parseMemoryLimit(s.MemoryLimit); err != nil {
		return configErrorf("memory-limit", "--memory-limit %q: %v", s.MemoryLimit, err)
	}
	if s.heapFloor, err = parseHeapFloor(s.GCHeapFloor); err != nil {
		return configErrorf("gc-heap-floor", "--gc-heap-floor %q: %v", s.GCHeapFloor, err)
	}
	if _, err := parseMaxDecompressed(s.MaxDecompress); err != nil {
		return configErrorf("max-decompressed", "--max-decompressed %q: %v", s.MaxDecompress, err)
	}
	switch s.LogFormat {
	case "", "json", "console":
	default:
		return configErrorf("log-format", "--log-format %q: want json or console", s.LogFormat)
	}
	lvl, err := zerolog.ParseLevel(strings.ToLower(s.LogLevel))
	if err != nil || s.LogLevel == "" {
		return configErrorf("log-level", "--log-level %q: want debug, info, warn or error", s.LogLevel)
	}
	s.level = lvl
	return nil
}

// checkLimit accepts what --max-bad-rows accepts: a percentage ("1%",
// "0.5%") or a row count ("50").
func checkLimit(v string) error {
	v = strings.TrimSpace(v)
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f > 100 {
			return errors.New("want a share between 0% and 100% or a row count")
		}
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return errors.New("want a share such as 1% or a row count such as 50")
	}
	return nil
}

// runFlags returns the flags of `run`, for the commands that share its
// config file and environment.
func runFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	bindRunFlags(fs, &runSettings{})
	return fs
}

// settingsFromCommand merges the sources of cmd's flags into s and
// validates the result.
func settingsFromCommand(cmd *cobra.Command, s *runSettings, env func(string) string) error {
	if err := applySources(cmd.Flags(), env, os.ReadFile); err != nil {
		return err
	}
	return s.validate(cmd.Flags(), env)
}
