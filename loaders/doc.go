// Package loaders reads a province's nightly snapshot (docs/snapshot-format.md) into
// Arrow records and data-quality findings: the first stage of a run.
//
// # Opening and loading
//
//	snap, err := loaders.Load(ctx, "gs://exports/thai-binh/2024-09-30",
//		loaders.WithMaxBadRows(limit), loaders.WithAllocator(mem))
//	if err != nil { ... }          // see "Errors" below
//	defer snap.Release()
//	units := snap.Table(snapshot.Units)
//
// Load is OpenFS followed by LoadFS. OpenFS accepts a local folder, a file://
// URL or gs://bucket/prefix, through internal/storage (storage.ParseURL,
// storage.OpenFS). Local folders are opened with os.OpenRoot: no name, ".."
// or symbolic link reaches outside the folder. gs:// uses the program's one
// Cloud Storage client configuration (WithGCSOptions) with Application
// Default Credentials, or the emulator named by STORAGE_EMULATOR_HOST
// without authentication; its files support ranged reads (io.ReaderAt). LoadFS reads from any fs.FS, for example an
// in-memory fstest.MapFS holding a sample snapshot.
//
// # What comes back
//
// A *snapshot.Snapshot with one arrow.Record per table of snapshot.Tables,
// each with exactly snapshot.Schema(t); a table the manifest does not list
// is an empty record. Records hold only rows that passed validation.
// members.needs is read only to set needs_recorded: the text is never kept,
// never quoted in a finding. The columns whose values repeat (enums,
// months, unit_id outside units, special groups, activities.kind: see
// snapshot.Schema) are dictionary<int32, utf8>. Findings (DQ002-DQ010) are sorted by table (in
// snapshot.Tables order), file, row, column, code, value. Stats counts rows
// read and rows excluded by their own error finding, per table.
//
// Personal data: a finding about members, cadres or participants never
// quotes a cell, in Value or in Message (exports of these tables carry names
// and phone numbers, and a shifted row can put them in any column, ids
// included); file, row, column and code say which cell is wrong. Findings
// about the other tables quote the offending value as the file has it
// (before aliases).
//
// Exclusion: a row with an error finding is left out. A unit left out also
// takes every unit below it (ExcludedUnits lists them all, with the reason
// as a snapshot.Reason, whose text is "DQ003 on row 12" or "ancestor xa-1
// excluded"); rows of members, cadres,
// ratings, activities and participants that belong to an excluded unit are
// left out without a finding of their own; a reference to a unit, model,
// cadre or member that does not exist is DQ003. ExcludedModels lists models
// whose row had an error (when the row has an id and a valid type) and the
// models of excluded units; their participants are left out.
//
// # Unit versions and lineage
//
// Rows of units with one unit_id and valid_from / valid_to ranges that do
// not overlap are versions of one unit (overlap: DQ002). The version valid
// on asOf is the unit: it alone is in Records[Units]; the others are
// history, in Snapshot.Versions.History, with the codes that only lineage
// names as predecessors (known until the day before the effective date,
// Implicit) and, for a lineage row whose predecessor is its successor (a
// reused code) and whose code has one row, an implicit version before the
// effective date (the row's version then starts on it). Dated references
// resolve through Snapshot.Versions: ratings.year Y to the version valid on
// 31 December of Y (or its last day in Y), activities.month to the month's
// last day, models.launched_on to that day; the checker files them the same
// way (the rows stay in their records). Lineage findings: successor without
// a version on the effective date (DQ003), a cycle among versions (DQ004),
// a merge predecessor still active on asOf (DQ005), a share outside 0-1 or
// a split's shares summing above 1 (DQ007). A snapshot whose units have one
// open version each and that has no lineage builds nothing of this:
// Versions is nil and loading costs what it did.
//
// # Memory and speed
//
// The table files are read at the same time, up to runtime.GOMAXPROCS(0)
// of them (members, the largest, while the others are read). The checks
// across tables (validate) run meanwhile, each once the tables it reads
// are read and the checks it follows are done: the units first, then each
// table's duplicate ids, then its references (members' ids before the
// cadres' and participants' references to them). At national scale the
// units' and the smaller tables' checks then run while the members file is
// still being read. Their findings count only when every read ends without
// a fatal finding or a stop: a load that stops early (--max-bad-rows)
// reports what each read left (tableRead.read), as before the checks; the
// checks after the units' are not made once a read has failed. The result
// does not depend on the
// order in which the reads finish: findings are merged in snapshot.Tables
// order, and an error is the one of the first failing table in that order
// (a failure stops the reads of the tables after it; LoadFS releases every
// record read). The other tables are then held while members is still being
// built, so the peak is higher than a one-by-one load by about their size.
// Snapshot.SHA256 is sha256 over snapshot.yaml followed by the
// sha256 of each listed file in snapshot.Tables order (docs/snapshot-format.md).
// The WithProgress callback is never called twice at once.
//
// A large CSV or TSV file (past its first 16,384 rows) is split into records
// by encoding/csv in a goroutine of its own, up to three batches of 2,048
// records ahead of the conversion into Arrow builders, so that the two
// overlap on two cores; rows, findings and errors are the same as when one
// goroutine does both (small files still do).
//
// Parquet columns are decoded batch by batch (64k rows, or a smaller row
// group's rows and one: the decoder reserves and zeroes a whole batch per column).
// Top-level string columns are decoded from their column chunks by the
// loader itself (parquet.go, strColumn; a batch's string columns at once,
// a goroutine each), the other columns by pqarrow: a batch's values are copied once into buffers of their exact size, where
// pqarrow would append them one by one to a builder whose buffers double,
// and a dictionary column's values are told apart by the address of their
// dictionary entry (no hashing of the text, no pqarrow dictionary builder);
// their rows are checked against the row group's, so a column that ends
// early is a DQ001 finding, never misaligned rows. The Parquet library's
// column reader (ReadBatch) loops forever on a page whose definition
// levels run out before its values do, where pqarrow's record reader
// stops; so the pages of those columns are checked before it sees them
// (pages.go, checkedPages): a page's levels must decode to its count of
// values, and its values must be plain or dictionary encoded (a column
// whose chunks list another encoding, say DELTA_BYTE_ARRAY, is left to
// pqarrow). A page that fails is a DQ001 finding naming the column, the
// row group and the page. The column chunks of a local file (or one held
// in memory) are read through a 16 KiB buffer (defaultChunkBuffer), not
// whole: the Parquet library would read each chunk into memory and copy
// it whole again before its page reader copies it once more, page by
// page; a file on Cloud Storage keeps whole chunks, one request each.
// What a batch holds as the table wants it is appended in bulk, not value
// by value: a string column whose values are all plain ASCII (nothing to
// trim or normalise) has its buffers copied whole into the column's
// (textColumn), booleans and dates are appended as they are, dictionary
// indices are remapped to the table's dictionary a batch at a time (the
// table's dictionary, dictColumn, keeps its values in chunks of bytes
// found through an open-addressing table of indices, not a Go map of
// strings: a unit_id column holds every unit id of the country), and
// members.needs_recorded is read off the text without keeping it; a batch
// with a cell to convert goes cell by cell, as CSV does, with the same
// findings. Text columns grow by a projection of the file's rows, so a
// finished column holds a few percent more than its bytes; other builders
// are copied once to buffers of their exact size when they hold more
// (builders grow by doubling and would otherwise keep up to twice the bytes
// for the whole run). The duplicate-id check (DQ002) costs nothing
// when a table's ids are already strictly increasing, as exports sorted by
// their key are: one pass of comparisons, and later lookups (cadres and
// participants naming a member) are binary searches; otherwise it is an
// open-addressing hash set of row numbers (8 bytes a slot), dropped when
// Load returns. A reference to a unit (or model, or member) through a
// dictionary column is looked up once per dictionary value, and the rows
// are walked only when some value is unknown or excluded (eachRef).
// Nothing but the records and the findings outlives Load.
//
// WithMembersAllocator gives the members record an allocator of its own
// (the run's is internal/offheap's, whose buffers are unmapped on
// release): the members file is still decoded with the other allocator,
// and the loader keeps no reference into the record, so its memory may go
// the moment the record is released.
//
// The read-ahead and batch sizes above are fixed for a run; they are
// fields of the loader's configuration, not package variables, and only
// the package's tests set others (through options of their own), to reach
// every path with small files. The package keeps no mutable state between
// loads.
//
// # Errors
//
//   - *FatalError (DQ001): the manifest is missing or invalid, a required
//     table or column is missing, a file cannot be read or breaks a limit.
//     Findings say where, in words a data clerk understands; Unwrap gives
//     the cause (a *ParseError for located parser errors). Exit code 3.
//   - *TooManyBadRowsError: a table has more excluded rows than
//     WithMaxBadRows allows (default 1%; ParseLimit reads "1%" or "250").
//     Exit code 3.
//   - any other error is transient (context cancelled, storage failing while
//     reading gs://): retry.
//
// # Formats
//
// By extension, each optionally followed by .gz: .csv and .tsv (UTF-8 with
// or without BOM; UTF-16 with BOM, detected or declared; Windows-1258 when
// declared; delimiter declared or detected among "," ";" TAB from the header
// line, TAB by default for .tsv; RFC 4180 quotes with embedded newlines),
// .parquet (pqarrow, read in batches of 65,536 rows by row group, only the
// columns of the spec are decoded), .ndjson / .jsonl (one object per line),
// .xlsx (excelize, first sheet or `sheet:`; raw cell values, so a date cell
// is read from its serial number). Typed Parquet and JSON values (booleans,
// integers, floats, date32, date64, timestamps, lists of strings) are taken
// as they are; strings are parsed as the spec says. Header names are matched
// case-insensitively after trimming.
//
// Row numbers in findings: CSV/TSV the physical line where the record starts
// (header = 1); NDJSON the physical line (blank lines count); XLSX the sheet
// row (header = 1); Parquet the 1-based record index (no header).
//
// # Limits
//
// Every file is read through caps, so that no input can exhaust memory:
//
//   - WithMaxDecompressed (default: DefaultMaxExpansion = 100 times the
//     file's stored size, at least MinDecompressed = 64 MiB, at most
//     DefaultMaxDecompressed = 4 GiB; a value sets one cap for every file):
//     bytes read from one file after gzip; also the most an XLSX, a gzipped
//     Parquet or a Parquet from an fs.File without io.ReaderAt+io.Seeker may
//     hold in memory (those are read whole, because their readers need
//     random access), and the sum of the part sizes an XLSX declares,
//     checked before any part is inflated (archive/zip refuses a part that
//     inflates past its declared size).
//   - WithMaxLineBytes (default 1 MiB): one physical line of CSV/TSV/NDJSON,
//     one XLSX cell.
//   - snapshot.yaml: 1 MiB.
//
// Breaking a limit is DQ001 with the file and line.
//
// Findings are bounded too: at most 100 (maxListedFindings) of one code
// are listed per column of a table (per table for DQ009), the rest summed
// up in one finding with row 0 and their count, so a file whose every row
// is wrong costs a count and a bit per row, not a finding per row. A
// table is read to its end even once it cannot pass --max-bad-rows: where a
// read stops would depend on the read-ahead batches, and the findings must
// not.
//
// # Text
//
// Text is trimmed and normalised to NFC; a value changed by NFC is DQ008 (at
// most 100 listed per column, then one summary finding). Windows-1258 files
// are exempt from DQ008: that encoding writes Vietnamese tone marks as
// combining characters, so NFC always changes them. Aliases of the manifest
// ("table.column" -> label -> code) apply to any text column, to list items
// and to enums, matched exactly after NFC or case-insensitively; enums are
// then matched case-insensitively. Booleans: true/false, 1/0, yes/no, y/n,
// x, có/không (co/khong), any case; an empty cell is null. Dates YYYY-MM-DD
// or D/M/YYYY; months YYYY-MM; lists ";"-separated. units.active defaults to
// true and models.status to active. An empty required value is DQ007.
//
// # Where things live
//
//   - load.go: Load and LoadFS, the concurrent reads of the table files,
//     the reading of one file (opening, hashing, DQ001); fs.go: OpenFS
//     and the storage behind it; input.go: size caps, gzip, encodings.
//   - manifest.go: snapshot.yaml; options.go: Option and Limit.
//   - rows.go: the row readers of CSV/TSV, NDJSON and XLSX; parquet.go:
//     Parquet's (pqarrow, and strColumn for string columns; pages.go:
//     their pages checked before the column reader decodes them; pool.go:
//     their batches' buffers, reused from batch to batch); ahead.go: a CSV
//     file split into records in a goroutine of its own, and the batches it
//     hands over converted.
//   - header.go: a file's header mapped onto the table's columns;
//     table.go: a table's rows read into builders, bad rows and the early
//     stop; convert.go: cells into values, one setter per column kind;
//     columns.go: Parquet columns, with fast paths for typed columns;
//     text.go: a Parquet string column gathered a batch at a time;
//     values.go: text, booleans, dates, months.
//   - findings.go: findings listed up to their cap, then summed up, and
//     their order; personal.go: what a finding may quote.
//   - validate.go and versions.go: the checks across rows and tables, unit
//     versions and lineage; index.go: id lookups for them.
//   - records.go: the records without the excluded rows; compact.go:
//     arrays copied to buffers of their exact size.
package loaders
