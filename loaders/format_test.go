package loaders

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"
)

// The same units and models in every format.
var (
	unitRows = [][]string{
		{"unit_id", "parent_id", "level", "name", "kind", "active"},
		{"tinh", "", "province", "Tỉnh Thái Bình", "", ""},
		{"xa-1", "tinh", "Commune", "Xã Thái Xuyên", "xã", "có"},
		{"chi-1", "xa-1", "branch", "Thôn Đông, \"Cũ\"", "thôn", "yes"},
		{"to-1", "chi-1", "group", "Tổ 1\nmới", "", "false"},
	}
	modelRows = [][]string{
		{"model_id", "unit_id", "type", "launched_on", "status"},
		{"m1", "xa-1", "one_plus_one", "2024-03-08", ""},
		{"m2", "chi-1", "THREE_HAS_THREE_KNOWS", "09/05/2024", "inactive"},
	}
	wantUnits = []string{
		"unit_id=tinh level=province name=Tỉnh Thái Bình active=true",
		"unit_id=xa-1 parent_id=tinh level=commune name=Xã Thái Xuyên kind=xã active=true",
		`unit_id=chi-1 parent_id=xa-1 level=branch name=Thôn Đông, "Cũ" kind=thôn active=true`,
		"unit_id=to-1 parent_id=chi-1 level=group name=Tổ 1\nmới active=false",
	}
	wantModels = []string{
		"model_id=m1 unit_id=xa-1 type=one_plus_one launched_on=2024-03-08 status=active",
		"model_id=m2 unit_id=chi-1 type=three_has_three_knows launched_on=2024-05-09 status=inactive",
	}
)

