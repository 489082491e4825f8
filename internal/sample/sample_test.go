package sample

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// small is the national profile at the scale tests use.
var small = Options{Profile: ProfileNational, Scale: 0.01}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func TestSameSeedSameBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"csv", Options{Profile: ProfileNational, Scale: 0.001, Seed: 9}},
		{"parquet", Options{Profile: ProfileNational, Scale: 0.001, Seed: 9, Format: FormatParquet}},
		{"xlsx", Options{Profile: ProfileNational, Scale: 0.0003, Seed: 9, Format: FormatXLSX}},
		{"reform defects csv", Options{Profile: ProfileNational, Scale: 0.001, Seed: 9, Reform: true, Defects: 0.001}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			if _, err := Write(ctx, a, tc.o); err != nil {
				t.Fatal(err)
			}
			if _, err := Write(ctx, b, tc.o); err != nil {
				t.Fatal(err)
			}
			fa, fb := readDir(t, a), readDir(t, b)
			if len(fa) < 8 {
				t.Fatalf("only %d files", len(fa))
			}
			for name := range fa {
				if !bytes.Equal(fa[name], fb[name]) {
					t.Errorf("%s differs between two runs with the same seed", name)
				}
			}
			other := tc.o
			other.Seed++
			c := t.TempDir()
			if _, err := Write(ctx, c, other); err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(fa["members."+tc.o.format()], readDir(t, c)["members."+tc.o.format()]) {
				t.Error("another seed gave the same members")
			}
		})
	}
}

