package sample

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// sink creates the files of a snapshot.
type sink func(name string) (io.WriteCloser, error)

func dirSink(dir string) sink {
	return func(name string) (io.WriteCloser, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		return &bufFile{Writer: bufio.NewWriterSize(f, 1<<20), f: f}, nil
	}
}

type bufFile struct {
	*bufio.Writer
	f *os.File
}

func (b *bufFile) Close() error {
	if err := b.Flush(); err != nil {
		b.f.Close()
		return err
	}
	return b.f.Close()
}

func memSink(m fstest.MapFS) sink {
	return func(name string) (io.WriteCloser, error) {
		return &memFile{m: m, name: name}, nil
	}
}

type memFile struct {
	bytes.Buffer
	m    fstest.MapFS
	name string
}

func (f *memFile) Close() error {
	f.m[f.name] = &fstest.MapFile{Data: f.Bytes(), Mode: 0o644}
	return nil
}

// rowWriter writes the rows of one table file. Cells are text as in a CSV
// export ("" = null); typed formats convert them by the column's kind.
type rowWriter interface {
	Write(row []string) error
	Close() error
}

func newRowWriter(format string, f io.WriteCloser, t snapshot.Table, cols []string, stringly bool) (rowWriter, error) {
	switch format {
	case FormatParquet:
		return newParquetWriter(f, t, cols, stringly)
	case FormatXLSX:
		return newXLSXWriter(f, t, cols)
	}
	return newCSVWriter(f, cols)
}

type csvWriter struct {
	f io.WriteCloser
	w *csv.Writer
}

func newCSVWriter(f io.WriteCloser, cols []string) (*csvWriter, error) {
	w := &csvWriter{f: f, w: csv.NewWriter(f)}
	return w, w.Write(cols)
}

func (w *csvWriter) Write(row []string) error { return w.w.Write(row) }

func (w *csvWriter) Close() error {
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		w.f.Close()
		return err
	}
	return w.f.Close()
}

// columns lists the columns written for t by a profile without unit
// versions.
func columns(t snapshot.Table, defects bool) []string { return columnsOf(t, defects, false) }

// versionColumns are the columns of docs/snapshot-format.md "Unit versions" (v1.1):
// only profiles with unit versions write them, so that the files of the
// others stay as they were.
var versionColumns = map[string]bool{"units.valid_from": true, "units.valid_to": true, "lineage.kind": true, "lineage.share": true}

// columnsOf lists the columns written for t; versions adds versionColumns.
func columnsOf(t snapshot.Table, defects, versions bool) []string {
	var cols []string
	for _, c := range snapshot.Columns(t) {
		if !versions && versionColumns[string(t)+"."+c.Name] {
			continue
		}
		cols = append(cols, c.Name)
	}
	if t == snapshot.Units && defects {
		cols = append(cols, "ghi_chu") // DQ009: a column the spec does not know
	}
	return cols
}

func fileName(t snapshot.Table, format string) string { return string(t) + "." + format }

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func dayText(d int32) string { return dateOf(d).Format(time.DateOnly) }

// emit writes the manifest and every table of w through s.
func emit(ctx context.Context, w *world, o Options, s sink) (Summary, error) {
	format := o.format()
	tables := []snapshot.Table{snapshot.Units, snapshot.Members, snapshot.Cadres, snapshot.Models,
		snapshot.Participants, snapshot.Ratings, snapshot.Activities}
	if len(w.lineage) > 0 {
		tables = append(tables, snapshot.Lineage)
	}
	sum := Summary{Profile: o.Profile, Name: w.name, AsOf: w.asOf.Format(time.DateOnly), Format: format,
		Rows: map[snapshot.Table]int64{}, Defects: map[snapshot.Code]int{}}
	if format == FormatXLSX && w.members > xlsxMaxRows {
		return sum, fmt.Errorf("members has %d rows, more than an xlsx sheet holds (%d): use csv or parquet", w.members, xlsxMaxRows)
	}
	var man strings.Builder
	fmt.Fprintf(&man, "apiVersion: vungmanh/v1\nkind: Snapshot\nname: %s\ntitle: %s\nasOf: %s\ntables:\n", w.name, w.title, sum.AsOf)
	for _, t := range tables {
		fmt.Fprintf(&man, "  %s: %s\n", t, fileName(t, format))
	}
	if err := writeFile(s, "snapshot.yaml", man.String()); err != nil {
		return sum, err
	}
	sum.Files = append(sum.Files, "snapshot.yaml")
	d := newDefecter(w.seed, o.Defects, format, sum.Defects)
	for _, t := range tables {
		name := fileName(t, format)
		f, err := s(name)
		if err != nil {
			return sum, fmt.Errorf("create %s: %w", name, err)
		}
		rw, err := newRowWriter(format, f, t, columnsOf(t, d.on(), w.versions), d.on())
		if err != nil {
			f.Close()
			return sum, fmt.Errorf("write %s: %w", name, err)
		}
		n := int64(0)
		out := func(row []string) error {
			n++
			if n&0xffff == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			return rw.Write(row)
		}
		err = w.rows(t, d, out)
		if cerr := rw.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return sum, fmt.Errorf("write %s: %w", name, err)
		}
		sum.Rows[t] = n
		sum.Files = append(sum.Files, name)
	}
	return sum, nil
}

