package sample

import (
	"context"
	"os"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/loaders"
)

// TestLoadClean loads clean samples through the real loaders: no finding
// at all, and every row kept.
func TestLoadClean(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		o    Options
		dir  bool // written to a folder, else served by FS
	}{
		{"thai-binh csv", Options{Profile: ProfileThaiBinh, Seed: 1}, true},
		{"national parquet FS", Options{Profile: ProfileNational, Scale: 0.003, Seed: 5}, false},
		{"national csv", Options{Profile: ProfileNational, Scale: 0.01, Seed: 2}, true},
		{"national reform xlsx", Options{Profile: ProfileNational, Scale: 0.0003, Reform: true, Format: FormatXLSX}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var snap *snapshot.Snapshot
			var err error
			if tc.dir {
				dir := t.TempDir()
				if tc.o.Profile == ProfileThaiBinh {
					dir = thaiBinhDir(t) // the same files as TestThaiBinhFigures
				} else if _, err := Write(ctx, dir, tc.o); err != nil {
					t.Fatal(err)
				}
				snap, err = loaders.LoadFS(ctx, os.DirFS(dir), loaders.WithAllocator(mem))
			} else {
				fsys, ferr := FS(ctx, tc.o)
				if ferr != nil {
					t.Fatal(ferr)
				}
				snap, err = loaders.LoadFS(ctx, fsys, loaders.WithAllocator(mem))
			}
			if err != nil {
				t.Fatal(err)
			}
			defer snap.Release()
			for i, f := range snap.Findings {
				if i < 10 {
					t.Errorf("finding: %+v", f)
				}
			}
			for tb, st := range snap.Stats {
				if st.Excluded != 0 {
					t.Errorf("%s: %d rows excluded", tb, st.Excluded)
				}
			}
			if n := snap.Table(snapshot.Units).NumRows(); n < 100 {
				t.Errorf("only %d units loaded", n)
			}
		})
	}
}

// TestLoadDefects loads samples with defects: every injected code is found.
func TestLoadDefects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, format := range []string{FormatCSV, FormatParquet, FormatXLSX} {
		t.Run(format, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			sum, err := Write(ctx, dir, Options{Profile: ProfileNational, Scale: 0.0003, Seed: 4, Defects: 0.002, Format: format})
			if err != nil {
				t.Fatal(err)
			}
			snap, err := loaders.LoadFS(ctx, os.DirFS(dir), loaders.WithAllocator(mem), loaders.WithMaxBadRows(loaders.Limit{Share: 0.5, IsShare: true}))
			if err != nil {
				t.Fatal(err)
			}
			defer snap.Release()
			found := map[snapshot.Code]int{}
			for _, f := range snap.Findings {
				found[f.Code]++
			}
			for c, n := range sum.Defects {
				if n > 0 && found[c] == 0 {
					t.Errorf("%s injected %d times, never found (found %v)", c, n, found)
				}
			}
			if found[snapshot.DQManifest] != 0 {
				t.Errorf("DQ001 found: %v", found)
			}
		})
	}
}
