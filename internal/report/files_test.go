package report

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

func TestResultsParquet(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := built()
	pf := resultsParquet(t, r, mem, parquetBatch)
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	var gotCols, wantCols []string
	for i, f := range tbl.Schema().Fields() {
		gotCols = append(gotCols, f.Name+":"+f.Type.ID().String())
		w := ParquetSchema().Field(i)
		wantCols = append(wantCols, w.Name+":"+w.Type.ID().String())
	}
	if diff := cmp.Diff(wantCols, gotCols); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if tbl.NumRows() != int64(len(r.Results)) {
		t.Fatalf("rows = %d, want %d", tbl.NumRows(), len(r.Results))
	}
	var got []string
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		rec := tr.Record()
		tg, sub, st := rec.Column(0).(*array.String), rec.Column(1).(*array.String), rec.Column(5).(*array.String)
		nv := rec.Column(6).(*array.Int32)
		msgs := rec.Column(8).(*array.List)
		key := rec.Column(12).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			s, e := msgs.ValueOffsets(i)
			got = append(got, tg.Value(i)+"/"+sub.Value(i)+"/"+st.Value(i)+"/"+string(rune('0'+nv.Value(i)))+"/"+string(rune('0'+e-s)))
			if len(key.Value(i)) != 16 {
				t.Errorf("row %d key %q", i, key.Value(i))
			}
		}
	}
	want := []string{"TB-01/xa-tt-1/pass/0/0", "TB-01/xa-tt-2/fail/2/2", "TB-01/xa-vt-1/fail/1/1", "TB-01/xa-vt-2/waived/1/1",
		"TB-02/xa-tt-1/pass/0/0", "TB-02/xa-tt-2/pass/0/0", "TB-02/xa-vt-1/pass/0/0", "TB-02/xa-vt-2/pass/0/0",
		"TB-04/mh-1/error/0/0", "TB-04/mh-2/skipped/0/0", "TB-04/mh-3/not_evaluated/0/0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// More rows than one batch: several row groups, nothing leaked.
func TestResultsParquetBatches(t *testing.T) {
	const batch = 100
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := built()
	one := r.Results[1]
	r.Results = r.Results[:0]
	for i := 0; i < batch+10; i++ {
		r.Results = append(r.Results, one)
	}
	pf := resultsParquet(t, r, mem, batch)
	if pf.NumRows() != int64(batch+10) || pf.NumRowGroups() != 2 {
		t.Errorf("rows %d, row groups %d", pf.NumRows(), pf.NumRowGroups())
	}
}

func TestXLSX(t *testing.T) {
	for _, tc := range []struct {
		lang                     Lang
		summary, findings, units string
		models                   string
		headerA1, firstTitle     string
	}{
		{Vietnamese, "Tổng hợp", "Chi tiết", "Đơn vị", "Mô hình", "Chỉ tiêu", "100% cơ sở hội có mô hình \"1+1\""},
		{English, "Summary", "Findings", "Units", "Models", "Target", "Every commune union has a \"1+1\" model"},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			f := openXLSX(t, built(), tc.lang)
			if diff := cmp.Diff([]string{tc.summary, tc.findings, tc.units, tc.models}, f.GetSheetList()); diff != "" {
				t.Errorf("sheets (-want +got):\n%s", diff)
			}
			rows, err := f.GetRows(tc.summary)
			if err != nil {
				t.Fatal(err)
			}
			if rows[0][0] != tc.headerA1 || rows[1][1] != tc.firstTitle {
				t.Errorf("summary starts %q / %q", rows[0][0], rows[1][1])
			}
			// TB-01, its 2 districts, TB-02 and 2 districts, TB-04 and 1 district, plus the header.
			if len(rows) != 1+3+3+2 {
				t.Errorf("summary rows = %d", len(rows))
			}
			det, _ := f.GetRows(tc.findings)
			if len(det) != 1+6 {
				t.Errorf("findings rows = %d, want 7", len(det))
			}
		})
	}
}

