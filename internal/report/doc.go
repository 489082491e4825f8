// Package report turns a run's results into the run folder of
// docs/reports.md: report.json, report.html, findings.csv, results.parquet,
// report.xlsx and manifest.json, and publishes it to a storage.Bucket,
// moving latest.json last.
//
// # Building
//
// The caller (internal/app) adapts the checker's outcome, roll-ups and
// inventory into Inputs, plain data, so this package depends on the
// checker's result types only:
//
//	rep := report.Build(report.Inputs{RunID: id, Snapshot: ..., Targets: ..., Results: ...})
//	prev, skipped, err := report.Previous(ctx, bucket, rep) // nil when none; skipped: deleted or damaged runs
//	rep.Delta = report.Delta(prev, rep)            // nil when prev is nil
//	rep.History, err = report.History(ctx, bucket, rep, warn) // trends
//	published, err := report.PublishStreamed(ctx, bucket, rep, func(emit report.Emit, stream report.Stream) error {
//		// each file written as it is made; report.json, findings.csv and
//		// results.parquet written to the bucket as their bytes are made
//		return report.RenderStreams(ctx, rep, formats, lang, mem, emit, stream)
//	})
//
// (report.PublishRendered with report.RenderTo holds each file whole before
// it is written; report.Render and report.Publish hold every file at once.)
//
// Build sorts every list (targets by id; by_unit by level then unit id;
// findings and results by target then subject; data quality by table,
// file, row, column, code; waivers by target, unit, expiry) and serialises
// the inventory with sorted keys, so the same inputs give a byte-identical
// report.json (JSON) apart from run.id, started_at and finished_at. Times
// are RFC 3339 UTC to the second.
//
// Findings are the results that are neither pass nor skipped. Each has a
// stable Key: 16 hex digits (64 bits) of sha256(target, subject, sorted
// violation messages). Delta compares keys: a finding whose messages change
// shows as resolved and new.
//
// Summary.subjects counts (target, subject) results. Percentages in the
// HTML and XLSX are pass / (pass + fail + waived): skipped subjects,
// evaluation errors and subjects not evaluated are shown apart.
//
// # Personal data
//
// Reports name units and use ids. Build drops, at any depth of violation
// details, the keys of PersonalKeys() (name, phone, needs, address...), and
// blanks the value of data-quality findings about the members table or a
// needs/personal column (a shifted row can put a name there). The HTML,
// CSV and XLSX never show details, data-quality values or waiver approvers.
//
// # Formats
//
//   - report.json: JSON, validated in tests against schema/report.schema.json
//     (JSON Schema 2020-12; schema.Validate).
//   - report.html and units/<file>.html: Site, the report site (docs/reports.md).
//     report.html is the root unit's page (a synthetic national unit when
//     the snapshot has several roots), units/<file>.html the page of every
//     province, district and commune with results below it (PageFile: the
//     id when it is a plain file name, else 16 hex of its sha256). The tree
//     comes from Inputs.Units (every unit, with its kind), or from the
//     results' paths without them; each result counts under every unit of
//     its path and its subject (tree.go). Each page: breadcrumbs up; a
//     matrix of child units × targets (rate over evaluated subjects, i.e.
//     pass + fail + waived; sticky header; a filter box of a few lines of
//     inline script, the only script); a card per target with errors and
//     not-evaluated subjects apart, the change since the previous run, a
//     trend from Report.History (summary.json of earlier runs, History)
//     and the pace to a Goal (trend.go); the findings of the unit's own subjects
//     (each finding on the page of the deepest province, district or
//     commune of its subject and path), at most HTMLFindingsPerTarget per
//     target. Labels carry the unit's kind ("Huyện Đông Hưng") and, where
//     two provinces, districts or communes share one, their parent's name;
//     rows are in Vietnamese order with numbers by value
//     (golang.org/x/text/collate, collate.Numeric). The root page adds the
//     "Mô hình" (Models) section from inventory.models, waivers and data
//     quality. Every label is in the catalogue of messages.go; numbers
//     1.234, 48,5 %, dates 30/09/2024, the run time in Report.Location
//     (Asia/Ho_Chi_Minh by default). A stopped run (Run.Status
//     StatusStopped, exit 3) gets one page listing its data-quality
//     findings (quality.go). HTML renders the root page alone. site.go
//     renders the pages: the matrix, the cards and the findings, whose
//     long lists sitehtml.go writes in Go with html/template's own
//     escaping (an action of the template costs a reflect call per value).
//     A unit page is written whole in Go (writeUnitPage, the template's
//     text with its style sheet and script taken from site.html.tmpl) into
//     a writer reused from page to page; the root page and the stopped page
//     are executed from site.html.tmpl, which stays the page's definition
//     (TestUnitPagesAreTheTemplates holds every unit page to it).
//     The unit tree (tree.go) is built once per rendering, its children
//     sorted then, and only read afterwards: RenderTo shares it between the
//     site, the XLSX and summary.json, and the pages render GOMAXPROCS at a
//     time.
//   - summary.json: Summarise, the counts per target and per unit (units
//     with a page at most two levels below the root), read by later runs'
//     History: the newest run of each earlier as_of, up to HistoryRuns,
//     damaged ones skipped with a warning.
//   - findings.csv: FindingsCSV, UTF-8 with BOM, one row per violation;
//     path and refs joined with ";". Spreadsheets split a CSV on ',' or,
//     in locales whose list separator is ';' (Vietnamese among them), on
//     ';' and line breaks with quotes counting only at a cell's start: so
//     every part of a cell after a ';', CR or LF, not only its start, is
//     prefixed with ' when it would begin with = + - @ (after spaces or a
//     quote), TAB or CR, and no part opens as a formula either way.
//
// report.json keeps machine values: a not-evaluated result's error is the
// text of the loader's snapshot.Reason ("DQ007 on row 5124", "ancestor
// xa-1 excluded", "unit xa-1 excluded") and data-quality tables are table
// names. The HTML and XLSX word that reason from its value (the findings
// carry it beside the text; nothing is parsed back) through the catalogue
// in their language ("Dữ liệu lỗi DQ007 (giá trị sai kiểu dữ liệu) ở
// dòng 5124 của tệp units.csv, cột active", with the file and column of
// the matching data-quality finding and unit names for ids), findings.csv
// in Vietnamese whatever --lang says (its messages are the policies'
// Vietnamese), and the HTML's
// data-quality table names each table ("Đơn vị (units)").
//   - results.parquet: ResultsParquet, every result, zstd level 1 (the small
//     columns uncompressed: parquetUncompressed), 64k-row groups.
//   - report.xlsx: XLSX, summary, findings, units (each unit's path and
//     rates) and models sheets, labels by language; each sheet declares its
//     used range, freezes its header and has an autofilter and widths.
//     Counts and rates are numbers (a rate is the ratio 0..1) with custom
//     number formats (xlsxNumFmts): in Vietnamese counts show literal dots
//     (1.797 in any spreadsheet program) and rates "0.0 %" tagged
//     Vietnamese, [$-42A] (48,5 % in LibreOffice, and in Excel where the
//     computer uses a decimal comma: Excel takes separators from the
//     system); in English #,##0 and 0.0%.
//   - manifest.json: written by Publish with the size and sha256 of each file.
//
// # Publishing
//
// Publish writes <name>/runs/<as_of>/<run_id>/ file by file (16 at a
// time: a national site has some 11,000 pages), each with a
// does-not-exist precondition (identical bytes already there are accepted;
// AllowOverwrite lets a retried run with an explicit --run-id replace the
// files of its own incomplete folder); on a local folder the files are
// written without an fsync each and made durable together (storage's
// Dir.SyncFolder) once all are written; then manifest.json, and only then
// moves <name>/latest.json ({run_id, as_of, path, finished_at}) under a
// generation precondition. A newer pointer (later as_of, or same as_of and
// later finished_at) is left alone, and Published says so. Any error
// returns before latest.json moves, so readers that follow latest.json
// never see a partial run. A folder with a manifest.json is complete and is
// never rewritten: the same run again (same report.json apart from run
// times and delta, same files) stands as it is, anything else is a
// *RunExistsError before any write. Previous finds the run to compare with:
// the newest complete run that is neither the run itself (a retry) nor
// newer (a backfilled as_of).
//
// Runs disappear in production (a bucket lifecycle rule, an operator
// cleaning up) and latest.json can be torn or edited by hand. Neither stops
// a later run: Previous skips a latest.json that names no run folder and a
// run whose report.json is gone or damaged (returning each as an
// *UnusableRunError for the caller to log) and searches the run folders
// for the next one, down to no delta at all; Publish replaces a latest.json
// that names no run folder, or that points at a run whose manifest.json is
// gone, whatever its as_of. Only storage errors (a network fault) fail.
// newer (a backfilled as_of). KeepLatest publishes a folder without
// moving latest.json (the data-quality report of a stopped run).
package report
