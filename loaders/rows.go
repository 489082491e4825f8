package loaders

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"
)

type cellKind uint8

const (
	cellNull cellKind = iota
	cellString
	cellBool
	cellInt
	cellFloat
	cellDate  // i = days since 1970-01-01
	cellOther // s = a rendering of a value of no usable type (JSON object...)
)

// cell is one value of a row as the file gave it.
type cell struct {
	k cellKind
	s string
	i int64
	f float64
}

// rowReader reads the rows of one table file.
type rowReader interface {
	// header returns the column names of the file, lower-cased and trimmed.
	header() []string
	// next advances to the next data row; false at the end. A non-nil error
	// is fatal and carries a location (*ParseError).
	next() (bool, error)
	// row is the location of the current row (see the package doc).
	row() int
	// malformed is a non-empty message when the current row cannot be split
	// into fields (DQ010).
	malformed() string
	// width is the number of fields of the current row, -1 when the format
	// names its fields (NDJSON, Parquet).
	width() int
	// cell returns field i of the header for the current row.
	cell(i int) cell
	// extra lists names of columns first seen on the current row (NDJSON).
	extra() []string
	close() error
}

func cleanHeader(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF"))
	return strings.ToLower(norm.NFC.String(s))
}

// ---- CSV / TSV ----

type csvReader struct {
	file   string
	lr     *lineReader
	br     *bufio.Reader // under r: the fast path reads whole lines from it
	r      *csv.Reader
	hdr    []string
	rec    []string
	line   int
	bad    string
	closer func() error

	// The fast path (nextFast) splits a line without quotes itself;
	// encoding/csv reads every other record. fast is false when the
	// delimiter is not one byte. fastLines counts the lines the fast path
	// read (encoding/csv's line numbers leave them out); last is the line
	// number of the last line read.
	fast      bool
	comma     byte
	fastLines int
	last      int
	fastRec   []string
}

func detectDelimiter(br *bufio.Reader) rune {
	head, _ := br.Peek(64 << 10)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	counts := map[rune]int{}
	inQuote := false
	for _, b := range head {
		switch {
		case b == '"':
			inQuote = !inQuote
		case inQuote:
		case b == ',' || b == ';' || b == '\t':
			counts[rune(b)]++
		}
	}
	best, n := ',', 0
	for _, d := range []rune{',', ';', '\t'} {
		if counts[d] > n {
			best, n = d, counts[d]
		}
	}
	return best
}

func newCSVReader(file string, text io.Reader, delim string, tsv bool, maxLine int, closer func() error) (*csvReader, error) {
	lr := newLineReader(text, maxLine)
	br := bufio.NewReaderSize(lr, 64<<10)
	var comma rune
	switch {
	case delim != "":
		comma = rune(delim[0])
	case tsv:
		comma = '\t'
	default:
		comma = detectDelimiter(br)
	}
	r := csv.NewReader(br)
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	c := &csvReader{file: file, lr: lr, br: br, r: r, closer: closer}
	if comma > 0 && comma < utf8.RuneSelf {
		c.fast, c.comma = true, byte(comma)
	}
	rec, err := r.Read()
	if err == io.EOF {
		return c, nil
	}
	if err != nil {
		return nil, c.wrap(err)
	}
	c.last = c.endLine(rec)
	for _, h := range rec {
		c.hdr = append(c.hdr, cleanHeader(h))
	}
	return c, nil
}

func (c *csvReader) wrap(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: c.file, Row: pe.Line + c.fastLines, Column: pe.Column, Err: pe.Err}
	}
	return &ParseError{File: c.file, Row: c.lr.line, Err: err}
}

func (c *csvReader) header() []string { return c.hdr }

