package loaders

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// bombSize is what the crafted files below inflate to: four times the least
// default cap (MinDecompressed), from a few hundred KB stored.
const bombSize = 4 * MinDecompressed

// repeated returns, once per byte for every test of the package, a raw
// deflate stream of bombSize copies of b and its CRC-32.
func repeated(b byte) func() ([]byte, uint32) {
	return sync.OnceValues(func() ([]byte, uint32) {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestCompression)
		block := bytes.Repeat([]byte{b}, 1<<20)
		var crc uint32
		for n := int64(0); n < bombSize; n += int64(len(block)) {
			_, _ = w.Write(block)
			crc = crc32.Update(crc, crc32.IEEETable, block)
		}
		_ = w.Close()
		return buf.Bytes(), crc
	})
}

var zeros, newlines = repeated(0), repeated('\n')

// gzipBomb is a gzip file of bombSize bytes: the stream of one of the
// functions above.
func gzipBomb(stream func() ([]byte, uint32)) []byte {
	raw, crc := stream()
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	out = append(out, raw...)
	out = binary.LittleEndian.AppendUint32(out, crc)
	return binary.LittleEndian.AppendUint32(out, uint32(bombSize))
}

// xlsxBomb is a valid workbook of rows with one more part, xl/media/blob.bin,
// of bombSize zero bytes.
func xlsxBomb(t *testing.T, rows [][]string) []byte {
	t.Helper()
	book := xlsx(t, rows, "")
	zr, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	raw, crc := zeros()
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/media/blob.bin", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(raw)), UncompressedSize64: uint64(bombSize)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecompressionBombs: a small file that inflates far beyond its size is
// DQ001 at the default cap (DefaultMaxExpansion times its stored size, at
// least MinDecompressed), before it is read whole: a gzipped Parquet file
// of zeros stops at the cap (not after inflating everything, to find no
// Parquet magic), a gzipped CSV file of empty lines too (not after reading
// them all), and an XLSX part is refused from the sizes the archive
// declares, before excelize inflates anything (the allocations stay well
// below the part's size).
func TestDecompressionBombs(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
		maxAlloc   uint64 // bytes the load may allocate; 0: unchecked
	}{
		{"parquet.gz of zeros", "u.parquet.gz", gzipBomb(zeros), 0},
		{"csv.gz of empty lines", "u.csv.gz", gzipBomb(newlines), 0},
		{"xlsx with a large part", "u.xlsx", xlsxBomb(t, unitRows), uint64(bombSize / 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := int64(len(tt.data)); n*DefaultMaxExpansion >= bombSize/2 {
				t.Fatalf("the crafted file holds %d bytes: not a bomb", n)
			}
			fsys := mapFS(map[string]string{"snapshot.yaml": manifest("units: " + tt.file)})
			fsys[tt.file] = mapFile(tt.data)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := load(t, fsys)
			runtime.ReadMemStats(&after)
			var fe *FatalError
			if !errors.As(err, &fe) || len(fe.Findings) != 1 {
				t.Fatalf("err = %v, want one DQ001", err)
			}
			if f := fe.Findings[0]; f.Code != snapshot.DQManifest || f.Table != snapshot.Units ||
				!strings.Contains(f.Message, "larger than the allowed 67108864 bytes once uncompressed") {
				t.Errorf("finding %+v, want DQ001 at the decompressed size limit", f)
			}
			if !errors.Is(err, errTooBig) {
				t.Errorf("err = %v, want the size limit as its cause", err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; tt.maxAlloc > 0 && got > tt.maxAlloc {
				t.Errorf("the load allocated %d bytes, want at most %d: the part was inflated", got, tt.maxAlloc)
			}
		})
	}
}

// TestDecompressedLimit: the default cap follows the stored size, between
// MinDecompressed and DefaultMaxDecompressed; WithMaxDecompressed replaces
// it for every file.
func TestDecompressedLimit(t *testing.T) {
	def := newConfig(nil)
	set := newConfig([]Option{WithMaxDecompressed(5 << 20)})
	for _, tt := range []struct {
		c      config
		stored int64
		want   int64
	}{
		{def, 0, DefaultMaxDecompressed},
		{def, 1000, MinDecompressed},
		{def, 10 << 20, 1000 << 20},
		{def, 1 << 30, DefaultMaxDecompressed},
		{set, 1 << 30, 5 << 20},
		{set, 1000, 5 << 20},
	} {
		if got := tt.c.decompressedLimit(tt.stored); got != tt.want {
			t.Errorf("decompressedLimit(%d) with %d set = %d, want %d", tt.stored, tt.c.maxDecompressed, got, tt.want)
		}
	}
}

// badMembers is a members file of n rows whose every honorary value is
// wrong (DQ007), gzipped.
func badMembers(t *testing.T, n int) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("member_id,unit_id,honorary\n")
	for i := range n {
		fmt.Fprintf(&b, "m%d,chi-1,maybe\n", i)
	}
	return gz(t, []byte(b.String()))
}

// TestBadRowsCostCounts: a file whose every row is wrong costs counts, not
// a finding per row: at most maxListedFindings findings of a code and
// column are listed, the rest summed up in one finding with the count,
// whatever the limit.
func TestBadRowsCostCounts(t *testing.T) {
	const rows = 100_000
	files := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv.gz"), "u.csv": unitsCSV})
	files["m.csv.gz"] = mapFile(badMembers(t, rows))
	for _, tt := range []struct {
		name  string
		limit Limit
	}{
		{"a share", DefaultLimit},
		{"a count", Limit{Count: 50}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, files, WithMaxBadRows(tt.limit))
			var tm *TooManyBadRowsError
			if !errors.As(err, &tm) || tm.Table != snapshot.Members {
				t.Fatalf("err = %v, want too many bad rows in members", err)
			}
			if tm.Excluded != rows || tm.Rows != rows {
				t.Errorf("%d of %d rows excluded, want %d of %d", tm.Excluded, tm.Rows, rows, rows)
			}
			var listed, summary int
			for _, f := range tm.Findings {
				switch {
				case f.Code != snapshot.DQType:
				case f.Row > 0:
					listed++
				case strings.HasPrefix(f.Message, fmt.Sprintf("%d more DQ007 findings", tm.Excluded-maxListedFindings)):
					summary++
				}
			}
			wantListed, wantSummary := min(tm.Excluded, maxListedFindings), 0
			if tm.Excluded > maxListedFindings {
				wantSummary = 1
			}
			if listed != wantListed || summary != wantSummary || len(tm.Findings) != wantListed+wantSummary {
				t.Errorf("%d findings: %d DQ007 listed, %d summing up the rest; want %d and %d", len(tm.Findings), listed, summary, wantListed, wantSummary)
			}
		})
	}
}

// TestFutureAsOf: an asOf after the day following the run's clock (UTC) is
// DQ001: such a run would hold latest.json until that day.
func TestFutureAsOf(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 12, 6, 23, 30, 0, 0, time.FixedZone("ICT", 7*3600)) } // 16:30 UTC
	for _, tt := range []struct {
		asOf  string
		fatal bool
	}{
		{"2024-09-30", false},
		{"2026-12-06", false},
		{"2026-12-07", false}, // already the 7th in Hà Nội
		{"2026-12-08", true},
		{"9999-12-31", true},
	} {
		t.Run(tt.asOf, func(t *testing.T) {
			m := strings.Replace(manifest("units: u.csv"), "asOf: 2024-09-30", "asOf: "+tt.asOf, 1)
			_, err := load(t, mapFS(map[string]string{"snapshot.yaml": m, "u.csv": unitsCSV}), WithClock(now))
			var fe *FatalError
			if !tt.fatal {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.As(err, &fe) || len(fe.Findings) != 1 || fe.Findings[0].Column != "asOf" ||
				!strings.Contains(fe.Findings[0].Message, "is after today (2026-12-06, UTC)") {
				t.Errorf("err = %v, want DQ001 on asOf", err)
			}
		})
	}
}
