package loaders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// defaultParquetBatch is the number of rows decoded at a time
// (config.parquetBatch; tests set others).
const defaultParquetBatch = 64 << 10

// defaultPrefetchRows is the file size (rows) above which batches are
// decoded one ahead in a goroutine (parquetReader.prefetch): below it, the
// goroutine costs more than the overlap gains (config.prefetchRows; tests
// set others).
const defaultPrefetchRows = 2 * defaultParquetBatch

type parquetReader struct {
	ctx    context.Context
	file   string
	pf     *file.Reader
	fr     *pqarrow.FileReader
	rr     pqarrow.RecordReader
	hdr    []string
	cols   []arrow.Array // per header index, nil when not read
	rec    arrow.Record
	i      int // row within rec
	base   int // rows before rec
	closer func() error
	leaves []int
	rg     int // next row group to open
	batch  int // rows decoded at a time (a smaller row group: its rows)

	size    int64          // bytes of the file (0: unknown)
	decoded int            // rows decoded so far (decode's error rows)
	batches <-chan pqBatch // set by prefetch
}

// newParquetReader opens a Parquet file. Top-level byte-array columns named
// in dictNames are decoded as Arrow dictionaries (cheaper for repeated
// strings such as members.unit_id).
func newParquetReader(ctx context.Context, name string, r parquet.ReaderAtSeeker, mem memory.Allocator, closer func() error, dictNames ...string) (p *parquetReader, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &ParseError{File: name, Err: fmt.Errorf("read parquet footer: %v", r)}
		}
	}()
	pf, err := file.NewParquetReader(r, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return nil, &ParseError{File: name, Err: fmt.Errorf("read parquet footer: %w", err)}
	}
	// Not Parallel: pqarrow's column goroutines panic on some malformed files
	// where no recover of ours can reach (testdata/fuzz/FuzzParquet). Even
	// without it GetFieldReaders starts one goroutine per column: checkChunks
	// keeps the chunk offsets that made them panic from reaching it.
	props := pqarrow.ArrowReadProperties{BatchSize: defaultParquetBatch}
	sch := pf.MetaData().Schema
	for i := 0; i < sch.NumColumns(); i++ {
		col := sch.Column(i)
		path := col.ColumnPath()
		if len(path) != 1 || col.PhysicalType() != parquet.Types.ByteArray {
			continue
		}
		for _, d := range dictNames {
			if cleanHeader(path[0]) == d {
				props.SetReadDict(i, true)
			}
		}
	}
	fr, err := pqarrow.NewFileReader(pf, props, mem)
	if err != nil {
		_ = pf.Close()
		return nil, &ParseError{File: name, Err: fmt.Errorf("read parquet schema: %w", err)}
	}
	sc, err := fr.Schema()
	if err != nil {
		_ = pf.Close()
		return nil, &ParseError{File: name, Err: fmt.Errorf("read parquet schema: %w", err)}
	}
	p = &parquetReader{ctx: ctx, file: name, pf: pf, fr: fr, closer: closer}
	if n, err := r.Seek(0, io.SeekEnd); err == nil {
		p.size = n
	}
	for _, f := range sc.Fields() {
		p.hdr = append(p.hdr, cleanHeader(f.Name))
	}
	p.cols = make([]arrow.Array, len(p.hdr))
	return p, nil
}

// selectColumns starts the record reader over the top-level fields used,
// decoding batch rows at a time.
func (p *parquetReader) selectColumns(used []int, batch int) error {
	p.batch = batch
	var leaves []int
	for _, fi := range used {
		leaves = append(leaves, leafIndices(p.fr.Manifest.Fields[fi])...)
	}
	if len(leaves) == 0 { // keep the row count: read the first column
		if p.pf.MetaData().Schema.NumColumns() == 0 {
			return nil
		}
		leaves = []int{0}
	}
	p.leaves = leaves
	return p.openRowGroup()
}

// checkChunks checks where the chunks of the selected columns of row group
// rg say they are in the file, as the Parquet library computes it before
// reading them: a negative length or one past the end of the file makes
// the library panic in a goroutine of its own (GetFieldReaders), where no
// recover of ours reaches, and the whole process dies
// (testdata/fuzz/FuzzParquet/7fdd0fa8681338d5).
func (p *parquetReader) checkChunks(rg int) error {
	md := p.pf.MetaData().RowGroup(rg)
	for _, leaf := range p.leaves {
		col, err := md.ColumnChunk(leaf)
		if err != nil {
			return err
		}
		start := col.DataPageOffset()
		if col.HasDictionaryPage() && col.DictionaryPageOffset() > 0 && start > col.DictionaryPageOffset() {
			start = col.DictionaryPageOffset()
		}
		n := col.TotalCompressedSize()
		if start < 0 || n < 0 || p.size > 0 && (start > p.size || n > p.size-start) {
			return fmt.Errorf("column %d: its chunk is said to be %d bytes at offset %d, outside the file's %d bytes", leaf, n, start, p.size)
		}
	}
	return nil
}

