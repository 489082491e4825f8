package report

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/csv"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/xuri/excelize/v2"
	"golang.org/x/sync/errgroup"

	"github.com/vungmanh/vungmanh/checker"
)

// CSVHeader returns the header row of findings.csv, a new slice at each call.
func CSVHeader() []string {
	return []string{"target", "subject", "subject_level", "subject_name", "path", "status", "message", "refs", "key"}
}

// FindingsCSV renders findings.csv: UTF-8 with a byte-order mark (so Excel
// shows Vietnamese), the header CSVHeader(), one row per violation of each
// finding (one row with the error text or an empty message when a finding
// has no violation). The error text of a not-evaluated result is worded in
// lang (report.json keeps the loader's "DQ007 on row 12"; Render passes
// Vietnamese whatever --lang says); the other columns are machine values. path is ";"-joined unit ids, refs
// ";"-joined. A cell, or a part of it after a ';' or a line break, that
// starts with = + - @ (or TAB, CR) is prefixed with ' so that spreadsheet
// programs do not run it as a formula, whether they split the file on ','
// or, as in locales whose list separator is ';', on ';' (safeCell).
func FindingsCSV(r *Report, lang Lang) ([]byte, error) {
	// One buffer sized up front (csvSizeHint) instead of one that doubles
	// (and copies) up to the 70 MB of a national run.
	buf := bytes.NewBuffer(make([]byte, 0, csvSizeHint(r)))
	if err := WriteFindingsCSV(buf, r, lang); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFindingsCSV writes findings.csv (the bytes FindingsCSV returns) to
// out as its rows are made: the publisher streams it to storage.
func WriteFindingsCSV(out io.Writer, r *Report, lang Lang) error {
	why := newReasons(lang, r, nil)
	if _, err := io.WriteString(out, "\ufeff"); err != nil {
		return fmt.Errorf("write findings.csv: %w", err)
	}
	w := csv.NewWriter(out)
	w.UseCRLF = true
	var rec [9]string // csv.Writer keeps no record: one for every row
	row := func(f *Finding, path, msg string, refs []string) error {
		rec = [9]string{f.Target, f.Subject, f.SubjectLevel, f.SubjectName, path,
			string(f.Status), msg, strings.Join(refs, ";"), f.Key}
		for i, c := range rec {
			rec[i] = safeCell(c)
		}
		return w.Write(rec[:])
	}
	if err := w.Write(CSVHeader()); err != nil {
		return fmt.Errorf("write findings.csv: %w", err)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		path := strings.Join(f.Path, ";")
		var err error
		switch {
		case len(f.Violations) > 0:
			for _, v := range f.Violations {
				if err = row(f, path, v.Msg, v.Refs); err != nil {
					break
				}
			}
		case f.Error != nil:
			err = row(f, path, why.text(*f), nil)
		default:
			err = row(f, path, "", nil)
		}
		if err != nil {
			return fmt.Errorf("write findings.csv: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write findings.csv: %w", err)
	}
	return nil
}

// csvSizeHint guesses the size of findings.csv from the lengths of its
// cells, with room for quotes, so that its buffer need not grow.
func csvSizeHint(r *Report) int {
	n := 1 << 10
	for i := range r.Findings {
		f := &r.Findings[i]
		fixed := 24 + len(f.Target) + len(f.Subject) + len(f.SubjectLevel) + len(f.SubjectName) + len(f.Status) + len(f.Key)
		for _, p := range f.Path {
			fixed += 1 + len(p)
		}
		if len(f.Violations) == 0 {
			n += fixed + 256
			continue
		}
		for _, v := range f.Violations {
			n += fixed + len(v.Msg) + len(v.Msg)/8
			for _, ref := range v.Refs {
				n += 1 + len(ref)
			}
		}
	}
	return n
}

// rowMessages is the message of each row a finding gets in report.xlsx
// (as in findings.csv): one per violation, else the error text (worded by
// why), else "".
func rowMessages(f Finding, why *reasons) []string {
	var out []string
	for _, v := range f.Violations {
		out = append(out, v.Msg)
	}
	if len(out) == 0 && f.Error != nil {
		out = append(out, why.text(f))
	}
	if len(out) == 0 {
		out = append(out, "")
	}
	return out
}

// rowCount is len(rowMessages(f, why)), without wording anything.
func rowCount(f Finding) int { return max(1, len(f.Violations)) }

// safeCell neutralises every place of a findings.csv cell where a
// spreadsheet program may start a cell of its own: the start of the cell,
// and after every ';', CR and LF in it. A spreadsheet in a locale whose list
// separator is ';' (where the decimal mark is a comma, as in Vietnamese)
// opens the file split on ';', not on ',', and there the quotes that
// encoding/csv puts around a field no longer start a cell, so a newline
// inside a quoted field starts a new row. Each such part that would start
// with a formula character (= + - @, TAB, CR, their full-width forms, or
// any of them after spaces or a '"') is prefixed with ' so that it is shown
// as text. Parts that start otherwise are left as they are, so ids, names
// and messages read as before.
func safeCell(s string) string {
	if !mayHoldFormula(s) {
		return s // nothing that could start a formula
	}
	// Most cells that get here hold a '-' inside an id: leave them as they
	// are without building a copy.
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ';' && s[i] != '\r' && s[i] != '\n' {
			continue
		}
		if formulaStart(s[start:i]) {
			break
		}
		if i == len(s) {
			return s
		}
		start = i + 1
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	start = 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ';' && s[i] != '\r' && s[i] != '\n' {
			continue
		}
		part := s[start:i]
		if formulaStart(part) {
			b.WriteByte('\'')
		}
		b.WriteString(part)
		if i < len(s) {
			b.WriteByte(s[i])
		}
		start = i + 1
	}
	return b.String()
}

// formulaBytes are the bytes that begin a character that can start a
// formula: = + - @ TAB CR, and 0xEF, the first byte of the full-width forms
// (U+FF0B, U+FF0D, U+FF1D, U+FF20) in UTF-8.
var formulaBytes = func() (t [256]bool) {
	for _, c := range []byte("=+-@\t\r\xef") {
		t[c] = true
	}
	return t
}()

// mayHoldFormula reports whether s holds a byte of formulaBytes: when it
// does not, no part of s can start a formula (one byte-table look-up per
// byte, where strings.ContainsAny with the full-width characters decoded
// every rune of the Vietnamese text).
func mayHoldFormula(s string) bool {
	for i := 0; i < len(s); i++ {
		if formulaBytes[s[i]] {
			return true
		}
	}
	return false
}

// formulaStart reports whether a spreadsheet would read part as a formula:
// its first character, after any spaces and double quotes, is one that
// starts a formula. A TAB or CR that begins part counts as well.
func formulaStart(part string) bool {
	if part == "" {
		return false
	}
	if part[0] == '\t' || part[0] == '\r' {
		return true
	}
	t := strings.TrimLeft(part, " \"")
	if t == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	return strings.ContainsRune("=+-@\t\r\uff1d\uff0b\uff0d\uff20", r)
}

// ParquetSchema returns the schema of results.parquet: one row per result.
// Every call returns the same *arrow.Schema, which is read-only (its
// Fields() are a copy).
func ParquetSchema() *arrow.Schema { return parquetSchema }

var parquetSchema = arrow.NewSchema([]arrow.Field{
	{Name: "target", Type: arrow.BinaryTypes.String},
	{Name: "subject", Type: arrow.BinaryTypes.String},
	{Name: "subject_level", Type: arrow.BinaryTypes.String},
	{Name: "subject_name", Type: arrow.BinaryTypes.String},
	{Name: "path", Type: arrow.ListOf(arrow.BinaryTypes.String)},
	{Name: "status", Type: arrow.BinaryTypes.String},
	{Name: "violations", Type: arrow.PrimitiveTypes.Int32},
	{Name: "warnings", Type: arrow.PrimitiveTypes.Int32},
	{Name: "messages", Type: arrow.ListOf(arrow.BinaryTypes.String)},
	{Name: "skip_reason", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "error", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "waived_until", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "key", Type: arrow.BinaryTypes.String},
}, nil)

// parquetBatch is the number of rows per record batch and row group of
// results.parquet (tests pass resultsParquet a smaller one).
const parquetBatch = 64 * 1024

// parquetProperties are the writer settings of results.parquet.
//
// Compression is zstd at level 1 (zstd's "fastest"). pqarrow compresses
// each page with a zstd encoder of its own, so every page pays for a new
// encoder's tables and history (megabytes to allocate and clear): at the
// default level that was 40% of the CPU time of the file. Level 1 costs
// less per page and, for our results, gives smaller files (thai-binh:
// 136 KB at the default level, 121 KB now).
//
// Data pages are up to 8 MiB (the library's default is 1 MiB), so that a
// column chunk of a row group is about one page: each page makes its zstd
// encoder (above), and at national scale that was 1.25 GB allocated to
// write a 5 MB file; with 8 MiB pages the file takes 30% less CPU
// (BenchmarkNationalFormat/parquet 1.92 -> 1.31 cpu-s), the same rows, and
// about the same size (the benchmark's 1.6% larger, national 1.0's 0.8%
// smaller).
//
// The columns of a few distinct values (target, subject_level, status,
// skip_reason, error, waived_until: a dictionary and its indexes) and the
// two counts are not compressed: each compressed page pays for its own
// encoder (above), and these pages are small and compress little. That is
// 8% less CPU for the file in BenchmarkNationalFormat/parquet and 14% in
// thai-binh runs, for a file 2% and 0.6% larger.
//
// Columns that hold a different value on (almost) every row, subject,
// subject_name, messages and key, are written without a dictionary: a
// dictionary there is a hash table built for nothing, one more page to
// compress, and a fall-back to plain encoding once it outgrows its page.
// So is path: at national scale its ids (down to the branch of a model)
// outgrow a dictionary page in a row group. A fall-back also makes the
// file's bytes vary from one render to the next (the writer lists a column
// chunk's two data encodings in a map's order), which a retried publish of
// the same run id would take for other content (TestResultsParquetDeterministic);
// the other columns' dictionaries get pages of up to 64 MiB so that they
// never fall back. Readers see the same schema and rows either way
// (TestResultsParquetRoundTrip).
//
// Data pages are version 2 (Parquet format 2.0: DuckDB, pyarrow, Spark and
// this program's loaders read them). In a version 1 page the repetition
// and definition levels are preceded by their length, and arrow v15's
// level encoder then reallocates its buffer, copying what it holds, each
// time it reserves room (the buffer's reserved offset counts as missing
// room; fixed upstream in arrow 17, apache/arrow#41638): with 8 MiB pages
// that copying grew with the square of a page's rows. At national 1.0 it
// was 650 MB of the run's 14.4 GB allocated, and a third of what the
// writer allocated while the run's publishing peaked. Version 2 levels are
// written without the length, and never compressed: the file is 2.5%
// larger.
func parquetProperties() *parquet.WriterProperties {
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(1),
		parquet.WithDictionaryFor("subject", false),
		parquet.WithDictionaryFor("subject_name", false),
		parquet.WithDictionaryFor("messages.list.element", false),
		parquet.WithDictionaryFor("key", false),
		parquet.WithDictionaryFor("path.list.element", false),
		parquet.WithDictionaryPageSizeLimit(64 << 20),
		parquet.WithDataPageSize(8 << 20),
		parquet.WithCreatedBy("vungmanh"),
		parquet.WithDataPageVersion(parquet.DataPageV2),
	}
	for _, c := range parquetUncompressed {
		opts = append(opts, parquet.WithCompressionFor(c, compress.Codecs.Uncompressed))
	}
	return parquet.NewWriterProperties(opts...)
}

