package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/sample"
)

func (a *app) testCommand() *cobra.Command {
	var o testOptions
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the Rego unit tests (*_test.rego) of a policy directory",
		Long: strings.TrimSpace(`
Test runs the *_test.rego files of a policy directory with OPA's test
semantics (rules named test_*). DIR defaults to the policies built into the
binary. A DIR holding a layer.yaml is a layer: its tests run with those of
the built-in pack (less the tests of the targets it replaces), as run would
load it.

-v lists every test with its duration and what it printed (print() output
of failing tests is always shown); --var-values shows, under each failing
test, the expression that failed and the values of its variables.
--coverage adds the share of Rego expressions the tests evaluated, in total
and per file with the rows not covered; --threshold N (implies --coverage)
fails when the total is under N percent. --format json prints the report as
one JSON document, --format junit as JUnit XML for CI.

Exit code 0 when every test passes (and the coverage reaches --threshold),
2 otherwise.`),
		Example: "  vungmanh test ./policies\n  vungmanh test ./policies -v --run tb04\n" +
			"  vungmanh test ./policies --coverage --threshold 90\n  vungmanh test ./policies --format junit > rego-tests.xml",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.started()
			if len(args) == 1 {
				o.dir = args[0]
			}
			return a.operate(cmd, operation{ops: &o.ops, sum: summary{Command: commandName(cmd)},
				validate: func() error { return checkTestOptions(&o) },
				body:     func(_ context.Context, _ zerolog.Logger, sum *summary) error { return a.test(cmd, o, sum) }})
		},
	}
	bindOpsFlags(cmd.Flags(), &o.ops, configUsage)
	cmd.Flags().BoolVar(&o.coverage, "coverage", false, "report the coverage of the policies by their tests")
	cmd.Flags().StringVar(&o.run, "run", "", "run only the tests whose name matches this regular expression")
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "list every test, not only failures")
	cmd.Flags().BoolVar(&o.varValues, "var-values", false, "show the failed expression of each failing test with the values of its variables")
	cmd.Flags().Float64Var(&o.threshold, "threshold", 0, "fail when the coverage is under this percentage (implies --coverage)")
	cmd.Flags().StringVar(&o.format, "format", formatText, "text, json or junit")
	return cmd
}

type testOptions struct {
	ops       opsFlags
	dir       string
	coverage  bool
	run       string
	verbose   bool
	varValues bool    // debug.go
	threshold float64 // debug.go
	format    string  // formatText, formatJSON or formatJUnit (junit.go)
}

func (a *app) checkCommand() *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Compile a policy directory and check its metadata, sandbox and input schema",
		Long: strings.TrimSpace(`
Check compiles every target of a policy directory (or .tar.gz bundle) in
strict mode, verifies its METADATA (id, scope, title, severity), refuses
sandboxed builtins (http.send, time.now_ns, rand.*...), and type-checks
input against the JSON Schema of each scope, so that a typo such as
input.subject.nmae is reported with file:line:col. A comparison of an input
value with a constant its schema does not allow (u.level == "chi_hoi") is
reported with the allowed values, and lib.param of a parameter its target
does not declare (METADATA custom.params) too. With --params it checks a
params file: a key its target does not declare (did you mean?) or a value
of the wrong type is a problem at its line, as run refuses it. With
--snapshot it also evaluates every target once on that snapshot (with the
--params given). A DIR holding a layer.yaml is
checked laid on the built-in pack, as run loads it; each target's pack is
printed next to its package.

Every problem is printed as file:row:col: message. --format json prints one
JSON document (ok, targets, problems, and the snapshot's counts and erring
targets), --format junit JUnit XML for CI (a case per problem or target).
Exit code 0 when the policies are sound, 2 otherwise.`),
		Example: "  vungmanh check ./policies\n  vungmanh check ./policies --params params.yaml\n  vungmanh check ./policies --snapshot sample://thai-binh-2024",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.started()
			if len(args) == 1 {
				o.dir = args[0]
			}
			return a.operate(cmd, operation{ops: &o.ops, sum: summary{Command: commandName(cmd)},
				validate: func() error { return checkFormat(o.format) },
				body:     func(context.Context, zerolog.Logger, *summary) error { return a.check(cmd, o) }})
		},
	}
	bindOpsFlags(cmd.Flags(), &o.ops, configUsage)
	cmd.Flags().StringVar(&o.snapshot, "snapshot", "", "also evaluate every target once on this snapshot")
	cmd.Flags().StringVar(&o.format, "format", formatText, "text, json or junit (JUnit XML for CI)")
	cmd.Flags().StringVar(&o.params, "params", "", "also check this params file (YAML) against the parameters the targets declare, and evaluate with it")
	return cmd
}

