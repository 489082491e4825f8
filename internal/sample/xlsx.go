package sample

import (
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// xlsxMaxRows is the number of data rows a sheet holds (the header takes one).
const xlsxMaxRows = 1<<20 - 1

// xlsxWriter streams rows into the first sheet, named after the table.
// Integers and floats are numbers; everything else is text.
type xlsxWriter struct {
	f     io.WriteCloser
	x     *excelize.File
	sw    *excelize.StreamWriter
	kinds []snapshot.Kind
	row   int
	cells []any
}

func newXLSXWriter(f io.WriteCloser, t snapshot.Table, cols []string) (*xlsxWriter, error) {
	x := excelize.NewFile()
	if err := x.SetSheetName("Sheet1", string(t)); err != nil {
		return nil, err
	}
	sw, err := x.NewStreamWriter(string(t))
	if err != nil {
		return nil, err
	}
	spec := map[string]snapshot.Kind{}
	for _, c := range snapshot.Columns(t) {
		spec[c.Name] = c.Kind
	}
	w := &xlsxWriter{f: f, x: x, sw: sw}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = c
		w.kinds = append(w.kinds, spec[c])
	}
	return w, w.next(head)
}

func (w *xlsxWriter) next(cells []any) error {
	w.row++
	cell, err := excelize.CoordinatesToCellName(1, w.row)
	if err != nil {
		return err
	}
	return w.sw.SetRow(cell, cells)
}

func (w *xlsxWriter) Write(row []string) error {
	w.cells = w.cells[:0]
	for i, v := range row {
		var c any = v
		if i < len(w.kinds) && v != "" {
			switch w.kinds[i] {
			case snapshot.KindInt:
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					c = n
				}
			case snapshot.KindFloat:
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					c = x
				}
			}
		} else if v == "" {
			c = nil
		}
		w.cells = append(w.cells, c)
	}
	return w.next(w.cells)
}

func (w *xlsxWriter) Close() error {
	err := w.sw.Flush()
	if err == nil {
		_, err = w.x.WriteTo(w.f)
	}
	if cerr := w.x.Close(); err == nil {
		err = cerr
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
