package sample

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// parquetBatch is the number of rows per row group.
const parquetBatch = 1 << 16

// parquetWriter writes typed columns (string, bool, date32, int64, float64,
// list<string>) in row groups of parquetBatch rows. With stringly set every
// column is a string, as a careless export would write it (used when
// defects are injected, so that bad dates can be written at all).
type parquetWriter struct {
	f     io.WriteCloser
	fw    *pqarrow.FileWriter
	b     *array.RecordBuilder
	kinds []snapshot.Kind
	n     int
}

func newParquetWriter(f io.WriteCloser, t snapshot.Table, cols []string, stringly bool) (*parquetWriter, error) {
	spec := map[string]snapshot.Kind{}
	required := map[string]bool{}
	for _, c := range snapshot.Columns(t) {
		spec[c.Name] = c.Kind
		required[c.Name] = c.Required
	}
	w := &parquetWriter{f: f}
	fields := make([]arrow.Field, len(cols))
	for i, name := range cols {
		k := spec[name]
		if stringly || k == "" || k == snapshot.KindEnum || k == snapshot.KindMonth {
			k = snapshot.KindString
		}
		w.kinds = append(w.kinds, k)
		// Required columns are never empty: no definition levels to write.
		f := arrow.Field{Name: name, Nullable: !required[name]}
		switch k {
		case snapshot.KindBool:
			f.Type = arrow.FixedWidthTypes.Boolean
		case snapshot.KindDate:
			f.Type = arrow.FixedWidthTypes.Date32
		case snapshot.KindInt:
			f.Type = arrow.PrimitiveTypes.Int64
		case snapshot.KindFloat:
			f.Type = arrow.PrimitiveTypes.Float64
		case snapshot.KindList:
			f.Type = arrow.ListOf(arrow.BinaryTypes.String)
		default:
			f.Type = arrow.BinaryTypes.String
		}
		fields[i] = f
	}
	schema := arrow.NewSchema(fields, nil)
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(parquetBatch),
		parquet.WithCreatedBy("vungmanh sample"),
		// V2 pages: the V1 level encoder of arrow v15 reallocates on every
		// run it writes, which makes big files slow.
		parquet.WithDataPageVersion(parquet.DataPageV2),
	)
	fw, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.NewArrowWriterProperties())
	if err != nil {
		return nil, err
	}
	w.fw = fw
	w.b = array.NewRecordBuilder(memory.DefaultAllocator, schema)
	return w, nil
}

func (w *parquetWriter) Write(row []string) error {
	if len(row) != len(w.kinds) {
		return fmt.Errorf("parquet row has %d cells, want %d", len(row), len(w.kinds))
	}
	for i, v := range row {
		fb := w.b.Field(i)
		if v == "" {
			fb.AppendNull()
			continue
		}
		var err error
		switch w.kinds[i] {
		case snapshot.KindBool:
			fb.(*array.BooleanBuilder).Append(v == "true")
		case snapshot.KindDate:
			var t time.Time
			t, err = time.Parse(time.DateOnly, v)
			fb.(*array.Date32Builder).Append(arrow.Date32FromTime(t))
		case snapshot.KindInt:
			var n int64
			n, err = strconv.ParseInt(v, 10, 64)
			fb.(*array.Int64Builder).Append(n)
		case snapshot.KindFloat:
			var x float64
			x, err = strconv.ParseFloat(v, 64)
			fb.(*array.Float64Builder).Append(x)
		case snapshot.KindList:
			lb := fb.(*array.ListBuilder)
			lb.Append(true)
			vb := lb.ValueBuilder().(*array.StringBuilder)
			for _, s := range strings.Split(v, ";") {
				vb.Append(s)
			}
		default:
			fb.(*array.StringBuilder).Append(v)
		}
		if err != nil {
			return fmt.Errorf("parquet column %d: %w", i, err)
		}
	}
	w.n++
	if w.n == parquetBatch {
		return w.flush()
	}
	return nil
}

func (w *parquetWriter) flush() error {
	if w.n == 0 {
		return nil
	}
	rec := w.b.NewRecord()
	defer rec.Release()
	w.n = 0
	return w.fw.Write(rec)
}

func (w *parquetWriter) Close() error {
	err := w.flush()
	w.b.Release()
	if cerr := w.fw.Close(); err == nil {
		err = cerr
	}
	// pqarrow closes the sink it was given.
	return err
}
