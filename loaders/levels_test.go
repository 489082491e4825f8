package loaders

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/file"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// levelRows are models rows in one row group, some of whose model ids are
// null, so that the column's pages have definition levels.
var levelRows = func() [][]string {
	rows := [][]string{modelRows[0]}
	for i := range 40 {
		id := fmt.Sprintf("m%d", i)
		if i%7 == 3 {
			id = ""
		}
		rows = append(rows, []string{id, "xa-1", "one_plus_one", "2024-03-08", "active"})
	}
	return rows
}()

// dataPageBody finds the body of the first data page of column col (a
// nullable column, RLE levels of a V1 page, no compression) in data, a
// Parquet file: the body as the page reader hands it over is found
// verbatim in the column chunk. It starts with the levels' length (4 bytes,
// little endian), then the levels, then the values. It returns where the
// body starts and how many bytes it takes.
func dataPageBody(t testing.TB, data []byte, col int) (at, n int) {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	cc, err := pf.MetaData().RowGroup(0).ColumnChunk(col)
	if err != nil {
		t.Fatal(err)
	}
	if cc.Compression() != compress.Codecs.Uncompressed {
		t.Fatalf("column %d is compressed: its pages are not in the file as they are read", col)
	}
	start := cc.DataPageOffset()
	if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < start {
		start = cc.DictionaryPageOffset()
	}
	chunk := data[start : start+cc.TotalCompressedSize()]
	pr, err := pf.RowGroup(0).GetColumnPageReader(col)
	if err != nil {
		t.Fatal(err)
	}
	for pr.Next() {
		pg, ok := pr.Page().(*file.DataPageV1)
		if !ok {
			continue
		}
		if pg.DefinitionLevelEncoding() != parquet.Encodings.RLE {
			t.Fatalf("the page's levels are encoded %s, want RLE", pg.DefinitionLevelEncoding())
		}
		body := pg.Data()
		i := bytes.Index(chunk, body)
		if i < 0 || bytes.Contains(chunk[i+1:], body) {
			t.Fatalf("the data page's body is not found once in the column chunk")
		}
		if lv := int(binary.LittleEndian.Uint32(body)); lv <= 0 || lv > len(body)-4 {
			t.Fatalf("levels of %d bytes in a page of %d", lv, len(body))
		}
		return int(start) + i, len(body)
	}
	t.Fatalf("no data page in column %d: %v", col, pr.Err())
	return 0, 0
}

// badLevelsParquet is a models file written by the real Parquet writer
// whose model_id column's definition levels do not decode: the first data
// page's levels are made to take the whole page, as runs of one null level
// each ("02 00"), fewer than the page's 40 values. The Parquet library's
// level decoder decodes those, then meets the end of the page and decodes
// nothing more, however often it is asked (a null level has no value to
// read, so the values decoder never fails either).
func badLevelsParquet(t testing.TB) []byte {
	data := parquetFileWith(t, levelRows, parquet.WithMaxRowGroupLength(1000))
	at, n := dataPageBody(t, data, 0)
	bad := bytes.Clone(data)
	body := bad[at : at+n]
	binary.LittleEndian.PutUint32(body, uint32(n-4))
	for i := 4; i < n; i++ {
		body[i] = byte(2 * ((i + 1) % 2)) // 02 00 02 00 ...: a run of one 0 level
	}
	if (n-4)/2 >= len(levelRows)-1 {
		t.Fatalf("a page of %d bytes holds runs enough for its %d levels", n, len(levelRows)-1)
	}
	return bad
}

// loadWatched loads fsys in a goroutine and fails the test when the load
// has not ended after a minute: a detector of hangs, far longer than any
// of these loads takes, not a measure of time.
func loadWatched(t *testing.T, fsys fstest.MapFS, opts ...Option) error {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	done := make(chan error, 1)
	go func() {
		snap, err := LoadFS(context.Background(), fsys, append([]Option{WithAllocator(mem)}, opts...)...)
		if snap != nil {
			snap.Release()
		}
		done <- err
	}()
	select {
	case err := <-done:
		mem.AssertSize(t, 0)
		return err
	case <-time.After(time.Minute):
		t.Fatalf("the load has not ended after a minute: it hangs")
		return nil
	}
}

// TestParquetLevelsThatDoNotDecode loads a models file whose model_id
// column's definition levels do not decode. file.ByteArrayColumnChunkReader's
// ReadBatch, which strColumn reads string columns with, loops forever on
// such a page (no level decoded, no value consumed, the page never done);
// checkedPages rejects the page before it gets there, and the load ends
// with one DQ001 finding naming the file and the column. Without the check
// this test hangs and the watchdog fails it.
func TestParquetLevelsThatDoNotDecode(t *testing.T) {
	bad := badLevelsParquet(t)
	for _, batch := range []int{defaultParquetBatch, 8} {
		t.Run(fmt.Sprint("batch ", batch), func(t *testing.T) {
			fsys := fstest.MapFS{"snapshot.yaml": {Data: []byte(manifest("units: u.csv\nmodels: m.parquet"))},
				"u.csv": {Data: []byte(unitsCSV)}, "m.parquet": {Data: bad}}
			err := loadWatched(t, fsys, withParquetBatch(batch), WithMaxBadRows(Limit{Share: 1, IsShare: true}))
			var fe *FatalError
			if !errors.As(err, &fe) || len(fe.Findings) != 1 {
				t.Fatalf("err = %v, want a fatal error with one finding", err)
			}
			f := fe.Findings[0]
			t.Log(f)
			if f.Code != snapshot.DQManifest || f.File != "m.parquet" || !strings.Contains(f.Message, "model_id") || !strings.Contains(f.Message, "definition levels") {
				t.Errorf("finding %+v, want DQ001 in m.parquet naming model_id and its definition levels", f)
			}
		})
	}
}

