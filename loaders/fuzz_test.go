package loaders

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"golang.org/x/text/encoding/unicode"
)

// fuzzLoad loads a snapshot whose units file (or manifest) is data and checks
// the contract: no panic, no leak, every error and finding has a place.
func fuzzLoad(t *testing.T, fsys fstest.MapFS) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	loadContract(t, fsys, mem)
}

// loadContract is fuzzLoad with the allocator given, unchecked.
func loadContract(t *testing.T, fsys fstest.MapFS, mem memory.Allocator) {
	snap, err := LoadFS(context.Background(), fsys, WithAllocator(mem), WithMaxBadRows(Limit{Share: 1, IsShare: true}),
		WithMaxLineBytes(4096), WithMaxDecompressed(1<<20))
	if err != nil {
		var fe *FatalError
		var tm *TooManyBadRowsError
		switch {
		case errors.As(err, &fe):
			if len(fe.Findings) == 0 {
				t.Fatalf("fatal error without findings: %v", err)
			}
			for _, f := range fe.Findings {
				if f.File == "" || f.Message == "" {
					t.Fatalf("finding without a place: %+v", f)
				}
			}
		case errors.As(err, &tm):
			if tm.Table == "" {
				t.Fatalf("no table: %v", err)
			}
		default:
			t.Fatalf("error of no known type: %v", err)
		}
		return
	}
	defer snap.Release()
	for _, f := range snap.Findings {
		if f.File == "" || f.Message == "" {
			t.Fatalf("finding without a place: %+v", f)
		}
		if f.Row == 0 && f.Code != snapshot.DQIgnored && f.Code != snapshot.DQNormalised {
			t.Fatalf("row finding without a row: %+v", f)
		}
	}
	for _, tb := range snapshot.Tables() {
		rec := snap.Table(tb)
		if rec == nil || !rec.Schema().Equal(snapshot.Schema(tb)) {
			t.Fatalf("table %s has a wrong schema", tb)
		}
	}
}

func fuzzTable(f *testing.F, tables string, name string, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	man := []byte(manifest(tables))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLoad(t, fstest.MapFS{"snapshot.yaml": {Data: man}, name: {Data: data},
			"u.csv": {Data: []byte(unitsCSV)}})
	})
}

func FuzzCSV(f *testing.F) {
	fuzzTable(f, "units: u.csv\nmodels: m.csv", "m.csv",
		[]byte(csvText(modelRows, ",")), []byte(csvText(modelRows, ";")), []byte("model_id,unit_id,type\n\"a\nb\",xa-1,other\n"),
		[]byte("model_id,unit_id,type\nm1,xa-1,\"x\"y\n"), []byte("\xff\xfe\x00"), []byte("model_id\tunit_id\ttype\nm\t\t\n"))
}

func FuzzTSVUTF16(f *testing.F) {
	fuzzTable(f, "units: u.csv\nmodels: {path: m.tsv, encoding: utf-16}", "m.tsv",
		utf16(f, csvText(modelRows, "\t"), unicode.LittleEndian), []byte("\xff\xfe"), []byte("nope"))
}

func FuzzNDJSON(f *testing.F) {
	fuzzTable(f, "units: u.csv\nmodels: m.ndjson", "m.ndjson",
		ndjson(f, modelRows, true), []byte(`{"model_id":1,"unit_id":["a"],"type":{"x":1}}`+"\n[1]\n{}{}\n"), []byte("{\"model_id\":\"m\",\"unit_id\":\"xa-1\",\"type\":\"other\",\"launched_on\":45000}\n"))
}

func FuzzXLSX(f *testing.F) {
	fuzzTable(f, "units: u.csv\nmodels: m.xlsx", "m.xlsx", xlsx(f, modelRows, ""), []byte("PK\x03\x04"))
}

func FuzzParquet(f *testing.F) {
	fuzzTable(f, "units: u.csv\nmodels: m.parquet", "m.parquet", parquetFile(f, modelRows), []byte("PAR1\x00\x00\x00\x00PAR1"))
}

func FuzzManifest(f *testing.F) {
	f.Add([]byte(manifest("units: u.csv\nmodels: {path: m.csv, delimiter: \";\"}", "aliases:\n  models.type: {\"1+1\": one_plus_one}")))
	f.Add([]byte("apiVersion: vungmanh/v1\nkind: Snapshot\nname: a\nasOf: 2024-01-01\ntables: {units: &a u.csv, models: *a}\n"))
	f.Add([]byte("tables: {units: ../../etc/passwd.csv}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzLoad(t, fstest.MapFS{"snapshot.yaml": {Data: data}, "u.csv": {Data: []byte(unitsCSV)},
			"m.csv": {Data: []byte(csvText(modelRows, ";"))}})
	})
}
