package loaders

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// defaultAheadRows is the number of rows of a CSV or TSV file read and
// converted in the table's goroutine before the rest of the file is split
// into records in a second goroutine (csvReader.readAhead): a small table
// is done before the second goroutine would pay for itself, and its rows
// stay in one goroutine. Tests set another through config.aheadRows (0
// reads every row ahead).
const defaultAheadRows = 16 << 10

// A batch of records read ahead ends at aheadBatch records, or earlier once
// its records hold aheadBytes of text (the limit on memory held by batches
// when lines are long): large enough that the hand-over costs little per
// record. At most aheadBatches batches exist per file (one being filled, one
// waiting, one being converted); they are reused.
const (
	aheadBatch   = 2 << 10
	aheadBytes   = 1 << 20
	aheadBatches = 3
)

// csvAhead serves the records of a csvReader that a goroutine reads one
// batch ahead: the goroutine splits the text into records (encoding/csv)
// while the caller converts the previous batch into Arrow builders. Once
// readAhead has started it, only the goroutine touches the csvReader (and
// the file under it), until stop has returned.
//
// A batch holds the used fields of its records as the reader returned them:
// encoding/csv makes one string per record and slices its fields out of it,
// so a batch copies no text and makes no string; it only keeps the records'
// strings alive until they are converted. (Copying the fields into one
// buffer per batch was measured: 5-10% more CPU for the copy and its
// garbage, against 0-4% for this.)
type csvAhead struct {
	c       *csvReader
	used    []int // header indices of the fields copied, in slot order
	slot    []int // header index -> slot of a record's fields, -1 when not copied
	batches chan *csvBatch
	free    chan *csvBatch // batches the caller is done with, for the goroutine to refill
	made    int            // batches made so far, up to aheadBatches (the goroutine's)
	done    chan struct{}  // closed by stop
	stopped bool
	cur     *csvBatch
	i       int // record of cur
	base    int // index in cur.fields of record i's first field
	nb      int // first entry of cur.bad not before record i
}

// csvBatch is up to aheadBatch records read ahead, then the reader's error
// when it ended with one.
type csvBatch struct {
	fields []string // len(used) per record: its used fields, "" when missing
	recs   []csvRec // one per record
	bad    []csvBad // records that cannot be split into fields
	err    error    // after the records: the reader's error (*ParseError)
}

type csvRec struct {
	line  int // physical line where the record starts
	width int // fields of the record
}

type csvBad struct {
	rec int // index in recs
	msg string
}

// readAhead starts reading c's next records in a goroutine. used lists the
// header indices whose cells the caller will ask for. Call stop (before
// c.close) to end the goroutine: it returns once the goroutine has returned,
// so that nothing reads the file afterwards.
func (c *csvReader) readAhead(used []int) *csvAhead {
	a := &csvAhead{c: c, used: used, slot: make([]int, len(c.hdr)),
		batches: make(chan *csvBatch, 1), free: make(chan *csvBatch, aheadBatches), done: make(chan struct{})}
	for i := range a.slot {
		a.slot[i] = -1
	}
	for k, i := range used {
		a.slot[i] = k
	}
	go a.run()
	return a
}

// run fills batches until the reader ends, fails or stop is called.
func (a *csvAhead) run() {
	defer close(a.batches)
	for {
		var b *csvBatch
		if a.made < aheadBatches {
			select {
			case b = <-a.free:
			default:
				a.made++
				b = &csvBatch{fields: make([]string, 0, aheadBatch*len(a.used)), recs: make([]csvRec, 0, aheadBatch)}
			}
		} else {
			select {
			case b = <-a.free:
			case <-a.done:
				return
			}
		}
		end := a.fill(b)
		if len(b.recs) > 0 || b.err != nil {
			select {
			case a.batches <- b:
			case <-a.done:
				return
			}
		}
		if end {
			return
		}
	}
}

