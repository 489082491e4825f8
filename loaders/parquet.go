package loaders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
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

// defaultChunkBuffer is the buffer through which the column chunks of a
// Parquet file held locally (or in memory) are read (config.chunkBuffer;
// tests set others). Without it the Parquet library reads a whole chunk
// into memory and then copies it whole into a buffer of the chunk's size
// (parquet.ReaderProperties.GetStream): two allocations of every chunk,
// about twice the file's size in a load, for bytes the page reader copies
// once more into its own buffer page by page anyway. Through a buffer it
// reads a page header with one read of the buffer's size and the rest of
// the page straight into its own buffer. The buffer is the size of the
// page header reads (16 KiB), so that they do not grow it. Files of Cloud
// Storage keep whole chunks: each read there is a request.
const defaultChunkBuffer = 16 << 10

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

	// strs are the top-level string columns decoded by strColumn rather
	// than pqarrow (pqLeaves are the rest); rgLeft is the rows of the
	// current row group not decoded yet, open whether one is being read.
	strs     []*strColumn
	pqLeaves []int
	rgLeft   int
	open     bool
	rows     int           // rows of the current batch
	own      []arrow.Array // the current batch's strColumn arrays
	pool     *recyclePool  // the buffers of the strColumn arrays and of pqarrow's record reader
	mem      memory.Allocator
	bufs     sync.Pool // the column readers' scratch buffers (*memory.Buffer), as file.Reader keeps its own
}

// newParquetReader opens a Parquet file. Top-level byte-array columns named
// in dictNames are decoded as Arrow dictionaries (cheaper for repeated
// strings such as members.unit_id). Column chunks are read through a
// buffer of chunkBuffer bytes, or whole when it is 0 (defaultChunkBuffer).
func newParquetReader(ctx context.Context, name string, r parquet.ReaderAtSeeker, mem memory.Allocator, chunkBuffer int, closer func() error, dictNames ...string) (p *parquetReader, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &ParseError{File: name, Err: fmt.Errorf("read parquet footer: %v", r)}
		}
	}()
	rp := parquet.NewReaderProperties(mem)
	if chunkBuffer > 0 {
		rp.BufferedStreamEnabled, rp.BufferSize = true, int64(chunkBuffer)
	}
	pf, err := file.NewParquetReader(r, file.WithReadProps(rp))
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
	// The record reader's buffers are the same few sizes batch after
	// batch: recycled (pool.go), national 1.0 allocates 0.9 GB less. The
	// pages keep mem (rp above), which never reuses a freed buffer.
	pool := newRecyclePool(mem)
	fr, err := pqarrow.NewFileReader(pf, props, pool)
	if err != nil {
		_ = pf.Close()
		return nil, &ParseError{File: name, Err: fmt.Errorf("read parquet schema: %w", err)}
	}
	sc, err := fr.Schema()
	if err != nil {
		_ = pf.Close()
		return nil, &ParseError{File: name, Err: fmt.Errorf("read parquet schema: %w", err)}
	}
	p = &parquetReader{ctx: ctx, file: name, pf: pf, fr: fr, closer: closer, pool: pool, mem: mem}
	p.bufs.New = func() any { return memory.NewResizableBuffer(mem) }
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
	var leaves, pqLeaves []int
	sch := p.pf.MetaData().Schema
	for _, fi := range used {
		f := p.fr.Manifest.Fields[fi]
		leaves = append(leaves, leafIndices(f)...)
		dt, isDict := f.Field.Type.(*arrow.DictionaryType)
		if isDict && (dt.ValueType.ID() != arrow.STRING || dt.IndexType.ID() != arrow.INT32) {
			isDict = false
			dt = nil
		}
		if f.IsLeaf() && (f.Field.Type.ID() == arrow.STRING || isDict) && f.ColIndex < sch.NumColumns() {
			if d := sch.Column(f.ColIndex); d.PhysicalType() == parquet.Types.ByteArray && d.MaxRepetitionLevel() == 0 && d.MaxDefinitionLevel() <= 1 && strEncodings(p.pf, f.ColIndex) {
				p.strs = append(p.strs, &strColumn{hdr: fi, leaf: f.ColIndex, name: p.hdr[fi], maxDef: d.MaxDefinitionLevel(), dictType: dt})
				continue
			}
		}
		pqLeaves = append(pqLeaves, leafIndices(f)...)
	}
	if len(leaves) == 0 { // keep the row count: read the first column
		if p.pf.MetaData().Schema.NumColumns() == 0 {
			return nil
		}
		leaves, pqLeaves = []int{0}, []int{0}
	}
	p.leaves, p.pqLeaves = leaves, pqLeaves
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
	p.open, p.rgLeft = false, 0
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
		if len(p.pqLeaves) > 0 {
			rr, err := p.fr.GetRecordReader(p.ctx, p.pqLeaves, []int{rg})
			if err != nil {
				// decoded, not base: openRowGroup is decoding state, which the
				// prefetch goroutine runs while the caller moves base.
				return &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("read parquet row group %d: %w", rg, err)}
			}
			p.rr = rr
		}
		if len(p.strs) > 0 {
			rgr := p.pf.RowGroup(rg)
			sch := p.pf.MetaData().Schema
			for _, s := range p.strs {
				// The column reader rgr.Column would make, over the pages
				// checkedPages lets through.
				pr, err := rgr.GetColumnPageReader(s.leaf)
				if err == nil {
					cr := file.NewColumnReader(sch.Column(s.leaf), &checkedPages{PageReader: pr, maxDef: s.maxDef, rg: rg}, p.mem, &p.bufs)
					var ok bool
					if s.cr, ok = cr.(*file.ByteArrayColumnChunkReader); !ok {
						err = fmt.Errorf("column %d is not of byte arrays", s.leaf)
					}
				}
				if err != nil {
					return &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("read parquet row group %d: %w", rg, err)}
				}
			}
		}
		p.open, p.rgLeft = true, int(p.pf.MetaData().RowGroup(rg).NumRows())
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
	if p.i+1 < p.rows {
		p.i++
		return true, nil
	}
	return p.nextBatch()
}

