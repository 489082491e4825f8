package loaders

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

const baseManifest = `apiVersion: vungmanh/v1
kind: Snapshot
name: test
title: Test
asOf: 2024-09-30
`

// manifest renders snapshot.yaml with the given tables block lines.
func manifest(tables string, extra ...string) string {
	s := baseManifest + "tables:\n"
	for _, l := range strings.Split(strings.TrimSpace(tables), "\n") {
		s += "  " + strings.TrimSpace(l) + "\n"
	}
	for _, e := range extra {
		s += e + "\n"
	}
	return s
}

const unitsCSV = `unit_id,parent_id,level,name,kind,active
tinh,,province,Tỉnh Thái Bình,,
xa-1,tinh,commune,Xã Thái Xuyên,xã,true
chi-1,xa-1,branch,Thôn Đông,thôn,1
to-1,chi-1,group,Tổ 1,,không
`

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

func writeDir(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range files {
		p := filepath.Join(dir, k)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, v, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checked returns a checked allocator that is verified at the end of the test.
func checked(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func load(t *testing.T, fsys fs.FS, opts ...Option) (*snapshot.Snapshot, error) {
	t.Helper()
	mem := checked(t)
	snap, err := LoadFS(context.Background(), fsys, append([]Option{WithAllocator(mem)}, opts...)...)
	if snap != nil {
		t.Cleanup(snap.Release)
	}
	return snap, err
}

// dump renders a record as rows of "col=value" strings (nulls left out).
func dump(rec arrow.Record) []string {
	var out []string
	for i := 0; i < int(rec.NumRows()); i++ {
		var parts []string
		for c := 0; c < int(rec.NumCols()); c++ {
			col := rec.Column(c)
			if col.IsNull(i) {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s=%s", rec.ColumnName(c), col.ValueStr(i)))
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

// brief renders findings as "code table:row column value".
func brief(fs []snapshot.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s:%d %s %s", f.Code, f.Table, f.Row, f.Column, f.Value))
	}
	return out
}

func mapFile(b []byte) *fstest.MapFile { return &fstest.MapFile{Data: b} }

// writeParquet writes rec as one Parquet file, with the given writer
// properties.
func writeParquet(t testing.TB, rec arrow.Record, props ...parquet.WriterProperty) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(rec.Schema(), &buf, parquet.NewWriterProperties(props...), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mutateParquet returns a copy of the file data with one to three bytes
// changed: a bit flipped, a random byte or a special one (0, 1, 2, 0x7f,
// 0x80, 0xff), half the changes in the column chunks (after "PAR1", before
// the footer), where the pages are.
func mutateParquet(rng *rand.Rand, data []byte) []byte {
	special := []byte{0, 1, 2, 0x7f, 0x80, 0xff}
	data = bytes.Clone(data)
	for range 1 + rng.IntN(3) {
		at := rng.IntN(len(data))
		if rng.IntN(2) == 0 {
			at = 4 + rng.IntN(len(data)/2)
		}
		switch rng.IntN(3) {
		case 0:
			data[at] ^= 1 << rng.IntN(8)
		case 1:
			data[at] = byte(rng.IntN(256))
		default:
			data[at] = special[rng.IntN(len(special))]
		}
	}
	return data
}
