package report

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// APIVersion and Kind head every report.json.
const (
	APIVersion = "vungmanh/v1"
	Kind       = "ComplianceReport"
)

// Inputs is everything a report is built from, as plain data: the caller
// adapts the checker's outcome, roll-ups and inventory into it.
type Inputs struct {
	RunID                 string
	StartedAt, FinishedAt time.Time
	ToolVersion           string
	OPAVersion            string
	Snapshot              SnapshotInfo
	PoliciesSHA256        string
	// PoliciesVersion: the built-in pack's version (policies.Version) when
	// the run used it, "custom" for other policies, "" when unknown.
	PoliciesVersion string
	Targets         []TargetSummary
	Results         []checker.Result
	// GiveResults lets Build keep the array of Results as the report's
	// (each result cleaned in place, the array sorted) instead of copying
	// it: the caller gives it up and reads it no more. At national scale
	// the copy is 100 MB more at the run's peak, while the snapshot is
	// still held.
	GiveResults bool
	// Inventory is marshalled as is (a struct, a map or json.RawMessage);
	// nil gives {}.
	Inventory   any
	DataQuality []snapshot.Finding
	Waivers     checker.WaiverReport
	Shards      int // 0 counts as 1
	// Units is the unit hierarchy (every unit of the snapshot, or at least
	// those on the results' paths) for the report site's pages, names and
	// labels; not part of report.json. Without it the site derives the
	// tree from the results' paths and the roll-ups' names.
	Units []Unit
	// Goals are the targets' goal and deadline from data.params.
	Goals map[string]Goal
	// Status is "" for a run that evaluated, StatusStopped for one stopped
	// by data quality (exit 3): no targets, data_quality filled.
	Status string
}

// StatusStopped is run.status of a run stopped by data quality.
const StatusStopped = "stopped"

// SnapshotInfo identifies the snapshot a run read.
type SnapshotInfo struct {
	Name   string `json:"name"`
	Title  string `json:"title"`
	AsOf   string `json:"as_of"` // YYYY-MM-DD
	SHA256 string `json:"sha256"`
}

// TargetSummary is one target with its counts: the "targets" element of
// report.json.
type TargetSummary struct {
	ID          string `json:"id"`
	Package     string `json:"package"`
	Title       string `json:"title"`
	TitleEn     string `json:"title_en"`
	Description string `json:"description"`
	Scope       string `json:"scope"`
	ModelType   string `json:"model_type"`
	Severity    string `json:"severity"`
	// Pack names the policy pack the target came from ("builtin", a
	// layer's name): an addition to report.json v1, absent in reports of
	// earlier versions and when the checker named no pack.
	Pack string `json:"pack,omitempty"`
	checker.Counts
	ByUnit []UnitCount `json:"by_unit"`
}

// Summaries turns the checker's roll-ups into the "targets" of report.json.
// report.json's rows leave out not_evaluated (docs/reports.md lists the
// other counts only; checker.Counts does not write it).
func Summaries(rollups []checker.TargetRollup) []TargetSummary {
	out := make([]TargetSummary, 0, len(rollups))
	for _, r := range rollups {
		out = append(out, TargetSummary{
			ID: r.ID, Package: r.Package, Title: r.Title, TitleEn: r.TitleEn, Description: r.Description,
			Scope: r.Scope, ModelType: r.ModelType, Severity: r.Severity, Pack: r.Pack,
			Counts: r.Counts, ByUnit: append(make([]UnitCount, 0, len(r.ByUnit)), r.ByUnit...),
		})
	}
	return out
}

// UnitCount is the roll-up of one target under one unit: the checker's
// row, one type for roll-ups, report.json and the site.
type UnitCount = checker.UnitCount

