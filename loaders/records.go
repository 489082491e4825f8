// The records of a snapshot: the rows of a table kept once bad and dropped
// rows are left out.

package loaders

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

func emptyRecord(cfg config, t snapshot.Table) arrow.Record {
	b := array.NewRecordBuilder(cfg.mem, snapshot.Schema(t))
	defer b.Release()
	return b.NewRecord()
}

// filterRecord returns the rows of raw that are neither bad nor dropped.
func filterRecord(cfg config, raw *rawTable) (arrow.Record, error) {
	keep := func(i int) bool { return !raw.bad[i] && (raw.drop == nil || !raw.drop[i]) }
	var runs [][2]int
	n := raw.rows.len()
	for i := 0; i < n; {
		if !keep(i) {
			i++
			continue
		}
		j := i
		for j < n && keep(j) {
			j++
		}
		runs = append(runs, [2]int{i, j})
		i = j
	}
	if len(runs) == 1 && runs[0] == [2]int{0, n} {
		raw.rec.Retain()
		return raw.rec, nil
	}
	if len(runs) == 0 {
		return emptyRecord(cfg, raw.table), nil
	}
	cols := make([]arrow.Array, raw.rec.NumCols())
	total := 0
	for _, r := range runs {
		total += r[1] - r[0]
	}
	for c := range cols {
		parts := make([]arrow.Array, len(runs))
		for k, r := range runs {
			parts[k] = array.NewSlice(raw.rec.Column(c), int64(r[0]), int64(r[1]))
		}
		a, err := array.Concatenate(parts, cfg.tableMem(raw.table))
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			for _, done := range cols[:c] {
				done.Release()
			}
			return nil, err
		}
		cols[c] = a
	}
	rec := array.NewRecord(raw.rec.Schema(), cols, int64(total))
	for _, a := range cols {
		a.Release()
	}
	return rec, nil
}