type checkOptions struct {
	ops      opsFlags
	dir      string
	snapshot string
	format   string // formatText, formatJSON or formatJUnit (checkreport.go)
	params   string
}

func (a *app) evalCommand() *cobra.Command {
	var o evalOptions
	cmd := &cobra.Command{
		Use:   "eval --snapshot URL --subject ID [--target ID] [--explain=fails|notes|full] [--output text|json]",
		Short: "Print one subject's input document and its verdict for each target",
		Long: strings.TrimSpace(`
Eval builds the input document that the targets see for one subject (a unit
id, or a model id for scope: model), prints it, then prints the verdict of
each target whose scope matches (or only --target). Personal data never
appears: the input holds ids and statistics only.

--explain adds OPA's evaluation trace of each target, filtered as
"opa eval --explain" filters it: fails (the expressions that failed, with
the values of their variables, and the rules that led to them), notes (the
trace(msg) calls of the policies) or full (everything but unifications).
--explain alone is --explain=full.

--output json prints one JSON document (subject, scope, input, verdicts,
and with --explain the trace lines of each target) and nothing else on
stdout: "jq .input" of it is a file for "opa eval -i". What the policies
print with print() goes to stderr as file:row: text.`),
		Example: "  vungmanh eval --snapshot sample://thai-binh-2024 --subject xa-thai-xuyen --target TB-01 --explain=fails\n" +
			"  vungmanh eval --snapshot sample://thai-binh-2024 --subject xa-thai-xuyen --output json | jq .input > input.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.started()
			validate := func() error {
				if o.snapshot == "" {
					return configErrorf("snapshot", "--snapshot is required")
				}
				if o.subject == "" {
					return configErrorf("subject", "--subject is required (a unit id or a model id)")
				}
				return checkEvalDebug(o)
			}
			return a.operate(cmd, operation{ops: &o.ops, sum: summary{Command: commandName(cmd)}, validate: validate,
				body: func(context.Context, zerolog.Logger, *summary) error { return a.eval(cmd, o) }})
		},
	}
	f := cmd.Flags()
	bindOpsFlags(f, &o.ops, configUsage)
	f.StringVar(&o.snapshot, "snapshot", "", "snapshot folder, file:// or gs:// URL, or sample://PROFILE (required)")
	f.StringVar(&o.policies, "policies", "", "policy folder, bundle or gs:// URL (default: the built-in policies; a folder with a layer.yaml is laid on them)")
	f.StringVar(&o.subject, "subject", "", "unit id or model id to evaluate (required)")
	f.StringVar(&o.target, "target", "", "only this target id")
	f.StringVar(&o.explain, "explain", "", "print the evaluation trace: fails, notes or full (--explain alone: full)")
	f.Lookup("explain").NoOptDefVal = explainFull
	f.StringVar(&o.output, "output", outputText, "text, or json for one JSON document on stdout")
	f.StringVar(&o.params, "params", "", "YAML file of target parameters")
	f.StringVar(&o.maxBadRows, "max-bad-rows", "100%", "share (\"1%\") or count (\"50\") of excluded rows per table that stops eval (run's default is 1%)")
	return cmd
}

type evalOptions struct {
	ops                                                     opsFlags
	snapshot, policies, subject, target, params, maxBadRows string
	explain                                                 string // explainFails, explainNotes, explainFull or "" (debug.go)
	output                                                  string // outputText or outputJSON
}