func writeFile(s sink, name, text string) error {
	f, err := s(name)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// rows generates the rows of table t, passing each through the defecter.
func (w *world) rows(t snapshot.Table, d *defecter, out func([]string) error) error {
	switch t {
	case snapshot.Units:
		return w.unitRows(d, out)
	case snapshot.Members:
		return w.memberRows(d, out)
	case snapshot.Cadres:
		var strong []string
		for k, c := range w.cadres {
			comp := "not_yet_good"
			if c.good {
				comp = "good"
			}
			mid := ""
			if c.member >= 0 {
				mid = memberID(c.member)
			}
			strong = strong[:0]
			for f, name := range snapshot.Fields() {
				if c.strong&(1<<f) != 0 {
					strong = append(strong, name)
				}
			}
			row := []string{cadreID(k), w.units[c.unit].id, cadreRoles[c.role], comp, strings.Join(strong, ";"), mid, boolText(c.party)}
			if err := d.cadre(row, out); err != nil {
				return err
			}
		}
	case snapshot.Models:
		for _, m := range w.models {
			status := "active"
			if !m.active {
				status = "inactive"
			}
			row := []string{m.id, w.units[m.unit].id, m.typ, m.name, m.launched.Format(time.DateOnly), status, m.field, m.special}
			if err := d.model(row, out); err != nil {
				return err
			}
		}
	case snapshot.Participants:
		for _, p := range w.parts {
			row := []string{w.models[p.model].id, p.id, p.kind, p.role, p.pair, p.component}
			if err := d.participant(row, out); err != nil {
				return err
			}
		}
	case snapshot.Ratings:
		ranks := snapshot.EnumValues("ratings.rating")
		for ui, u := range w.units {
			rt := &w.rating[ui]
			for y := range 2 {
				if !rt.has[y] {
					continue
				}
				row := []string{u.id, itoa(w.asOf.Year() - 2 + y), ranks[rt.rank[y]],
					strconv.FormatFloat(float64(rt.score[y]), 'f', 1, 32), "", "", "", ""}
				for f := range 4 {
					row[4+f] = "not_strong"
					if rt.strong[y][f] {
						row[4+f] = "strong"
					}
				}
				if err := d.rating(row, out); err != nil {
					return err
				}
			}
		}
		for _, row := range w.oldRatings {
			if err := d.rating(row, out); err != nil {
				return err
			}
		}
	case snapshot.Activities:
		return w.activityRows(d, out)
	case snapshot.Lineage:
		for _, l := range w.lineage {
			row := l[:3]
			if w.versions {
				row = l[:]
			}
			if err := out(row); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *world) unitRows(d *defecter, out func([]string) error) error {
	firstGroup := -1
	for ui, u := range w.units {
		row := []string{u.id, u.parent, string(u.level), u.name, u.kind, "true"}
		if w.versions {
			row = append(row, u.from, u.to)
		}
		if d.on() {
			row = append(row, "")
			if ui%97 == 5 {
				row[len(row)-1] = "Ghi chú nội bộ của cán bộ nhập liệu"
			}
		}
		if u.level == snapshot.LevelGroup && firstGroup < 0 {
			firstGroup = ui
		}
		if err := d.unit(row, u.level == snapshot.LevelProvince, out); err != nil {
			return err
		}
	}
	for _, u := range w.history {
		row := []string{u.id, u.parent, string(u.level), u.name, u.kind, "true", u.from, u.to}
		if d.on() {
			row = append(row, "") // ghi_chu
		}
		if err := out(row); err != nil {
			return err
		}
	}
	return d.extraUnits(w, firstGroup, out)
}

func (w *world) memberRows(d *defecter, out func([]string) error) error {
	row := make([]string, 9)
	for bi := range w.branch {
		b := &w.branch[bi]
		for k := int64(0); k < b.n; k++ {
			m := w.member(bi, k)
			row[0] = memberID(m.index)
			row[1] = w.units[m.unit].id
			row[2] = dayText(m.joined)
			row[3] = boolText(m.honorary)
			row[4] = boolText(m.party)
			row[5] = boolText(m.pioneer)
			row[6] = ""
			if m.hardship >= 0 {
				row[6] = boolText(m.hardship == 1)
			}
			row[7] = m.needs
			row[8] = m.special
			if err := d.member(row, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// activityRows logs, for each commune and branch, activities in most of the
// twelve months up to asOf.
func (w *world) activityRows(d *defecter, out func([]string) error) error {
	r := newRand(w.seed, 6)
	first := time.Date(w.asOf.Year(), w.asOf.Month()-11, 1, 0, 0, 0, 0, time.UTC)
	months := make([]string, 12)
	for i := range months {
		months[i] = first.AddDate(0, i, 0).Format("2006-01")
	}
	for _, u := range w.units {
		p := 0.97
		switch {
		case u.level == snapshot.LevelBranch:
			p = 0.95
		case u.level != snapshot.LevelCommune:
			continue
		}
		for _, m := range months {
			if r.Float64() >= p {
				continue
			}
			row := []string{u.id, m, activityKinds[r.IntN(len(activityKinds))], itoa(8 + r.IntN(70))}
			if err := d.activity(row, out); err != nil {
				return err
			}
		}
	}
	return nil
}