// Report is report.json (docs/reports.md). Results is not part of the JSON:
// it carries every result to results.parquet.
type Report struct {
	APIVersion  string               `json:"apiVersion"`
	Kind        string               `json:"kind"`
	Run         Run                  `json:"run"`
	Summary     Summary              `json:"summary"`
	Targets     []TargetSummary      `json:"targets"`
	Findings    []Finding            `json:"findings"`
	Inventory   json.RawMessage      `json:"inventory"`
	DataQuality []snapshot.Finding   `json:"data_quality"`
	Waivers     checker.WaiverReport `json:"waivers"`
	Delta       *DeltaSection        `json:"delta,omitempty"`

	Results []checker.Result `json:"-"`
	// Units, Goals, History and Location feed the HTML site only.
	Units []Unit          `json:"-"`
	Goals map[string]Goal `json:"-"`
	// History is the summaries of earlier runs (History), oldest first.
	History []*RunSummary `json:"-"`
	// Lineage links the units of earlier runs to this run's (the
	// snapshot's lineage table): trends join a unit's predecessors to it
	// (spec "Across a reform"), as Delta does with AcrossLineage.
	Lineage []LineageLink `json:"-"`
	// Location is the time zone of the run time shown in the HTML (nil:
	// Asia/Ho_Chi_Minh).
	Location *time.Location `json:"-"`
}

// Run is report.json's "run".
type Run struct {
	ID string `json:"id"`
	// Status is "stopped" for a run stopped by data quality (exit 3),
	// absent otherwise.
	Status      string       `json:"status,omitempty"`
	StartedAt   string       `json:"started_at"`
	FinishedAt  string       `json:"finished_at"`
	ToolVersion string       `json:"tool_version"`
	OPAVersion  string       `json:"opa_version"`
	Snapshot    SnapshotInfo `json:"snapshot"`
	Policies    Policies     `json:"policies"`
	Shards      Shards       `json:"shards"`
}

// Policies identifies the policy set.
type Policies struct {
	SHA256 string `json:"sha256"`
	// Version is the built-in pack's version (policies/VERSION, with its
	// CHANGELOG.md), or "custom"; absent when the caller did not say.
	Version string `json:"version,omitempty"`
	Targets int    `json:"targets"`
}

// Shards says how many shards evaluated the run.
type Shards struct {
	Count int `json:"count"`
}

// Summary counts results over every target. Subjects is the number of
// (target, subject) results; the statuses add up to it.
type Summary struct {
	Subjects     int       `json:"subjects"`
	Pass         int       `json:"pass"`
	Fail         int       `json:"fail"`
	Waived       int       `json:"waived"`
	Skipped      int       `json:"skipped"`
	Error        int       `json:"error"`
	NotEvaluated int       `json:"not_evaluated"`
	DataQuality  DQSummary `json:"data_quality"`
}

// DQSummary counts data-quality findings by severity.
type DQSummary struct {
	Fatal   int `json:"fatal"`
	Error   int `json:"error"`
	Warning int `json:"warning"`
}

// Finding is a result that is neither pass nor skipped.
type Finding struct {
	Target       string              `json:"target"`
	Subject      string              `json:"subject"`
	SubjectLevel string              `json:"subject_level"`
	SubjectName  string              `json:"subject_name"`
	Path         []string            `json:"path"`
	Status       checker.Status      `json:"status"`
	Violations   []checker.Violation `json:"violations"`
	Warnings     []checker.Violation `json:"warnings"`
	Waiver       *checker.Waiver     `json:"waiver"`
	Error        *string             `json:"error"`
	Key          string              `json:"key"`
	// Reason: why a not_evaluated finding was left out, as the checker
	// gave it (Error holds its text); not part of report.json.
	Reason *snapshot.Reason `json:"-"`
}

// TimeFormat is the format of the run's times: RFC 3339 in UTC, seconds.
const TimeFormat = time.RFC3339