func csvText(rows [][]string, sep string) string {
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteString(sep)
			}
			if strings.ContainsAny(c, "\",;\t\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

func utf16(t testing.TB, s string, order unicode.Endianness) []byte {
	b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cp1258 encodes s as Windows-1258 does Vietnamese: base letters with
// circumflex, breve and horn are precomposed, tone marks are combining.
func cp1258(t testing.TB, s string) []byte {
	enc := charmap.Windows1258.NewEncoder()
	var out []byte
	for _, r := range s {
		if b, err := enc.Bytes([]byte(string(r))); err == nil {
			out = append(out, b...)
			continue
		}
		d := []rune(norm.NFD.String(string(r)))
		var base, tones []rune
		for _, x := range d {
			switch x {
			case 0x300, 0x301, 0x303, 0x309, 0x323:
				tones = append(tones, x)
			default:
				base = append(base, x)
			}
		}
		b, err := enc.Bytes([]byte(norm.NFC.String(string(base)) + string(tones)))
		if err != nil {
			t.Fatalf("cp1258 %q: %v", r, err)
		}
		out = append(out, b...)
	}
	return out
}

func ndjson(t testing.TB, rows [][]string, typed bool) []byte {
	var buf bytes.Buffer
	for _, r := range rows[1:] {
		obj := map[string]any{}
		for i, c := range r {
			if c == "" {
				continue
			}
			obj[rows[0][i]] = c
			if typed && rows[0][i] == "active" {
				v, _ := parseBool(c)
				obj["active"] = v
			}
		}
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteString("\n\n")
	}
	return buf.Bytes()
}

func xlsx(t testing.TB, rows [][]string, sheet string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	if sheet != "" {
		if _, err := f.NewSheet(sheet); err != nil {
			t.Fatal(err)
		}
		// the wanted sheet is not the first one
	} else {
		sheet = "Sheet1"
	}
	for i, r := range rows {
		for j, c := range r {
			cellName, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var v any = c
			if d, ok := parseDate(c); ok && i > 0 {
				v = time.Unix(int64(d)*86400, 0).UTC()
			}
			if c == "" {
				continue
			}
			if err := f.SetCellValue(sheet, cellName, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// parquetFile writes rows with pqarrow: "active" as a real boolean and
// "launched_on" as a date32, every other column as a string; two rows per
// row group so that reading streams over several groups.
func parquetFile(t testing.TB, rows [][]string) []byte { return parquetFileWith(t, rows) }

// parquetFileWith is parquetFile with more writer properties.
func parquetFileWith(t testing.TB, rows [][]string, props ...parquet.WriterProperty) []byte {
	mem := memory.NewGoAllocator()
	var fields []arrow.Field
	for _, name := range rows[0] {
		typ := arrow.DataType(arrow.BinaryTypes.String)
		switch name {
		case "active":
			typ = arrow.FixedWidthTypes.Boolean
		case "launched_on":
			typ = arrow.FixedWidthTypes.Date32
		}
		fields = append(fields, arrow.Field{Name: name, Type: typ, Nullable: true})
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows[1:] {
		for i, c := range r {
			switch fb := b.Field(i).(type) {
			case *array.StringBuilder:
				if c == "" {
					fb.AppendNull()
				} else {
					fb.Append(c)
				}
			case *array.BooleanBuilder:
				if v, ok := parseBool(c); ok {
					fb.Append(v)
				} else {
					fb.AppendNull()
				}
			case *array.Date32Builder:
				d, _ := parseDate(c)
				fb.Append(arrow.Date32(d))
			}
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	return writeParquet(t, rec, append([]parquet.WriterProperty{parquet.WithMaxRowGroupLength(2)}, props...)...)
}

func TestLoadFormats(t *testing.T) {
	type files = map[string][]byte
	csvU, csvM := csvText(unitRows, ","), csvText(modelRows, ",")
	cases := []struct {
		name   string
		tables string
		files  files
	}{
		{"csv", "units: u.csv\nmodels: m.csv", files{"u.csv": []byte(csvU), "m.csv": []byte(csvM)}},
		{"csv semicolon detected", "units: u.csv\nmodels: m.csv", files{"u.csv": []byte(csvText(unitRows, ";")), "m.csv": []byte(csvText(modelRows, ";"))}},
		{"csv tab detected", "units: u.csv\nmodels: m.csv", files{"u.csv": []byte(csvText(unitRows, "\t")), "m.csv": []byte(csvText(modelRows, "\t"))}},
		{"csv delimiter declared", "units: {path: u.csv, delimiter: \";\"}\nmodels: m.csv", files{"u.csv": []byte(csvText(unitRows, ";")), "m.csv": []byte(csvM)}},
		{"tsv", "units: u.tsv\nmodels: m.tsv", files{"u.tsv": []byte(csvText(unitRows, "\t")), "m.tsv": []byte(csvText(modelRows, "\t"))}},
		{"utf-8 bom", "units: u.csv\nmodels: m.csv", files{"u.csv": append([]byte("\uFEFF"), csvU...), "m.csv": []byte(csvM)}},
		{"utf-16 le declared", "units: {path: u.csv, encoding: utf-16}\nmodels: m.csv", files{"u.csv": utf16(t, csvU, unicode.LittleEndian), "m.csv": []byte(csvM)}},
		{"utf-16 be sniffed", "units: u.csv\nmodels: m.csv", files{"u.csv": utf16(t, csvU, unicode.BigEndian), "m.csv": utf16(t, csvM, unicode.BigEndian)}},
		{"windows-1258", "units: {path: u.csv, encoding: windows-1258}\nmodels: m.csv", files{"u.csv": cp1258(t, csvU), "m.csv": []byte(csvM)}},
		{"ndjson strings", "units: u.ndjson\nmodels: m.jsonl", files{"u.ndjson": ndjson(t, unitRows, false), "m.jsonl": ndjson(t, modelRows, false)}},
		{"ndjson typed", "units: u.ndjson\nmodels: m.ndjson", files{"u.ndjson": ndjson(t, unitRows, true), "m.ndjson": ndjson(t, modelRows, true)}},
		{"xlsx", "units: u.xlsx\nmodels: m.xlsx", files{"u.xlsx": xlsx(t, unitRows, ""), "m.xlsx": xlsx(t, modelRows, "")}},
		{"xlsx named sheet", "units: {path: u.xlsx, sheet: Units}\nmodels: m.xlsx", files{"u.xlsx": xlsx(t, unitRows, "Units"), "m.xlsx": xlsx(t, modelRows, "")}},
		{"parquet typed", "units: u.parquet\nmodels: m.parquet", files{"u.parquet": parquetFile(t, unitRows), "m.parquet": parquetFile(t, modelRows)}},
		{"csv.gz", "units: u.csv.gz\nmodels: m.csv.gz", files{"u.csv.gz": gz(t, []byte(csvU)), "m.csv.gz": gz(t, []byte(csvM))}},
		{"tsv.gz utf-16", "units: {path: u.tsv.gz, encoding: utf-16}\nmodels: m.csv", files{"u.tsv.gz": gz(t, utf16(t, csvText(unitRows, "\t"), unicode.LittleEndian)), "m.csv": []byte(csvM)}},
		{"ndjson.gz", "units: u.ndjson.gz\nmodels: m.ndjson.gz", files{"u.ndjson.gz": gz(t, ndjson(t, unitRows, true)), "m.ndjson.gz": gz(t, ndjson(t, modelRows, false))}},
		{"xlsx.gz", "units: u.xlsx.gz\nmodels: m.xlsx.gz", files{"u.xlsx.gz": gz(t, xlsx(t, unitRows, "")), "m.xlsx.gz": gz(t, xlsx(t, modelRows, ""))}},
		{"parquet.gz", "units: u.parquet.gz\nmodels: m.parquet.gz", files{"u.parquet.gz": gz(t, parquetFile(t, unitRows)), "m.parquet.gz": gz(t, parquetFile(t, modelRows))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.files["snapshot.yaml"] = []byte(manifest(tc.tables))
			for _, where := range []string{"memory", "dir"} {
				fsys := mapFS(nil)
				for k, v := range tc.files {
					fsys[k] = &fstest.MapFile{Data: v}
				}
				var snap *snapshot.Snapshot
				var err error
				if where == "dir" {
					dir := writeDir(t, tc.files)
					f, ferr := OpenFS(t.Context(), dir)
					if ferr != nil {
						t.Fatal(ferr)
					}
					snap, err = load(t, f)
				} else {
					snap, err = load(t, fsys)
				}
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if d := cmp.Diff(wantUnits, dump(snap.Table(snapshot.Units))); d != "" {
					t.Errorf("%s units (-want +got):\n%s", where, d)
				}
				if d := cmp.Diff(wantModels, dump(snap.Table(snapshot.Models))); d != "" {
					t.Errorf("%s models (-want +got):\n%s", where, d)
				}
				for _, f := range snap.Findings {
					t.Errorf("%s: unexpected finding %v", where, f)
				}
				if len(snap.SHA256) != 64 {
					t.Errorf("sha256 %q", snap.SHA256)
				}
			}
		})
	}
	_ = utf8.RuneError
}
