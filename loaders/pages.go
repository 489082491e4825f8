// The pages of the string columns strColumn decodes, checked before the
// Parquet library's column reader sees them.

package loaders

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/file"
)

// checkedPages is the page reader of a column chunk strColumn decodes: it
// hands over the pages of the library's page reader, and stops with an
// error (Err) at a data page that would make the library's column reader
// loop forever.
//
// Why: file.ByteArrayColumnChunkReader.ReadBatch (arrow go/v15,
// columnChunkReader.readBatch) loops "while the page has values left and
// the batch is not full", and a turn of the loop moves on by the number of
// definition levels it decoded (for a required column, of values). When a
// page's levels run out before its values do (its RLE runs end, or the
// page ends, short of the page's count), the level decoder returns no level
// at every turn, nothing is consumed, the page is never done and ReadBatch
// never returns: no check of ours after it could run. pqarrow's record
// reader stops there instead ("exhausted column chunk"). So the pages are
// checked before the column reader decodes them:
//
//   - a data page's definition levels must decode, as the library decodes
//     them, to at least the page's count of values (levelRuns);
//   - its values must be plain or dictionary encoded. Those decoders
//     return every value asked for or an error; the delta decoders can
//     return none without an error (a page whose delta header does not
//     decode keeps the counts of the one before), which for a required
//     column is the same endless loop. A column whose chunks list another
//     encoding is left to pqarrow (strEncodings); a page encoded otherwise
//     than its chunk says is corrupt.
//
// Dictionary pages and pages of other kinds go through as they are.
type checkedPages struct {
	file.PageReader
	maxDef int16
	rg     int // the row group, for the error
	page   int // data pages handed over so far
	err    error
}

func (c *checkedPages) Next() bool {
	if c.err != nil || !c.PageReader.Next() {
		return false
	}
	if pg := c.PageReader.Page(); pg != nil {
		if err := c.check(pg); err != nil {
			c.err = fmt.Errorf("row group %d, data page %d: %w", c.rg, c.page, err)
			// The page reader lets a page go when it reads the next one,
			// which it will not be asked to now.
			pg.Release()
			return false
		}
	}
	return true
}

func (c *checkedPages) Err() error {
	if c.err != nil {
		return c.err
	}
	return c.PageReader.Err()
}

func (c *checkedPages) Reset(r parquet.BufferedReader, nrows int64, codec compress.Compression, ctx *file.CryptoContext) {
	c.err, c.page = nil, 0
	c.PageReader.Reset(r, nrows, codec, ctx)
}

// check returns why the column reader must not be given pg, nil when it may.
func (c *checkedPages) check(pg file.Page) error {
	if _, data := pg.(file.DataPage); !data {
		return nil // dictionary and index pages: the library checks them
	}
	c.page++
	if err := strEncoding(parquet.Encoding(pg.Encoding())); err != nil {
		return err
	}
	if c.maxDef == 0 {
		return nil
	}
	body := pg.Data()
	var levels []byte
	switch pg := pg.(type) {
	case *file.DataPageV1:
		switch pg.DefinitionLevelEncoding() {
		case parquet.Encodings.RLE:
			// the levels' length in 4 bytes, then the levels
			if len(body) < 4 {
				return fmt.Errorf("a page of %d bytes has no room for its definition levels", len(body))
			}
			n := binary.LittleEndian.Uint32(body)
			if uint64(n) > uint64(len(body)-4) {
				return fmt.Errorf("its definition levels are said to take %d bytes of a page of %d", n, len(body))
			}
			levels = body[4 : 4+n]
		case parquet.Encodings.BitPacked:
			// The library checks that the bytes of every level are in
			// the page, and then decodes them all.
			return nil
		default:
			return fmt.Errorf("its definition levels are encoded %s", pg.DefinitionLevelEncoding())
		}
	case *file.DataPageV2:
		rep, def := int64(pg.RepetitionLevelByteLen()), int64(pg.DefinitionLevelByteLen())
		if rep < 0 || def < 0 || rep+def > int64(len(body)) {
			return fmt.Errorf("its levels are said to take %d and %d bytes of a page of %d", rep, def, len(body))
		}
		levels = body[rep : rep+def]
	default:
		return nil
	}
	if want := int(pg.NumValues()); want > 0 {
		if got := levelRuns(levels, bits.Len16(uint16(c.maxDef)), want); got < want {
			return fmt.Errorf("its definition levels decode to %d levels where the page has %d values", got, want)
		}
	}
	return nil
}

// levelRuns counts the levels of data, definition levels of width bits
// each in the RLE / bit-packed hybrid encoding, up to want (it stops
// there): the levels the library's decoder (utils.RleDecoder) yields
// before it stops for good. Each run starts with a varint: its low bit set,
// a bit-packed run of (varint>>1) groups of 8 levels, each group width
// bytes; clear, a repeated run of (varint>>1) levels of one value, in
// (width+7)/8 bytes. The decoder stops at a run it cannot read: the varint
// or the value past the end of data, or a count of zero or too large. It
// reads a bit-packed run past the end of data as zeros; here a run must be
// whole, which every writer's is (so a page the library would read as
// garbage is refused here, which only corrupt files have).
func levelRuns(data []byte, width, want int) int {
	got := 0
	valueBytes := (width + 7) / 8
	for got < want {
		v, k := binary.Uvarint(data)
		if k <= 0 {
			break
		}
		data = data[k:]
		count := int64(uint32(v >> 1)) // the library's own truncation
		if v&1 != 0 {
			if count == 0 || count > math.MaxInt32/8 || count*int64(width) > int64(len(data)) {
				break
			}
			data = data[count*int64(width):]
			got += int(count) * 8
		} else {
			if count == 0 || count > math.MaxInt32 || len(data) < valueBytes {
				break
			}
			data = data[valueBytes:]
			got += int(count)
		}
	}
	return got
}

// strEncoding returns an error unless e is one of the encodings of values
// strColumn lets the library decode.
func strEncoding(e parquet.Encoding) error {
	switch e {
	case parquet.Encodings.Plain, parquet.Encodings.PlainDict, parquet.Encodings.RLEDict:
		return nil
	}
	return fmt.Errorf("its values are encoded %s, which its column chunk does not list", e)
}

// strEncodings reports whether every chunk of column leaf in the file
// lists only encodings strColumn decodes (those of strEncoding, and RLE
// and BIT_PACKED, the levels'): a column written otherwise (say
// DELTA_BYTE_ARRAY) is read by pqarrow. False too when the footer cannot
// say (the row group's reader reports why).
func strEncodings(pf *file.Reader, leaf int) (ok bool) {
	defer func() {
		if recover() != nil { // a corrupt footer: see openRowGroup
			ok = false
		}
	}()
	md := pf.MetaData()
	for rg := 0; rg < len(md.RowGroups); rg++ {
		cc, err := md.RowGroup(rg).ColumnChunk(leaf)
		if err != nil {
			return false
		}
		for _, e := range cc.Encodings() {
			if e != parquet.Encodings.RLE && e != parquet.Encodings.BitPacked && strEncoding(e) != nil {
				return false
			}
		}
	}
	return true
}