// No planted name, phone or needs text reaches any output file, whatever
// the format (the XLSX is unzipped, the Parquet read back).
func TestPrivacy(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := built()
	for _, lang := range []Lang{Vietnamese, English} {
		files, err := Render(context.Background(), r, AllFormats(), lang, mem)
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			texts := []string{string(data)}
			switch name {
			case XLSXName:
				texts = unzipAll(t, data)
			case ParquetName:
				texts = parquetStrings(t, data, mem)
			}
			for _, s := range texts {
				for _, planted := range []string{plantedName, plantedPhone, plantedNeeds} {
					if strings.Contains(s, planted) {
						t.Errorf("%s (%s) contains planted personal data %q", name, lang, planted)
					}
				}
			}
		}
	}
}

func unzipAll(t *testing.T, data []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// readTable reads the whole Parquet file into an Arrow table (the caller
// releases it).
func readTable(t *testing.T, pf *file.Reader, mem memory.Allocator) arrow.Table {
	t.Helper()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// resultsParquet renders r's results.parquet in batches of batch rows and
// opens it (closed when the test ends).
func resultsParquet(t *testing.T, r *Report, mem memory.Allocator, batch int) *file.Reader {
	t.Helper()
	data, err := renderParquet(context.Background(), r, mem, batch)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pf.Close() })
	return pf
}

func parquetStrings(t *testing.T, data []byte, mem memory.Allocator) []string {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	tbl := readTable(t, pf, mem)
	defer tbl.Release()
	var out []string
	for i := 0; i < int(tbl.NumCols()); i++ {
		for _, c := range tbl.Column(i).Data().Chunks() {
			out = append(out, c.String())
		}
	}
	return out
}

// parquetRow is one row of results.parquet as a reader sees it.
type parquetRow struct {
	Target, Subject, Level, Name string
	Path                         []string
	Status                       string
	Violations, Warnings         int32
	Messages                     []string
	SkipReason, Error, Until     *string
	Key                          string
}

// Every column of every row reads back as the result it came from, and
// the writer settings of parquetProperties are the ones in the file: zstd
// on every column, no dictionary on the columns that are unique per row.
func TestResultsParquetRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := Build(nationalish(500))
	fx := built()
	r.Results = append(r.Results, fx.Results...)
	var want []parquetRow
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	for _, res := range r.Results {
		row := parquetRow{Target: res.Target, Subject: res.Subject, Level: res.SubjectLevel, Name: res.SubjectName,
			Path: res.Path, Status: string(res.Status), Violations: int32(len(res.Violations)), Warnings: int32(len(res.Warnings)),
			Messages: []string{}, SkipReason: opt(res.SkipReason), Key: Key(res)}
		for _, v := range res.Violations {
			row.Messages = append(row.Messages, v.Msg)
		}
		if res.Error != nil {
			row.Error = opt(*res.Error)
		}
		if res.Waiver != nil {
			row.Until = opt(res.Waiver.Expires)
		}
		want = append(want, row)
	}
	pf := resultsParquet(t, r, mem, parquetBatch)
	noDict := map[string]bool{"subject": true, "subject_name": true, "messages.list.element": true, "key": true, "path.list.element": true}
	seen := map[string]bool{}
	for g := 0; g < pf.NumRowGroups(); g++ {
		md := pf.RowGroup(g).MetaData()
		for c := 0; c < md.NumColumns(); c++ {
			cc, err := md.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			name := cc.PathInSchema().String()
			seen[name] = true
			want := compress.Codecs.Zstd
			if slices.Contains(parquetUncompressed, name) {
				want = compress.Codecs.Uncompressed
			}
			if cc.Compression() != want {
				t.Errorf("column %s: compression %v, want %v", name, cc.Compression(), want)
			}
			if cc.HasDictionaryPage() == noDict[name] {
				t.Errorf("column %s: dictionary %v, want %v", name, cc.HasDictionaryPage(), !noDict[name])
			}
			// Data pages of version 2 (parquetProperties: version 1's
			// levels cost arrow v15 a copy per reservation).
			pr, err := pf.RowGroup(g).GetColumnPageReader(c)
			if err != nil {
				t.Fatal(err)
			}
			pages := 0
			for pr.Next() {
				switch p := pr.Page().(type) {
				case *file.DataPageV2:
					pages++
				case *file.DictionaryPage:
				default:
					t.Errorf("column %s: a page of type %T, want data pages of version 2", name, p)
				}
			}
			if err := pr.Err(); err != nil {
				t.Fatal(err)
			}
			if pages == 0 {
				t.Errorf("column %s of row group %d: no data page", name, g)
			}
		}
	}
	// A name in parquetUncompressed that is no column would leave the
	// column meant compressed, unnoticed above.
	for _, name := range parquetUncompressed {
		if !seen[name] {
			t.Errorf("parquetUncompressed names %s, which is no column of results.parquet", name)
		}
	}
	tbl := readTable(t, pf, mem)
	defer tbl.Release()
	var got []parquetRow
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		rec := tr.Record()
		str := func(c, i int) string { return rec.Column(c).(*array.String).Value(i) }
		ptr := func(c, i int) *string {
			if rec.Column(c).IsNull(i) {
				return nil
			}
			s := str(c, i)
			return &s
		}
		list := func(c, i int) []string {
			l := rec.Column(c).(*array.List)
			vals := l.ListValues().(*array.String)
			s, e := l.ValueOffsets(i)
			out := []string{}
			for j := s; j < e; j++ {
				out = append(out, vals.Value(int(j)))
			}
			return out
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			got = append(got, parquetRow{Target: str(0, i), Subject: str(1, i), Level: str(2, i), Name: str(3, i), Path: list(4, i),
				Status: str(5, i), Violations: rec.Column(6).(*array.Int32).Value(i), Warnings: rec.Column(7).(*array.Int32).Value(i),
				Messages: list(8, i), SkipReason: ptr(9, i), Error: ptr(10, i), Until: ptr(11, i), Key: str(12, i)})
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows read back (-want +got):\n%s", diff)
	}
}