// nextBatch loads the next non-empty record batch and points at its first
// row; false at the end. After prefetch, batches come from its goroutine.
func (p *parquetReader) nextBatch() (bool, error) {
	p.base += p.rows
	p.releaseBatch()
	var b pqBatch
	if p.batches != nil {
		var ok bool
		if b, ok = <-p.batches; !ok {
			return false, nil
		}
	} else {
		b = p.decode()
	}
	if b.err != nil || b.rows == 0 {
		return false, b.err
	}
	p.rec, p.own, p.cols, p.rows, p.i = b.rec, b.own, b.cols, b.rows, 0
	return true, nil
}

// releaseBatch lets the current batch go.
func (p *parquetReader) releaseBatch() {
	if p.rec != nil {
		p.rec.Release()
	}
	for _, a := range p.own {
		a.Release()
	}
	p.rec, p.own, p.rows = nil, nil, 0
}

// pqBatch is one decoded batch of rows: pqarrow's record (nil when
// strColumn decodes every column read), the strColumn arrays, and all its
// columns by header index; no rows is the end (or err).
type pqBatch struct {
	rec  arrow.Record
	own  []arrow.Array
	cols []arrow.Array
	rows int
	err  error
}

func (b pqBatch) release() {
	if b.rec != nil {
		b.rec.Release()
	}
	for _, a := range b.own {
		a.Release()
	}
}

