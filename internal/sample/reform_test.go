package sample

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/loaders"
)

// loadSample loads the sample of o (CSV, in memory) and fails on any
// data-quality finding.
func loadSample(t *testing.T, o Options) *snapshot.Snapshot {
	t.Helper()
	o.Format = FormatCSV
	fsys, err := FS(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	snap, err := loaders.LoadFS(context.Background(), fsys, loaders.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		snap.Release()
		mem.AssertSize(t, 0)
	})
	if len(snap.Findings) != 0 {
		t.Fatalf("%d findings: %v", len(snap.Findings), snap.Findings[:min(5, len(snap.Findings))])
	}
	return snap
}

type unitRow struct{ id, parent, level, name string }

func unitRows(snap *snapshot.Snapshot) []unitRow {
	units := snap.Table(snapshot.Units)
	ids, parents := snapshot.Strings(snapshot.Column(units, "unit_id")), snapshot.Strings(snapshot.Column(units, "parent_id"))
	levels, names := snapshot.Strings(snapshot.Column(units, "level")), snapshot.Strings(snapshot.Column(units, "name"))
	out := make([]unitRow, ids.Len())
	for i := range out {
		out[i] = unitRow{ids.Value(i), parents.Value(i), levels.Value(i), names.Value(i)}
	}
	return out
}

// The post-reform national sample is a versioned export of the pre-reform
// one at the same scale and seed: it loads with no finding; the current
// units are the 34 provinces under the state's codes (those present at the
// scale) with the scaled number of communes directly under them, no
// district, every branch of the pre-reform sample with its id; each commune
// reuses the code of one of its predecessors; every province, district and
// commune of the pre-reform sample is a history version; lineage has every
// kind, names every old unit, and links the old provinces as the reform
// did; the old communes' ratings of 2023 and 2024 are on history.
func TestNationalReform(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scale               float64
		provinces, communes int
		// everyKind: lineage has every kind; succOf: old province -> new
		// code (at a scale that keeps them).
		everyKind bool
		succOf    map[string]string
	}{
		{scale: 0.001, provinces: 9, communes: 9}, // 11 old provinces with one commune each
		{scale: 0.02, provinces: 34, communes: 66, everyKind: true, succOf: map[string]string{"thai-binh": "33", "hung-yen": "33", "yen-bai": "15", "lao-cai": "15",
			"binh-duong": "79", "ba-ria-vung-tau": "79", "tp-ho-chi-minh": "79", "thua-thien-hue": "46", "ha-noi": "01"}},
	} {
		t.Run(fmt.Sprint(tc.scale), func(t *testing.T) {
			t.Parallel()
			before := unitRows(loadSample(t, Options{Profile: ProfileNational, Scale: tc.scale, Seed: 3}))
			snap := loadSample(t, Options{Profile: ProfileNational, Scale: tc.scale, Seed: 3, Reform: true})
			if snap.Manifest.AsOf != "2025-09-30" || snap.Versions == nil {
				t.Fatalf("asOf %s, versions %v", snap.Manifest.AsOf, snap.Versions)
			}
			count, oldCount, communes := checkReformUnits(t, snap, before)
			if count["province"] != tc.provinces || count["commune"] != tc.communes {
				t.Errorf("%d provinces, %d communes; want %d and %d", count["province"], count["commune"], tc.provinces, tc.communes)
			}
			hist := checkReformHistory(t, snap, before, communes)
			kinds, succOf := checkReformLineage(t, snap, hist)
			if tc.everyKind {
				for _, want := range snapshot.EnumValues("lineage.kind") {
					if kinds[want] == 0 {
						t.Errorf("no lineage of kind %s (%v)", want, kinds)
					}
				}
			}
			for old, code := range tc.succOf {
				if succOf[old] != code {
					t.Errorf("lineage %s -> %q, want %s", old, succOf[old], code)
				}
			}
			checkReformRatings(t, snap, communes, oldCount["commune"])
		})
	}
}

