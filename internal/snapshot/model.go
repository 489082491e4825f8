package snapshot

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Table names a table of the snapshot.
type Table string

// The tables of docs/snapshot-format.md.
const (
	Units        Table = "units"
	Members      Table = "members"
	Cadres       Table = "cadres"
	Models       Table = "models"
	Participants Table = "participants"
	Ratings      Table = "ratings"
	Activities   Table = "activities"
	Lineage      Table = "lineage"
)

// Tables returns every table in a stable order (units first: others refer
// to it), a new slice at each call.
func Tables() []Table {
	return []Table{Units, Members, Cadres, Models, Participants, Ratings, Activities, Lineage}
}

// Manifest is the parsed snapshot.yaml.
type Manifest struct {
	APIVersion string
	Kind       string
	Name       string // [a-z0-9-]{1,63}
	Title      string
	AsOf       string // YYYY-MM-DD
	Tables     map[Table]TableSource
	// Aliases maps "table.column" to local label -> canonical code.
	Aliases map[string]map[string]string
}

// TableSource says where a table is and how to read it.
type TableSource struct {
	Path      string // relative to the manifest
	Encoding  string // utf-8 (default), utf-16, windows-1258
	Delimiter string // "", ",", ";", "\t"
	Sheet     string // xlsx sheet; first sheet when empty
}

// Snapshot is a loaded, validated snapshot. Release it when done.
type Snapshot struct {
	Manifest Manifest
	// SHA256 is the hex digest over the manifest and every table file, in
	// table order; the run id and the report use it.
	SHA256 string
	// Records holds one record per table of Tables; a missing optional table
	// is an empty record with the table's schema.
	Records map[Table]arrow.Record
	// Findings are the data-quality findings, sorted by table, row, column, code.
	Findings []Finding
	// Stats counts rows read and excluded per table.
	Stats map[Table]TableStats
	// ExcludedUnits are units left out of evaluation: rows with an error
	// finding and every unit below them. Reports mark them not evaluated.
	ExcludedUnits []ExcludedUnit
	// ExcludedModels are models left out of evaluation (their row had an
	// error, or their unit was excluded).
	ExcludedModels []ExcludedModel
	// IgnoredColumns lists, per table, the columns the export had that the
	// spec does not know; they were not loaded.
	IgnoredColumns map[Table][]string
	// Versions resolves dated references to unit versions and holds the
	// history versions (rows of units not valid on asOf, codes that only
	// lineage names). Nil for a snapshot without versions and lineage:
	// every code is then its one row of Records[Units]. Records[Units]
	// holds only the versions valid on asOf.
	Versions *Versions
}

// TableStats counts the rows of one table.
type TableStats struct {
	Rows     int // data rows read (header not counted)
	Excluded int // rows left out because of an error finding
}

// ExcludedUnit is a unit that is not evaluated.
type ExcludedUnit struct {
	ID       string
	ParentID string
	Level    Level // may be empty when the level itself was invalid
	Name     string
	Reason   Reason // e.g. "DQ003 on row 12" or "ancestor xa-1 excluded"
}

// ExcludedModel is a model that is not evaluated.
type ExcludedModel struct {
	ID     string
	UnitID string
	Type   string
	Reason Reason // e.g. "DQ003 on row 12" or "unit xa-1 excluded"
}

// Table returns the record of t, never nil for a loaded snapshot.
func (s *Snapshot) Table(t Table) arrow.Record { return s.Records[t] }

// Release releases every record.
func (s *Snapshot) Release() {
	for k, r := range s.Records {
		if r != nil {
			r.Release()
		}
		delete(s.Records, k)
	}
}

// Column returns the column of rec named name, or nil when absent.
func Column(rec arrow.Record, name string) arrow.Array {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil
	}
	return rec.Column(idx[0])
}

// StringArray reads a utf8 or dictionary<_, utf8> column the same way.
type StringArray interface {
	Len() int
	IsNull(i int) bool
	Value(i int) string
}

type dictStrings struct {
	d    *array.Dictionary
	vals *array.String
}

func (s dictStrings) Len() int          { return s.d.Len() }
func (s dictStrings) IsNull(i int) bool { return s.d.IsNull(i) }
func (s dictStrings) Value(i int) string {
	if s.d.IsNull(i) {
		return ""
	}
	return s.vals.Value(s.d.GetValueIndex(i))
}

// Strings wraps a utf8, large utf8 or dictionary-of-utf8 column.
// It panics on any other type: the schemas of this package fix the types.
func Strings(a arrow.Array) StringArray {
	switch c := a.(type) {
	case *array.String:
		return c
	case *array.LargeString:
		return c
	case *array.Dictionary:
		return dictStrings{d: c, vals: c.Dictionary().(*array.String)}
	}
	panic("snapshot.Strings: not a string column: " + a.DataType().String())
}

// EmptyRecord returns a record of table t's schema without rows.
func EmptyRecord(t Table) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, Schema(t))
	defer b.Release()
	return b.NewRecord()
}