func (c *csvReader) next() (bool, error) {
	if c.hdr == nil {
		return false, nil
	}
	c.bad = ""
	if c.fast && c.nextFast() {
		return true, nil
	}
	rec, err := c.r.Read()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote)) {
			c.rec, c.line, c.last = nil, pe.StartLine+c.fastLines, pe.Line+c.fastLines
			c.bad = fmt.Sprintf("The row cannot be split into fields: %v (line %d, column %d).", pe.Err, pe.Line+c.fastLines, pe.Column)
			return true, nil
		}
		return false, c.wrap(err)
	}
	c.rec = rec
	c.line, _ = c.r.FieldPos(0)
	c.line += c.fastLines
	c.last = c.endLine(rec)
	return true, nil
}

// endLine is the line number of the last line of rec, which encoding/csv
// has just read: the line where its last field starts, plus the line
// breaks inside that field (a quoted field may span lines; encoding/csv
// turns each \r\n inside it into \n).
func (c *csvReader) endLine(rec []string) int {
	if len(rec) == 0 {
		return c.last
	}
	line, _ := c.r.FieldPos(len(rec) - 1)
	return line + c.fastLines + strings.Count(rec[len(rec)-1], "\n")
}

// nextFast reads the next record when it is one line, already buffered,
// with no quote and no carriage return but the one before its line feed:
// such a line is the record, and its fields are the text between the
// delimiters, exactly as encoding/csv reads them (the record's string is
// made once and the fields are sliced from it, as encoding/csv does). Any
// other line (empty, quoted, unfinished in the buffer) is left to
// encoding/csv: false. It never reads from the file (Peek of what is
// buffered only), so the errors stay encoding/csv's.
func (c *csvReader) nextFast() bool {
	buf, _ := c.br.Peek(c.br.Buffered())
	n := bytes.IndexByte(buf, '\n')
	if n <= 0 {
		return false
	}
	line := buf[:n]
	if line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 0 || bytes.IndexByte(line, '"') >= 0 || bytes.IndexByte(line, '\r') >= 0 {
		return false
	}
	s := string(line)
	rec := c.fastRec[:0]
	for {
		i := strings.IndexByte(s, c.comma)
		if i < 0 {
			rec = append(rec, s)
			break
		}
		rec = append(rec, s[:i])
		s = s[i+1:]
	}
	c.br.Discard(n + 1)
	c.fastRec, c.rec = rec, rec
	c.fastLines++
	c.last++
	c.line = c.last
	return true
}

func (c *csvReader) row() int          { return c.line }
func (c *csvReader) malformed() string { return c.bad }
func (c *csvReader) width() int        { return len(c.rec) }
func (c *csvReader) extra() []string   { return nil }
func (c *csvReader) close() error      { return c.closer() }

func (c *csvReader) cell(i int) cell {
	if i >= len(c.rec) || c.rec[i] == "" {
		return cell{}
	}
	return cell{k: cellString, s: c.rec[i]}
}

// ---- NDJSON ----

type ndjsonReader struct {
	file    string
	sc      *bufio.Scanner
	line    int
	hdr     []string
	index   map[string]int
	obj     map[string]any
	bad     string
	added   []string
	pending bool // the first object was read by the constructor
	first   map[string]bool
	closer  func() error
}

// newNDJSONReader reads one JSON object per line. Its header is the spec's
// columns (cols); keys of other names are reported by extra() on the row
// where they first appear. first holds the keys of the first object (every
// column when there is no object: a file with no record is an empty table).
func newNDJSONReader(file string, text io.Reader, cols []string, maxLine int, closer func() error) (*ndjsonReader, error) {
	sc := bufio.NewScanner(text)
	sc.Buffer(make([]byte, 0, min(64<<10, maxLine+1)), maxLine+1)
	n := &ndjsonReader{file: file, sc: sc, index: map[string]int{}, closer: closer, first: map[string]bool{}}
	for _, c := range cols {
		n.index[c] = len(n.hdr)
		n.hdr = append(n.hdr, c)
	}
	ok, err := n.scan()
	if err != nil {
		n.hdr = nil
		return n, err
	}
	if !ok {
		// No record at all (an empty file, or blank lines only): NDJSON has
		// no header row, so this is an empty table, not a missing header;
		// no column is missing.
		for _, c := range cols {
			n.first[c] = true
		}
		return n, nil
	}
	for k := range n.obj {
		n.first[k] = true
	}
	if n.bad != "" { // the first line is broken: do not judge the columns by it
		for _, c := range cols {
			n.first[c] = true
		}
	}
	n.pending = true
	return n, nil
}

