package snapshot

import "fmt"

// ReasonKind says which rule left a unit or model out of evaluation.
type ReasonKind string

// The kinds of Reason.
const (
	ReasonRow      ReasonKind = "row"      // its own row has an error finding: Code on Row
	ReasonAncestor ReasonKind = "ancestor" // an ancestor unit is excluded: Unit
	ReasonUnit     ReasonKind = "unit"     // the unit of a model is excluded: Unit
)

// Reason says why a unit or model is not evaluated. The loaders set it,
// the checker carries it on its not_evaluated results and the reports word
// it from its fields; String is the machine text report.json keeps.
type Reason struct {
	Kind ReasonKind `json:"kind"`
	Code Code       `json:"code,omitempty"` // ReasonRow: the finding's code
	Row  int        `json:"row,omitempty"`  // ReasonRow: the row in its file (header is row 1)
	Unit string     `json:"unit,omitempty"` // ReasonAncestor, ReasonUnit: the excluded unit's id
}

// RowReason is the reason of a row with an error finding of code.
func RowReason(code Code, row int) Reason { return Reason{Kind: ReasonRow, Code: code, Row: row} }

// AncestorReason is the reason of a unit below the excluded unit id.
func AncestorReason(id string) Reason { return Reason{Kind: ReasonAncestor, Unit: id} }

// UnitReason is the reason of a model whose unit id is excluded.
func UnitReason(id string) Reason { return Reason{Kind: ReasonUnit, Unit: id} }

// String is the reason's machine text: "DQ003 on row 12", "ancestor xa-1
// excluded", "unit xa-1 excluded"; "" for the zero Reason.
func (r Reason) String() string {
	switch r.Kind {
	case ReasonRow:
		return fmt.Sprintf("%s on row %d", r.Code, r.Row)
	case ReasonAncestor:
		return fmt.Sprintf("ancestor %s excluded", r.Unit)
	case ReasonUnit:
		return fmt.Sprintf("unit %s excluded", r.Unit)
	}
	return ""
}