// decode reads the next non-empty record batch from the file. It touches
// only the decoding state (rr, rg, decoded), so that prefetch can run it
// while the caller reads the previous batch; a panic of the Parquet library
// on a malformed file becomes an error.
func (p *parquetReader) decode() (b pqBatch) {
	var part pqBatch // the batch being decoded, let go on a panic
	defer func() {
		if r := recover(); r != nil {
			part.release()
			b = pqBatch{err: &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("decode parquet: %v", r)}}
		}
	}()
	for p.open {
		var rec arrow.Record
		var rows int
		if p.rr != nil {
			if !p.rr.Next() {
				if err := p.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
					return pqBatch{err: &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("decode parquet: %w", err)}}
				}
				if p.rgLeft != 0 && len(p.strs) > 0 {
					// The string columns read as many rows as the
					// others: a row group that ends early or late
					// would leave them misaligned.
					return pqBatch{err: &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("decode parquet row group %d: its columns end %d rows away from the %d rows its footer announces", p.rg-1, p.rgLeft, p.pf.MetaData().RowGroup(p.rg-1).NumRows())}}
				}
				if err := p.openRowGroup(); err != nil {
					return pqBatch{err: err}
				}
				continue
			}
			rec = p.rr.Record()
			rows = int(rec.NumRows())
		} else {
			if p.rgLeft <= 0 {
				if err := p.openRowGroup(); err != nil {
					return pqBatch{err: err}
				}
				continue
			}
			rows = min(p.batch, p.rgLeft)
		}
		if rows == 0 {
			continue
		}
		p.rgLeft -= rows
		b := &part
		*b = pqBatch{cols: make([]arrow.Array, len(p.hdr)), rows: rows}
		arrs, err := p.readStrings(rows)
		for k, a := range arrs {
			if a != nil {
				b.own = append(b.own, a)
				b.cols[p.strs[k].hdr] = a
			}
		}
		if err != nil {
			b.release()
			return pqBatch{err: &ParseError{File: p.file, Row: p.decoded + 1, Err: err}}
		}
		if rec != nil {
			if err := checkBatch(rec); err != nil {
				b.release()
				return pqBatch{err: &ParseError{File: p.file, Row: p.decoded + 1, Err: fmt.Errorf("decode parquet: %w", err)}}
			}
			rec.Retain()
			b.rec = rec
			sc := rec.Schema()
			for c := 0; c < int(rec.NumCols()); c++ {
				name := cleanHeader(sc.Field(c).Name)
				for hi, h := range p.hdr {
					if h == name && b.cols[hi] == nil {
						b.cols[hi] = rec.Column(c)
						break
					}
				}
			}
		}
		p.decoded += rows
		return *b
	}
	return pqBatch{}
}