// Build assembles the report. It copies what it keeps (but the results
// array when in.GiveResults is set), sorts every list, computes the
// findings with their keys and the summary, and scrubs personal data (see
// the package doc). Delta is left nil: set it with Delta(prev, rep).
func Build(in Inputs) *Report {
	r := &Report{
		APIVersion: APIVersion,
		Kind:       Kind,
		Run: Run{
			ID:          in.RunID,
			StartedAt:   in.StartedAt.UTC().Format(TimeFormat),
			FinishedAt:  in.FinishedAt.UTC().Format(TimeFormat),
			ToolVersion: in.ToolVersion,
			OPAVersion:  in.OPAVersion,
			Snapshot:    in.Snapshot,
			Policies:    Policies{SHA256: in.PoliciesSHA256, Version: in.PoliciesVersion, Targets: len(in.Targets)},
			Shards:      Shards{Count: max(in.Shards, 1)},
			Status:      in.Status,
		},
		Units:       in.Units,
		Goals:       in.Goals,
		Targets:     make([]TargetSummary, 0, len(in.Targets)),
		DataQuality: make([]snapshot.Finding, 0, len(in.DataQuality)),
		Waivers:     checker.WaiverReport{Applied: in.Waivers.Applied},
	}
	for _, t := range in.Targets {
		t.ByUnit = slices.Clone(t.ByUnit)
		if t.ByUnit == nil {
			t.ByUnit = []UnitCount{}
		}
		// checker.Rollup sorts its rows the same way: skip the sort when
		// the rows are in strictly increasing order already (strictly, so
		// that skipping cannot keep an order of equal rows that the
		// unstable sort would have changed).
		if !strictlySorted(t.ByUnit, compareUnits) {
			slices.SortFunc(t.ByUnit, compareUnits)
		}
		r.Targets = append(r.Targets, t)
	}
	slices.SortFunc(r.Targets, func(a, b TargetSummary) int { return cmp.Compare(a.ID, b.ID) })

	// Every result's path is copied into one backing array (each a
	// full slice expression, so that an append to one path cannot reach
	// the next): one allocation instead of one per result. The results
	// are cleaned on every core: at national scale this was half a
	// second on one core between evaluation and rendering.
	n := len(in.Results)
	if in.GiveResults {
		r.Results = in.Results
	} else {
		r.Results = make([]checker.Result, n)
	}
	pathOff := make([]int, n+1)
	for i := range in.Results {
		pathOff[i+1] = pathOff[i] + len(in.Results[i].Path)
	}
	paths := make([]string, pathOff[n])
	eachChunk(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p := paths[pathOff[i]:pathOff[i+1]:pathOff[i+1]]
			copy(p, in.Results[i].Path)
			r.Results[i] = cleanResult(in.Results[i], p)
		}
	})
	nfind := 0
	var tally checker.Counts
	for i := range r.Results {
		tally.Add(r.Results[i].Status)
		if isFinding(r.Results[i].Status) {
			nfind++
		}
	}
	r.Summary.Subjects, r.Summary.Pass, r.Summary.Fail, r.Summary.Waived = tally.Total, tally.Pass, tally.Fail, tally.Waived
	r.Summary.Skipped, r.Summary.Error, r.Summary.NotEvaluated = tally.Skipped, tally.Error, tally.NotEvaluated
	// The checker returns its results sorted already. Checking that is
	// one pass; a stable sort makes several even over sorted input, and
	// leaves sorted input as it is, so skipping it changes nothing.
	if !slices.IsSortedFunc(r.Results, compareResults) {
		slices.SortStableFunc(r.Results, compareResults)
	}
	r.Findings = make([]Finding, 0, nfind)
	from := make([]int, 0, nfind) // the result of each finding, for its key
	for i := range r.Results {
		res := &r.Results[i]
		if !isFinding(res.Status) {
			continue
		}
		r.Findings = append(r.Findings, Finding{
			Target: res.Target, Subject: res.Subject, SubjectLevel: res.SubjectLevel,
			SubjectName: res.SubjectName, Path: res.Path, Status: res.Status,
			Violations: res.Violations, Warnings: res.Warnings, Waiver: res.Waiver,
			Error: res.Error, Reason: res.Reason,
		})
		from = append(from, i)
	}
	eachChunk(len(r.Findings), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r.Findings[i].Key = Key(r.Results[from[i]])
		}
	})

	for _, f := range in.DataQuality {
		f = scrubFinding(f)
		r.DataQuality = append(r.DataQuality, f)
		switch f.Severity {
		case snapshot.SeverityFatal:
			r.Summary.DataQuality.Fatal++
		case snapshot.SeverityError:
			r.Summary.DataQuality.Error++
		case snapshot.SeverityWarning:
			r.Summary.DataQuality.Warning++
		}
	}
	// Skipped when sorted already, as above.
	if !slices.IsSortedFunc(r.DataQuality, compareDQ) {
		slices.SortStableFunc(r.DataQuality, compareDQ)
	}

	r.Waivers.Expired = sortedWaivers(in.Waivers.Expired)
	r.Waivers.Unused = sortedWaivers(in.Waivers.Unused)

	r.Inventory = json.RawMessage("{}")
	if in.Inventory != nil {
		if raw, err := canonical(in.Inventory); err == nil && !bytes.Equal(raw, []byte("null")) {
			r.Inventory = raw
		}
	}
	return r
}