func (a *app) sampleCommand() *cobra.Command {
	var o sampleOptions
	cmd := &cobra.Command{
		Use:   "sample --out DIR [--profile NAME]",
		Short: "Write a synthetic snapshot (thai-binh-2024, hung-yen-2026, hung-yen-2025-06, hung-yen-2025-09, national)",
		Long: strings.TrimSpace(`
Sample writes a synthetic snapshot in the format of docs/snapshot-format.md:
snapshot.yaml and one file per table. The thai-binh-2024 profile matches the
figures of the Thái Bình 2024 article; hung-yen-2026 has no district level
(after the July 2025 reform); hung-yen-2025-06 and hung-yen-2025-09 are the
same provincial union the day before and three months after the merger of
1 July 2025 (unit versions and lineage: run both into one --out to see the
delta across it); national is sized like the whole country and
is meant for benchmarks (use --scale to shrink it); national --reform is
the same country on 30/09/2025, after the reform, with the pre-reform units
as history (run national, then national --reform at the same scale, into
one --out). The same profile, scale
and seed always give the same files. No personal data: names and phone
numbers are made up.

The run command accepts sample://PROFILE (e.g. sample://thai-binh-2024 or
sample://national?scale=0.01) as a snapshot, generated in memory.`),
		Example: "  vungmanh sample --profile thai-binh-2024 --out ./snapshot\n  vungmanh sample --profile national --scale 0.1 --format parquet --out /tmp/national\n  vungmanh sample --profile hung-yen-2026 --format xlsx --defects 0.01 --out /tmp/hung-yen",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.started()
			return a.operate(cmd, operation{ops: &o.ops, sum: summary{Command: commandName(cmd)}, validate: o.validate,
				body: func(_ context.Context, _ zerolog.Logger, sum *summary) error { return a.sample(cmd, o, sum) }})
		},
	}
	f := cmd.Flags()
	bindOpsFlags(f, &o.ops, configUsage)
	f.StringVar(&o.profile, "profile", "thai-binh-2024", "thai-binh-2024, hung-yen-2026, hung-yen-2025-06, hung-yen-2025-09 or national")
	f.Float64Var(&o.scale, "scale", 1, "size factor applied to the profile")
	f.Int64Var(&o.seed, "seed", sample.DefaultSeed, "random seed")
	f.StringVar(&o.format, "format", "csv", "table file format: csv, parquet or xlsx")
	f.Float64Var(&o.defects, "defects", 0, "share of rows given a realistic data error of each DQ code (0 = clean data)")
	f.BoolVar(&o.reform, "reform", false, "national: after the July 2025 reform (34 provinces, 3,321 communes, no districts; the old units as history)")
	f.StringVar(&o.out, "out", "", "folder to write (required)")
	return cmd
}

type sampleOptions struct {
	ops                  opsFlags
	profile, format, out string
	scale, defects       float64
	seed                 int64
	reform               bool
}

// validate checks the sample settings once every source is applied.
func (o *sampleOptions) validate() error {
	if o.out == "" {
		return configErrorf("out", "--out is required (the folder to write the snapshot to)")
	}
	switch o.format {
	case sample.FormatCSV, sample.FormatParquet, sample.FormatXLSX:
	default:
		return configErrorf("format", "--format %q: want csv, parquet or xlsx", o.format)
	}
	if o.defects < 0 || o.defects > 0.5 {
		return configErrorf("defects", "--defects %g: want a share between 0 and 0.5", o.defects)
	}
	if o.scale <= 0 {
		return configErrorf("scale", "--scale %g: want a positive number", o.scale)
	}
	return nil
}

func (a *app) mergeCommand() *cobra.Command {
	var o mergeOptions
	cmd := &cobra.Command{
		Use:   "merge --snapshot URL --out URL --run-id ID --shard-count N",
		Short: "Combine the shard outputs of one run into the final run folder and move latest.json",
		Long: strings.TrimSpace(`
Merge reads the outputs that "vungmanh run --shard-count N" wrote for each
shard of one run id (<out>/<name>/runs/<as_of>/<run_id>/shards/<i>-of-<N>/),
checks that every shard is there and was made from this snapshot and these
policies with the same params and waivers, evaluates the province and
district targets once, and writes the final run folder exactly as one
unsharded run would have (every format, the delta), then moves latest.json.

A sharded run normally needs no merge by hand: the shard that completes the
set takes the merge lock and merges. Use merge when that shard cannot
finish. Merging a run that is already published writes nothing.

Exit codes: 0 merged (or already merged); 1 a shard output is missing or
does not belong to the run (the missing indexes are named), or storage
failed; 2 configuration or policy error; 3 data unusable; 4 --fail-on.`),
		Example: "  vungmanh merge --out gs://reports/vungmanh --snapshot gs://exports/thai-binh --run-id vungmanh-28976520 --shard-count 4",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.started()
			return a.merge(cmd, &o)
		},
	}
	f := cmd.Flags()
	bindOpsFlags(f, &o.ops, configUsage)
	f.StringVar(&o.out, "out", "./reports", "where the shards wrote their output and the run folder goes")
	f.StringVar(&o.snapshot, "snapshot", "", "the snapshot the shards evaluated (required)")
	f.StringVar(&o.policies, "policies", "", "the policies the shards used (default: the built-in policies)")
	f.StringVar(&o.runID, "run-id", "", "run id of the shards (required)")
	f.IntVar(&o.shardCount, "shard-count", 1, "number of shards of the run")
	f.IntVar(&o.workers, "workers", 0, "evaluation parallelism for the province and district targets (default: number of CPUs)")
	f.StringVar(&o.failOn, "fail-on", "never", "never, fail or error: which results make the exit code 4")
	f.StringVar(&o.lang, "lang", "", "language of the HTML and XLSX reports, vi or en (default: the shards' --lang)")
	f.StringSliceVar(&o.formats, "formats", nil, "report formats to write, some of "+strings.Join(formatNames(), ",")+" (default: the shards' --formats)")
	f.StringVar(&o.regoEngine, "rego-engine", checker.EngineRegovm.String(), regoEngineUsage)
	f.DurationVar(&o.timeout, "timeout", 0, "deadline of the whole merge (0: none)")
	return cmd
}

