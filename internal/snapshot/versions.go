package snapshot

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
)

// LineageKind is the kind of a lineage row (docs/snapshot-format.md, lineage).
type LineageKind string

// The lineage kinds; an empty kind is a merge.
const (
	LineageMerge  LineageKind = "merge"
	LineageSplit  LineageKind = "split"
	LineageRename LineageKind = "rename"
	LineageMove   LineageKind = "move"
)

// Open bounds of a version: since ever, still valid.
const (
	NoStart arrow.Date32 = math.MinInt32
	NoEnd   arrow.Date32 = math.MaxInt32
)

// UnitVersion is a version of a unit that is not the unit on asOf: an older
// (or later) row of units with the same unit_id, or a code that only
// lineage names as a predecessor (Implicit: no row, no name, no level). It
// is history: never a subject, never counted (docs/snapshot-format.md, "Unit
// versions").
type UnitVersion struct {
	ID, ParentID, Name, Kind string
	Level                    Level
	HasParent, HasKind       bool
	Active                   bool
	From, To                 arrow.Date32 // inclusive; NoStart / NoEnd when open
	Implicit                 bool
	Row                      int // the row of the units file; 0 when Implicit
}

// Current means "the version in Records[Units]" in what Versions resolves.
const Current = -1

// Versions tells which version of a unit code a dated reference means. The
// loaders build it; the checker reads it. A nil *Versions is a snapshot
// without versions and lineage (v1): every code is its current unit.
//
// Only codes with more than one version, a bounded current version or a
// history version have spans: any other code resolves to the current unit
// without a lookup beyond one map access.
type Versions struct {
	// History holds every history version, sorted by ID then From.
	History []UnitVersion
	spans   map[string][]span
}

type span struct {
	from, to arrow.Date32
	ver      int // Current or an index in History
	excluded bool
}

// NewVersions returns an empty Versions to fill with Add then Seal.
func NewVersions() *Versions { return &Versions{spans: map[string][]span{}} }

// Add records that code id is version ver (Current or an index in History)
// from from to to (inclusive). excluded marks a version whose row has an
// error: references to it are left out, not unknown.
func (v *Versions) Add(id string, from, to arrow.Date32, ver int, excluded bool) {
	v.spans[id] = append(v.spans[id], span{from: from, to: to, ver: ver, excluded: excluded})
}

// Seal sorts the spans of every code; call it once after the last Add.
func (v *Versions) Seal() {
	for _, s := range v.spans {
		slices.SortFunc(s, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	}
}

// Has reports whether id has spans (versions or lineage): dated references
// to it must be resolved by date.
func (v *Versions) Has(id string) bool {
	if v == nil {
		return false
	}
	_, ok := v.spans[id]
	return ok
}

// At returns the version of id valid on day d. ok is false when id has
// spans but none on d, or when id has none at all (then the caller uses the
// current unit, if any). excluded is true for a version whose row had an
// error.
func (v *Versions) At(id string, d arrow.Date32) (ver int, excluded, ok bool) {
	if v == nil {
		return Current, false, false
	}
	for _, s := range v.spans[id] {
		if s.from <= d && d <= s.to {
			return s.ver, s.excluded, true
		}
	}
	return 0, false, false
}

// InYear returns the version a rating of year y means: the one valid on 31
// December of y, or the one valid on its last day in y.
func (v *Versions) InYear(id string, y int) (ver int, excluded, ok bool) {
	if v == nil {
		return Current, false, false
	}
	start, end := Day(y, 1, 1), Day(y, 12, 31)
	best := -1
	ss := v.spans[id]
	for i, s := range ss {
		if s.from <= end && s.to >= start && (best < 0 || s.from > ss[best].from) {
			best = i
		}
	}
	if best < 0 {
		return 0, false, false
	}
	return ss[best].ver, ss[best].excluded, true
}

// Range returns the validity of version ver of id.
func (v *Versions) Range(id string, ver int) (from, to arrow.Date32, ok bool) {
	if v == nil {
		return NoStart, NoEnd, false
	}
	for _, s := range v.spans[id] {
		if s.ver == ver {
			return s.from, s.to, true
		}
	}
	return NoStart, NoEnd, false
}

// Day is the arrow.Date32 of a calendar day.
func Day(y int, m time.Month, d int) arrow.Date32 {
	return arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// MonthEnd returns the last day of month "YYYY-MM"; ok is false when the
// text is not a month.
func MonthEnd(month string) (arrow.Date32, bool) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return 0, false
	}
	return arrow.Date32FromTime(t.AddDate(0, 1, -1)), true
}

// ParseDay reads "YYYY-MM-DD".
func ParseDay(s string) (arrow.Date32, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return arrow.Date32FromTime(t), true
}

// DayText formats d as "YYYY-MM-DD".
func DayText(d arrow.Date32) string { return d.FormattedString() }
