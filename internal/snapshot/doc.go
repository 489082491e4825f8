// Package snapshot is the data model that the loaders and the checker share:
// the tables of a province's nightly export (docs/snapshot-format.md) as Arrow
// schemas, their enums, and the loaded Snapshot with its data-quality
// findings.
//
// The loaders produce a *Snapshot; the checker and the reports read it. Each
// table is one arrow.Record whose schema is the one returned by Schema(t):
// the columns of the spec with their types, in the spec's order. Only rows
// that passed validation are in the records; rows with error findings are
// left out and listed (for units and models) in Excluded so that reports can
// say they were not evaluated.
//
// Two columns differ from the export on purpose:
//   - members.needs is never loaded as text. The loaders keep only
//     members.needs_recorded (bool): whether the export had any needs text.
//     Free text about people cannot leak into policies or reports because it
//     never reaches memory past the parser.
//   - The columns whose values repeat are dictionary-encoded
//     (dictionary<int32, utf8>): every enum, months, the unit_id of every
//     table but units, special groups and activities.kind. A row keeps a
//     4-byte index instead of its own copy of the text (about 200 MB less
//     at national scale).
//
// Dates are Arrow date32; months ("YYYY-MM") are dictionary<int32, utf8>;
// lists are list<utf8>.
// Use Strings(col) to read a utf8 or dictionary column without caring which.
//
// The model's lists are functions, not variables: Tables(), Columns(t),
// EnumValues("table.column"), Levels() and Fields() return a fresh copy at
// each call (Fields an array), so no caller can change what another sees;
// Schema(t) returns a shared *arrow.Schema, which is read-only.
//
// Example:
//
//	units := snap.Table(snapshot.Units)
//	ids := snapshot.Strings(snapshot.Column(units, "unit_id"))
//	for i := 0; i < ids.Len(); i++ { fmt.Println(ids.Value(i)) }
package snapshot