type mergeOptions struct {
	ops                                          opsFlags
	out, snapshot, policies, runID, lang, failOn string
	shardCount, workers                          int
	formats                                      []string
	regoEngine                                   string
	timeout                                      time.Duration

	// Set after validation.
	engine checker.Engine
}

// validate checks the merge settings once every source is applied.
func (o *mergeOptions) validate() error {
	if o.snapshot == "" {
		return configErrorf("snapshot", "--snapshot is required (the snapshot the shards evaluated)")
	}
	if o.runID == "" {
		return configErrorf("run-id", "--run-id is required (the run id the shards used)")
	}
	if o.shardCount < 1 {
		return configErrorf("shard-count", "--shard-count %d: want at least 1", o.shardCount)
	}
	switch o.failOn {
	case "never", "fail", "error":
	default:
		return configErrorf("fail-on", "--fail-on %q: want never, fail or error", o.failOn)
	}
	if o.timeout < 0 {
		return configErrorf("timeout", "--timeout %s: want 0 (none) or a positive duration", o.timeout)
	}
	if o.lang != "" && o.lang != "vi" && o.lang != "en" {
		return configErrorf("lang", "--lang %q: want vi or en", o.lang)
	}
	for _, f := range o.formats {
		if !slices.Contains(formatNames(), strings.ToLower(strings.TrimSpace(f))) {
			return configErrorf("formats", "--formats: unknown format %q (want some of %s)", f, strings.Join(formatNames(), ","))
		}
	}
	var err error
	o.engine, err = parseRegoEngine(o.regoEngine)
	return err
}

func (a *app) policiesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policies",
		Short: "Work with the policy pack built into the binary",
		Long: strings.TrimSpace(`
Policies holds the commands about the target pack built into the binary.
"policies export DIR" writes it to a folder. To add targets to it, or to
replace some of them by id, pass a folder holding a layer.yaml to
--policies, check and test (policies/README.md, "Layers").`),
		Args: cobra.NoArgs,
	}
	var exportOps opsFlags
	export := &cobra.Command{
		Use:   "export DIR",
		Short: "Write the built-in target pack (targets, library, tests) to a folder",
		Long: strings.TrimSpace(`
Export writes every .rego file of the pack built into the binary (the
targets, lib.rego and the *_test.rego files) into DIR, to read, to start a
fork from, or to copy a target into a layer. DIR is created; a file that
already exists in it is not overwritten (exit code 2).

A layer does not need the export: a folder with a layer.yaml and its own
targets is laid on the built-in pack by --policies (see policies/README.md).`),
		Example: "  vungmanh policies export ./builtin-pack\n  docker run --rm --user \"$(id -u)\" -v \"$PWD:/out\" IMAGE policies export /out/builtin-pack",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.started()
			return a.operate(cmd, operation{ops: &exportOps, sum: summary{Command: commandName(cmd)},
				body: func(context.Context, zerolog.Logger, *summary) error { return a.exportPolicies(cmd, args[0]) }})
		},
	}
	bindOpsFlags(export.Flags(), &exportOps, configUsage)
	cmd.AddCommand(export)
	return cmd
}
