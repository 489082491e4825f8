package loaders

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// bulkMembers mixes, batch after batch, what the Parquet bulk paths take as
// they are (plain ids, kept nulls, typed booleans and dates) with what
// must go cell by cell (text to trim or normalise, a missing required id,
// blank needs, a group written in Vietnamese).
var bulkMembers = [][]string{
	{"member_id", "unit_id", "joined_on", "honorary", "party_member", "pioneer", "hardship", "needs", "special_group"},
	{"m1", "chi-1", "2020-01-02", "true", "false", "", "true", "vay vốn", "worker"},
	{"m2", "chi-1", "", "", "true", "false", "", "", ""},
	{"m3", "to-1", "2021-05-06", "false", "", "true", "false", "   ", "trader"},
	{" m4 ", "chi-1", "2022-07-08", "true", "true", "", "", "x", " worker"},
	{"m5", "xa-1", "", "", "", "", "true", "", ""},
	{"", "chi-1", "2019-03-04", "false", "false", "false", "", "", "religious"},
	{"Me\u0301", "to-1", "2018-09-10", "", "", "true", "false", "\tnợ\t", "Công nhân"},
	{"m8", "chi-1", "2017-11-12", "true", "", "", "", "", "migrant"},
	{"m9", "to-1", "", "false", "true", "true", "true", "", ""},
	{"m10", "chi-1", "2016-01-01", "", "", "", "", "  vay ", "worker"},
}