// checkReformUnits checks the current units of the reform sample: provinces
// under the state's codes, communes under them, no district, every branch
// of the pre-reform sample. It returns the units by level, the pre-reform
// ones by level, and the new communes.
func checkReformUnits(t *testing.T, snap *snapshot.Snapshot, before []unitRow) (count, oldCount map[string]int, communes map[string]bool) {
	t.Helper()
	codes := map[string]string{}
	for _, p := range reformProvinces {
		codes[p.code] = p.name
	}
	count, oldCount, communes = map[string]int{}, map[string]int{}, map[string]bool{}
	branches := map[string]bool{}
	for _, u := range unitRows(snap) {
		count[u.level]++
		switch u.level {
		case "province":
			if codes[u.id] == "" {
				t.Errorf("province %s %s: not a state code", u.id, u.name)
			}
		case "commune":
			communes[u.id] = true
			if codes[u.parent] == "" {
				t.Errorf("commune %s under %s, not under a province", u.id, u.parent)
			}
		case "branch":
			branches[u.id] = true
		}
	}
	for _, u := range before {
		oldCount[u.level]++
		if u.level == "branch" && !branches[u.id] {
			t.Errorf("branch %s of the pre-reform sample is not in the reform sample", u.id)
		}
	}
	if count["district"] != 0 || count["branch"] != oldCount["branch"] {
		t.Errorf("%d districts (want 0), %d branches (want %d)", count["district"], count["branch"], oldCount["branch"])
	}
	return count, oldCount, communes
}

// checkReformHistory checks that every pre-reform unit above the branches
// is a history version ending on 30 June 2025 and that each new commune
// reuses a predecessor's code; it returns the ids of the history versions.
func checkReformHistory(t *testing.T, snap *snapshot.Snapshot, before []unitRow, communes map[string]bool) map[string]bool {
	t.Helper()
	hist := map[string]bool{}
	for _, h := range snap.Versions.History {
		if h.Implicit || h.To.FormattedString() != "2025-06-30" {
			t.Errorf("history %s: implicit %v, valid to %s", h.ID, h.Implicit, h.To.FormattedString())
		}
		hist[h.ID] = true
	}
	for _, u := range before {
		if u.level != "branch" && u.level != "group" && !hist[u.id] {
			t.Errorf("%s %s of the pre-reform sample is not a history version", u.level, u.id)
		}
	}
	for id := range communes {
		if !hist[id] {
			t.Errorf("commune %s does not reuse a predecessor's code", id)
		}
	}
	return hist
}

// checkReformLineage checks that lineage names every history version, and
// returns its rows by kind and each predecessor's successor.
func checkReformLineage(t *testing.T, snap *snapshot.Snapshot, hist map[string]bool) (kinds map[string]int, succOf map[string]string) {
	t.Helper()
	lin := snap.Table(snapshot.Lineage)
	pred, succ := snapshot.Strings(snapshot.Column(lin, "predecessor_id")), snapshot.Strings(snapshot.Column(lin, "successor_id"))
	kind := snapshot.Strings(snapshot.Column(lin, "kind"))
	kinds, succOf = map[string]int{}, map[string]string{}
	named := map[string]bool{}
	for i := range pred.Len() {
		kinds[kind.Value(i)]++
		named[pred.Value(i)] = true
		succOf[pred.Value(i)] = succ.Value(i)
	}
	for id := range hist {
		if !named[id] {
			t.Errorf("history %s: no lineage", id)
		}
	}
	return kinds, succOf
}

// checkReformRatings checks that the old communes' ratings are on history
// versions (at least one per old commune) and none on a new commune.
func checkReformRatings(t *testing.T, snap *snapshot.Snapshot, communes map[string]bool, oldCommunes int) {
	t.Helper()
	rs := snap.Table(snapshot.Ratings)
	ru, ry := snapshot.Strings(snapshot.Column(rs, "unit_id")), snapshot.Column(rs, "year").(interface{ Value(int) int64 })
	onHistory, onNew := 0, 0
	for i := range ru.Len() {
		ver, _, ok := snap.Versions.InYear(ru.Value(i), int(ry.Value(i)))
		switch {
		case ok && ver != snapshot.Current:
			onHistory++
		case communes[ru.Value(i)]:
			onNew++
		}
	}
	if onHistory < oldCommunes || onNew != 0 {
		t.Errorf("%d ratings on history (want at least %d old communes'), %d on new communes (want 0)", onHistory, oldCommunes, onNew)
	}
}

// The 34 provinces come from all 63 old ones, each once, and their commune
// counts add up to the 3,321 of the reform.
func TestReformProvinces(t *testing.T) {
	seen := map[string]bool{}
	n := 0
	for _, p := range reformProvinces {
		n += p.communes
		for _, o := range p.old {
			if seen[o] {
				t.Errorf("%s merged twice", o)
			}
			seen[o] = true
		}
	}
	for _, o := range provinces63 {
		if !seen[o] {
			t.Errorf("%s merged nowhere", o)
		}
	}
	if len(reformProvinces) != 34 || len(seen) != 63 || n != reformCommunes {
		t.Errorf("%d provinces from %d old ones, %d communes", len(reformProvinces), len(seen), n)
	}
}
