package snapshot

import (
	"slices"

	"github.com/apache/arrow/go/v15/arrow"
)

// ColumnSpec describes one column of a table as the spec defines it.
type ColumnSpec struct {
	Name     string
	Kind     Kind
	Required bool
	Enum     string // key of EnumValues, e.g. "units.level"; "" when not an enum
}

// Kind is the spec type of a column.
type Kind string

// The column kinds of the spec.
const (
	KindString Kind = "string"
	KindEnum   Kind = "enum"
	KindBool   Kind = "bool"
	KindDate   Kind = "date"  // YYYY-MM-DD or DD/MM/YYYY -> date32
	KindMonth  Kind = "month" // YYYY-MM -> utf8
	KindInt    Kind = "int"
	KindFloat  Kind = "float"
	KindList   Kind = "list" // ;-separated -> list<utf8>
)

func col(name string, k Kind, req bool) ColumnSpec {
	return ColumnSpec{Name: name, Kind: k, Required: req}
}
func enum(t Table, name string, req bool) ColumnSpec {
	return ColumnSpec{Name: name, Kind: KindEnum, Required: req, Enum: string(t) + "." + name}
}

// Columns returns the columns of the spec of table t in order, a new slice
// at each call; nil for an unknown table. members.needs is read only to set
// needs_recorded (see the package doc).
func Columns(t Table) []ColumnSpec { return slices.Clone(columns[t]) }

// columns lists, per table, the columns of the spec in order.
var columns = map[Table][]ColumnSpec{
	Units: {col("unit_id", KindString, true), col("parent_id", KindString, false), enum(Units, "level", true),
		col("name", KindString, true), col("kind", KindString, false), col("active", KindBool, false),
		col("valid_from", KindDate, false), col("valid_to", KindDate, false)},
	Members: {col("member_id", KindString, true), col("unit_id", KindString, true), col("joined_on", KindDate, false),
		col("honorary", KindBool, false), col("party_member", KindBool, false), col("pioneer", KindBool, false),
		col("hardship", KindBool, false), col("needs", KindString, false), col("special_group", KindString, false)},
	Cadres: {col("cadre_id", KindString, true), col("unit_id", KindString, true), enum(Cadres, "role", true),
		enum(Cadres, "competence", false), {Name: "strong_fields", Kind: KindList, Enum: "cadres.strong_fields"},
		col("member_id", KindString, false), col("party_member", KindBool, false)},
	Models: {col("model_id", KindString, true), col("unit_id", KindString, true), enum(Models, "type", true),
		col("name", KindString, false), col("launched_on", KindDate, false), enum(Models, "status", false),
		enum(Models, "field", false), col("special_group", KindString, false)},
	Participants: {col("model_id", KindString, true), col("participant_id", KindString, true), enum(Participants, "kind", true),
		enum(Participants, "role", false), col("pair", KindString, false), enum(Participants, "component", false)},
	Ratings: {col("unit_id", KindString, true), col("year", KindInt, true), enum(Ratings, "rating", true),
		col("score", KindFloat, false), enum(Ratings, "propaganda", false), enum(Ratings, "family", false),
		enum(Ratings, "economy", false), enum(Ratings, "membership", false)},
	Activities: {col("unit_id", KindString, true), col("month", KindMonth, true), col("kind", KindString, false),
		col("attendees", KindInt, false)},
	Lineage: {col("predecessor_id", KindString, true), col("successor_id", KindString, true), col("effective", KindDate, true),
		enum(Lineage, "kind", false), col("share", KindFloat, false)},
}

var dictString = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// Schema returns the Arrow schema of a loaded table (an *arrow.Schema is
// read-only: every caller may share it). It follows Columns with
// these changes: members.needs becomes needs_recorded (bool), and the
// columns whose values repeat (repeats: enums, months, the unit_id of every
// table but units, special groups, activities.kind) are dictionary<int32,
// utf8>. Every field is nullable except the required ones.
func Schema(t Table) *arrow.Schema {
	return schemas[t]
}

var schemas = func() map[Table]*arrow.Schema {
	m := map[Table]*arrow.Schema{}
	for t, cols := range columns {
		fs := make([]arrow.Field, 0, len(cols))
		for _, c := range cols {
			f := arrow.Field{Name: c.Name, Nullable: !c.Required}
			switch c.Kind {
			case KindString, KindEnum, KindMonth:
				f.Type = arrow.BinaryTypes.String
			case KindBool:
				f.Type = arrow.FixedWidthTypes.Boolean
			case KindDate:
				f.Type = arrow.FixedWidthTypes.Date32
			case KindInt:
				f.Type = arrow.PrimitiveTypes.Int64
			case KindFloat:
				f.Type = arrow.PrimitiveTypes.Float64
			case KindList:
				f.Type = arrow.ListOf(arrow.BinaryTypes.String)
			}
			if repeats(t, c) {
				f.Type = dictString
			}
			if t == Members && c.Name == "needs" {
				f = arrow.Field{Name: "needs_recorded", Type: arrow.FixedWidthTypes.Boolean, Nullable: false}
			}
			fs = append(fs, f)
		}
		m[t] = arrow.NewSchema(fs, nil)
	}
	return m
}()

// repeats reports whether column c of table t is held as a dictionary: its
// values repeat over the rows (the values of an enum, months, the unit a
// row belongs to in every table but units, the kind of an activity, a
// special group), so each row keeps a 4-byte index instead of its own copy
// of the text. At national scale that is about 200 MB less for the tables
// the evaluation keeps (bench/RESULTS.md).
func repeats(t Table, c ColumnSpec) bool {
	switch {
	case c.Kind == KindEnum, c.Kind == KindMonth:
		return true
	case c.Name == "unit_id":
		return t != Units
	case c.Name == "special_group":
		return true
	case t == Activities && c.Name == "kind":
		return true
	}
	return false
}

// IDColumn returns the unique id column of a table, "" when it has none.
func IDColumn(t Table) string {
	switch t {
	case Units:
		return "unit_id"
	case Members:
		return "member_id"
	case Cadres:
		return "cadre_id"
	case Models:
		return "model_id"
	}
	return ""
}
