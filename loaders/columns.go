// Parquet files read column by column, with fast paths for the typed columns
// that need no conversion.

package loaders

import (
	"context"
	"encoding/binary"
	"math"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

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
		l.out.bad = make([]bool, 0, total)
	}
	for _, c := range l.cols {
		if c.src >= 0 && c.dict == nil && !c.needs && c.spec.Kind == snapshot.KindString && c.alias == nil {
			c.text = newTextColumn(l.mem, total, l.most)
		} else if total > 0 {
			c.b.Resize(total)
		}
	}
	if p.pf.NumRows() > int64(l.prefetchRows) {
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
		rows := p.rows
		start := l.out.rows.len()
		for i := 0; i < rows; i++ {
			l.out.rows.add(p.base + i + 1)
			l.out.bad = append(l.out.bad, false)
		}
		for _, c := range l.cols {
			l.convertColumn(c, p, start, rows, n, total)
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

// convertColumn appends the rows of p's current batch to c (rows of the
// table before the batch: start; read before it: n; announced: total). A
// cell that a fast path cannot take as it is goes through l.add, which
// makes its findings and marks its row bad.
func (l *tableLoader) convertColumn(c *column, p *parquetReader, start, rows, n, total int) {
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
	case a == nil:
		slowRows(rows, slow)
	case c.needs:
		if sa, ok := a.(*array.String); ok {
			appendRecorded(c.b.(*array.BooleanBuilder), sa, &l.scratch)
		} else {
			slowRows(rows, slow)
		}
	case c.text != nil && a.DataType().ID() == arrow.STRING:
		sa := a.(*array.String)
		if plainColumn(sa, c.null == nullAppend) {
			c.text.appendArray(sa, n+rows, total)
		} else {
			appendPlainText(c, sa, slow)
		}
	case (c.spec.Kind == snapshot.KindString || c.spec.Kind == snapshot.KindEnum) && c.alias == nil && c.enum == nil && a.DataType().ID() == arrow.STRING:
		appendPlainText(c, a.(*array.String), slow)
	case c.dict != nil && a.DataType().ID() == arrow.DICTIONARY && (c.spec.Kind == snapshot.KindString || c.spec.Kind == snapshot.KindEnum || c.spec.Kind == snapshot.KindMonth):
		appendDictionary(c, a.(*array.Dictionary), &l.scratch, slow)
	case c.spec.Kind == snapshot.KindBool && a.DataType().ID() == arrow.BOOL:
		appendBools(c.b.(*array.BooleanBuilder), a.(*array.Boolean), c.null == nullAppend, &l.scratch, slow)
	case c.spec.Kind == snapshot.KindDate && a.DataType().ID() == arrow.DATE32:
		appendDates(c.b.(*array.Date32Builder), a.(*array.Date32), c.null == nullAppend, &l.scratch, slow)
	default:
		slowRows(rows, slow)
	}
	c.flushText(n+rows, total)
}

// flushText moves the values c.b holds to c.text (done rows of total read),
// when c is a text column.
func (c *column) flushText(done, total int) {
	if c.text == nil || c.b.Len() == 0 {
		return
	}
	a := c.b.NewArray()
	c.text.appendArray(a.(*array.String), done, total)
	a.Release()
}

// plainColumn says whether every value of sa is plain ASCII (nothing to trim
// or normalise) and, unless nullsKept, none is null: appendPlainText would
// then append sa as it is.
//
// The bytes are checked all at once, eight at a time (plainBytes), then
// each value's ends: some 20 million ids at national scale. A null's bytes
// (an Arrow array may keep some) are checked with the others, which can
// only send a plain column the slow way.
func plainColumn(sa *array.String, nullsKept bool) bool {
	if sa.NullN() > 0 && !nullsKept {
		return false
	}
	if !plainBytes(sa.ValueBytes()) {
		return false
	}
	for i := 0; i < sa.Len(); i++ {
		if sa.IsNull(i) {
			continue
		}
		if !plainEnds(sa.Value(i)) {
			return false
		}
	}
	return true
}

// plainBytes reports whether every byte of b is printable ASCII or a space
// (0x20 to 0x7e): the part of plainASCII that is about each byte.
func plainBytes(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		// A byte below 0x20, or above 0x7e (0x7f and non-ASCII): the
		// classic "has less" and "has more" word tests, exact for "any".
		if (w-0x20*ones)&^w&highs|((w+(0x7f-0x7e)*ones)|w)&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// slowRows converts rows 0 to rows-1 of a batch one cell at a time.
func slowRows(rows int, slow func(int)) {
	for i := 0; i < rows; i++ {
		slow(i)
	}
}

// appendBools appends a boolean column as it is, nulls too when the
// column keeps them (nullsKept); otherwise its nulls go through slow (a
// required value, a default).
func appendBools(b *array.BooleanBuilder, a *array.Boolean, nullsKept bool, sc *scratch, slow func(int)) {
	if a.NullN() == 0 || nullsKept {
		vals := sc.bools(a.Len())
		for i := range vals {
			vals[i] = a.Value(i)
		}
		b.AppendValues(vals, sc.validity(a))
		return
	}
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			slow(i)
		} else {
			b.Append(a.Value(i))
		}
	}
}