// parquetUncompressed are the columns of results.parquet written without
// compression (parquetProperties).
var parquetUncompressed = []string{"target", "subject_level", "status", "violations", "warnings", "skip_reason", "error", "waived_until"}

// ResultsParquet renders results.parquet from r.Results (every result,
// pass included) with pqarrow, zstd-compressed but for a few small columns
// (parquetProperties), in batches and row groups of 64k rows. key is
// Key(result) for every row, so analysts can join findings.
func ResultsParquet(ctx context.Context, r *Report, mem memory.Allocator) ([]byte, error) {
	return renderParquet(ctx, r, mem, parquetBatch)
}

// renderParquet is ResultsParquet in record batches and row groups of
// batch rows.
func renderParquet(ctx context.Context, r *Report, mem memory.Allocator, batch int) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeParquet(ctx, &buf, r, mem, batch); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteResultsParquet writes results.parquet (the bytes ResultsParquet
// returns) to out a row group at a time: the publisher streams it to
// storage.
func WriteResultsParquet(ctx context.Context, out io.Writer, r *Report, mem memory.Allocator) error {
	return writeParquet(ctx, out, r, mem, parquetBatch)
}

// writeParquet is WriteResultsParquet in record batches and row groups of
// batch rows.
func writeParquet(ctx context.Context, out io.Writer, r *Report, mem memory.Allocator, batch int) error {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	fw, err := pqarrow.NewFileWriter(parquetSchema, out, parquetProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return fmt.Errorf("write results.parquet: %w", err)
	}
	b := array.NewRecordBuilder(mem, parquetSchema)
	defer b.Release()
	flush := func() error {
		rec := b.NewRecord()
		defer rec.Release()
		return fw.WriteBuffered(rec)
	}
	str := func(i int) *array.StringBuilder { return b.Field(i).(*array.StringBuilder) }
	list := func(i int, vals []string) {
		lb := b.Field(i).(*array.ListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		for _, v := range vals {
			vb.Append(v)
		}
	}
	opt := func(i int, s string) {
		if s == "" {
			str(i).AppendNull()
		} else {
			str(i).Append(s)
		}
	}
	n := 0
	for _, res := range r.Results {
		if n%batch == 0 {
			// The batch's rows in one allocation per column, not a
			// dozen doublings.
			b.Reserve(min(len(r.Results)-n, batch))
		}
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				_ = fw.Close()
				return fmt.Errorf("write results.parquet: %w", err)
			}
		}
		str(0).Append(res.Target)
		str(1).Append(res.Subject)
		str(2).Append(res.SubjectLevel)
		str(3).Append(res.SubjectName)
		list(4, res.Path)
		str(5).Append(string(res.Status))
		b.Field(6).(*array.Int32Builder).Append(int32(checker.Count(res.Violations))) // a capped list counts what it left out
		b.Field(7).(*array.Int32Builder).Append(int32(checker.Count(res.Warnings)))
		lb := b.Field(8).(*array.ListBuilder)
		lb.Append(true)
		for _, v := range res.Violations {
			lb.ValueBuilder().(*array.StringBuilder).Append(v.Msg)
		}
		opt(9, res.SkipReason)
		errText := ""
		if res.Error != nil {
			errText = *res.Error
		}
		opt(10, errText)
		until := ""
		if res.Waiver != nil {
			until = res.Waiver.Expires
		}
		opt(11, until)
		str(12).Append(Key(res))
		n++
		if n%batch == 0 {
			if err := flush(); err != nil {
				_ = fw.Close()
				return fmt.Errorf("write results.parquet: %w", err)
			}
			fw.NewBufferedRowGroup()
		}
	}
	if n%batch != 0 || n == 0 {
		if err := flush(); err != nil {
			_ = fw.Close()
			return fmt.Errorf("write results.parquet: %w", err)
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("write results.parquet: %w", err)
	}
	return nil
}

// xlsxNumFmts are the number formats of the summary sheet's counts and
// rates. The cells hold numbers (a rate is a ratio 0..1); only the shown
// text follows the language (docs/reports.md: 1.234, 48,5 %).
//
// In a format code "," and "." mean "the thousands and decimal separators
// of the viewer": Excel takes them from the computer's settings whatever
// the code says (a locale tag such as [$-42A], Vietnamese, changes names
// of months and days, not separators), LibreOffice from the format's
// language, which [$-42A] sets. So in Vietnamese:
//   - counts print their dots as literal text, "\.", in sections chosen by
//     magnitude: 1.797 and 1.234.567 in every spreadsheet program, on any
//     computer (up to 999.999.999; counts of units and results stay far
//     below);
//   - rates cannot do that (a literal comma would fall between the wrong
//     digits of the rounded percentage), so they use "0.0 %" tagged
//     [$-42A]: 48,5 % in LibreOffice and in Excel on a computer with
//     Vietnamese (or other decimal-comma) settings, 48.5 % in Excel set to
//     a decimal point.
//
// In English: #,##0 and 0.0% (1,797 and 48.5% with English settings).
var xlsxNumFmts = map[Lang]struct{ count, percent string }{
	Vietnamese: {`[>=1000000]#\.###\.##0;[>=1000]#\.##0;0`, `[$-42A]0.0\ %`},
	English:    {`#,##0`, `0.0%`},
}

// fastZip is the zip writer of report.xlsx: deflate at flate.BestSpeed
// instead of archive/zip's level 5, and the entries in name order.
// Compressing the sheets' XML was 40% of the CPU time of the XLSX; at
// BestSpeed the whole XLSX takes a quarter less, for a file about a quarter
// larger (thai-binh: 213 KB, now 265 KB) with the same sheets, cells and
// styles. excelize writes its streamed sheets in the order of a map: each
// entry is compressed as it is written and kept (compressed) until Close,
// which writes them sorted, so that one report always gives the same bytes
// (a retried publish finds its own file identical).
func fastZip(w io.Writer) excelize.ZipWriter { return &sortedZip{zw: zip.NewWriter(w)} }

type sortedZip struct {
	zw      *zip.Writer
	entries []*zipEntry
}

// zipEntry is one file of the archive, compressed as it is written.
type zipEntry struct {
	name string
	data bytes.Buffer
	fw   *flate.Writer
	crc  hash.Hash32
	size uint64
}

func (z *sortedZip) Create(name string) (io.Writer, error) {
	e := &zipEntry{name: name, crc: crc32.NewIEEE()}
	fw, err := flate.NewWriter(&e.data, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	e.fw = fw
	z.entries = append(z.entries, e)
	return e, nil
}

func (e *zipEntry) Write(p []byte) (int, error) {
	e.crc.Write(p)
	e.size += uint64(len(p))
	return e.fw.Write(p)
}

// AddFS adds the files of fsys, as archive/zip's Writer does.
func (z *sortedZip) AddFS(fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		w, err := z.Create(name)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
}

// Close writes the entries in name order and ends the archive.
func (z *sortedZip) Close() error {
	slices.SortStableFunc(z.entries, func(a, b *zipEntry) int { return strings.Compare(a.name, b.name) })
	for _, e := range z.entries {
		if err := e.fw.Close(); err != nil {
			return err
		}
		w, err := z.zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Deflate, CRC32: e.crc.Sum32(),
			CompressedSize64: uint64(e.data.Len()), UncompressedSize64: e.size})
		if err != nil {
			return err
		}
		if _, err := w.Write(e.data.Bytes()); err != nil {
			return err
		}
	}
	z.entries = nil
	return z.zw.Close()
}