func TestManifest(t *testing.T) {
	t.Parallel()
	fsys, err := FS(context.Background(), Options{Profile: ProfileNational, Scale: 0.001, Reform: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(fsys, "snapshot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: vungmanh/v1
kind: Snapshot
name: vietnam
title: Trung ương Hội LHPN Việt Nam
asOf: 2025-09-30
tables:
  units: units.parquet
  members: members.parquet
  cadres: cadres.parquet
  models: models.parquet
  participants: participants.parquet
  ratings: ratings.parquet
  activities: activities.parquet
  lineage: lineage.parquet
`
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("snapshot.yaml (-want +got):\n%s", d)
	}
}

// TestParquetTypes reads the written Parquet files back with a checked
// allocator: typed columns, row groups, and the row counts of the summary.
func TestParquetTypes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sum, err := Write(context.Background(), dir, Options{Profile: ProfileNational, Scale: 0.005, Format: FormatParquet})
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	wantTypes := map[string]arrow.DataType{
		"members.joined_on":    arrow.FixedWidthTypes.Date32,
		"members.pioneer":      arrow.FixedWidthTypes.Boolean,
		"members.needs":        arrow.BinaryTypes.String,
		"cadres.strong_fields": arrow.ListOf(arrow.BinaryTypes.String),
		"ratings.year":         arrow.PrimitiveTypes.Int64,
		"ratings.score":        arrow.PrimitiveTypes.Float64,
		"activities.attendees": arrow.PrimitiveTypes.Int64,
	}
	for _, tb := range []snapshot.Table{snapshot.Members, snapshot.Cadres, snapshot.Ratings, snapshot.Activities} {
		t.Run(string(tb), func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, string(tb)+".parquet"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			pf, err := file.NewParquetReader(f)
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			if tb == snapshot.Members && pf.NumRowGroups() < 2 {
				t.Errorf("members: %d row groups, want several of %d rows", pf.NumRowGroups(), parquetBatch)
			}
			fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
			if err != nil {
				t.Fatal(err)
			}
			tbl, err := fr.ReadTable(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			if tbl.NumRows() != sum.Rows[tb] {
				t.Errorf("%d rows, summary says %d", tbl.NumRows(), sum.Rows[tb])
			}
			for i, fld := range tbl.Schema().Fields() {
				want, ok := wantTypes[string(tb)+"."+fld.Name]
				if ok && !arrow.TypeEqual(want, fld.Type) {
					t.Errorf("column %d %s: type %s, want %s", i, fld.Name, fld.Type, want)
				}
			}
		})
	}
}

func TestXLSX(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sum, err := Write(context.Background(), dir, Options{Profile: ProfileNational, Scale: 0.0003, Format: FormatXLSX})
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenFile(filepath.Join(dir, "ratings.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("ratings")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(columns(snapshot.Ratings, false), rows[0]); d != "" {
		t.Errorf("header (-want +got):\n%s", d)
	}
	if int64(len(rows)-1) != sum.Rows[snapshot.Ratings] {
		t.Errorf("%d rows, summary says %d", len(rows)-1, sum.Rows[snapshot.Ratings])
	}
	if _, err := Write(context.Background(), t.TempDir(), Options{Profile: ProfileNational, Scale: 0.06, Format: FormatXLSX}); err == nil {
		t.Error("national 0.06 as xlsx: want an error (members do not fit a sheet)")
	}
}

func TestHungYenStructure(t *testing.T) {
	t.Parallel()
	dir := hungYenDir(t)
	tr := readTree(t, dir)
	levels := map[string]int{}
	for _, l := range tr.level {
		levels[l]++
	}
	lineage := readCSV(t, dir, "lineage")
	succ := map[string]bool{}
	for _, l := range lineage {
		if tr.level[l["successor_id"]] == "" {
			t.Errorf("lineage successor %q is not a unit", l["successor_id"])
		}
		if tr.level[l["successor_id"]] == "commune" {
			succ[l["successor_id"]] = true
		}
	}
	got := map[string]int{"province": levels["province"], "district": levels["district"], "commune": levels["commune"],
		"communes with predecessors": len(succ), "lineage": len(lineage)}
	want := map[string]int{"province": 1, "district": 0, "commune": 65, "communes with predecessors": 65, "lineage": 1 + 242 + 8}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("hung-yen (-want +got):\n%s", d)
	}
}

func TestDefectsSummary(t *testing.T) {
	t.Parallel()
	for _, format := range []string{FormatCSV, FormatParquet, FormatXLSX} {
		t.Run(format, func(t *testing.T) {
			sum, err := Write(context.Background(), t.TempDir(), Options{Profile: ProfileNational, Scale: 0.0003, Defects: 0.002, Format: format})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range injectable(format) {
				if sum.Defects[c] == 0 {
					t.Errorf("%s not injected: %v", c, sum.Defects)
				}
			}
		})
	}
}

// injectable lists the codes a format can carry (DQ001 is never injected).
func injectable(format string) []snapshot.Code {
	codes := []snapshot.Code{snapshot.DQDuplicate, snapshot.DQUnknownRef, snapshot.DQCycle, snapshot.DQNesting,
		snapshot.DQEnum, snapshot.DQType, snapshot.DQNormalised, snapshot.DQIgnored}
	if format != FormatParquet {
		codes = append(codes, snapshot.DQFieldCount)
	}
	return codes
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url    string
		want   Options
		sample bool
		err    bool
	}{
		{url: "gs://bucket/prefix"},
		{url: "./snap"},
		{url: "sample://thai-binh-2024", want: Options{Profile: ProfileThaiBinh, Seed: DefaultSeed}, sample: true},
		{url: "SAMPLE://hung-yen-2026?seed=4", want: Options{Profile: ProfileHungYen, Seed: 4}, sample: true},
		{url: "sample://national?scale=0.1&seed=2&defects=0.01", want: Options{Profile: ProfileNational, Scale: 0.1, Seed: 2, Defects: 0.01}, sample: true},
		{url: "sample://national?reform=true&format=parquet", want: Options{Profile: ProfileNational, Reform: true, Format: FormatParquet, Seed: DefaultSeed}, sample: true},
		{url: "sample://nowhere", sample: true, err: true},
		{url: "sample://national?scale=x", sample: true, err: true},
		{url: "sample://national?scale=-1", sample: true, err: true},
		{url: "sample://thai-binh-2024?scale=2", sample: true, err: true},
		{url: "sample://national?colour=red", sample: true, err: true},
		{url: "sample://national?format=ods", sample: true, err: true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			got, ok, err := ParseURL(tc.url)
			if ok != tc.sample || (err != nil) != tc.err {
				t.Fatalf("ParseURL(%q) = _, %v, %v; want sample %v, error %v", tc.url, ok, err, tc.sample, tc.err)
			}
			if d := cmp.Diff(tc.want, got); d != "" && !tc.err {
				t.Errorf("options (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"sample://national?scale=0.1&seed=2", "sample://thai-binh-2024", "gs://x/y", "sample://%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		o, ok, err := ParseURL(u)
		if err == nil && ok {
			if verr := o.Validate(); verr != nil {
				t.Fatalf("ParseURL(%q) accepted invalid options: %v", u, verr)
			}
		}
		if !ok && err != nil {
			t.Fatalf("ParseURL(%q): error for a non-sample URL: %v", u, err)
		}
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, t.TempDir(), small); err == nil {
		t.Error("want an error from a cancelled context")
	}
}