// eachChunk calls f on [0, n) cut in chunks, one goroutine per core (f
// must be safe to call on disjoint ranges at once); a short range is one
// call on the caller's goroutine.
func eachChunk(n int, f func(lo, hi int)) {
	const minChunk = 4096
	parts := min(runtime.GOMAXPROCS(0), n/minChunk)
	if parts <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := range parts {
		wg.Go(func() { f(n*k/parts, n*(k+1)/parts) })
	}
	wg.Wait()
}

func compareUnits(a, b UnitCount) int {
	return cmp.Or(cmp.Compare(levelRank(a.Level), levelRank(b.Level)), cmp.Compare(a.UnitID, b.UnitID))
}

func compareDQ(a, b snapshot.Finding) int {
	return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.File, b.File), cmp.Compare(a.Row, b.Row),
		cmp.Compare(a.Column, b.Column), cmp.Compare(a.Code, b.Code), cmp.Compare(a.Message, b.Message))
}

// strictlySorted reports whether every element of s compares less than
// the next.
func strictlySorted[T any](s []T, compare func(a, b T) int) bool {
	for i := 1; i < len(s); i++ {
		if compare(s[i-1], s[i]) >= 0 {
			return false
		}
	}
	return true
}

// isFinding reports whether a result with status s is a finding: neither
// pass nor skipped.
func isFinding(s checker.Status) bool {
	return s != checker.StatusPass && s != checker.StatusSkipped
}

func compareResults(a, b checker.Result) int {
	return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.Subject, b.Subject))
}

func levelRank(l string) int {
	if r := snapshot.Level(l).Rank(); r >= 0 {
		return r
	}
	return len(snapshot.Levels())
}

func sortedWaivers(ws []checker.Waiver) []checker.Waiver {
	out := slices.Clone(ws)
	if out == nil {
		out = []checker.Waiver{}
	}
	slices.SortFunc(out, func(a, b checker.Waiver) int {
		return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.Unit, b.Unit), cmp.Compare(a.Expires, b.Expires),
			cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.ApprovedBy, b.ApprovedBy))
	})
	return out
}

// cleanResult returns a copy with no nil lists or maps (the JSON has [] and
// {}) and with personal keys removed from violation details. path is the
// copy of r.Path to keep.
func cleanResult(r checker.Result, path []string) checker.Result {
	r.Path = nonNil(path)
	r.Violations = cleanViolations(r.Violations)
	r.Warnings = cleanViolations(r.Warnings)
	return r
}