// membersParquet writes rows as a members Parquet file with typed
// booleans and dates, an empty cell a null, two rows a row group, and
// Snappy-compressed pages (whose buffers the checked allocator follows);
// props come after those, and the columns named in required are written
// as required (no definition levels: an empty cell is an empty string).
func membersParquet(t *testing.T, rows [][]string, required []string, props ...parquet.WriterProperty) []byte {
	t.Helper()
	var fields []arrow.Field
	for _, name := range rows[0] {
		typ := arrow.DataType(arrow.BinaryTypes.String)
		switch name {
		case "honorary", "party_member", "pioneer", "hardship":
			typ = arrow.FixedWidthTypes.Boolean
		case "joined_on":
			typ = arrow.FixedWidthTypes.Date32
		}
		fields = append(fields, arrow.Field{Name: name, Type: typ, Nullable: !slices.Contains(required, name)})
	}
	b := array.NewRecordBuilder(memory.NewGoAllocator(), arrow.NewSchema(fields, nil))
	defer b.Release()
	for _, r := range rows[1:] {
		for i, c := range r {
			if c == "" && fields[i].Nullable {
				b.Field(i).AppendNull()
				continue
			}
			switch fb := b.Field(i).(type) {
			case *array.StringBuilder:
				fb.Append(c)
			case *array.BooleanBuilder:
				fb.Append(c == "true")
			case *array.Date32Builder:
				d, _ := parseDate(c)
				fb.Append(arrow.Date32(d))
			}
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	return writeParquet(t, rec, append([]parquet.WriterProperty{parquet.WithMaxRowGroupLength(2), parquet.WithCompression(compress.Codecs.Snappy)}, props...)...)
}

// TestParquetBulkSameAsCells loads members (and units, whose active column
// has nulls that become true) from Parquet in batches of several sizes and
// from CSV, which goes cell by cell, and wants the same records, findings
// (rows shifted by the CSV header) and stats. The members file is written
// several ways, for the string columns decoded from the column chunks
// (strColumn): row groups of two rows; one row group of pages of a few
// values, whose dictionary fills up and gives way to plain pages in the
// middle of a batch; no dictionary; and a required string column.
func TestParquetBulkSameAsCells(t *testing.T) {
	var csv strings.Builder
	for _, r := range bulkMembers {
		csv.WriteString(strings.Join(r, ",") + "\n")
	}
	render := func(snap *snapshot.Snapshot, shift int) string {
		return renderLoad(snap, shift, snapshot.Units, snapshot.Members)
	}
	all := WithMaxBadRows(Limit{Share: 1, IsShare: true})
	want, err := load(t, mapFS(map[string]string{
		"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv"),
		"u.csv":         unitsCSV,
		"m.csv":         csv.String(),
	}), all)
	if err != nil {
		t.Fatal(err)
	}
	units := parquetFile(t, [][]string{
		{"unit_id", "parent_id", "level", "name", "kind", "active"},
		{"tinh", "", "province", "Tỉnh Thái Bình", "", ""},
		{"xa-1", "tinh", "commune", "Xã Thái Xuyên", "xã", "true"},
		{"chi-1", "xa-1", "branch", "Thôn Đông", "thôn", "1"},
		{"to-1", "chi-1", "group", "Tổ 1", "", "không"},
	})
	files := []struct {
		name    string
		members []byte
	}{
		{"row groups of 2", membersParquet(t, bulkMembers, nil)},
		{"small pages", membersParquet(t, bulkMembers, nil, parquet.WithMaxRowGroupLength(1<<20),
			parquet.WithDataPageSize(16), parquet.WithDictionaryPageSizeLimit(24), parquet.WithBatchSize(2))},
		{"no dictionary", membersParquet(t, bulkMembers, nil, parquet.WithDictionaryDefault(false))},
		{"required", membersParquet(t, bulkMembers, []string{"member_id", "unit_id"}, parquet.WithMaxRowGroupLength(1<<20), parquet.WithDataPageSize(16))},
	}
	for _, f := range files {
		for _, batch := range []int{defaultParquetBatch, 3, 1} {
			got, err := load(t, fstest.MapFS{
				"snapshot.yaml": mapFile([]byte(manifest("units: u.parquet\nmembers: m.parquet"))),
				"u.parquet":     mapFile(units),
				"m.parquet":     mapFile(f.members),
			}, all, withParquetBatch(batch))
			if err != nil {
				t.Fatalf("%s, batches of %d: %v", f.name, batch, err)
			}
			if d := cmp.Diff(render(want, 1), render(got, 0)); d != "" {
				t.Errorf("%s: Parquet in batches of %d differs from CSV (-csv +parquet):\n%s", f.name, batch, d)
			}
		}
	}
}

// TestParquetDictionariesSameAsCells loads models and activities, whose
// enums, months and unit ids are dictionary columns, from Parquet (each
// batch's dictionary converted entry by entry: appendDictionary) and from
// CSV (cell by cell), and wants the same records, findings and stats:
// values as they are, in another case, through an alias (written NFC and
// not), to trim, not in the enum, empty where a default applies or a value
// is required, months right and wrong.
func TestParquetDictionariesSameAsCells(t *testing.T) {
	models := [][]string{
		{"model_id", "unit_id", "type", "status", "field", "special_group"},
		{"m1", "xa-1", "one_plus_one", "", "family", "worker"},
		{"m2", "chi-1", "THREE_HAS_THREE_KNOWS", "inactive", " economy ", ""},
		{"m3", "chi-1", "Một cộng một", "paused", "", "Công nhân"},
		{"m4", "to-1", "Mo\u0302\u0323t co\u0302\u0323ng mo\u0302\u0323t", "Active", "Gia đình", "công nhân"},
		{"m5", "xa-1", "", "active", "nonsense", "trader"},
		{"m6", "chi-1", "one_plus_one", "  ", "family", " worker "},
		{"m7", "to-1", "  accompany  ", "inactive", "GIA ĐÌNH", "religious"},
		{"m8", "xa-1", "other", "", "membership", "Ngu\u031bo\u031b\u0300i"},
	}
	activities := [][]string{
		{"unit_id", "month", "kind", "attendees"},
		{"chi-1", "2024-03", "meeting", "12"},
		{"chi-1", " 2024-04 ", "meeting", ""},
		{"to-1", "2024-13", "visit", "3"},
		{"xa-1", "", "meeting", "5"},
		{"chi-1", "2024-03", "Họp", "7"},
		{"to-1", "03/2024", "visit", "1"},
		{"chi-1", "2024-04", "", "2"},
	}
	csv := func(rows [][]string) string {
		var b strings.Builder
		for _, r := range rows {
			b.WriteString(strings.Join(r, ",") + "\n")
		}
		return b.String()
	}
	aliases := "aliases:\n  models.type: {\"Một cộng một\": one_plus_one}\n  models.field: {\"gia đình\": family}\n  members.special_group: {\"công nhân\": worker}\n  models.special_group: {\"công nhân\": worker}\n"
	render := func(snap *snapshot.Snapshot, shift int) string {
		return renderLoad(snap, shift, snapshot.Models, snapshot.Activities)
	}
	all := WithMaxBadRows(Limit{Share: 1, IsShare: true})
	want, err := load(t, mapFS(map[string]string{
		"snapshot.yaml": manifest("units: u.csv\nmodels: m.csv\nactivities: a.csv", aliases),
		"u.csv":         unitsCSV,
		"m.csv":         csv(models),
		"a.csv":         csv(activities),
	}), all)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Findings) < 8 {
		t.Fatalf("the CSV load has %d findings: the cases are not exercised", len(want.Findings))
	}
	for _, batch := range []int{defaultParquetBatch, 3, 1} {
		got, err := load(t, fstest.MapFS{
			"snapshot.yaml": mapFile([]byte(manifest("units: u.csv\nmodels: m.parquet\nactivities: a.parquet", aliases))),
			"u.csv":         mapFile([]byte(unitsCSV)),
			"m.parquet":     mapFile(parquetFile(t, models)),
			"a.parquet":     mapFile(parquetFileWith(t, activities, parquet.WithMaxRowGroupLength(4))),
		}, all, withParquetBatch(batch))
		if err != nil {
			t.Fatalf("batches of %d: %v", batch, err)
		}
		if d := cmp.Diff(render(want, 1), render(got, 0)); d != "" {
			t.Errorf("Parquet in batches of %d differs from CSV (-csv +parquet):\n%s", batch, d)
		}
	}
}