func (n *ndjsonReader) scan() (bool, error) {
	for n.sc.Scan() {
		n.line++
		b := bytes.TrimSpace(n.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		n.bad, n.obj, n.added = "", nil, nil
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			n.bad = "The line is not valid JSON: " + err.Error()
			return true, nil
		}
		if dec.More() {
			n.bad = "The line holds more than one JSON value."
			return true, nil
		}
		raw, ok := v.(map[string]any)
		if !ok {
			n.bad = fmt.Sprintf("The line is %s, not a JSON object ({\"column\": value, ...}).", jsonKind(v))
			return true, nil
		}
		n.obj = make(map[string]any, len(raw))
		for k, v := range raw {
			k = cleanHeader(k)
			n.obj[k] = v
			if _, ok := n.index[k]; !ok {
				n.index[k] = -1
				n.added = append(n.added, k)
			}
		}
		slices.Sort(n.added) // keys come from a map: keep reports stable
		return true, nil
	}
	if err := n.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = errLineTooLong
		}
		return false, &ParseError{File: n.file, Row: n.line + 1, Err: err}
	}
	return false, nil
}

// jsonKind names the kind of a decoded JSON value that is not an object.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "a JSON array"
	case string:
		return "a JSON string"
	case json.Number:
		return "a JSON number"
	case bool:
		return "a JSON true or false"
	case nil:
		return "JSON null"
	}
	return "not a JSON object"
}

func (n *ndjsonReader) header() []string { return n.hdr }

func (n *ndjsonReader) next() (bool, error) {
	if n.pending {
		n.pending = false
		return true, nil
	}
	return n.scan()
}

func (n *ndjsonReader) row() int          { return n.line }
func (n *ndjsonReader) malformed() string { return n.bad }
func (n *ndjsonReader) width() int        { return -1 }
func (n *ndjsonReader) extra() []string   { return n.added }
func (n *ndjsonReader) close() error      { return n.closer() }

func (n *ndjsonReader) cell(i int) cell {
	v, ok := n.obj[n.hdr[i]]
	if !ok {
		return cell{}
	}
	return jsonCell(v)
}

func jsonCell(v any) cell {
	switch x := v.(type) {
	case nil:
		return cell{}
	case string:
		if x == "" {
			return cell{}
		}
		return cell{k: cellString, s: x}
	case bool:
		if x {
			return cell{k: cellBool, i: 1}
		}
		return cell{k: cellBool}
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return cell{k: cellInt, i: i, s: string(x)}
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return cell{k: cellOther, s: string(x)}
		}
		return cell{k: cellFloat, f: f, s: string(x)}
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				b, _ := json.Marshal(x)
				return cell{k: cellOther, s: string(b)}
			}
			parts = append(parts, s)
		}
		if len(parts) == 0 {
			return cell{}
		}
		return cell{k: cellString, s: strings.Join(parts, ";")}
	}
	b, _ := json.Marshal(v)
	return cell{k: cellOther, s: string(b)}
}

// ---- XLSX ----

type xlsxReader struct {
	file    string
	f       *excelize.File
	rows    *excelize.Rows
	maxCell int
	hdr     []string
	rec     []string
	line    int
	// bound is the most rows the workbook can hold (-1: unknown): its
	// parts' declared sizes over the shortest row element, for
	// --max-bad-rows (tableLoader.stopEarly).
	bound int
}

