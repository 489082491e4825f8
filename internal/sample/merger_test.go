package sample

import (
	"context"
	"os"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/loaders"
)

// The merger profiles load with no finding; after 1 July 2025 the province
// has 104 communes directly under it and no district, each commune reuses
// a predecessor's code, the old units are history, and lineage has every
// kind.
func TestMergerProfiles(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		profile, asOf string
		communes      int
	}{
		{ProfileMergerBefore, "2025-06-30", 242},
		{ProfileMergerAfter, "2025-09-30", 104},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			if _, err := Write(ctx, dir, Options{Profile: tc.profile, Seed: 1}); err != nil {
				t.Fatal(err)
			}
			snap, err := loaders.LoadFS(ctx, os.DirFS(dir), loaders.WithAllocator(mem))
			if err != nil {
				t.Fatal(err)
			}
			defer snap.Release()
			if len(snap.Findings) != 0 {
				t.Fatalf("findings: %v", snap.Findings[:min(5, len(snap.Findings))])
			}
			if snap.Manifest.Name != "hung-yen" || snap.Manifest.AsOf != tc.asOf {
				t.Errorf("manifest %s %s", snap.Manifest.Name, snap.Manifest.AsOf)
			}
			units := snap.Table(snapshot.Units)
			ids, parents, levels := snapshot.Strings(snapshot.Column(units, "unit_id")), snapshot.Strings(snapshot.Column(units, "parent_id")), snapshot.Strings(snapshot.Column(units, "level"))
			count := map[snapshot.Level]int{}
			underProvince := 0
			communeIDs := map[string]bool{}
			for i := range ids.Len() {
				lv := snapshot.Level(levels.Value(i))
				count[lv]++
				if lv == snapshot.LevelCommune {
					communeIDs[ids.Value(i)] = true
					if parents.Value(i) == "33" {
						underProvince++
					}
				}
			}
			if count[snapshot.LevelCommune] != tc.communes {
				t.Errorf("%d communes, want %d", count[snapshot.LevelCommune], tc.communes)
			}
			if tc.profile == ProfileMergerBefore {
				if count[snapshot.LevelDistrict] != 8 || snap.Versions != nil {
					t.Errorf("before: %d districts (want 8), versions %v (want none)", count[snapshot.LevelDistrict], snap.Versions)
				}
				return
			}
			if count[snapshot.LevelDistrict] != 0 || underProvince != 104 {
				t.Errorf("after: %d districts, %d communes under the province", count[snapshot.LevelDistrict], underProvince)
			}
			hist := map[string]bool{}
			for _, h := range snap.Versions.History {
				hist[h.ID] = true
				if h.Implicit {
					t.Errorf("history %s has no row", h.ID)
				}
			}
			for id := range communeIDs {
				if !hist[id] {
					t.Errorf("commune %s does not reuse the code of a predecessor", id)
				}
			}
			if len(hist) != 242+8+1 {
				t.Errorf("%d codes with history, want the 242 old communes, 8 districts and the province", len(hist))
			}
			lin := snap.Table(snapshot.Lineage)
			kinds := map[string]int{}
			k := snapshot.Strings(snapshot.Column(lin, "kind"))
			for i := range k.Len() {
				kinds[k.Value(i)]++
			}
			for _, want := range snapshot.EnumValues("lineage.kind") {
				if kinds[want] == 0 {
					t.Errorf("no lineage of kind %s (%v)", want, kinds)
				}
			}
			// Last year's ratings of the old communes: on history, none
			// on the new communes for 2024.
			rs := snap.Table(snapshot.Ratings)
			ru, ry := snapshot.Strings(snapshot.Column(rs, "unit_id")), snapshot.Column(rs, "year")
			onHistory := 0
			for i := range ru.Len() {
				y := ry.(interface{ Value(int) int64 }).Value(i)
				if ver, _, ok := snap.Versions.InYear(ru.Value(i), int(y)); ok && ver != snapshot.Current && y == 2024 {
					onHistory++
				}
			}
			if onHistory < 200 {
				t.Errorf("%d ratings of 2024 on old communes, want most of 242", onHistory)
			}
		})
	}
}