func cleanViolations(vs []checker.Violation) []checker.Violation {
	out := make([]checker.Violation, 0, len(vs))
	for _, v := range vs {
		v.Refs = nonNil(slices.Clone(v.Refs))
		d, _ := scrub(v.Details).(map[string]any)
		if d == nil {
			d = map[string]any{}
		}
		v.Details = d
		out = append(out, v)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// personalKeys are detail keys whose values never reach an output, at any
// depth: a policy that puts a person's name, phone or needs text into
// details loses it here. Keys compare case-insensitively.
var personalKeys = []string{
	"name", "full_name", "fullname", "ho_ten", "phone", "phone_number", "mobile", "sdt", "so_dien_thoai",
	"needs", "nhu_cau", "address", "dia_chi", "email", "birth_date", "date_of_birth", "id_card", "cccd",
}

func isPersonalKey(k string) bool {
	k = strings.ToLower(k)
	return slices.Contains(personalKeys, k)
}

// PersonalKeys returns the detail keys that never reach an output (in
// lower case; keys compare case-insensitively), a new slice at each call.
func PersonalKeys() []string { return slices.Clone(personalKeys) }

// scrub deep-copies a JSON-like value, dropping personal keys from maps.
func scrub(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if !isPersonalKey(k) {
				out[k] = scrub(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = scrub(e)
		}
		return out
	}
	return v
}

// scrubFinding blanks the offending value of findings about member rows or
// the needs column: a shifted row can put a name or phone number there.
func scrubFinding(f snapshot.Finding) snapshot.Finding {
	people := f.Table == snapshot.Members || f.Table == snapshot.Cadres || f.Table == snapshot.Participants
	// The name of a unit or a model is the organisation's, not a person's:
	// a finding on it (DQ008) quotes it, as on any other column of those
	// tables (docs/snapshot-format.md).
	orgName := f.Column == "name" && (f.Table == snapshot.Units || f.Table == snapshot.Models)
	if people || f.Column == "needs" || isPersonalKey(f.Column) && !orgName {
		f.Value = ""
	}
	return f
}

// Key is the stable key of a result's finding: the first 16 hex digits
// (64 bits) of sha256 over target, subject and the sorted violation
// messages, NUL-separated. The same problem keeps its key from run to run
// while its messages stay the same; a collision within one report would
// need about 2^32 findings.
func Key(r checker.Result) string {
	// Hashed in one call over a buffer on the stack, with no copy of the
	// messages unless there are several to sort: Build and ResultsParquet
	// compute a key for every finding and every result.
	var msgs []string
	switch len(r.Violations) {
	case 0:
	case 1:
		msgs = []string{r.Violations[0].Msg}
	default:
		msgs = make([]string, 0, len(r.Violations))
		for _, v := range r.Violations {
			msgs = append(msgs, v.Msg)
		}
		slices.Sort(msgs)
	}
	var stack [512]byte
	buf := append(stack[:0], r.Target...)
	buf = append(buf, 0)
	buf = append(buf, r.Subject...)
	for _, m := range msgs {
		buf = append(buf, 0)
		buf = append(buf, m...)
	}
	sum := sha256.Sum256(buf)
	var key [16]byte
	hex.Encode(key[:], sum[:8])
	return string(key[:])
}

// JSON returns report.json: compact (one line: at national scale it holds
// hundreds of thousands of findings, and indentation would add 40% to the
// bytes and the time), HTML characters unescaped, ending in a newline. The
// same report gives the same bytes. Use `jq .` to read it.
//
// The bytes are encoding/json's encoding of r (TestJSONStreamedSameBytes),
// made a value at a time: each target, finding and delta entry is encoded
// on its own and appended to one buffer sized up front (jsonSizeHint).
// Encoding r in one call built the whole document (126 MB at national
// scale) in encoding/json's own buffer, grown by doubling, and then copied
// it: twice the memory and a quarter of the time.
func JSON(r *Report) ([]byte, error) {
	a := newJSONAppender(make([]byte, 0, jsonSizeHint(r)))
	a.report(r)
	a.raw("\n")
	if a.err != nil {
		return nil, fmt.Errorf("encode report.json: %w", a.err)
	}
	return a.buf, nil
}

// WriteJSON writes report.json (the bytes JSON returns) to w as it is
// encoded, jsonFlushAt bytes at a time: the publisher streams it to
// storage instead of holding its 126 MB (national scale) whole.
func WriteJSON(w io.Writer, r *Report) error {
	a := newJSONAppender(make([]byte, 0, jsonFlushAt+64<<10))
	a.out = w
	a.report(r)
	a.raw("\n")
	a.flush()
	if a.err != nil {
		return fmt.Errorf("encode report.json: %w", a.err)
	}
	return nil
}

// jsonFlushAt is how many bytes a jsonAppender with an out writer holds
// before it writes them (between two elements of a list).
const jsonFlushAt = 256 << 10

// jsonAppender appends JSON values to buf as encoding/json encodes them
// (HTML characters unescaped), without the newline json.Encoder ends each
// value with. The first error is kept in err; later calls do nothing.
type jsonAppender struct {
	buf []byte
	enc *json.Encoder
	err error
	out io.Writer // when set, buf is written to it by flush
}

// flush writes buf to out and empties it (nothing without out).
func (a *jsonAppender) flush() {
	if a.out == nil || a.err != nil {
		return
	}
	_, a.err = a.out.Write(a.buf)
	a.buf = a.buf[:0]
}

func newJSONAppender(buf []byte) *jsonAppender {
	a := &jsonAppender{buf: buf}
	a.enc = json.NewEncoder(a)
	a.enc.SetEscapeHTML(false)
	return a
}

// Write receives one value from the encoder (Encode writes each value,
// with its newline, in one call).
func (a *jsonAppender) Write(p []byte) (int, error) {
	a.buf = append(a.buf, bytes.TrimSuffix(p, []byte("\n"))...)
	return len(p), nil
}

// raw appends s as it is.
func (a *jsonAppender) raw(s string) { a.buf = append(a.buf, s...) }

// value appends v encoded.
func (a *jsonAppender) value(v any) {
	if a.err == nil {
		a.err = a.enc.Encode(v)
	}
}

// jsonArray appends s as encoding/json encodes a slice (null when nil), an
// element at a time.
func jsonArray[T any](a *jsonAppender, s []T) {
	if s == nil {
		a.raw("null")
		return
	}
	a.raw("[")
	for i := range s {
		if i > 0 {
			a.raw(",")
		}
		a.value(&s[i])
		if len(a.buf) >= jsonFlushAt {
			a.flush()
		}
	}
	a.raw("]")
}

// report appends r as encoding/json encodes a Report: its fields in order,
// under their json names (TestJSONFieldsStreamed holds the list to the
// struct's), the long lists an element at a time.
func (a *jsonAppender) report(r *Report) {
	a.raw(`{"apiVersion":`)
	a.value(r.APIVersion)
	a.raw(`,"kind":`)
	a.value(r.Kind)
	a.raw(`,"run":`)
	a.value(&r.Run)
	a.raw(`,"summary":`)
	a.value(&r.Summary)
	a.raw(`,"targets":`)
	jsonArray(a, r.Targets)
	a.raw(`,"findings":`)
	jsonArray(a, r.Findings)
	a.raw(`,"inventory":`)
	a.value(r.Inventory)
	a.raw(`,"data_quality":`)
	jsonArray(a, r.DataQuality)
	a.raw(`,"waivers":`)
	a.value(&r.Waivers)
	if d := r.Delta; d != nil {
		a.raw(`,"delta":{"previous_run":`)
		a.value(d.PreviousRun)
		a.raw(`,"previous_as_of":`)
		a.value(d.PreviousAsOf)
		a.raw(`,"policies_changed":`)
		a.value(d.PoliciesChanged)
		a.raw(`,"new":`)
		jsonArray(a, d.New)
		a.raw(`,"resolved":`)
		jsonArray(a, d.Resolved)
		a.raw(`,"merged":`)
		jsonArray(a, d.Merged)
		a.raw(`,"by_target":`)
		jsonArray(a, d.ByTarget)
		a.raw("}")
	}
	a.raw("}")
}

// jsonSizeHint guesses the size of report.json so that its buffer grows
// once at most instead of doubling (and copying) a dozen times: a fixed
// part for the header, targets and inventory, plus each finding's
// strings and punctuation.
func jsonSizeHint(r *Report) int {
	n := 64<<10 + len(r.Inventory) + 256*len(r.DataQuality)
	for i := range r.Targets {
		n += 512 + 160*len(r.Targets[i].ByUnit)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		n += 220 + len(f.Target) + len(f.Subject) + len(f.SubjectLevel) + len(f.SubjectName)
		for _, p := range f.Path {
			n += 3 + len(p)
		}
		for _, v := range f.Violations {
			n += 48 + len(v.Msg) + 24*len(v.Details)
			for _, ref := range v.Refs {
				n += 3 + len(ref)
			}
		}
	}
	return n
}

// Parse reads a report.json.
func Parse(data []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("parse report.json: %w", err)
	}
	if r.APIVersion != APIVersion || r.Kind != Kind {
		return nil, fmt.Errorf("parse report.json: apiVersion %q kind %q, want %q %q", r.APIVersion, r.Kind, APIVersion, Kind)
	}
	return &r, nil
}

// canonical marshals v with object keys sorted at every depth (a struct's
// field order included), so that the same content gives the same bytes.
func canonical(v any) ([]byte, error) {
	raw, err := marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return marshal(tree)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