func cell(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

// Format names an output file format.
type Format string

// The formats of --formats; report.json and manifest.json are always written.
const (
	FormatJSON    Format = "json"
	FormatHTML    Format = "html"
	FormatCSV     Format = "csv"
	FormatParquet Format = "parquet"
	FormatXLSX    Format = "xlsx"
)

// AllFormats returns every format, the default of --formats, a new slice
// at each call.
func AllFormats() []Format {
	return []Format{FormatJSON, FormatHTML, FormatCSV, FormatParquet, FormatXLSX}
}

// ParseFormats reads a comma-separated --formats value.
func ParseFormats(s string) ([]Format, error) {
	var out []Format
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(strings.ToLower(p))
		if p == "" {
			continue
		}
		if !slices.Contains(AllFormats(), Format(p)) {
			return nil, fmt.Errorf("unknown format %q (want %s)", p, joinFormats(AllFormats()))
		}
		if !slices.Contains(out, Format(p)) {
			out = append(out, Format(p))
		}
	}
	return out, nil
}

func joinFormats(fs []Format) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = strconv.Quote(string(f))
	}
	return strings.Join(s, ", ")
}

// Emit receives one file of a run folder as it is rendered: its name in
// the folder and its bytes. Render and RenderTo may call it from several
// goroutines at once; the bytes are not touched after the call.
type Emit func(name string, data []byte) error