// In a province without districts, the summary sheet has a row per commune
// under a commune-scope target, as the HTML has a bar per commune.
func TestXLSXCommuneRowsWithoutDistricts(t *testing.T) {
	f := openXLSX(t, Build(noDistrictsInputs()), Vietnamese)
	rows, err := f.GetRows(Vietnamese.T("sheet_summary"))
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, r := range rows[1:] {
		got = append(got, r[:4])
	}
	want := [][]string{
		{"TB-01", `100% cơ sở hội có mô hình "1+1"`, "", ""},
		{"TB-01", "", "Cơ sở", "Xã An Thi"},
		{"TB-01", "", "Cơ sở", "Xã Bãi Sậy"},
		{"TB-01", "", "Cơ sở", "Xã Chí Minh"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary rows (-want +got):\n%s", diff)
	}
}

// The summary sheet's counts and rates stay numbers, shown the way of the
// language: counts with literal dots in Vietnamese (1.797 in any
// spreadsheet program), rates as "0.0 %" tagged Vietnamese ([$-42A]); the
// first two columns have distinct headers.
func TestXLSXNumberFormats(t *testing.T) {
	for _, tc := range []struct {
		lang            Lang
		head            []string
		countFmt, rateF string
	}{
		{Vietnamese, []string{"Chỉ tiêu", "Tên chỉ tiêu"}, `[>=1000000]#\.###\.##0;[>=1000]#\.##0;0`, `[$-42A]0.0\ %`},
		{English, []string{"Target", "Title"}, `#,##0`, `0.0%`},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			f := openXLSX(t, built(), tc.lang)
			sheet := tc.lang.T("sheet_summary")
			rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.head, rows[0][:2]); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			// Row 2 is TB-01: total 4, pass 1, fail 2, waived 1, skipped 0, error 0, rate 0.25.
			if diff := cmp.Diff([]string{"4", "1", "2", "1", "0", "0", "0.25"}, rows[1][4:11]); diff != "" {
				t.Errorf("TB-01 values (-want +got):\n%s", diff)
			}
			for col := 'E'; col <= 'K'; col++ {
				ref := string(col) + "2"
				if typ, err := f.GetCellType(sheet, ref); err != nil || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
					t.Errorf("%s: type %v (err %v), want a number", ref, typ, err)
				}
				id, err := f.GetCellStyle(sheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				st, err := f.GetStyle(id)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.countFmt
				if col == 'K' {
					want = tc.rateF
				}
				if st.CustomNumFmt == nil || *st.CustomNumFmt != want {
					t.Errorf("%s: number format %v (built-in %d), want %q", ref, st.CustomNumFmt, st.NumFmt, want)
				}
			}
		})
	}
}

// openXLSX renders r's XLSX report in lang and opens it (closed when the
// test ends).
func openXLSX(t *testing.T, r *Report, lang Lang) *excelize.File {
	t.Helper()
	data, err := XLSX(r, lang)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
