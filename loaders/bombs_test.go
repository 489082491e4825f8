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

// badMembers is a members file of n narrow rows (three columns) whose every
// honorary value is wrong (DQ007), gzipped: narrow enough that a share is
// never judged out of reach before the end (allBadMembers has every column).
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
		read  int // rows read before the load stops
	}{
		// 1% of the most rows of 3 fields 64 MiB can hold is more than
		// the file has: it is read to its end.
		{"a share", DefaultLimit(), rows},
		// The 51st bad row breaks the limit of 50; the load stops once it
		// has read earlyStopRows.
		{"a count", Limit{Count: 50}, earlyStopRows},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, files, WithMaxBadRows(tt.limit))
			var tm *TooManyBadRowsError
			if !errors.As(err, &tm) || tm.Table != snapshot.Members {
				t.Fatalf("err = %v, want too many bad rows in members", err)
			}
			if tm.Excluded != tt.read || tm.Rows != tt.read || tm.Stopped != (tt.read < rows) {
				t.Errorf("%d of %d rows excluded (stopped %v), want %d of %d", tm.Excluded, tm.Rows, tm.Stopped, tt.read, tt.read)
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

// allBadMembers is a gzipped members file with every column of the format
// and n rows, each with a wrong honorary value (DQ007).
func allBadMembers(t *testing.T, n int) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("member_id,unit_id,joined_on,honorary,party_member,pioneer,hardship,needs,special_group\n")
	for i := range n {
		fmt.Fprintf(&b, "m%07d,chi-1,2020-01-01,maybe,yes,no,no,,\n", i)
	}
	return gz(t, []byte(b.String()))
}

// TestBadRowsStopEarly: a load stops as soon as --max-bad-rows can no
// longer be met, rather than holding a file whose every row is wrong to
// its end: a count at the first row past it; a share once the bad rows
// are more than it allows of the most rows the file could hold (the
// decompressed limit's bytes, each good row needing one byte per field);
// either not before earlyStopRows rows (a small file is read whole). The
// same row stops it with and without the read-ahead. What it read is bounded by the limit, not by the file: a million
// rows (45 MB unpacked) stop after under a tenth of them. The findings are
// counts plus a located sample, and a DQ001 of an earlier table still wins.
func TestBadRowsStopEarly(t *testing.T) {
	const rows = 1_000_000
	bad := allBadMembers(t, rows)
	files := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv.gz"), "u.csv": unitsCSV})
	files["m.csv.gz"] = mapFile(bad)
	for _, tt := range []struct {
		name     string
		limit    Limit
		min, max int // rows read before the load stops
	}{
		// 1% of 64 MiB (MinDecompressed) / 9 bytes, less what was read:
		// about 71,600.
		{"a share", DefaultLimit(), 60_000, 80_000},
		// A small file is read whole: earlyStopRows first.
		{"a count", Limit{Count: 50}, earlyStopRows, earlyStopRows},
		{"a count past the read-ahead", Limit{Count: 20_000}, 20_001, 20_001},
	} {
		for _, ahead := range []int{noAhead, defaultAheadRows} {
			t.Run(fmt.Sprintf("%s, read-ahead from row %d", tt.name, ahead), func(t *testing.T) {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				_, err := load(t, files, withAheadRows(ahead), WithMaxBadRows(tt.limit), WithMaxDecompressed(MinDecompressed))
				runtime.ReadMemStats(&after)
				tm := wantStopped(t, err, rows, tt.min, tt.max)
				if !strings.Contains(tm.Error(), "whatever the rest of the file holds") {
					t.Errorf("error %q does not say the load stopped early", tm.Error())
				}
				var listed, counted int
				for _, f := range tm.Findings {
					if f.Code != snapshot.DQType || f.Column != "honorary" {
						t.Errorf("finding %+v, want DQ007 on honorary", f)
					}
					if f.Row > 0 {
						listed++
					} else {
						counted++
					}
				}
				if listed != min(tm.Rows, maxListedFindings) || counted != min(1, tm.Rows-listed) {
					t.Errorf("%d findings listed and %d summing up, want a located sample and a count", listed, counted)
				}
				// Reading the whole file allocates well over 100 MB.
				if got := after.TotalAlloc - before.TotalAlloc; got > 60<<20 {
					t.Errorf("the load allocated %d MB, want at most 60", got>>20)
				}
			})
		}
	}
	t.Run("an earlier table's DQ001 comes first", func(t *testing.T) {
		files := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv.gz"), "u.csv": "unit_id\nx\n"})
		files["m.csv.gz"] = mapFile(bad)
		_, err := load(t, files, WithMaxBadRows(Limit{Count: 5}))
		var fe *FatalError
		if !errors.As(err, &fe) || fe.Findings[0].Table != snapshot.Units {
			t.Errorf("err = %v, want DQ001 of the units", err)
		}
	})
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

// wantStopped returns err as the *TooManyBadRowsError of the members table
// and checks that the load stopped after min to max of the file's rows, all
// of them excluded.
func wantStopped(t *testing.T, err error, rows, min, max int) *TooManyBadRowsError {
	t.Helper()
	var tm *TooManyBadRowsError
	if !errors.As(err, &tm) || tm.Table != snapshot.Members {
		t.Fatalf("err = %v, want too many bad rows in members", err)
	}
	if !tm.Stopped || tm.Rows < min || tm.Rows > max || tm.Excluded != tm.Rows {
		t.Errorf("stopped %v after %d of %d rows with %d excluded, want stopped after %d to %d rows, all excluded",
			tm.Stopped, tm.Rows, rows, tm.Excluded, min, max)
	}
	return tm
}

// TestStoppedLoadReportsReads: the checks across tables run while the files
// are read (validate), so by the time a table stops early the others may
// have findings of those checks. The stopped load reports what each read
// left, as when the checks ran only after every read: here the ratings'
// unknown unit (DQ003, a check across tables) is not reported, their bad
// rating (a finding of the read) is, every time.
func TestStoppedLoadReportsReads(t *testing.T) {
	files := mapFS(map[string]string{
		"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv.gz\nratings: r.csv"),
		"u.csv":         unitsCSV,
		"r.csv":         "unit_id,year,rating\nghost,2023,good\nxa-1,2023,bogus\n",
	})
	files["m.csv.gz"] = mapFile(allBadMembers(t, 100_000))
	for i := 0; i < 10; i++ {
		_, err := load(t, files, withReaders(2), WithMaxBadRows(Limit{Count: 50}))
		var tm *TooManyBadRowsError
		if !errors.As(err, &tm) || tm.Table != snapshot.Members || !tm.Stopped {
			t.Fatalf("err = %v, want the members stopped early", err)
		}
		var ratings []string
		for _, f := range tm.Findings {
			if f.Table == snapshot.Ratings {
				ratings = append(ratings, fmt.Sprintf("%s row %d %s", f.Code, f.Row, f.Column))
			}
		}
		if len(ratings) != 1 || strings.HasPrefix(ratings[0], string(snapshot.DQUnknownRef)) {
			t.Fatalf("run %d: ratings findings %q, want the bad rating alone (no DQ003: the checks across tables do not count)", i, ratings)
		}
	}
}
