package loaders

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// column turns cells into one Arrow column.
type column struct {
	spec   snapshot.ColumnSpec
	src    int // index in the file header, -1 when the file has no such column
	b      array.Builder
	alias  map[string]string // NFC label and lower-case label -> code
	enum   map[string]string // lower-case value -> canonical
	needs  bool              // members.needs -> needs_recorded
	nfc    int               // DQ008 seen
	silent bool              // no DQ008 (windows-1258 decodes to combining marks)
	dict   *dictColumn       // dictionary-encoded: b is its index builder
	set    setter            // appends a non-empty cell (chosen by kind)
	text   *textColumn       // a Parquet string column: b holds only the current batch's values
	null   nullRule          // what an empty cell gives
}

// dictColumn builds a dictionary<int32, utf8> column with a Go map as the
// memo table (faster than the Arrow builder's for short, repeated strings).
type dictColumn struct {
	typ    *arrow.DictionaryType
	memo   map[string]int32
	values []string
}

func (d *dictColumn) index(s string) int32 {
	if i, ok := d.memo[s]; ok {
		return i
	}
	s = strings.Clone(s) // s may point into a parquet page
	i := int32(len(d.values))
	d.memo[s] = i
	d.values = append(d.values, s)
	return i
}

func (d *dictColumn) array(mem memory.Allocator, idx arrow.Array) arrow.Array {
	vb := array.NewStringBuilder(mem)
	defer vb.Release()
	vb.AppendValues(d.values, nil)
	vals := vb.NewArray()
	defer vals.Release()
	return array.NewDictionaryArray(d.typ, idx, vals)
}

// rawTable is a table as read, bad rows included (with nulls), before the
// checks across rows and tables.
type rawTable struct {
	table    snapshot.Table
	file     string
	rec      arrow.Record
	rows     []int32               // location of each record row
	bad      []bool                // row has its own error finding
	drop     []bool                // row left out without a finding of its own
	reason   map[int]snapshot.Code // code of the first error of a bad row (units and models only)
	findings []snapshot.Finding
	ignored  []string
	// listed counts the findings listed per (code, column) and unlisted
	// those left out past maxListedFindings (nil listed: no cap, for the
	// scratch tables of readBatches' goroutines).
	listed, unlisted map[findingKey]int
}

func newRawTable(t snapshot.Table, file string) *rawTable {
	return &rawTable{table: t, file: file, listed: map[findingKey]int{}, unlisted: map[findingKey]int{}}
}

// keepReasons says whether the table records why each bad row is bad: the
// units and models, whose exclusions are listed with their reason.
func (t *rawTable) keepReasons() bool {
	return t.table == snapshot.Units || t.table == snapshot.Models
}

// setReason records code as the reason of bad row i, when reasons are kept.
func (t *rawTable) setReason(i int, code snapshot.Code) {
	if t.keepReasons() {
		if t.reason == nil {
			t.reason = map[int]snapshot.Code{}
		}
		t.reason[i] = code
	}
}

// reasonOf says why bad row i is excluded ("DQ006 on row 12"); the zero
// Reason when no code was recorded.
func (t *rawTable) reasonOf(i int) snapshot.Reason {
	code, ok := t.reason[i]
	if !ok {
		return snapshot.Reason{}
	}
	return snapshot.RowReason(code, int(t.rows[i]))
}

func (t *rawTable) col(name string) arrow.Array {
	if t == nil || t.rec == nil {
		return nil
	}
	return snapshot.Column(t.rec, name)
}

// tableLoader fills the builders of one table from a rowReader.
type tableLoader struct {
	t        snapshot.Table
	file     string
	xlsx     bool
	cols     []*column
	hdrWidth int
	out      *rawTable
	progress func(snapshot.Table, int)
	released bool
	mem      memory.Allocator
	scratch  scratch // the bulk appends' slices (Parquet)

	aheadRows    int // config.aheadRows: CSV/TSV rows read before the rest is read ahead
	prefetchRows int // config.prefetchRows: Parquet files of more rows decode ahead

	// maxBad is --max-bad-rows; nbad counts the rows excluded so far, and
	// bound is the most rows the file can hold (rowBound; -1: unknown):
	// reading stops with a *TooManyBadRowsError as soon as the limit can
	// no longer be met (stopEarly).
	maxBad Limit
	nbad   int
	bound  int

	// most is the file's decompressed limit: no text column reserves more
	// bytes ahead than that (growTo).
	most int64
}

// earlyStopRows is the least rows read before a table stops early: a small
// file is read whole (its report lists every finding), a large one whose
// rows are wrong stops before it fills the memory.
const earlyStopRows = 10_000