// appendDates appends a date32 column as it is, nulls too when the column
// keeps them (nullsKept); otherwise its nulls go through slow.
func appendDates(b *array.Date32Builder, a *array.Date32, nullsKept bool, sc *scratch, slow func(int)) {
	if a.NullN() == 0 || nullsKept {
		b.AppendValues(a.Date32Values(), sc.validity(a))
		return
	}
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			slow(i)
		} else {
			b.Append(a.Value(i))
		}
	}
}

// scratch holds the slices the bulk appends fill for a batch, reused from
// one batch (and column) to the next.
type scratch struct {
	vals, valid []bool
	idx         []int32
}

func (s *scratch) bools(n int) []bool {
	if cap(s.vals) < n {
		s.vals = make([]bool, n)
	}
	return s.vals[:n]
}

// validity is a's validity as the builders' AppendValues take it: nil
// when no value is null.
func (s *scratch) validity(a arrow.Array) []bool {
	if a.NullN() == 0 {
		return nil
	}
	if cap(s.valid) < a.Len() {
		s.valid = make([]bool, a.Len())
	}
	valid := s.valid[:a.Len()]
	for i := range valid {
		valid[i] = a.IsValid(i)
	}
	return valid
}

// appendRecorded appends members.needs_recorded for a column of text: true
// where the cell holds something but blanks (what add and setNeeds make of
// it; the text itself is never kept).
func appendRecorded(b *array.BooleanBuilder, sa *array.String, sc *scratch) {
	vals := sc.bools(sa.Len())
	for i := range vals {
		vals[i] = sa.IsValid(i) && !blank(sa.Value(i))
	}
	b.AppendValues(vals, nil)
}

// appendPlainText appends the strings of sa that are plain ASCII (nothing to
// trim or normalise) as they are; the others go through slow.
func appendPlainText(c *column, sa *array.String, slow func(int)) {
	for i := 0; i < sa.Len(); i++ {
		if sa.IsNull(i) {
			slow(i)
			continue
		}
		v := sa.Value(i)
		if !plainASCII(v) {
			slow(i)
			continue
		}
		c.appendText(v)
	}
}

// appendDictionary appends a dictionary column of strings to c's own
// dictionary: each entry of the batch's dictionary is converted once
// (dictValue) and looked up in c's; a null is a null, or the default
// "active" of models.status; the rows of other nulls and of entries that
// do not convert as they are (a finding to make) go through slow, one by
// one.
func appendDictionary(c *column, da *array.Dictionary, sc *scratch, slow func(int)) {
	dv, isStr := da.Dictionary().(*array.String)
	if !isStr {
		slowRows(da.Len(), slow)
		return
	}
	if c.dict.len() == 0 {
		// the first batch: its dictionary is most of the column's (a
		// table grown entry by entry rehashes at every doubling)
		c.dict.reserve(dv.Len())
	}
	remap := make([]int32, dv.Len())
	for k := range remap {
		remap[k] = -1
		if dv.IsNull(k) {
			continue
		}
		if v, ok := c.dictValue(dv.Value(k)); ok {
			remap[k] = c.dict.index(v)
		}
	}
	ib := c.b.(*array.Int32Builder)
	if cap(sc.idx) < da.Len() {
		sc.idx = make([]int32, 0, da.Len())
	}
	if cap(sc.valid) < da.Len() {
		sc.valid = make([]bool, 0, da.Len())
	}
	idx := sc.idx[:0]
	nullIdx := int32(-1) // models.status's default, once looked up
	var valid []bool     // nil while no null is kept
	flush := func() {
		ib.AppendValues(idx, valid)
		idx, valid = idx[:0], valid[:0]
	}
	for i := 0; i < da.Len(); i++ {
		if da.IsNull(i) && c.null == nullAppend {
			if valid == nil {
				valid = sc.valid[:len(idx)]
				for j := range valid {
					valid[j] = true
				}
			}
			idx, valid = append(idx, 0), append(valid, false)
			continue
		}
		k := int32(-1)
		switch {
		case da.IsValid(i):
			k = remap[da.GetValueIndex(i)]
		case c.null == nullActive: // what addNull appends
			if nullIdx < 0 {
				nullIdx = c.dict.index("active")
			}
			k = nullIdx
		}
		if k < 0 {
			flush()
			slow(i)
			continue
		}
		idx = append(idx, k)
		if valid != nil {
			valid = append(valid, true)
		}
	}
	flush()
}

// dictValue is what the text v of a cell gives a dictionary column c (of
// text, an enum or months), when it gives a value with no finding: what
// setText (or setMonth) would append. ok is false when the cell must go
// through them instead: empty, not valid UTF-8, changed by normalisation
// (DQ008 is listed by row), empty after aliases, not in the enum, not a
// month.
func (c *column) dictValue(v string) (string, bool) {
	if plainASCII(v) && c.alias == nil && c.enum == nil && c.spec.Kind != snapshot.KindMonth {
		return v, true
	}
	if blank(v) {
		return "", false
	}
	s, changed, ok := cleanText(v)
	if !ok {
		return "", false
	}
	if c.spec.Kind == snapshot.KindMonth {
		return s, parseMonth(s)
	}
	if changed {
		return "", false
	}
	if s = c.mapAlias(s); s == "" {
		return "", false
	}
	if c.enum != nil {
		canon, ok := c.enum[strings.ToLower(s)]
		return canon, ok
	}
	return s, true
}
