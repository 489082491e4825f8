package loaders

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// maxNormalisedFindings caps the DQ008 findings listed per column; the rest
// is summed up in one finding with row 0.
const maxNormalisedFindings = 100

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

// maxListedFindings caps the findings of one code listed per column of a
// table (per table for DQ009, whose column is the ignored one): the rest
// are counted and summed up in one finding with row 0, so that a file whose
// every row is wrong costs a count, not a finding per row.
const maxListedFindings = 100

type findingKey struct {
	code   snapshot.Code
	column string
}

func newRawTable(t snapshot.Table, file string) *rawTable {
	return &rawTable{table: t, file: file, listed: map[findingKey]int{}, unlisted: map[findingKey]int{}}
}

// add lists f, or only counts it once maxListedFindings of its code and
// column are listed.
func (t *rawTable) add(f snapshot.Finding) {
	if t.listed == nil {
		t.findings = append(t.findings, f)
		return
	}
	k := findingKey{f.Code, f.Column}
	if f.Code == snapshot.DQIgnored {
		k.column = ""
	}
	if t.listed[k] >= maxListedFindings {
		t.unlisted[k]++
		return
	}
	t.listed[k]++
	t.findings = append(t.findings, f)
}

// summariseUnlisted adds one finding (row 0) per code and column whose
// findings were not all listed, saying how many were left out.
func (t *rawTable) summariseUnlisted() {
	keys := make([]findingKey, 0, len(t.unlisted))
	for k := range t.unlisted {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b findingKey) int {
		return cmp.Or(cmp.Compare(a.code, b.code), cmp.Compare(a.column, b.column))
	})
	for _, k := range keys {
		msg := fmt.Sprintf("%d more %s findings of this column are not listed one by one (the first %d are).", t.unlisted[k], k.code, maxListedFindings)
		if k.code == snapshot.DQIgnored {
			msg = fmt.Sprintf("%d more columns of this file are not part of the snapshot format and were not loaded; they are not listed one by one.", t.unlisted[k])
		}
		t.findings = append(t.findings, snapshot.Finding{Code: k.code, Severity: snapshot.SeverityOf(k.code), Table: t.table,
			File: t.file, Column: k.column, Message: msg})
	}
	clear(t.unlisted)
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

	// maxBad is --max-bad-rows; nbad counts the rows excluded so far, and
	// bound is the most rows the file can hold (rowBound; -1: unknown):
	// reading stops with a *TooManyBadRowsError as soon as the limit can
	// no longer be met (stopEarly).
	maxBad Limit
	nbad   int
	bound  int
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

func newColumn(mem memory.Allocator, t snapshot.Table, spec snapshot.ColumnSpec, field arrow.Field, aliases map[string]string) *column {
	c := &column{spec: spec, src: -1}
	if dt, ok := field.Type.(*arrow.DictionaryType); ok {
		c.dict = &dictColumn{typ: dt, memo: map[string]int32{}}
		c.b = array.NewInt32Builder(mem)
	} else {
		c.b = array.NewBuilder(mem, field.Type)
	}
	if t == snapshot.Members && spec.Name == "needs" {
		c.needs = true
	}
	if len(aliases) > 0 {
		c.alias = make(map[string]string, 2*len(aliases))
		for k, v := range aliases {
			c.alias[strings.ToLower(k)] = v
		}
		for k, v := range aliases {
			c.alias[k] = v
		}
	}
	if spec.Enum != "" {
		c.enum = map[string]string{}
		for _, v := range snapshot.EnumValues(spec.Enum) {
			c.enum[v] = v
		}
	}
	return c
}

func (l *tableLoader) finding(code snapshot.Code, row int, column, value, msg string) {
	l.out.add(l.newFinding(code, row, column, value, msg))
}

func (l *tableLoader) newFinding(code snapshot.Code, row int, column, value, msg string) snapshot.Finding {
	return snapshot.Finding{Code: code, Severity: snapshot.SeverityOf(code),
		Table: l.t, File: l.file, Row: row, Column: column, Value: quote(l.t, value), Message: msg}
}

