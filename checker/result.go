package checker

import "github.com/vungmanh/vungmanh/internal/snapshot"

// Status is the verdict of one target for one subject.
type Status string

// The statuses of docs/policy-input.md and docs/reports.md.
const (
	StatusPass         Status = "pass"
	StatusFail         Status = "fail"
	StatusWaived       Status = "waived"
	StatusSkipped      Status = "skipped"
	StatusError        Status = "error"
	StatusNotEvaluated Status = "not_evaluated"
)

// Target is one compiled target's metadata.
type Target struct {
	ID          string `json:"id"`
	Package     string `json:"package"` // e.g. "targets.one_plus_one"
	Title       string `json:"title"`
	TitleEn     string `json:"title_en"`
	Description string `json:"description"`
	Scope       string `json:"scope"` // province | district | commune | branch | group | model
	ModelType   string `json:"model_type"`
	Severity    string `json:"severity"` // high | medium | low (default medium)
	File        string `json:"-"`        // the .rego file that declares it
	// Pack is the pack the target comes from: BuiltinPack, a layer's name,
	// or the name given to Load or LoadBundle ("" when none was).
	Pack string `json:"pack,omitempty"`
	// Params are the parameters the target declares (custom.params),
	// sorted by name; ParamsDeclared tells a target that declares none
	// (params: {}) from one that says nothing (not checked).
	Params         []ParamSpec `json:"-"`
	ParamsDeclared bool        `json:"-"`
}

// Violation is one element of a target's violation or warning set.
type Violation struct {
	Msg     string         `json:"msg"`
	Refs    []string       `json:"refs"`
	Details map[string]any `json:"details"`
}

// Waiver is one entry of the waivers file.
type Waiver struct {
	Target     string `json:"target" yaml:"target"`
	Unit       string `json:"unit" yaml:"unit"`
	Reason     string `json:"reason" yaml:"reason"`
	Expires    string `json:"expires" yaml:"expires"` // YYYY-MM-DD
	ApprovedBy string `json:"approved_by" yaml:"approved_by"`
}

// Result is the verdict of one target for one subject.
type Result struct {
	Target       string      `json:"target"`
	Subject      string      `json:"subject"`       // unit id or model id
	SubjectLevel string      `json:"subject_level"` // unit level, or "model"
	SubjectName  string      `json:"subject_name"`
	Path         []string    `json:"path"` // ancestor unit ids, root first (for a model: up to and including its unit)
	Status       Status      `json:"status"`
	Violations   []Violation `json:"violations"`
	Warnings     []Violation `json:"warnings"`
	SkipReason   string      `json:"skip_reason,omitempty"`
	Waiver       *Waiver     `json:"waiver"`
	Error        *string     `json:"error"`
	// Reason: why a not_evaluated result was left out, as a value (Error
	// holds its text); nil for any other status.
	Reason *snapshot.Reason `json:"reason,omitempty"`
}

// WaiverReport says how the waivers file was used.
type WaiverReport struct {
	Applied int      `json:"applied"`
	Expired []Waiver `json:"expired"`
	Unused  []Waiver `json:"unused"`
}