// TestParquetBatchBuffersReused loads a models file whose batches are
// large enough for their buffers to be reused from one batch to the next
// (recyclePool; under the tests' checked allocator a freed buffer is
// poisoned first), with findings quoting values of early batches, and
// wants what the CSV file gives: no value read from a batch after it was
// let go.
func TestParquetBatchBuffersReused(t *testing.T) {
	rows := [][]string{{"model_id", "unit_id", "type", "name", "status"}}
	for i := 0; i < 3000; i++ {
		typ, status := "one_plus_one", ""
		if i%97 == 0 {
			typ = fmt.Sprintf("kind-%04d", i) // DQ006, quoting the value
		}
		if i%2 == 0 {
			status = fmt.Sprintf("paused-%04d", i) // DQ006: a dictionary of 250 entries a batch
		}
		name := fmt.Sprintf("Mô hình %04d của chi hội", i)
		if i%101 == 0 {
			name = fmt.Sprintf("Mo\u0302 hi\u0300nh %04d", i) // DQ008, quoting the NFC text
		}
		if i%103 == 0 {
			name = fmt.Sprintf("M\xf4 h\xecnh %04d", i) // not UTF-8: a finding quoting the bytes
		}
		rows = append(rows, []string{fmt.Sprintf("m%05d", i), "chi-1", typ, name, status})
	}
	var csv strings.Builder
	for _, r := range rows {
		csv.WriteString(strings.Join(r, ",") + "\n")
	}
	render := func(snap *snapshot.Snapshot, shift int) string {
		return renderLoad(snap, shift, snapshot.Models)
	}
	all := WithMaxBadRows(Limit{Share: 1, IsShare: true})
	want, err := load(t, mapFS(map[string]string{
		"snapshot.yaml": manifest("units: u.csv\nmodels: m.csv"),
		"u.csv":         unitsCSV,
		"m.csv":         csv.String(),
	}), all)
	if err != nil {
		t.Fatal(err)
	}
	got, err := load(t, fstest.MapFS{
		"snapshot.yaml": mapFile([]byte(manifest("units: u.csv\nmodels: m.parquet"))),
		"u.csv":         mapFile([]byte(unitsCSV)),
		"m.parquet":     mapFile(parquetFileWith(t, rows, parquet.WithMaxRowGroupLength(1500))),
	}, all, withParquetBatch(500))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(render(want, 1), render(got, 0)); d != "" {
		t.Errorf("Parquet differs from CSV (-csv +parquet):\n%s", d)
	}
}

// renderLoad is what a load gave for tables: their rows and statistics,
// then every finding, its row moved up by shift (a CSV file's header row:
// Parquet has none), a summary finding (row 0) left as it is.
func renderLoad(snap *snapshot.Snapshot, shift int, tables ...snapshot.Table) string {
	var out []string
	for _, tb := range tables {
		out = append(out, dump(snap.Table(tb))...)
		out = append(out, fmt.Sprint(snap.Stats[tb]))
	}
	for _, f := range snap.Findings {
		if f.Row > 0 {
			f.Row -= shift
		}
		out = append(out, fmt.Sprintf("%s %s:%d %s %q %s", f.Code, f.Table, f.Row, f.Column, f.Value, f.Message))
	}
	return strings.Join(out, "\n")
}