// read loads every row of rr; it stops with ctx's error once ctx is done.
func (l *tableLoader) read(ctx context.Context, rr rowReader) error {
	if p, ok := rr.(*parquetReader); ok {
		return l.readColumns(ctx, p)
	}
	n := 0
	for {
		if c, ok := rr.(*csvReader); ok && n == aheadRows {
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

// readBatches loads the batches a reads ahead, after the n rows read
// before. Each batch's rows are recorded here (row numbers, records that
// cannot be split, wrong field counts), then its columns are converted by
// two goroutines, each owning half of the columns (their builders,
// dictionaries and counters) and collecting its own findings; a row's
// first error is the one of its first column in table order, as appendRow
// gives it. The findings are sorted when the snapshot is assembled.
func (l *tableLoader) readBatches(ctx context.Context, a *csvAhead, n int) error {
	var halves [2][]int // column indexes of each goroutine, alternating
	for i := range l.cols {
		halves[i%2] = append(halves[i%2], i)
	}
	type half struct {
		findings []snapshot.Finding
		firstCol []int32 // per row of the batch: first failing column, or -1
		reason   []snapshot.Code
	}
	var hs [2]half
	var rowBad []snapshot.Code
	for {
		b := a.nextBatch()
		if b == nil {
			break
		}
		rows := len(b.recs)
		start := len(l.out.rows)
		rowBad = append(rowBad[:0], make([]snapshot.Code, rows)...)
		nb := 0
		var split []snapshot.Finding // DQ010 of the batch, added with the others
		for r := 0; r < rows; r++ {
			row := b.recs[r].line
			l.out.rows = append(l.out.rows, int32(min(row, math.MaxInt32)))
			l.out.bad = append(l.out.bad, false)
			if nb < len(b.bad) && b.bad[nb].rec == r {
				split = append(split, l.newFinding(snapshot.DQFieldCount, row, "", "", b.bad[nb].msg))
				rowBad[r] = snapshot.DQFieldCount
				nb++
			} else if w := b.recs[r].width; w != l.hdrWidth {
				split = append(split, l.newFinding(snapshot.DQFieldCount, row, "", "", fmt.Sprintf("The row has %d fields but the header has %d.", w, l.hdrWidth)))
				rowBad[r] = snapshot.DQFieldCount
			}
		}
		convert := func(h *half, cols []int) {
			lh := *l
			lh.out = &rawTable{findings: h.findings[:0]}
			h.firstCol = append(h.firstCol[:0], make([]int32, rows)...)
			h.reason = append(h.reason[:0], make([]snapshot.Code, rows)...)
			for r := range h.firstCol {
				h.firstCol[r] = -1
			}
			for _, ci := range cols {
				c := l.cols[ci]
				for r := 0; r < rows; r++ {
					if rowBad[r] != "" {
						if c.needs {
							c.b.(*array.BooleanBuilder).Append(false)
						} else {
							c.b.AppendNull()
						}
						continue
					}
					var v cell
					if c.src >= 0 {
						v = a.field(b, r, c.src)
					}
					row := b.recs[r].line
					if code, val, msg := lh.add(c, v, row); code != "" {
						lh.finding(code, row, c.spec.Name, val, msg)
						if h.firstCol[r] < 0 {
							h.firstCol[r] = int32(ci)
							h.reason[r] = code
						}
					}
				}
			}
			h.findings = lh.out.findings
		}
		var wg sync.WaitGroup
		wg.Go(func() { convert(&hs[1], halves[1]) })
		convert(&hs[0], halves[0])
		wg.Wait()
		var stop error
		last := 0 // line of the row that stopped the load
		for r := 0; r < rows; r++ {
			reason := rowBad[r]
			if reason == "" {
				f0, f1 := hs[0].firstCol[r], hs[1].firstCol[r]
				switch {
				case f0 >= 0 && (f1 < 0 || f0 < f1):
					reason = hs[0].reason[r]
				case f1 >= 0:
					reason = hs[1].reason[r]
				}
			}
			if reason != "" {
				l.out.bad[start+r] = true
				l.out.setReason(start+r, reason)
				l.nbad++
				if stop = l.stopEarly(n + r + 1); stop != nil {
					last = b.recs[r].line
					break
				}
			}
		}
		// The findings of the rows up to the one that stopped the load, as
		// when the rows are read one by one (the rows of a batch are in
		// line order, and a column's findings in row order).
		for _, fs := range [][]snapshot.Finding{split, hs[0].findings, hs[1].findings} {
			for _, f := range fs {
				if stop == nil || f.Row <= last {
					l.out.add(f)
				}
			}
		}
		if stop != nil {
			a.release(b)
			return stop
		}
		err := b.err
		a.release(b)
		if err != nil {
			return err
		}
		n += rows
		if err := l.advanced(ctx, n-rows, n); err != nil {
			return err
		}
	}
	l.done(n)
	return nil
}

// used lists the header indices the columns read, in increasing order.
func (l *tableLoader) used() []int {
	var out []int
	for _, c := range l.cols {
		if c.src >= 0 {
			out = append(out, c.src)
		}
	}
	slices.Sort(out)
	return out
}

func (l *tableLoader) summarise() {
	for _, c := range l.cols {
		if c.nfc > maxNormalisedFindings {
			l.finding(snapshot.DQNormalised, 0, c.spec.Name, "", fmt.Sprintf("%d more values of this column were changed by Unicode (NFC) normalisation; they are not listed one by one.", c.nfc-maxNormalisedFindings))
		}
	}
}

// readColumns loads a Parquet file batch by batch, column by column: each
// column gets one value per row whatever happens, so the rows line up, and
// the common typed cases skip the per-cell conversion.
func (l *tableLoader) readColumns(ctx context.Context, p *parquetReader) error {
	// Reserve the rows the footer announces, unless a damaged footer claims
	// more than the file could hold (64 rows a byte is far above any real
	// encoding): reserving 2^31 rows per column would exhaust memory.
	total := 0 // rows announced by a credible footer
	if t := p.pf.NumRows(); t > 0 && t < math.MaxInt32 && t <= 64*p.size {
		total = int(t)
		l.out.rows = make([]int32, 0, total)
		l.out.bad = make([]bool, 0, total)
		for _, c := range l.cols {
			c.b.Resize(total)
		}
	}
	if p.pf.NumRows() > int64(prefetchRows) {
		stop := p.prefetch()
		defer stop()
	}
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ok, err := p.nextBatch()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		rows := int(p.rec.NumRows())
		start := len(l.out.rows)
		for i := 0; i < rows; i++ {
			l.out.rows = append(l.out.rows, int32(min(p.base+i+1, math.MaxInt32)))
			l.out.bad = append(l.out.bad, false)
		}
		for _, c := range l.cols {
			var a arrow.Array
			if c.src >= 0 {
				a = p.cols[c.src]
			}
			slow := func(i int) {
				p.i = i
				var v cell
				if a != nil {
					v = p.cell(c.src)
				}
				row := p.base + i + 1
				if code, val, msg := l.add(c, v, row); code != "" {
					l.finding(code, row, c.spec.Name, val, msg)
					if idx := start + i; !l.out.bad[idx] {
						l.out.bad[idx] = true
						l.out.setReason(idx, code)
					}
				}
			}
			switch {
			case a == nil || c.needs:
				for i := 0; i < rows; i++ {
					slow(i)
				}
			case (c.spec.Kind == snapshot.KindString || c.spec.Kind == snapshot.KindEnum) && c.alias == nil && c.enum == nil && a.DataType().ID() == arrow.STRING:
				sa := a.(*array.String)
				if c.dict == nil {
					reserveText(c.b.(*array.StringBuilder), sa, n+rows, total)
				}
				for i := 0; i < rows; i++ {
					if sa.IsNull(i) {
						slow(i)
						continue
					}
					v := sa.Value(i)
					if !plainASCII(v) {
						slow(i)
						continue
					}
					if c.dict != nil {
						c.b.(*array.Int32Builder).Append(c.dict.index(v))
					} else {
						c.b.(*array.StringBuilder).Append(v)
					}
				}
			case c.dict != nil && c.alias == nil && a.DataType().ID() == arrow.DICTIONARY:
				da := a.(*array.Dictionary)
				dv, isStr := da.Dictionary().(*array.String)
				if !isStr {
					for i := 0; i < rows; i++ {
						slow(i)
					}
					break
				}
				remap := make([]int32, dv.Len())
				for k := range remap {
					remap[k] = -1
					if v := dv.Value(k); !dv.IsNull(k) && plainASCII(v) {
						remap[k] = c.dict.index(v)
					}
				}
				ib := c.b.(*array.Int32Builder)
				for i := 0; i < rows; i++ {
					if da.IsNull(i) {
						slow(i)
						continue
					}
					if k := remap[da.GetValueIndex(i)]; k >= 0 {
						ib.Append(k)
					} else {
						slow(i)
					}
				}
			case c.spec.Kind == snapshot.KindBool && a.DataType().ID() == arrow.BOOL:
				ba, bb := a.(*array.Boolean), c.b.(*array.BooleanBuilder)
				for i := 0; i < rows; i++ {
					if ba.IsNull(i) {
						slow(i)
					} else {
						bb.Append(ba.Value(i))
					}
				}
			case c.spec.Kind == snapshot.KindDate && a.DataType().ID() == arrow.DATE32:
				da, db := a.(*array.Date32), c.b.(*array.Date32Builder)
				for i := 0; i < rows; i++ {
					if da.IsNull(i) {
						slow(i)
					} else {
						db.Append(da.Value(i))
					}
				}
			default:
				for i := 0; i < rows; i++ {
					slow(i)
				}
			}
		}
		n += rows
		if l.progress != nil {
			l.progress(l.t, n)
		}
		// A batch's rows excluded count toward --max-bad-rows as a whole:
		// the load stops after the batch where the limit can no longer be
		// met (the footer's row count bounds the rest, see load).
		for _, bad := range l.out.bad[start:] {
			if bad {
				l.nbad++
			}
		}
		if err := l.stopEarly(n); err != nil {
			return err
		}
	}
	if l.progress != nil && n == 0 {
		l.progress(l.t, 0)
	}
	l.summarise()
	return nil
}

// reserveText makes room in b for the text of batch (rows up to done of
// total read) before it is appended: the builder would double its buffer
// (a 19.5-million-row members.member_id of 273 MB grows into 512 MB, then
// compactArray copies it). The room is projected from the bytes a row so far
// (exact for ids of one width) plus 1/32; when the projection falls short,
// it grows by a quarter at least, so copies stay few.
func reserveText(b *array.StringBuilder, batch *array.String, done, total int) {
	n := batch.Len()
	if n == 0 {
		return
	}
	need := b.DataLen() + int(batch.ValueOffset64(n)-batch.ValueOffset64(0))
	if need <= b.DataCap() {
		return
	}
	want := need
	if total > done && done > 0 {
		want = int(int64(need) * int64(total) / int64(done))
		want += want / 32
	}
	want = max(want, b.DataCap()+b.DataCap()/4)
	b.ReserveData(want - b.DataLen())
}

func (l *tableLoader) ignore(name string, row int) {
	if name == "" {
		return
	}
	l.out.ignored = append(l.out.ignored, name)
	l.finding(snapshot.DQIgnored, row, name, "", "This column is not part of the snapshot format; it was not loaded.")
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

// text renders a cell as text for string-like columns.
func (l *tableLoader) text(c *column, v cell, row int) (s string, code snapshot.Code, val, msg string) {
	switch v.k {
	case cellString:
		out, changed, ok := cleanText(v.s)
		if !ok {
			return "", snapshot.DQType, v.s, "The text is not valid UTF-8; check the file's encoding in snapshot.yaml."
		}
		if changed && !c.silent {
			c.nfc++
			if c.nfc <= maxNormalisedFindings {
				l.finding(snapshot.DQNormalised, row, c.spec.Name, out, "The text was changed by Unicode (NFC) normalisation.")
			}
		}
		return out, "", "", ""
	case cellBool:
		if v.i != 0 {
			return "true", "", "", ""
		}
		return "false", "", "", ""
	case cellInt:
		return strconv.FormatInt(v.i, 10), "", "", ""
	case cellFloat:
		return strconv.FormatFloat(v.f, 'f', -1, 64), "", "", ""
	case cellDate:
		return formatDate(v.i), "", "", ""
	}
	return "", snapshot.DQType, v.s, "The value is not text."
}

func (c *column) mapAlias(s string) string {
	if c.alias == nil {
		return s
	}
	if v, ok := c.alias[s]; ok {
		return v
	}
	if v, ok := c.alias[strings.ToLower(s)]; ok {
		return v
	}
	return s
}

func enumMsg(c *column) string {
	return fmt.Sprintf("The value is not one of %s (after aliases).", strings.Join(snapshot.EnumValues(c.spec.Enum), ", "))
}

func requiredMsg(name string) string {
	return fmt.Sprintf("The required value %s is empty.", name)
}

// add appends v to c. A non-empty code is an error finding for the row; the
// column then gets a null.
func (l *tableLoader) add(c *column, v cell, row int) (code snapshot.Code, val, msg string) {
	code, val, msg = l.addValue(c, v, row)
	if code != "" && !c.needs {
		c.b.AppendNull()
	}
	return code, val, msg
}

// addValue appends v to c, or nothing when it returns an error code.
func (l *tableLoader) addValue(c *column, v cell, row int) (code snapshot.Code, val, msg string) {
	if c.needs {
		rec := false
		if v.k != cellNull {
			rec = v.k != cellString || strings.TrimSpace(v.s) != ""
		}
		c.b.(*array.BooleanBuilder).Append(rec)
		return "", "", ""
	}
	if v.k == cellString && strings.TrimSpace(v.s) == "" {
		v = cell{}
	}
	if v.k == cellNull {
		switch {
		case c.spec.Required:
			return snapshot.DQType, "", requiredMsg(c.spec.Name)
		case l.t == snapshot.Units && c.spec.Name == "active":
			c.b.(*array.BooleanBuilder).Append(true)
		case l.t == snapshot.Models && c.spec.Name == "status":
			c.b.(*array.StringBuilder).Append("active")
		default:
			c.b.AppendNull()
		}
		return "", "", ""
	}
	switch c.spec.Kind {
	case snapshot.KindString, snapshot.KindEnum:
		s, code, val, msg := l.text(c, v, row)
		if code != "" {
			return code, val, msg
		}
		orig := s // the file's text, quoted when the enum check fails
		s = c.mapAlias(s)
		if s == "" {
			if c.spec.Required {
				return snapshot.DQType, "", requiredMsg(c.spec.Name)
			}
			c.b.AppendNull()
			return "", "", ""
		}
		if c.enum != nil {
			canon, ok := c.enum[strings.ToLower(s)]
			if !ok {
				return snapshot.DQEnum, orig, enumMsg(c)
			}
			s = canon
		}
		if c.dict != nil {
			c.b.(*array.Int32Builder).Append(c.dict.index(s))
		} else {
			c.b.(*array.StringBuilder).Append(s)
		}
		return "", "", ""
	case snapshot.KindBool:
		b := c.b.(*array.BooleanBuilder)
		switch v.k {
		case cellBool:
			b.Append(v.i != 0)
			return "", "", ""
		case cellInt:
			if v.i == 0 || v.i == 1 {
				b.Append(v.i == 1)
				return "", "", ""
			}
			return snapshot.DQType, strconv.FormatInt(v.i, 10), "The value is not a yes/no value (true/false, 1/0, yes/no, x, có/không)."
		case cellString:
			s, _, _ := cleanText(v.s)
			if x, ok := parseBool(s); ok {
				b.Append(x)
				return "", "", ""
			}
			return snapshot.DQType, s, "The value is not a yes/no value (true/false, 1/0, yes/no, x, có/không)."
		}
		return snapshot.DQType, v.s, "The value is not a yes/no value (true/false, 1/0, yes/no, x, có/không)."
	case snapshot.KindDate:
		b := c.b.(*array.Date32Builder)
		switch v.k {
		case cellDate:
			b.Append(arrow.Date32(v.i))
			return "", "", ""
		case cellString:
			s, _, _ := cleanText(v.s)
			if d, ok := parseDate(s); ok {
				b.Append(arrow.Date32(d))
				return "", "", ""
			}
			if l.xlsx {
				if d, ok := parseSerial(s); ok {
					b.Append(arrow.Date32(d))
					return "", "", ""
				}
			}
			return snapshot.DQType, s, "The value is not a date written YYYY-MM-DD or DD/MM/YYYY."
		}
		return snapshot.DQType, cellString2(v), "The value is not a date written YYYY-MM-DD or DD/MM/YYYY."
	case snapshot.KindMonth:
		b := c.b.(*array.StringBuilder)
		switch v.k {
		case cellDate:
			b.Append(formatDate(v.i)[:7])
			return "", "", ""
		case cellString:
			s, _, _ := cleanText(v.s)
			if parseMonth(s) {
				b.Append(s)
				return "", "", ""
			}
			if l.xlsx {
				if d, ok := parseSerial(s); ok {
					b.Append(formatDate(int64(d))[:7])
					return "", "", ""
				}
			}
			return snapshot.DQType, s, "The value is not a month written YYYY-MM."
		}
		return snapshot.DQType, cellString2(v), "The value is not a month written YYYY-MM."
	case snapshot.KindInt:
		b := c.b.(*array.Int64Builder)
		var n int64
		switch v.k {
		case cellInt:
			n = v.i
		case cellFloat:
			if v.f != math.Trunc(v.f) || math.Abs(v.f) > 1<<53 {
				return snapshot.DQType, cellString2(v), "The value is not a whole number."
			}
			n = int64(v.f)
		case cellString:
			s, _, _ := cleanText(v.s)
			x, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				f, ferr := strconv.ParseFloat(s, 64)
				if !l.xlsx || ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
					return snapshot.DQType, s, "The value is not a whole number."
				}
				x = int64(f)
			}
			n = x
		default:
			return snapshot.DQType, cellString2(v), "The value is not a whole number."
		}
		if l.t == snapshot.Activities && c.spec.Name == "attendees" && n < 0 {
			return snapshot.DQType, strconv.FormatInt(n, 10), "The number of attendees cannot be negative."
		}
		b.Append(n)
		return "", "", ""
	case snapshot.KindFloat:
		b := c.b.(*array.Float64Builder)
		var f float64
		switch v.k {
		case cellInt:
			f = float64(v.i)
		case cellFloat:
			f = v.f
		case cellString:
			s, _, _ := cleanText(v.s)
			x, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return snapshot.DQType, s, "The value is not a number."
			}
			f = x
		default:
			return snapshot.DQType, cellString2(v), "The value is not a number."
		}
		if l.t == snapshot.Ratings && c.spec.Name == "score" && (f < 0 || f > 100) {
			return snapshot.DQType, strconv.FormatFloat(f, 'f', -1, 64), "The score must be between 0 and 100."
		}
		b.Append(f)
		return "", "", ""
	case snapshot.KindList:
		s, code, val, msg := l.text(c, v, row)
		if code != "" {
			return code, val, msg
		}
		var items []string
		for _, item := range strings.Split(s, ";") {
			item = strings.TrimSpace(item)
			p := c.mapAlias(item)
			if p == "" {
				continue
			}
			if c.enum != nil {
				canon, ok := c.enum[strings.ToLower(p)]
				if !ok {
					return snapshot.DQEnum, item, enumMsg(c)
				}
				p = canon
			}
			items = append(items, p)
		}
		b := c.b.(*array.ListBuilder)
		if len(items) == 0 {
			b.AppendNull()
			return "", "", ""
		}
		b.Append(true)
		vb := b.ValueBuilder().(*array.StringBuilder)
		for _, it := range items {
			vb.Append(it)
		}
		return "", "", ""
	}
	return snapshot.DQType, cellString2(v), "The column has an unknown type."
}

func cellString2(v cell) string {
	switch v.k {
	case cellBool:
		if v.i != 0 {
			return "true"
		}
		return "false"
	case cellInt:
		return strconv.FormatInt(v.i, 10)
	case cellFloat:
		return strconv.FormatFloat(v.f, 'f', -1, 64)
	case cellDate:
		return formatDate(v.i)
	}
	return v.s
}

// finish builds the record.
func (l *tableLoader) finish(mem memory.Allocator) {
	arrs := make([]arrow.Array, len(l.cols))
	for i, c := range l.cols {
		arrs[i] = c.b.NewArray()
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
	}
}