// stopEarly returns a *TooManyBadRowsError once the nbad rows excluded of
// the rows read so far break l.maxBad whatever the rest of the file holds
// (and at least earlyStopRows rows are read): a count at once, a share
// against the most rows the file can hold (l.bound; for lack of a bound
// never). The excluded rows can only grow (the checks across tables
// exclude more), so the run would stop with exit code 3 anyway: it stops
// before it holds the rest of the file.
func (l *tableLoader) stopEarly(rows int) error {
	if l.nbad == 0 || rows < earlyStopRows {
		return nil
	}
	most := rows
	if l.maxBad.IsShare {
		if l.bound < 0 {
			return nil
		}
		most = max(l.bound, rows)
	}
	if !l.maxBad.Exceeded(l.nbad, most) {
		return nil
	}
	return &TooManyBadRowsError{Table: l.t, Excluded: l.nbad, Rows: rows, Limit: l.maxBad, Stopped: true}
}

// read loads every row of rr; it stops with ctx's error once ctx is done.
func (l *tableLoader) read(ctx context.Context, rr rowReader) error {
	if p, ok := rr.(*parquetReader); ok {
		return l.readColumns(ctx, p)
	}
	n := 0
	for {
		if c, ok := rr.(*csvReader); ok && n == l.aheadRows {
			// A large CSV file: from here on its records are split in a
			// goroutine while this one converts them, a batch at a time.
			a := c.readAhead(l.used())
			defer a.stop()
			return l.readBatches(ctx, a, n)
		}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		for _, name := range rr.extra() {
			l.ignore(name, rr.row())
		}
		if l.appendRow(rr) {
			l.nbad++
			if err := l.stopEarly(n + 1); err != nil {
				return err
			}
		}
		n++
		if err := l.advanced(ctx, n-1, n); err != nil {
			return err
		}
	}
	l.done(n)
	return nil
}

// advanced checks ctx and reports progress each time the rows read, from
// before to n, pass a multiple of 64 Ki.
func (l *tableLoader) advanced(ctx context.Context, before, n int) error {
	if n/(64<<10) == before/(64<<10) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.progress != nil {
		l.progress(l.t, n)
	}
	return nil
}

// done reports the n rows read and sums up the findings left unlisted.
func (l *tableLoader) done(n int) {
	if l.progress != nil {
		l.progress(l.t, n)
	}
	l.summarise()
}

// appendRow appends the current row of rr; true when the row is excluded.
func (l *tableLoader) appendRow(rr rowReader) bool {
	row := rr.row()
	idx := len(l.out.rows)
	l.out.rows = append(l.out.rows, int32(min(row, math.MaxInt32)))
	var bad snapshot.Code
	if m := rr.malformed(); m != "" {
		l.finding(snapshot.DQFieldCount, row, "", "", m)
		bad = snapshot.DQFieldCount
	} else if w := rr.width(); w >= 0 && w != l.hdrWidth {
		l.finding(snapshot.DQFieldCount, row, "", "", fmt.Sprintf("The row has %d fields but the header has %d.", w, l.hdrWidth))
		bad = snapshot.DQFieldCount
	}
	if bad != "" {
		for _, c := range l.cols {
			if c.needs {
				c.b.(*array.BooleanBuilder).Append(false)
			} else {
				c.b.AppendNull()
			}
		}
	} else {
		for _, c := range l.cols {
			var v cell
			if c.src >= 0 {
				v = rr.cell(c.src)
			}
			if code, val, msg := l.add(c, v, row); code != "" {
				l.finding(code, row, c.spec.Name, val, msg)
				if bad == "" {
					bad = code
				}
			}
		}
	}
	l.out.bad = append(l.out.bad, bad != "")
	if bad != "" {
		l.out.setReason(idx, bad)
	}
	return bad != ""
}

// finish builds the record.
func (l *tableLoader) finish(mem memory.Allocator) {
	arrs := make([]arrow.Array, len(l.cols))
	for i, c := range l.cols {
		if c.text != nil {
			c.flushText(0, 0)
			arrs[i] = c.text.array()
			c.text = nil
		} else {
			arrs[i] = c.b.NewArray()
		}
		c.b.Release()
		if tight := compactArray(mem, arrs[i]); tight != nil {
			arrs[i].Release()
			arrs[i] = tight
		}
		if c.dict != nil {
			idx := arrs[i]
			arrs[i] = c.dict.array(mem, idx)
			idx.Release()
		}
	}
	l.released = true
	l.out.rec = array.NewRecord(snapshot.Schema(l.t), arrs, int64(len(l.out.rows)))
	for _, a := range arrs {
		a.Release()
	}
}

func (l *tableLoader) release() {
	if l.released {
		return
	}
	l.released = true
	for _, c := range l.cols {
		c.b.Release()
		if c.text != nil {
			c.text.release()
		}
	}
}