// openRowGroup starts a record reader over the next row group: batches never
// span two row groups, so a dictionary column keeps one dictionary a batch.
func (p *parquetReader) openRowGroup() (err error) {
	defer func() {
		// a corrupt footer can make the Parquet library panic reading a
		// row group's metadata (selectColumns has no recover of its own)
		if r := recover(); r != nil {
			err = &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("read parquet row group %d: %v", p.rg-1, r)}
		}
	}()
	if p.rr != nil {
		p.rr.Release()
		p.rr = nil
	}
	for p.rg < p.pf.NumRowGroups() {
		rg := p.rg
		p.rg++
		if p.pf.MetaData().RowGroup(rg).NumRows() == 0 {
			continue
		}
		if err := p.checkChunks(rg); err != nil {
			return &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("read parquet row group %d: %w", rg, err)}
		}
		// A batch of the row group's rows at most: the record reader
		// reserves (and zeroes) its buffers for a whole batch up front.
		// One row more than the group holds, so that the batch ends at the
		// end of the data, as a larger one does: a batch that fills up
		// exactly at the end of a compressed chunk leaves the page reader's
		// buffers unreleased (a pqarrow leak, seen with the checked
		// allocator of internal/app's tests).
		p.fr.Props.BatchSize = int64(p.batch)
		if n := p.pf.MetaData().RowGroup(rg).NumRows(); n > 0 && n < int64(p.batch) {
			p.fr.Props.BatchSize = n + 1
		}
		rr, err := p.fr.GetRecordReader(p.ctx, p.leaves, []int{rg})
		if err != nil {
			// decoded, not base: openRowGroup is decoding state, which the
			// prefetch goroutine runs while the caller moves base.
			return &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("read parquet row group %d: %w", rg, err)}
		}
		p.rr = rr
		return nil
	}
	return nil
}

func leafIndices(f pqarrow.SchemaField) []int {
	if len(f.Children) == 0 {
		return []int{f.ColIndex}
	}
	var out []int
	for _, c := range f.Children {
		out = append(out, leafIndices(c)...)
	}
	return out
}

func (p *parquetReader) header() []string { return p.hdr }

func (p *parquetReader) next() (bool, error) {
	if p.rec != nil && p.i+1 < int(p.rec.NumRows()) {
		p.i++
		return true, nil
	}
	return p.nextBatch()
}

// nextBatch loads the next non-empty record batch and points at its first
// row; false at the end. After prefetch, batches come from its goroutine.
func (p *parquetReader) nextBatch() (bool, error) {
	if p.rec != nil {
		p.base += int(p.rec.NumRows())
		p.rec.Release()
		p.rec = nil
	}
	var b pqBatch
	if p.batches != nil {
		var ok bool
		if b, ok = <-p.batches; !ok {
			return false, nil
		}
	} else {
		b = p.decode()
	}
	if b.err != nil || b.rec == nil {
		return false, b.err
	}
	p.rec, p.cols, p.i = b.rec, b.cols, 0
	return true, nil
}

// pqBatch is one decoded record batch with its columns by header index; a
// nil rec is the end (or err).
type pqBatch struct {
	rec  arrow.Record
	cols []arrow.Array
	err  error
}

// decode reads the next non-empty record batch from the file. It touches
// only the decoding state (rr, rg, decoded), so that prefetch can run it
// while the caller reads the previous batch; a panic of the Parquet library
// on a malformed file becomes an error.
func (p *parquetReader) decode() (b pqBatch) {
	defer func() {
		if r := recover(); r != nil {
			b = pqBatch{err: &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("decode parquet: %v", r)}}
		}
	}()
	for p.rr != nil {
		if !p.rr.Next() {
			if err := p.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
				return pqBatch{err: &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("decode parquet: %w", err)}}
			}
			if err := p.openRowGroup(); err != nil {
				return pqBatch{err: err}
			}
			continue
		}
		rec := p.rr.Record()
		if rec.NumRows() == 0 {
			continue
		}
		if err := checkBatch(rec); err != nil {
			return pqBatch{err: &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("decode parquet: %w", err)}}
		}
		rec.Retain()
		cols := make([]arrow.Array, len(p.hdr))
		sc := rec.Schema()
		for c := 0; c < int(rec.NumCols()); c++ {
			name := cleanHeader(sc.Field(c).Name)
			for hi, h := range p.hdr {
				if h == name && cols[hi] == nil {
					cols[hi] = rec.Column(c)
					break
				}
			}
		}
		p.decoded += int(rec.NumRows())
		return pqBatch{rec: rec, cols: cols}
	}
	return pqBatch{}
}