// mutations is the number of corrupt files TestParquetMutations loads
// (go test ./loaders -run TestParquetMutations -mutations 5000).
var mutations = flag.Int("mutations", 300, "random mutations of small Parquet files loaded by TestParquetMutations")

// TestParquetMutations loads small valid Parquet files with a few of their
// bytes changed at random (the same ones on every run: a fixed seed), each
// in a goroutine watched for a minute: every load must end, without a
// panic or a leak, with a snapshot or errors and findings that have a place
// (fuzzLoad's contract). The fuzzer alone stalled on files that hang
// (0 execs/s) and so never reported them; this finds them.
func TestParquetMutations(t *testing.T) {
	bases := mutationBases(t)
	names := slices.Sorted(maps.Keys(bases))
	man := []byte(manifest("units: u.csv\nmodels: m.parquet"))
	rng := rand.New(rand.NewPCG(2026, 12))
	for i := range *mutations {
		name := names[i%len(names)]
		data := mutateParquet(rng, bases[name])
		ok := t.Run(fmt.Sprintf("%s %d", name, i), func(t *testing.T) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				// Not fuzzLoad's checked allocator: pqarrow leaves some
				// of its buffers unreleased when it panics on a corrupt
				// page (a panic that becomes a DQ001 finding), which is
				// not what this test looks for.
				loadContract(t, fstest.MapFS{"snapshot.yaml": {Data: man}, "m.parquet": {Data: data}, "u.csv": {Data: []byte(unitsCSV)}}, memory.NewGoAllocator())
			}()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatalf("the load has not ended after a minute: it hangs; the file: %q", data)
			}
		})
		if !ok {
			break
		}
	}
}

// TestParquetDeltaStringsToPqarrow loads models files whose string columns
// are DELTA_BYTE_ARRAY and DELTA_LENGTH_BYTE_ARRAY encoded (valid files,
// which parquet-mr writes with its version 2 pages): strEncodings leaves
// those columns to pqarrow, since checkedPages refuses values encoded so,
// and the load is the one of the same rows written plain.
func TestParquetDeltaStringsToPqarrow(t *testing.T) {
	man := manifest("units: u.csv\nmodels: m.parquet")
	render := func(data []byte) string {
		fsys := fstest.MapFS{"snapshot.yaml": {Data: []byte(man)}, "u.csv": {Data: []byte(unitsCSV)}, "m.parquet": {Data: data}}
		// Not the tests' checked allocator: arrow's delta decoders never
		// free their block buffers (deltaBitPackDecoder.initBlock), with
		// pqarrow as on main.
		snap, err := LoadFS(context.Background(), fsys, WithAllocator(memory.NewGoAllocator()), WithMaxBadRows(Limit{Share: 1, IsShare: true}))
		if err != nil {
			t.Fatal(err)
		}
		defer snap.Release()
		return renderLoad(snap, 0, snapshot.Models)
	}
	want := render(parquetFileWith(t, levelRows, parquet.WithDictionaryDefault(false)))
	for _, enc := range []parquet.Encoding{parquet.Encodings.DeltaByteArray, parquet.Encodings.DeltaLengthByteArray} {
		data := parquetFileWith(t, levelRows, parquet.WithDictionaryDefault(false), parquet.WithEncodingFor("model_id", enc))
		pf, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if strEncodings(pf, 0) {
			t.Errorf("%s: model_id's chunks are said to be plain or dictionary encoded", enc)
		}
		pf.Close()
		if got := render(data); got != want {
			t.Errorf("%s: the load differs from the plain file's:\n%s\nwant\n%s", enc, got, want)
		}
	}
}

// mutationBases are the Parquet files of models the mutation tests change:
// dictionary and plain encoded, pages of a few values, version 2 pages,
// several row groups.
func mutationBases(t *testing.T) map[string][]byte {
	return map[string][]byte{
		"dictionary":  parquetFileWith(t, levelRows, parquet.WithMaxRowGroupLength(1000)),
		"plain":       parquetFileWith(t, levelRows, parquet.WithMaxRowGroupLength(1000), parquet.WithDictionaryDefault(false)),
		"pages of 8":  parquetFileWith(t, levelRows, parquet.WithMaxRowGroupLength(1000), parquet.WithDataPageSize(8), parquet.WithBatchSize(8)),
		"data page 2": parquetFileWith(t, levelRows, parquet.WithMaxRowGroupLength(1000), parquet.WithDataPageVersion(parquet.DataPageV2)),
		"row groups":  parquetFile(t, modelRows),
	}
}
