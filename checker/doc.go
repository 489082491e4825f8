// Package checker turns a directory (or bundle) of Rego targets and a loaded
// snapshot into one result per (target, subject): the contract of
// docs/policy-input.md, and the counts of docs/reports.md.
//
// # Loading policies
//
// Load reads every .rego file of an fs.FS (recursively, *_test.rego files
// left out) and LoadBundle every module of an OPA bundle (.tar.gz; its
// data, manifest and signatures are ignored). One .rego file may hold
// MaxPolicyFileBytes and a bundle MaxBundleBytes unpacked, checked from
// sizes before reading; an archive that breaks them or is not a gzipped tar
// is a PolicyErrors, like a module that does not compile (in a bundle as in
// a folder: exit code 2 in the app, never retried). Both
// compile as Rego v1 in strict mode and discover the targets: the packages
// under data.targets, each with a package METADATA block:
//
//	# METADATA
//	# title: Mỗi cơ sở hội có mô hình "1+1"        (required)
//	# description: ...                              (optional)
//	# custom:
//	#   id: TB-01             required, unique
//	#   scope: commune        required: province | district | commune | branch | group | model
//	#   model_type: ""        required for scope model (a models.type value), else empty
//	#   severity: high        high | medium | low; default medium
//	#   title_en: ...         optional
//	#   params:               optional: the parameters it reads (ParamSpec)
//	#     min_size: {type: integer, default: 2, description: ...}
//	package targets.one_plus_one
//
// A target defines any of violation and warning (sets of objects with msg,
// optional refs and details) and skip (true or a reason string). Packages
// outside data.targets are libraries that targets may import.
//
// Loading refuses, all at once, as a PolicyErrors (one "file:row:col:
// message" per line): parse and compile errors, strict-mode errors, missing
// or duplicate ids, a missing title or scope, an unknown scope or severity,
// a model target without model_type, calls to refused builtins, and uses of
// input that do not fit the scope's input schema (input.subject.nmae is
// "rego_type_error: undefined ref"). Each scope's targets are compiled with
// the JSON Schema of that scope's input (schemas/<scope>.json, generated from
// the snapshot model by InputSchema; `go generate ./checker` rewrites them
// and a test fails when they drift). OPA's checker types the values of the
// map-valued inputs (members, ratings, activities) as any and does not
// compare the operands of >, >=, <, <=, !=: a second compile, lintTypes,
// reports the key typos under the maps and the comparisons of two scalars
// of different types. OPA's types have no enums either: enumErrors walks
// the compiled rules for comparisons of an input value whose schema has an
// enum with a constant that is none of its values (u.level == "chi_hoi"),
// following variables, iteration, object.get, constant rules and the
// arguments of functions.
//
// A target that declares custom.params has exactly those parameters (plus
// ReservedParams, goal and deadline, which the reports read): lib.param of
// another key, or with another default than the declared one, is a load
// error; Policies.CheckParams checks a params file against the declarations
// (unknown keys with a "did you mean", wrong types, at their line); and the
// Checker puts the declared defaults in data.params for the keys the params
// file leaves out. A target without custom.params is not checked.
//
// # The sandbox
//
// Policies compile with Capabilities(): this OPA version's builtins minus
// the refused ones, and no network host. The refused builtins are every
// builtin under net.* and rand.*, every builtin OPA marks non-deterministic,
// and these (RefusedBuiltins):
//
//	http.send                       outward
//	net.lookup_ip_addr              outward
//	opa.runtime                     depends on the running process
//	rand.intn                       random
//	uuid.rfc4122                    random
//	time.now_ns                     clock (use input.snapshot.as_of)
//	io.jwt.decode_verify            clock
//	io.jwt.encode_sign              clock, random
//	io.jwt.encode_sign_raw          clock, random
//	crypto.x509.parse_and_verify_certificates                clock
//	crypto.x509.parse_and_verify_certificates_with_options   clock
//	providers.aws.sign_req          clock
//	json.match_schema               may fetch remote schemas
//	json.verify_schema              may fetch remote schemas
//
// A call to one is a compile error at its file:row:col ("undefined
// function http.send"). print statements are kept: a print prints nothing
// unless the evaluation has a print hook (a run's logger at debug level,
// where each line is logged with its target and subject; EvalDebug's
// Debug.Print), and regovm runs them too (print.go). Evaluation uses strict
// builtin errors (to_number("x") is an error, not undefined) and a deadline
// per evaluation (WithEvalTimeout, default 5s): a policy that runs past it
// gives an error result for that subject and the run goes on.
//
// # Evaluating
//
//	p, err := checker.Load(ctx, os.DirFS("policies"))
//	c, err := checker.New(ctx, p, checker.WithWorkers(8), checker.WithParams(params),
//		checker.WithWaivers(waivers, ""))
//	out, err := c.Evaluate(ctx, snap)
//	rollups := checker.Rollup(snap, out.Targets, out.Results)
//	inv := checker.TakeInventory(snap)
//
// New prepares everything before it returns, and a query that cannot be
// prepared is its error: the data document (params and vocab) in a store,
// every target's own topdown query, and for each group of targets (a
// scope, or a model type) the one evaluation of the engine (WithEngine): a
// regovm program, or a topdown query of all its targets. A Checker is then
// read only; Evaluate and EvaluateIndex may run concurrently. Evaluate indexes the snapshot once from the
// Arrow columns (children by parent, models, cadres, ratings and activities
// by unit, participants by model, member statistics per unit computed
// column by column from the members record, its dictionary-encoded unit_id
// included, and rolled up the hierarchy), then hands subjects to a pool of
// workers. A subject's input is built once, as ast.Value (no JSON). Ratings,
// cadre records, member statistics and model records (with their resolved
// participants) stay row numbers and counts in the index and become terms
// only inside the inputs that need them, so that a national snapshot's
// index stays a fraction of its Arrow columns (bench/RESULTS.md); the few
// distinct activity records and rating fields objects are built once and
// shared. A worker takes a commune's whole subtree (the commune, its
// branches and groups, and the models they built) as one job, so those
// inputs share the terms of the units and models they have in common
// (termCache: one per worker, emptied between its jobs so that its maps
// keep their room). What input building costs is OPA's object
// construction (a map per object): unit records take the interned terms of
// ids, levels and kinds by index (index.unitIDs, enumTerms) rather than
// through the map of interned texts, and the hot builders pass their items
// through arrays on the stack. TestInputsUnchanged holds every input
// document of six snapshots to digests taken before that work (issue 20).
// Results are sorted by target id, then subject id, so they do not depend
// on the number of workers.
//
// An input holds only the keys that the rules of its scope can read: Load
// walks the compiled rules of each scope and its libraries for refs rooted
// at input, following input into the functions that receive it
// (lib.active_models(input, t)) and through the variables bound to it. As
// soon as one rule reads input whole or by a computed key (walk(input),
// json.marshal(input), input[k], object.get(input, k, d), `with input`),
// every input of that scope is whole. A key no rule reads cannot change a
// result, so the results are those of the whole input (a test compares
// them); Input and EvalOne, which serve `vungmanh eval`, always build the
// whole document. input.members is followed one level further: when every
// read of it is at the subject's own id (a variable bound to
// input.subject.id in the rule's body before the read, or the ref itself),
// it holds the subject's entry alone, and the statistics of the subject's
// groups are never built; any other read (another key, iterated, counted,
// compared, given to a function) builds every entry. With the Thái Bình
// pack, commune inputs leave out ancestors, cadres, activities and members,
// and branch inputs ancestors, cadres and ratings, and their members hold
// the branch's own statistics (TB-09), not its groups'.
//
// Every target of a subject's scope (or model type) is evaluated in one
// query, which binds one list: each target's violation, warning and skip in
// turn, under one deadline (WithEvalTimeout) for the subject. Should that
// query fail (a run-time error, a conflict), the subject's targets are
// evaluated again one by one within what remains of that deadline, so that
// only the faulty target gives an error result: the results are exactly
// those of one evaluation per target. Should it run past the deadline,
// nothing remains: every target of the subject's group gives an error
// result ("... were evaluated together and ran past it"). A subject thus
// never costs more than one deadline, whatever its targets do, and a run
// of n subjects is bounded by n deadlines over the workers.
//
// Each engine has one path (evalGroup). regovm (engine.go; package
// checker/regovm: OPA's planner plans the query, regovm runs the plan)
// evaluates the group, and leaves a subject it fails on to topdown target
// by target, and a group it cannot plan to the topdown path, which gives
// exactly topdown's results. The topdown path (topdown.go,
// WithEngine(EngineTopdown)) evaluates the group's query, then target by
// target where it gave no result; a group of one target is evaluated by
// its own query. EvalDebug and EvalOne evaluate target by target with
// topdown, as that path does. The library reads no environment: the app
// maps --rego-engine to WithEngine.
//
// Prepare and EvaluateIndex split Evaluate in two: index once, evaluate
// many times (several Checkers, e.g. the shards' merge step, may share one
// Index, concurrently too). The Index reads some records only inside
// Prepare and keeps its own copies of what it needs from them
// ((*Index).Unread: members, activities, and ratings when their distinct
// records are few enough to be built into the index), so a caller short of
// memory may release those records after Prepare (the other records must
// stay alive while the Index is used; Inventory counts the member rows, so
// call it first or count them yourself):
//
//	idx, err := checker.Prepare(snap)
//	inv := idx.Inventory(snap)
//	for _, t := range idx.Unread() {
//		snap.Records[t].Release()
//		delete(snap.Records, t)
//	}
//	out, err := c.EvaluateIndex(ctx, idx)
//	rollups := checker.Rollup(snap, out.Targets, out.Results) // reads units only
//
// Or let Prepare release them itself, each as soon as it has read it, while
// it indexes the rest (`vungmanh run` does: at national scale the members
// record goes before the models are indexed, and the peak of indexing is
// lower by most of its size), with empty records of their schema put in
// their place when it returns (Inventory counts the members from the
// index):
//
//	idx, err := checker.Prepare(snap, checker.ReleaseRead(nil))
//
// Subjects are the active units of each level that has targets, and the
// active models (status active, the default) of each model_type that has a
// model target and whose unit is active. A unit is active only when it and
// every ancestor are (domain.md, "How the guidance is read" 3): the index
// computes that once, and the subjects, every unit record's active in the
// input (so lib.active_unit_ids and lib.active_models) and the inventory
// read it. An active model launched after the snapshot's as_of gets a
// skipped result, reason "not launched yet", for every target of its type,
// without evaluation; the inventory leaves it out of the active count
// (ModelInventory.NotCounted). Units and models the loaders
// excluded (snapshot.ExcludedUnits, ExcludedModels) get a not_evaluated
// result for every target of their scope, with the reason in Error.
//
// The input document follows docs/policy-input.md: a missing value is an absent
// key; units.active defaults to true and models.status to "active"; lists
// are sorted by id (ratings by year, activities by month, kind, attendees);
// dates are "YYYY-MM-DD". For a model, input.ancestors are the ancestors of
// the model's unit, root first, without the unit (which is input.unit).
// Member statistics (input.members) hold one entry for the subject and for
// every commune, branch and group below it, each counting its own subtree.
// joined_last_12_months counts members with as_of - 1 year < joined_on <=
// as_of. by_special_group leaves out groups with no member.
//
// data.params is the params file (ParseParams) with the declared defaults
// of the parameters it leaves out, and data.vocab the canonical
// enum values with Vietnamese and English labels (Vocab), keyed by
// "table.column": data.vocab["ratings.rating"].good.vi == "Vững mạnh".
//
// # Personal data
//
// Results never carry what the snapshot holds about a person who is not a
// known member or cadre (privacy.go): the participant_id of a participant
// that resolves to no unit, cadre or member record (a woman who is not a
// member, named in real exports by her name or phone) and every pair label
// (free text), unless the value is also a known id. A ref equal to such a
// value becomes Redacted ("***"); in messages, details (keys and strings),
// skip reasons, error texts and refs, every occurrence that stands on word
// boundaries does too (values of 3 characters or more, 7 when all digits).
// A runtime error of a builtin shows the builtin's name and location, not
// the operand (`to_number: ... parsing "<name> <phone>"` would quote it),
// and the error of a malformed violation names the type of the value, not
// the value. Both engines give the same redacted results; EvalOne too.
//
// # Statuses
//
//	pass           no violation (warnings may be present)
//	fail           at least one violation
//	waived         fail, covered by an unexpired waiver for the subject or an ancestor
//	skipped        skip is true or a string (the reason); violations are dropped
//	error          runtime error, deadline, or a malformed violation/warning/skip
//	not_evaluated  the subject was excluded by the loaders
//
// Waivers (ParseWaivers) with expires before the as-of day (WithWaivers'
// asOf, else the snapshot's) are not applied and are listed as expired;
// unexpired waivers that waived nothing are listed as unused.
//
// # Sharding
//
// WithShard(i, n) evaluates the communes whose FNV-1a 32-bit hash of the id
// modulo n is i, with the branches, groups and models below them; province
// and district subjects only when n == 1. The rule is internal/hierarchy's
// (hierarchy.Shard), the one the app's merge reads too. Rollup and TakeInventory are pure
// functions of the snapshot and the results, so a merge step can call them
// on the concatenated results of every shard. No shard evaluates province
// and district subjects: the merge step does, with
// New(ctx, p, WithScopes("province", "district")).
//
// # For `vungmanh eval`
//
// Input returns a subject's input document (ast.JSON turns it into JSON) and
// EvalOne evaluates one subject with one or every target of its scope, with
// OPA's pretty trace on explain. The OPA command line, given that input,
// the policies and {"params", "vocab"} as data, gives the same violations
// (a test checks it).
//
// # Files
//
//	load.go        Load, HashFS, Policies; bundle.go LoadBundle
//	metadata.go    the target packages and their METADATA
//	compile.go     one compile per scope; policyerrors.go PolicyErrors
//	schema.go      the scopes' input JSON Schemas (schemas/) and lintTypes
//	enums.go       enumErrors; shape.go the shapes of violation, warning, skip
//	params.go      custom.params, lib.param and the params file
//	sandbox.go     the refused builtins; memory.go and caps.go the bounds
//	layer.go       packs stacked in layers
//	checker.go     New, Evaluate, EvaluateIndex: the plan and the workers
//	options.go     the options of New; prepare.go what New prepares
//	engine.go      the regovm path; topdown.go the topdown path
//	eval.go        Input, EvalOne, EvalDebug; print.go policy print()
//	index*.go      the snapshot's index (members, models, ratings); input.go the inputs;
//	inputkeys.go   the keys of input each scope reads
//	result.go      the results; rollup.go roll-ups and the inventory
//	waivers.go     waivers; privacy.go redaction; history.go unit history;
//	vocab.go       data.vocab
package checker
