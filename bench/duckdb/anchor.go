package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" database/sql driver
	"gopkg.in/yaml.v3"
)

// Snapshot is what the anchor needs of a snapshot folder: its as_of day and
// the Parquet file of each table it reads.
type Snapshot struct {
	AsOf  string            // YYYY-MM-DD
	Files map[string]string // table -> file path
}

// ReadSnapshot reads dir/snapshot.yaml. Only Parquet tables are accepted
// (the anchor reads the files bench/run.sh makes).
func ReadSnapshot(dir string) (*Snapshot, error) {
	name := filepath.Join(dir, "snapshot.yaml")
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m struct {
		AsOf   string               `yaml:"asOf"`
		Tables map[string]yaml.Node `yaml:"tables"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	if _, err := time.Parse(time.DateOnly, m.AsOf); err != nil {
		return nil, fmt.Errorf("%s: asOf %q is not a YYYY-MM-DD day", name, m.AsOf)
	}
	s := &Snapshot{AsOf: m.AsOf, Files: map[string]string{}}
	for _, t := range []string{"units", "models", "members"} {
		n, ok := m.Tables[t]
		if !ok {
			return nil, fmt.Errorf("%s: no %s table (the anchor needs units, models and members)", name, t)
		}
		var path string
		if n.Kind == yaml.ScalarNode {
			path = n.Value
		} else {
			var o struct {
				Path string `yaml:"path"`
			}
			if err := n.Decode(&o); err != nil {
				return nil, fmt.Errorf("%s: table %s: %w", name, t, err)
			}
			path = o.Path
		}
		if !strings.HasSuffix(path, ".parquet") {
			return nil, fmt.Errorf("%s: table %s is %q: the anchor reads Parquet files only", name, t, path)
		}
		s.Files[t] = filepath.Join(dir, filepath.FromSlash(path))
	}
	return s, nil
}

// quote makes s a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Verdicts are the TB-01 and TB-02 verdicts of every subject (active
// commune), by commune id.
type Verdicts struct {
	OnePlusOne map[string]bool // TB-01: pass
	ThreeHas   map[string]bool // TB-02: pass
}

// targetsSQL computes TB-01 and TB-02 as the policies state them
// (policies/tb01_one_plus_one.rego, tb02_three_has_three_knows.rego and
// lib.has_active_model): a subject is an active commune; it passes when a
// model of the type, with status active (absent = active) and launched on or
// before as_of (absent = counted), was built by an active unit of its
// subtree (the commune itself or a descendant, found by a recursive CTE over
// parent_id).
const targetsSQL = `
WITH RECURSIVE
u AS (
	SELECT unit_id, parent_id, level, coalesce(active, true) AS active
	FROM read_parquet(%[1]s)
	%[4]s
),
tree(unit_id, commune_id, depth) AS (
	SELECT unit_id, unit_id, 0 FROM u WHERE level = 'commune'
	UNION ALL
	SELECT c.unit_id, t.commune_id, t.depth + 1
	FROM u c JOIN tree t ON c.parent_id = t.unit_id
	WHERE c.level <> 'commune' AND t.depth < 8
),
m AS (
	SELECT unit_id, type
	FROM read_parquet(%[2]s)
	WHERE type IN ('one_plus_one', 'three_has_three_knows')
	  AND coalesce(status, 'active') = 'active'
	  AND (launched_on IS NULL OR CAST(launched_on AS DATE) <= DATE %[3]s)
),
hits AS (
	SELECT t.commune_id,
	       bool_or(m.type = 'one_plus_one') AS tb01,
	       bool_or(m.type = 'three_has_three_knows') AS tb02
	FROM m
	JOIN u ON u.unit_id = m.unit_id AND u.active
	JOIN tree t ON t.unit_id = m.unit_id
	GROUP BY t.commune_id
)
SELECT u.unit_id, coalesce(h.tb01, false), coalesce(h.tb02, false)
FROM u LEFT JOIN hits h ON h.commune_id = u.unit_id
WHERE u.level = 'commune' AND u.active
`

// currentSQL keeps the unit versions valid on as_of (the units; the
// others are history, never subjects and never in a subtree).
const currentSQL = `WHERE (valid_from IS NULL OR CAST(valid_from AS DATE) <= DATE %[1]s)
	  AND (valid_to IS NULL OR CAST(valid_to AS DATE) >= DATE %[1]s)`

// Targets runs targetsSQL.
func Targets(ctx context.Context, db *sql.DB, s *Snapshot) (*Verdicts, error) {
	var versions int
	err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM parquet_schema(%s) WHERE name IN ('valid_from', 'valid_to')",
		quote(s.Files["units"]))).Scan(&versions)
	if err != nil {
		return nil, fmt.Errorf("read the units' schema: %w", err)
	}
	current := ""
	if versions == 2 {
		current = fmt.Sprintf(currentSQL, quote(s.AsOf))
	} else if versions == 1 {
		return nil, fmt.Errorf("%s: units have one of valid_from and valid_to: the anchor reads both or neither", s.Files["units"])
	}
	q := fmt.Sprintf(targetsSQL, quote(s.Files["units"]), quote(s.Files["models"]), quote(s.AsOf), current)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("query TB-01 and TB-02: %w", err)
	}
	defer rows.Close()
	v := &Verdicts{OnePlusOne: map[string]bool{}, ThreeHas: map[string]bool{}}
	for rows.Next() {
		var id string
		var tb01, tb02 bool
		if err := rows.Scan(&id, &tb01, &tb02); err != nil {
			return nil, fmt.Errorf("read TB-01 and TB-02: %w", err)
		}
		v.OnePlusOne[id], v.ThreeHas[id] = tb01, tb02
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read TB-01 and TB-02: %w", err)
	}
	return v, nil
}

// MemberStats is the result of one pass over the members table.
type MemberStats struct {
	Rows  int64 // member rows
	Units int64 // units with members
	// Sums over all units of the per-unit statistics (the statistics
	// input.members carries: honorary, party_member, pioneer, hardship,
	// hardship and needs recorded, joined in the 12 months to as_of).
	Honorary, PartyMember, Pioneer, Hardship, HardshipRecorded, NeedsRecorded, JoinedLastYear int64
}

// membersSQL is one pass over every member row: the per-unit statistics,
// then their sums (the per-unit rows stay inside DuckDB, as they would feed
// a rollup).
const membersSQL = `
WITH per_unit AS (
	SELECT unit_id,
	       count(*) AS total,
	       count(*) FILTER (WHERE honorary) AS honorary,
	       count(*) FILTER (WHERE party_member) AS party_member,
	       count(*) FILTER (WHERE pioneer) AS pioneer,
	       count(*) FILTER (WHERE hardship) AS hardship,
	       count(hardship) AS hardship_recorded,
	       count(needs) AS needs_recorded,
	       count(*) FILTER (WHERE CAST(joined_on AS DATE) > DATE %[2]s - INTERVAL 12 MONTH
	                          AND CAST(joined_on AS DATE) <= DATE %[2]s) AS joined
	FROM read_parquet(%[1]s)
	GROUP BY unit_id
)
SELECT coalesce(sum(total), 0), count(*), coalesce(sum(honorary), 0), coalesce(sum(party_member), 0),
       coalesce(sum(pioneer), 0), coalesce(sum(hardship), 0), coalesce(sum(hardship_recorded), 0),
       coalesce(sum(needs_recorded), 0), coalesce(sum(joined), 0)
FROM per_unit
`

// Members runs membersSQL.
func Members(ctx context.Context, db *sql.DB, s *Snapshot) (*MemberStats, error) {
	q := fmt.Sprintf(membersSQL, quote(s.Files["members"]), quote(s.AsOf))
	var m MemberStats
	err := db.QueryRowContext(ctx, q).Scan(&m.Rows, &m.Units, &m.Honorary, &m.PartyMember, &m.Pioneer,
		&m.Hardship, &m.HardshipRecorded, &m.NeedsRecorded, &m.JoinedLastYear)
	if err != nil {
		return nil, fmt.Errorf("query the members pass: %w", err)
	}
	return &m, nil
}

// Report is what Check reads of our report.json.
type Report struct {
	Targets []struct {
		ID    string `json:"id"`
		Total int    `json:"total"`
		Pass  int    `json:"pass"`
	} `json:"targets"`
	Findings []struct {
		Target  string `json:"target"`
		Subject string `json:"subject"`
		Status  string `json:"status"`
	} `json:"findings"`
	Inventory struct {
		Members struct {
			Total int64 `json:"total"`
		} `json:"members"`
	} `json:"inventory"`
}

// ReadReport reads a report.json.
func ReadReport(name string) (*Report, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("parse report %s: %w", name, err)
	}
	return &r, nil
}

// Check compares the anchor's results with our report: for TB-01 and TB-02
// the subject count, the pass count and the failing subjects (the report's
// findings of the target that are not skipped); for the members pass, the
// member rows against the report's inventory. It returns one line per
// difference.
func Check(r *Report, v *Verdicts, m *MemberStats) []string {
	var diffs []string
	for _, t := range []struct {
		id   string
		pass map[string]bool
	}{{"TB-01", v.OnePlusOne}, {"TB-02", v.ThreeHas}} {
		i := slices.IndexFunc(r.Targets, func(x struct {
			ID    string `json:"id"`
			Total int    `json:"total"`
			Pass  int    `json:"pass"`
		}) bool {
			return x.ID == t.id
		})
		if i < 0 {
			diffs = append(diffs, fmt.Sprintf("%s: not in our report", t.id))
			continue
		}
		pass := 0
		var fails []string
		for id, ok := range t.pass {
			if ok {
				pass++
			} else {
				fails = append(fails, id)
			}
		}
		if got := r.Targets[i]; got.Total != len(t.pass) || got.Pass != pass {
			diffs = append(diffs, fmt.Sprintf("%s: DuckDB %d subjects, %d pass; ours %d subjects, %d pass", t.id, len(t.pass), pass, got.Total, got.Pass))
		}
		var ours []string
		for _, f := range r.Findings {
			if f.Target == t.id && f.Status != "skipped" {
				ours = append(ours, f.Subject)
			}
		}
		slices.Sort(fails)
		slices.Sort(ours)
		for _, id := range minus(fails, ours) {
			diffs = append(diffs, fmt.Sprintf("%s %s: DuckDB fail, ours not a finding", t.id, id))
		}
		for _, id := range minus(ours, fails) {
			diffs = append(diffs, fmt.Sprintf("%s %s: ours a finding, DuckDB not a failing subject", t.id, id))
		}
	}
	if m.Rows != r.Inventory.Members.Total {
		diffs = append(diffs, fmt.Sprintf("members: DuckDB %d rows, ours %d", m.Rows, r.Inventory.Members.Total))
	}
	return diffs
}

// minus returns the elements of sorted a that are not in sorted b.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, ok := slices.BinarySearch(b, s); !ok {
			out = append(out, s)
		}
	}
	return out
}