// minXLSXRow is the shortest row element of a sheet, "<row></row>".
const minXLSXRow = len("<row></row>")

func newXLSXReader(file string, data []byte, sheet string, maxCell int, maxBytes int64) (*xlsxReader, error) {
	// The sizes the archive declares, checked before anything is inflated
	// (archive/zip refuses a part that inflates past its declared size):
	// excelize would otherwise hold every part below its own limit in
	// memory.
	bound := -1
	if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
		var total uint64
		for _, f := range zr.File {
			total += f.UncompressedSize64
			if total > uint64(maxBytes) {
				return nil, &ParseError{File: file, Err: fmt.Errorf("part %s: %w", f.Name, errTooBig)}
			}
		}
		bound = int(total / uint64(minXLSXRow))
	}
	xmlLimit := int64(16 << 20)
	if maxBytes < xmlLimit {
		xmlLimit = maxBytes
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, UnzipSizeLimit: maxBytes, UnzipXMLSizeLimit: xmlLimit})
	if err != nil {
		return nil, &ParseError{File: file, Err: fmt.Errorf("open workbook: %w", err)}
	}
	x := &xlsxReader{file: file, f: f, maxCell: maxCell, bound: bound}
	if sheet == "" {
		list := f.GetSheetList()
		if len(list) == 0 {
			_ = f.Close()
			return nil, &ParseError{File: file, Err: errors.New("the workbook has no sheet")}
		}
		sheet = list[0]
	}
	if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
		_ = f.Close()
		return nil, &ParseError{File: file, Err: fmt.Errorf("the workbook has no sheet named %q", sheet)}
	}
	x.rows, err = f.Rows(sheet)
	if err != nil {
		_ = f.Close()
		return nil, &ParseError{File: file, Err: fmt.Errorf("read sheet %q: %w", sheet, err)}
	}
	ok, err := x.read()
	if err != nil {
		_ = x.close()
		return nil, err
	}
	if ok {
		for _, h := range x.rec {
			x.hdr = append(x.hdr, cleanHeader(h))
		}
	}
	return x, nil
}

func (x *xlsxReader) read() (bool, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return false, &ParseError{File: x.file, Row: x.line + 1, Err: err}
		}
		return false, nil
	}
	x.line++
	rec, err := x.rows.Columns()
	if err != nil {
		return false, &ParseError{File: x.file, Row: x.line, Err: err}
	}
	for i, v := range rec {
		if len(v) > x.maxCell {
			return false, &ParseError{File: x.file, Row: x.line, Column: i + 1, Err: errLineTooLong}
		}
	}
	x.rec = rec
	return true, nil
}

func (x *xlsxReader) header() []string { return x.hdr }

func (x *xlsxReader) next() (bool, error) {
	if x.hdr == nil {
		return false, nil
	}
	for {
		ok, err := x.read()
		if !ok || err != nil {
			return false, err
		}
		for _, v := range x.rec {
			if strings.TrimSpace(v) != "" {
				return true, nil
			}
		}
	}
}

func (x *xlsxReader) row() int          { return x.line }
func (x *xlsxReader) malformed() string { return "" }
func (x *xlsxReader) extra() []string   { return nil }

// width counts fields up to the last non-empty one: a sheet row has no
// trailing empty cells, so only a row longer than the header is wrong.
func (x *xlsxReader) width() int {
	n := len(x.rec)
	for n > 0 && strings.TrimSpace(x.rec[n-1]) == "" {
		n--
	}
	if n < len(x.hdr) {
		return len(x.hdr)
	}
	return n
}

func (x *xlsxReader) cell(i int) cell {
	if i >= len(x.rec) || x.rec[i] == "" {
		return cell{}
	}
	return cell{k: cellString, s: x.rec[i]}
}

func (x *xlsxReader) close() error {
	var err error
	if x.rows != nil {
		err = x.rows.Close()
	}
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}