// fill reads records into b; true when the reader has ended (b.err set if
// it failed).
func (a *csvAhead) fill(b *csvBatch) (end bool) {
	c := a.c
	b.fields, b.recs, b.bad, b.err = b.fields[:0], b.recs[:0], b.bad[:0], nil
	size := 0 // bytes of the records' strings
	for len(b.recs) < aheadBatch && size < aheadBytes {
		ok, err := c.next()
		if err != nil {
			b.err = err
			return true
		}
		if !ok {
			return true
		}
		if c.bad != "" {
			b.bad = append(b.bad, csvBad{rec: len(b.recs), msg: c.bad})
		}
		b.recs = append(b.recs, csvRec{line: c.line, width: len(c.rec)})
		for _, f := range c.rec {
			size += len(f)
		}
		for _, i := range a.used {
			f := ""
			if i < len(c.rec) {
				f = c.rec[i]
			}
			b.fields = append(b.fields, f)
		}
	}
	return false
}

// stop ends the goroutine and waits for it; it may be called more than once.
func (a *csvAhead) stop() {
	if a.stopped {
		return
	}
	a.stopped = true
	close(a.done)
	for range a.batches { // until run returns and closes it
	}
}

func (a *csvAhead) header() []string { return a.c.hdr }

// next moves to the next record read ahead. The reader's error comes after
// the records read before it, as it does without the goroutine.
func (a *csvAhead) next() (bool, error) {
	for {
		if a.cur != nil {
			if a.i+1 < len(a.cur.recs) {
				a.i++
				a.base += len(a.used)
				for a.nb < len(a.cur.bad) && a.cur.bad[a.nb].rec < a.i {
					a.nb++
				}
				return true, nil
			}
			if a.cur.err != nil {
				return false, a.cur.err
			}
			a.free <- a.cur // never blocks: room for every batch
			a.cur = nil
		}
		b, ok := <-a.batches
		if !ok {
			return false, nil
		}
		a.cur, a.i, a.base, a.nb = b, -1, -len(a.used), 0
	}
}

func (a *csvAhead) row() int        { return a.cur.recs[a.i].line }
func (a *csvAhead) width() int      { return a.cur.recs[a.i].width }
func (a *csvAhead) extra() []string { return nil }

func (a *csvAhead) malformed() string {
	if a.nb < len(a.cur.bad) && a.cur.bad[a.nb].rec == a.i {
		return a.cur.bad[a.nb].msg
	}
	return ""
}

func (a *csvAhead) cell(i int) cell {
	if i < 0 || i >= len(a.slot) || a.slot[i] < 0 {
		return cell{}
	}
	s := a.cur.fields[a.base+a.slot[i]]
	if s == "" {
		return cell{}
	}
	return cell{k: cellString, s: s}
}

// close stops the goroutine and closes the reader.
func (a *csvAhead) close() error {
	a.stop()
	return a.c.close()
}

// nextBatch hands over the next batch read ahead whole, or nil at the end
// of the file; the batch's err, if any, comes after its records. The
// caller gives it back with release. It does not mix with next.
func (a *csvAhead) nextBatch() *csvBatch {
	b, ok := <-a.batches
	if !ok {
		return nil
	}
	return b
}

// release gives a batch from nextBatch back for the goroutine to refill.
func (a *csvAhead) release(b *csvBatch) { a.free <- b } // never blocks: room for every batch

// field is the cell of header index i in record r of b.
func (a *csvAhead) field(b *csvBatch, r, i int) cell {
	if i < 0 || i >= len(a.slot) || a.slot[i] < 0 {
		return cell{}
	}
	s := b.fields[r*len(a.used)+a.slot[i]]
	if s == "" {
		return cell{}
	}
	return cell{k: cellString, s: s}
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
		// The goroutine's copy of l, whose findings go to out: kept from
		// batch to batch (a copy made per batch would be a heap allocation
		// each time, since the column setters take it by pointer).
		lh  tableLoader
		out rawTable
	}
	var hs [2]half
	var rowBad []snapshot.Code
	for {
		b := a.nextBatch()
		if b == nil {
			break
		}
		rows := len(b.recs)
		start := l.out.rows.len()
		rowBad = append(rowBad[:0], make([]snapshot.Code, rows)...)
		nb := 0
		var split []snapshot.Finding // DQ010 of the batch, added with the others
		for r := 0; r < rows; r++ {
			row := b.recs[r].line
			l.out.rows.add(row)
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
			h.lh, h.out = *l, rawTable{findings: h.findings[:0]}
			lh := &h.lh
			lh.out = &h.out
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
