// Package app is the vungmanh command line: the commands of docs/operations.md
// (run, test, check, eval, sample, merge, version), their settings, the
// wiring of the stages, logging, and the mapping of errors to exit codes.
// It is the only package that imports all the others; cmd/vungmanh only
// calls Main.
//
// # Settings
//
// Every flag of `run` has an environment variable VUNGMANH_<FLAG> (upper
// case, '-' becomes '_') and a key in the optional YAML --config file, named
// like the flag:
//
//	snapshot: gs://exports/thai-binh
//	out: gs://reports/vungmanh
//	max-bad-rows: 2%
//	formats: [json, html, xlsx]
//
// Precedence is flag > environment > file > default. An unknown key, a
// value that does not parse, a missing --snapshot or an unreadable params
// or waivers file ends the command with exit code 2 and one sentence naming
// the setting, before any data is read. JOB_COMPLETION_INDEX (set by an
// Indexed Kubernetes Job) fills --shard-index when no other source sets it.
//
// # Exit codes
//
// exitCode is the single place where errors become exit codes:
//
//	0  published (violations included)
//	1  transient: storage, network, --timeout, SIGINT/SIGTERM; nothing published
//	2  configuration or policy error (*ConfigError, checker.PolicyErrors, usage errors)
//	3  data unusable (*loaders.FatalError, *loaders.TooManyBadRowsError)
//	4  --fail-on threshold reached (*FailOnError); the report was published
//
// # Logging and the summary
//
// One zerolog logger per command: JSON lines on stderr, the console format
// when stderr is a terminal (or --log-format console). Every line of `run`
// carries run_id. The run ends with one summary line (counts per status,
// duration, report path) that is also written to /dev/termination-log when
// that file exists, so that `kubectl describe pod` shows it. The path can be
// changed with the hidden --termination-log flag (or
// VUNGMANH_TERMINATION_LOG) for tests.
//
// # Signals
//
// main cancels the context on SIGINT and SIGTERM. The stages stop, nothing
// more is written, latest.json is not moved, and Main returns 1. If a stage
// does not return within 8 seconds of the signal, Main returns 1 anyway.
//
// # The run pipeline
//
// run reads --params and --waivers, compiles the policies (built-in
// policies.FS, a folder, a .tar.gz bundle or a gs:// URL; a folder mounted
// from a ConfigMap is read once, its "..data" links ignored), opens --out,
// loads the snapshot (sample://PROFILE is generated in memory by
// internal/sample and read by loaders.LoadFS), evaluates, adapts the
// checker's outcome, roll-ups and inventory into report.Inputs, adds the
// delta to the previous run, renders the formats and publishes (run folder
// first, latest.json last).
//
// # Sharded runs
//
// With --shard-count N (which needs --run-id: every shard of a run uses the
// same id, the Job's name in Kubernetes) a run evaluates only its shard: the
// communes that checker.WithShard assigns to --shard-index, with the
// subjects below them, for the commune, branch, group and model targets. It
// writes <name>/runs/<as_of>/<run_id>/shards/<I>-of-<N>/shard.json.gz (results,
// snapshot and policies sha256, index and count, the parsed params and
// waivers, eval timeout, formats and language) with a does-not-exist
// precondition, replaced only by the same shard retried, and never touches
// latest.json.
//
// Then it lists the shard outputs. When all N are there it creates
// shards/merge.lock (create-if-absent, recording its index) and, if it got
// the lock — or the lock records its own index: an earlier attempt of this
// shard died while merging — it merges: every output must be present
// (*MissingShardsError names the missing indexes) and agree with the
// snapshot, the policies and each other (*ShardMismatchError); the province
// and district targets are evaluated once with
// checker.WithScopes("province", "district"), and so are the subjects of
// the lower scopes with no commune on their path (a model of a district or
// province unit, a unit excluded for a missing parent or a cycle: found by
// internal/hierarchy, evaluated in strays.go), which no shard owns; results and waiver reports are
// combined (a waiver is unused only when no part used it); the report is
// built, rendered and published exactly as an unsharded run's, with
// run.shards.count = N, and latest.json moves. A merge of a run that
// latest.json already points at writes nothing, so latest.json moves once
// however often the merge runs. `vungmanh merge` does the same by hand.
// Both errors map to exit code 1: a retry may bring the missing shard.
//
// Example:
//
//	code := app.Main(ctx, []string{"run", "--snapshot", "sample://thai-binh-2024", "--out", dir}, os.Stdin, os.Stdout, os.Stderr)
package app