// prefetch decodes batches in a goroutine, one ahead of nextBatch, so that
// decoding the next batch overlaps reading the current one. The returned
// stop ends the goroutine and releases what it decoded; call it before
// close.
func (p *parquetReader) prefetch() (stop func()) {
	ch := make(chan pqBatch, 1)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			b := p.decode()
			select {
			case ch <- b:
			case <-done:
				if b.rec != nil {
					b.rec.Release()
				}
				return
			}
			if b.rec == nil {
				return
			}
		}
	}()
	p.batches = ch
	return func() {
		close(done)
		for b := range ch {
			if b.rec != nil {
				b.rec.Release()
			}
		}
		p.batches = nil
	}
}

func (p *parquetReader) row() int          { return p.base + p.i + 1 }
func (p *parquetReader) malformed() string { return "" }
func (p *parquetReader) width() int        { return -1 }
func (p *parquetReader) extra() []string   { return nil }

func (p *parquetReader) cell(i int) cell {
	a := p.cols[i]
	if a == nil || a.IsNull(p.i) {
		return cell{}
	}
	j := p.i
	switch c := a.(type) {
	case *array.String:
		if v := c.Value(j); v != "" {
			return cell{k: cellString, s: v}
		}
		return cell{}
	case *array.LargeString:
		if v := c.Value(j); v != "" {
			return cell{k: cellString, s: v}
		}
		return cell{}
	case *array.Binary:
		if v := c.ValueString(j); v != "" {
			return cell{k: cellString, s: v}
		}
		return cell{}
	case *array.Dictionary:
		if s, ok := c.Dictionary().(*array.String); ok {
			if v := s.Value(c.GetValueIndex(j)); v != "" {
				return cell{k: cellString, s: v}
			}
			return cell{}
		}
	case *array.Boolean:
		if c.Value(j) {
			return cell{k: cellBool, i: 1}
		}
		return cell{k: cellBool}
	case *array.Int8:
		return cell{k: cellInt, i: int64(c.Value(j))}
	case *array.Int16:
		return cell{k: cellInt, i: int64(c.Value(j))}
	case *array.Int32:
		return cell{k: cellInt, i: int64(c.Value(j))}
	case *array.Int64:
		return cell{k: cellInt, i: c.Value(j)}
	case *array.Uint8:
		return cell{k: cellInt, i: int64(c.Value(j))}
	case *array.Uint16:
		return cell{k: cellInt, i: int64(c.Value(j))}
	case *array.Uint32:
		return cell{k: cellInt, i: int64(c.Value(j))}
	case *array.Float32:
		return cell{k: cellFloat, f: float64(c.Value(j))}
	case *array.Float64:
		return cell{k: cellFloat, f: c.Value(j)}
	case *array.Date32:
		return cell{k: cellDate, i: int64(c.Value(j))}
	case *array.Date64:
		return cell{k: cellDate, i: int64(c.Value(j)) / 86400000}
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		t := c.Value(j).ToTime(unit)
		return cell{k: cellDate, i: int64(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)}
	case *array.List:
		if s, ok := c.ListValues().(*array.String); ok {
			beg, end := c.ValueOffsets(j)
			var parts []string
			for k := beg; k < end; k++ {
				if !s.IsNull(int(k)) {
					parts = append(parts, s.Value(int(k)))
				}
			}
			if len(parts) == 0 {
				return cell{}
			}
			return cell{k: cellString, s: joinList(parts)}
		}
	}
	return cell{k: cellOther, s: a.ValueStr(j)}
}

func (p *parquetReader) close() error {
	if p.rec != nil {
		p.rec.Release()
		p.rec = nil
	}
	if p.rr != nil {
		p.rr.Release()
		p.rr = nil
	}
	err := p.pf.Close()
	if cerr := p.closer(); err == nil {
		err = cerr
	}
	return err
}

// checkBatch checks that every column of rec has its rows and that every
// index of its dictionary columns points into the dictionary: pqarrow
// takes a corrupt file's pages as they are, and a longer column or an
// index past the dictionary would make the conversion panic.
func checkBatch(rec arrow.Record) error {
	for c, col := range rec.Columns() {
		if int64(col.Len()) != rec.NumRows() {
			return fmt.Errorf("column %s has %d values for the batch's %d rows", rec.ColumnName(c), col.Len(), rec.NumRows())
		}
		d, ok := col.(*array.Dictionary)
		if !ok {
			continue
		}
		n := d.Dictionary().Len()
		bad := func(i int) error {
			return fmt.Errorf("column %s: row %d of the batch points past its dictionary of %d values", rec.ColumnName(c), i+1, n)
		}
		if ix, ok := d.Indices().(*array.Int32); ok {
			for i, k := range ix.Int32Values() {
				if (k < 0 || int(k) >= n) && ix.IsValid(i) {
					return bad(i)
				}
			}
			continue
		}
		for i := 0; i < d.Len(); i++ {
			if k := d.GetValueIndex(i); (k < 0 || k >= n) && d.IsValid(i) {
				return bad(i)
			}
		}
	}
	return nil
}