// readStrings decodes the next rows of every string column, each column in
// a goroutine of its own when there are several: the columns are read
// apart (each has its own reader, pages and scratch; the buffer pools are
// safe for concurrent use), and one column's strings at a time kept one
// core busy while the other waited (a large members table, at the end of
// the load: bench/RESULTS.md, session 7). The arrays come back by column,
// nil where a column failed; the error is the first failing column's, in
// column order. The Parquet library may panic on a malformed file: that
// panic is its column's error, worded as decode's own recover words it, so
// that the caller releases the other columns' arrays.
func (p *parquetReader) readStrings(rows int) ([]arrow.Array, error) {
	arrs := make([]arrow.Array, len(p.strs))
	errs := make([]error, len(p.strs))
	read := func(k int) {
		defer func() {
			if r := recover(); r != nil {
				errs[k] = fmt.Errorf("decode parquet: %v", r)
			}
		}()
		s := p.strs[k]
		a, err := s.read(rows, p.pool)
		if err != nil {
			errs[k] = fmt.Errorf("decode parquet column %s: %w", s.name, err)
			return
		}
		arrs[k] = a
	}
	var wg sync.WaitGroup
	for k := 1; k < len(p.strs); k++ {
		wg.Go(func() { read(k) })
	}
	if len(p.strs) > 0 {
		read(0)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return arrs, err
		}
	}
	return arrs, nil
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
				b.release()
				return
			}
			if b.rows == 0 {
				return
			}
		}
	}()
	p.batches = ch
	return func() {
		close(done)
		for b := range ch {
			b.release()
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
	p.releaseBatch()
	if p.rr != nil {
		p.rr.Release()
		p.rr = nil
	}
	err := p.pf.Close()
	p.pool.drain()
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

// strColumn decodes a top-level string column of a Parquet file straight
// from the column chunk: its values (which point into the decoded pages)
// are copied once into a batch's utf8 array, whose buffers are reserved at
// their exact sizes, instead of appended one by one to a builder whose
// buffers double (what pqarrow does). A column read as a dictionary
// (dictType set) becomes a batch's dictionary array: the values of a
// dictionary-encoded page share the memory of their dictionary entry, so
// an entry is recognised by its address (a plain page's values are
// distinct; equal ones are merged downstream), with no hashing of the text
// nor pqarrow's dictionary builder.
type strColumn struct {
	hdr        int // index in the header
	leaf       int
	name       string
	maxDef     int16
	dictType   *arrow.DictionaryType            // nil: a utf8 column
	cr         *file.ByteArrayColumnChunkReader // the current row group's
	seen       addrTable                        // dictionary: a batch's entries by address
	strScratch                                  // what it decodes a batch into
}

// strScratch holds what a strColumn decodes a batch into (each column its
// own: the columns of a batch are decoded at once).
type strScratch struct {
	vals    []parquet.ByteArray
	defs    []int16
	entries []parquet.ByteArray
}

// read decodes the next n rows of the column into an array.
func (s *strColumn) read(n int, mem memory.Allocator) (arrow.Array, error) {
	nv, err := s.decode(n)
	if err != nil {
		return nil, err
	}
	if s.dictType != nil {
		return s.dictionary(n, nv, mem)
	}
	return s.utf8(n, nv, mem)
}

// decode reads the next n rows' values (s.vals[:nv]) and definition
// levels (s.defs[:n]).
func (s *strColumn) decode(n int) (nv int, err error) {
	if cap(s.vals) < n {
		s.vals = make([]parquet.ByteArray, n)
		s.defs = make([]int16, n)
	}
	vals, defs := s.vals[:n], s.defs[:n]
	lvls := 0
	for lvls < n {
		var d []int16
		if s.maxDef > 0 {
			d = defs[lvls:]
		}
		t, v, err := s.cr.ReadBatch(int64(n-lvls), vals[nv:], d, nil)
		if err != nil {
			return 0, err
		}
		if int(t) < n-lvls {
			// ReadBatch stops short, without an error, when a page does
			// not decode (checkedPages' refusals among them): the reason
			// is kept in the column reader.
			if err := s.cr.Err(); err != nil {
				return 0, err
			}
		}
		if t <= 0 || v < 0 || nv+v > n {
			return 0, fmt.Errorf("the column has %d values where its row group has more rows", lvls)
		}
		lvls += int(t)
		nv += v
	}
	if s.maxDef == 0 && nv != n {
		return 0, fmt.Errorf("the required column has %d values for %d rows", nv, n)
	}
	if s.maxDef > 0 {
		k := 0
		for _, d := range defs {
			if d == s.maxDef {
				k++
			}
		}
		if k != nv {
			return 0, fmt.Errorf("the column's definition levels announce %d values where it has %d", k, nv)
		}
	}
	return nv, nil
}

// validity is the validity bitmap of the n rows decoded, nil when none is
// null.
func (s *strColumn) validity(n, nv int, mem memory.Allocator) *memory.Buffer {
	if nv == n {
		return nil
	}
	valid := memory.NewResizableBuffer(mem)
	valid.Resize(int(bitutil.BytesForBits(int64(n))))
	bm := valid.Bytes()
	clear(bm)
	for i, d := range s.defs[:n] {
		if d == s.maxDef {
			bitutil.SetBit(bm, i)
		}
	}
	return valid
}

// utf8 makes the array of the n rows decoded, nv of them values.
func (s *strColumn) utf8(n, nv int, mem memory.Allocator) (arrow.Array, error) {
	return stringArray(s.vals[:nv], s.defs[:n], s.maxDef, n, s.validity(n, nv, mem), mem)
}

// stringArray makes a utf8 array of n rows from vals, in the rows whose
// definition level is maxDef (all of them when valid is nil).
func stringArray(vals []parquet.ByteArray, defs []int16, maxDef int16, n int, valid *memory.Buffer, mem memory.Allocator) (arrow.Array, error) {
	size := 0
	for _, v := range vals {
		size += len(v)
	}
	if size > math.MaxInt32 {
		if valid != nil {
			valid.Release()
		}
		return nil, fmt.Errorf("a batch of %d rows holds %d bytes, more than a utf8 array can", n, size)
	}
	offsets := memory.NewResizableBuffer(mem)
	offsets.Resize(4 * (n + 1))
	data := memory.NewResizableBuffer(mem)
	data.Resize(size)
	offs := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
	bytes := data.Bytes()
	pos := 0
	offs[0] = 0
	if valid == nil {
		for i, v := range vals[:n] {
			pos += copy(bytes[pos:], v)
			offs[i+1] = int32(pos)
		}
	} else {
		k := 0
		for i := 0; i < n; i++ {
			if defs[i] == maxDef {
				pos += copy(bytes[pos:], vals[k])
				k++
			}
			offs[i+1] = int32(pos)
		}
	}
	return newArray(arrow.BinaryTypes.String, n, valid, offsets, data), nil
}

// newArray makes an array of n rows over bufs (valid first; nil when no
// row is null) and releases them (the array holds them).
func newArray(typ arrow.DataType, n int, valid *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	nulls := 0
	if valid != nil {
		nulls = n - bitutil.CountSetBits(valid.Bytes(), 0, n)
	}
	d := array.NewData(typ, n, append([]*memory.Buffer{valid}, bufs...), nil, nulls, 0)
	defer d.Release()
	for _, b := range append(bufs, valid) {
		if b != nil {
			b.Release()
		}
	}
	return array.MakeFromData(d)
}

// dictionary makes the dictionary array of the n rows decoded, nv of them
// values: an index per row into the batch's entries, in the order they
// first appear.
func (s *strColumn) dictionary(n, nv int, mem memory.Allocator) (arrow.Array, error) {
	s.seen.reset()
	s.entries = s.entries[:0]
	valid := s.validity(n, nv, mem)
	indices := memory.NewResizableBuffer(mem)
	indices.Resize(4 * n)
	idx := arrow.Int32Traits.CastFromBytes(indices.Bytes())
	var last *byte
	lastLen, lastIdx := -1, int32(0)
	k := 0
	for i := 0; i < n; i++ {
		if valid != nil && s.defs[i] != s.maxDef {
			idx[i] = 0
			continue
		}
		v := s.vals[k]
		k++
		p := unsafe.SliceData(v)
		if p == last && len(v) == lastLen {
			idx[i] = lastIdx
			continue
		}
		e := s.seen.find(uintptr(unsafe.Pointer(p)), len(v), int32(len(s.entries)))
		if int(e) == len(s.entries) {
			s.entries = append(s.entries, v)
		}
		idx[i], last, lastLen, lastIdx = e, p, len(v), e
	}
	dict, err := stringArray(s.entries, nil, 0, len(s.entries), nil, mem)
	clear(s.entries) // no pointers into the pages kept past the batch
	if err != nil {
		if valid != nil {
			valid.Release()
		}
		indices.Release()
		return nil, err
	}
	defer dict.Release()
	ia := newArray(s.dictType.IndexType, n, valid, indices)
	defer ia.Release()
	return array.NewDictionaryArray(s.dictType, ia, dict), nil
}

// addrTable finds a batch's dictionary entries by the address and length
// of their bytes (valueKey): open addressing in a table kept from batch to
// batch, whose slots of earlier batches are told apart by their
// generation, so that a batch clears nothing and the table grows only
// with the most entries a batch of the column has had. (A Go map cost
// more to clear and to grow, batch after batch, than the lookups.) The
// addresses are only compared: the values stay reachable through
// strScratch.vals while the batch is decoded.
type addrTable struct {
	slots []addrSlot
	gen   uint32
	used  int // slots of this generation
}

type addrSlot struct {
	p   uintptr
	n   int
	gen uint32
	idx int32
}

func (t *addrTable) reset() {
	t.gen++
	t.used = 0
	if t.gen == 0 { // wrapped: the old generations would come back
		clear(t.slots)
		t.gen = 1
	}
}

func addrHash(p uintptr, n int) uint64 {
	return (uint64(p) ^ uint64(n)<<48) * 0x9e3779b97f4a7c15
}

// find returns the entry of the value at p of n bytes, or adds it as entry
// next.
func (t *addrTable) find(p uintptr, n int, next int32) int32 {
	if 2*(t.used+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := addrHash(p, n) >> 32 & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.gen != t.gen {
			*sl = addrSlot{p: p, n: n, gen: t.gen, idx: next}
			t.used++
			return next
		}
		if sl.p == p && sl.n == n {
			return sl.idx
		}
	}
}

// grow doubles the table (64 slots at first), keeping this generation's
// slots.
func (t *addrTable) grow() {
	old := t.slots
	t.slots = make([]addrSlot, max(64, 2*len(old)))
	mask := uint64(len(t.slots) - 1)
	for _, sl := range old {
		if sl.gen != t.gen {
			continue
		}
		i := addrHash(sl.p, sl.n) >> 32 & mask
		for t.slots[i].gen == t.gen {
			i = (i + 1) & mask
		}
		t.slots[i] = sl
	}
}