// Render renders the report in the given formats (report.json always) and
// returns file name -> bytes, ready for Publish. mem may be nil. It is
// RenderTo collecting every file: at national scale that is hundreds of
// megabytes at once, which PublishRendered avoids.
func Render(ctx context.Context, r *Report, formats []Format, lang Lang, mem memory.Allocator) (map[string][]byte, error) {
	out := map[string][]byte{}
	var mu sync.Mutex
	err := RenderTo(ctx, r, formats, lang, mem, func(name string, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		out[name] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RenderTo renders the report in the given formats (report.json always),
// then summary.json, and hands each file to emit as soon as it is made:
// every page of the site on its own, so that no more than the files being
// written are held at once. mem may be nil. The formats are rendered
// concurrently, at most GOMAXPROCS at a time (each reads r only), the
// costliest first, and the site's pages GOMAXPROCS at a time; the unit
// tree is built once and shared by the site, the XLSX and summary.json.
// The first error in the order of formats (rendering or emit's) is
// returned, after every renderer has stopped.
func RenderTo(ctx context.Context, r *Report, formats []Format, lang Lang, mem memory.Allocator, emit Emit) error {
	return RenderStreams(ctx, r, formats, lang, mem, emit, nil)
}

// Stream hands the publisher a file too large to hold whole (report.json,
// findings.csv, results.parquet): write writes its bytes to w as they are
// made. write may be called more than once, each time from the start (an
// upload retried, a file compared with the one already there).
type Stream func(name string, write func(w io.Writer) error) error

// RenderStreams is RenderTo with the large files handed to stream instead
// of emit, when stream is not nil: at national scale report.json and
// findings.csv are some 200 MB that are then never in memory.
func RenderStreams(ctx context.Context, r *Report, formats []Format, lang Lang, mem memory.Allocator, emit Emit, stream Stream) error {
	todo := []Format{FormatJSON}
	for _, f := range formats {
		if f != FormatJSON && !slices.Contains(todo, f) {
			todo = append(todo, f)
		}
	}
	tree := sync.OnceValue(func() *siteTree { return buildTree(r) })
	errs := make([]error, len(todo))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, i := range costliestFirst(todo) {
		f := todo[i]
		g.Go(func() error {
			if f == FormatHTML {
				if r.Run.Status == StatusStopped {
					errs[i] = siteTo(r, lang, nil, emit)
				} else {
					errs[i] = siteTo(r, lang, tree(), emit)
				}
				return nil
			}
			if name, write := streamed(ctx, r, f, mem); stream != nil && write != nil {
				errs[i] = stream(name, write)
				return nil
			}
			name, data, err := renderOne(ctx, r, f, lang, mem, tree)
			if err == nil {
				err = emit(name, data)
			}
			errs[i] = err
			return nil
		})
	}
	_ = g.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	// summary.json, read by later runs for their trends, is always
	// written (docs/reports.md: every publish).
	sj, err := summaryJSON(summarise(r, tree))
	if err != nil {
		return err
	}
	return emit(SummaryName, sj)
}

// costliestFirst returns the indexes of formats in the order they are
// started: the costliest first, so that the cheap ones fill in at the end
// instead of one costly format running alone on one core while the other
// idles. The order is what a national run measured (bench/RESULTS.md,
// 2026-12-07 session 3): the site (the unit tree and 11,000 pages, whose
// pages render on every core), the XLSX (3.1 CPU-s), results.parquet (1.9),
// report.json (0.8), findings.csv; a province keeps the same order.
// Started last, as it was, results.parquet alone took the last 2-5 s.
func costliestFirst(formats []Format) []int {
	rank := func(f Format) int {
		switch f {
		case FormatHTML:
			return 0
		case FormatXLSX:
			return 1
		case FormatParquet:
			return 2
		case FormatJSON:
			return 3
		}
		return 4
	}
	order := make([]int, len(formats))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rank(formats[order[a]]) < rank(formats[order[b]]) })
	return order
}

// streamed returns the file name and writer of a format that streams
// (report.json, findings.csv, results.parquet), a nil writer for the
// others. findings.csv stays Vietnamese, as in renderOne.
func streamed(ctx context.Context, r *Report, f Format, mem memory.Allocator) (string, func(io.Writer) error) {
	switch f {
	case FormatJSON:
		return JSONName, func(w io.Writer) error { return WriteJSON(w, r) }
	case FormatCSV:
		return CSVName, func(w io.Writer) error { return WriteFindingsCSV(w, r, Vietnamese) }
	case FormatParquet:
		return ParquetName, func(w io.Writer) error { return WriteResultsParquet(ctx, w, r, mem) }
	}
	return "", nil
}

// renderOne renders one format but the site (SiteTo): its file name and
// bytes.
func renderOne(ctx context.Context, r *Report, f Format, lang Lang, mem memory.Allocator, tree func() *siteTree) (string, []byte, error) {
	switch f {
	case FormatJSON:
		b, err := JSON(r)
		return JSONName, b, err
	case FormatCSV:
		// --lang is for the HTML and XLSX (docs/operations.md): findings.csv,
		// whose messages are the policies' Vietnamese, stays Vietnamese.
		b, err := FindingsCSV(r, Vietnamese)
		return CSVName, b, err
	case FormatParquet:
		b, err := ResultsParquet(ctx, r, mem)
		return ParquetName, b, err
	case FormatXLSX:
		b, err := xlsx(r, lang, tree)
		return XLSXName, b, err
	}
	return "", nil, fmt.Errorf("render: unknown format %q", f)
}
