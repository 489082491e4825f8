// A file's header mapped onto the table's columns.

package loaders

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

func newColumn(mem memory.Allocator, t snapshot.Table, spec snapshot.ColumnSpec, field arrow.Field, aliases map[string]string) *column {
	c := &column{spec: spec, src: -1}
	if dt, ok := field.Type.(*arrow.DictionaryType); ok {
		c.dict = newDictColumn(dt)
		c.b = array.NewInt32Builder(mem)
	} else {
		c.b = array.NewBuilder(mem, field.Type)
	}
	c.needs = t == snapshot.Members && spec.Name == "needs"
	c.set, c.null = setterOf(t, spec), nullRuleOf(t, spec)
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

// prepare maps the file's header onto the table's columns.
func (l *tableRead) prepare(t snapshot.Table, file string, src snapshot.TableSource, format format, rr rowReader) (*tableLoader, bool) {
	hdr := rr.header()
	if len(hdr) == 0 {
		l.fatalf(t, file, 0, "", "", fmt.Sprintf("The file of the %s table is empty: it has no header row with column names.", t))
		return nil, false
	}
	hdrRow := 1
	if format == fmtParquet {
		hdrRow = 0
	}
	nd, isND := rr.(*ndjsonReader)
	if isND {
		hdrRow = nd.line
	}
	pos := map[string]int{}
	ok := true
	for i, h := range hdr {
		if h == "" {
			continue
		}
		if _, dup := pos[h]; dup {
			l.fatalf(t, file, hdrRow, h, "", fmt.Sprintf("The column %q appears twice in the header of the %s table.", h, t))
			ok = false
			continue
		}
		pos[h] = i
	}
	schema := snapshot.Schema(t)
	tl := &tableLoader{t: t, file: file, xlsx: format == fmtXLSX, hdrWidth: len(hdr), progress: l.cfg.progress, mem: l.cfg.tableMem(t),
		aheadRows: l.cfg.aheadRows, prefetchRows: l.cfg.prefetchRows, out: newRawTable(t, file)}
	known := map[string]bool{}
	var used []int
	for i, spec := range snapshot.Columns(t) {
		known[spec.Name] = true
		c := newColumn(l.cfg.tableMem(t), t, spec, schema.Field(i), l.man.Aliases[string(t)+"."+spec.Name])
		c.silent = src.Encoding == "windows-1258"
		if p, found := pos[spec.Name]; found && (!isND || nd.first[spec.Name] || !spec.Required) {
			c.src = p
			used = append(used, p)
		} else if spec.Required {
			l.fatalf(t, file, hdrRow, spec.Name, "", fmt.Sprintf("The %s table has no column %q, which is required.", t, spec.Name))
			ok = false
		}
		tl.cols = append(tl.cols, c)
	}
	if !ok {
		tl.release()
		return nil, false
	}
	for _, h := range hdr {
		if h != "" && !known[h] {
			tl.ignore(h, hdrRow)
		}
	}
	if pr, isPq := rr.(*parquetReader); isPq {
		slices.Sort(used)
		if err := pr.selectColumns(used, l.cfg.parquetBatch); err != nil {
			tl.release()
			l.fatalf(t, file, 0, "", "", fmt.Sprintf("The file of the %s table cannot be read: %v", t, err))
			return nil, false
		}
	}
	return tl, true
}

// dictColumns lists the dictionary-encoded columns of t's schema.
func dictColumns(t snapshot.Table) []string {
	var out []string
	for _, f := range snapshot.Schema(t).Fields() {
		if f.Type.ID() == arrow.DICTIONARY {
			out = append(out, f.Name)
		}
	}
	return out
}
