package loaders

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"

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

// dictColumn builds a dictionary<int32, utf8> column. Its values are kept
// in chunks of bytes (dictChunk), located by pages of dictLocs, and found
// by an open-addressing table of their indices (slots) keyed by a hash of
// the text, kept with each slot. A Go map of string keys, a slice of the
// values and a copy of each value cost several times more at national
// scale (a unit_id column holds every unit id of the country, some 600 k,
// in every table that has one): a string header per value, an allocation
// per value, a rehash of every key at each doubling of the map, and slices
// grown by append, which copy and drop their memory at every growth (five
// times the final size allocated in all). Chunks and pages are never
// copied; only the table of 8-byte slots is, and it keeps their hash.
type dictColumn struct {
	typ    *arrow.DictionaryType
	seed   maphash.Seed
	chunks [][]byte    // the values' bytes; a value is in one chunk
	locs   [][]dictLoc // value i is at locs[i/dictPage][i%dictPage]
	n      int         // values
	size   int         // bytes of the values
	slots  []dictSlot  // a power of two of them, at most 3/4 used
}

// dictChunk is the most bytes of a chunk of dictColumn values (a longer
// value has a chunk of its own); dictPage the values a page of locations
// holds.
const (
	dictChunk = 64 << 10
	dictPage  = 4096
)

// dictLoc is where a value's bytes are: chunks[chunk][off:off+n].
type dictLoc struct{ chunk, off, n uint32 }

// dictSlot is a slot of dictColumn.slots: idx is the value's index plus
// one (0: empty), hash the low 32 bits of its text's hash, which place it
// in the table (of up to 2^32 slots) and so move it when the table grows,
// without hashing the text again.
type dictSlot struct {
	hash uint32
	idx  int32
}

func newDictColumn(typ *arrow.DictionaryType) *dictColumn {
	return &dictColumn{typ: typ, seed: maphash.MakeSeed()}
}

// len is the number of values.
func (d *dictColumn) len() int { return d.n }

// value is value i.
func (d *dictColumn) value(i int32) []byte {
	l := d.locs[i/dictPage][i%dictPage]
	return d.chunks[l.chunk][l.off : l.off+l.n]
}

// add appends s as value n (its bytes are copied: s may point into a
// parquet page). A value is the text of a cell, which a Parquet byte array
// (a 4-byte length) or a line of a bounded length holds: under 4 GiB.
func (d *dictColumn) add(s string) {
	last := len(d.chunks) - 1
	if last < 0 || len(d.chunks[last])+len(s) > cap(d.chunks[last]) {
		// Chunks double from 1 KiB up to dictChunk: most dictionaries
		// (enums, months) hold a few short values.
		size := 1 << 10
		if last >= 0 {
			size = min(dictChunk, 2*cap(d.chunks[last]))
		}
		d.chunks = append(d.chunks, make([]byte, 0, max(size, len(s))))
		last++
	}
	c := d.chunks[last]
	loc := dictLoc{chunk: uint32(last), off: uint32(len(c)), n: uint32(len(s))}
	d.chunks[last] = append(c, s...)
	if d.n%dictPage == 0 {
		// The first page starts small and grows by append (copied while
		// it is small); the others are whole from the start.
		size := dictPage
		if d.n == 0 {
			size = 16
		}
		d.locs = append(d.locs, make([]dictLoc, 0, size))
	}
	d.locs[len(d.locs)-1] = append(d.locs[len(d.locs)-1], loc)
	d.n++
	d.size += len(s)
}

// reserve makes room for n values in all without the table growing.
func (d *dictColumn) reserve(n int) {
	if 4*n > 3*len(d.slots) {
		d.rehash(n)
	}
}

// index returns the index of s, adding it as the next value when it is new.
func (d *dictColumn) index(s string) int32 {
	if 4*(d.n+1) > 3*len(d.slots) {
		d.rehash(d.n + 1)
	}
	h := uint32(maphash.String(d.seed, s))
	mask := uint32(len(d.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &d.slots[i]
		if sl.idx == 0 {
			k := int32(d.n)
			d.add(s)
			*sl = dictSlot{hash: h, idx: k + 1}
			return k
		}
		if sl.hash == h && string(d.value(sl.idx-1)) == s {
			return sl.idx - 1
		}
	}
}

// rehash makes the table large enough for n values (64 slots at least) and
// puts the values back in it.
func (d *dictColumn) rehash(n int) {
	size := 64
	for 4*n > 3*size {
		size *= 2
	}
	if size <= len(d.slots) {
		return
	}
	old := d.slots
	d.slots = make([]dictSlot, size)
	mask := uint32(size - 1)
	for _, sl := range old {
		if sl.idx == 0 {
			continue
		}
		i := sl.hash & mask
		for d.slots[i].idx != 0 {
			i = (i + 1) & mask
		}
		d.slots[i] = sl
	}
}

func (d *dictColumn) array(mem memory.Allocator, idx arrow.Array) arrow.Array {
	vb := array.NewStringBuilder(mem)
	defer vb.Release()
	vb.Reserve(d.n)
	vb.ReserveData(d.size)
	for k := 0; k < d.n; k++ {
		vb.BinaryBuilder.Append(d.value(int32(k)))
	}
	vals := vb.NewArray()
	defer vals.Release()
	return array.NewDictionaryArray(d.typ, idx, vals)
}

// rowNumbers are the locations (file rows, 1-based after any header) of
// a table's record rows. A Parquet file's rows are its records in order,
// row i at i+1: they are counted, not stored (78 MB of int32 for the 19.5
// million members of a national snapshot). A text file's rows are stored,
// since a record can span lines.
type rowNumbers struct {
	explicit []int32 // nil while the rows are 1, 2, ... n
	n        int
}

// at is the location of record row i.
func (r *rowNumbers) at(i int) int {
	if r.explicit == nil {
		return i + 1
	}
	return int(r.explicit[i])
}

func (r *rowNumbers) len() int { return r.n }

// add appends the location of the next record row: counted while it is
// the next number, stored from the first row that is not.
func (r *rowNumbers) add(row int) {
	if r.explicit == nil && row == r.n+1 {
		r.n++
		return
	}
	if r.explicit == nil {
		r.explicit = make([]int32, r.n, max(2*r.n, 1024))
		for i := range r.explicit {
			r.explicit[i] = int32(min(i+1, math.MaxInt32))
		}
	}
	r.explicit = append(r.explicit, int32(min(row, math.MaxInt32)))
	r.n++
}

// rawTable is a table as read, bad rows included (with nulls), before the
// checks across rows and tables.
type rawTable struct {
	table    snapshot.Table
	file     string
	rec      arrow.Record
	rows     rowNumbers            // location of each record row
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
	return snapshot.RowReason(code, t.rows.at(i))
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
	idx := l.out.rows.len()
	l.out.rows.add(row)
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
	l.out.rec = array.NewRecord(snapshot.Schema(l.t), arrs, int64(l.out.rows.len()))
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
