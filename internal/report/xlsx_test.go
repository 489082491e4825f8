package report

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// report.xlsx is a table for people: every sheet declares its real used
// range (a reader in read-only mode trusts <dimension>), freezes its
// header, filters and sizes its columns; headers are Vietnamese; the units
// sheet gives each unit's path by names, the models sheet the inventory.
func TestXLSXHumanTable(t *testing.T) {
	in := inventoryInputs()
	r := Build(in)
	data, err := XLSX(r, Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"Tổng hợp", "Chi tiết", "Đơn vị", "Mô hình"}
	if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	raw := sheetXML(t, data)
	dim := regexp.MustCompile(`<dimension ref="([^"]+)"`)
	filter := regexp.MustCompile(`<autoFilter ref="([^"]+)"`)
	for i, name := range want {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		cols := 0
		for _, r := range rows {
			cols = max(cols, len(r))
		}
		wantDim := "A1:" + cell(cols, len(rows))
		x := raw[i]
		if m := dim.FindStringSubmatch(x); m == nil || m[1] != wantDim {
			t.Errorf("%s: dimension %v, want %s", name, m, wantDim)
		}
		// excelize writes the range absolute, as Excel does.
		if m := filter.FindStringSubmatch(x); m == nil || strings.ReplaceAll(m[1], "$", "") != "A1:"+cell(cols, max(len(rows), 2)) {
			t.Errorf("%s: no autofilter over the table (%v)", name, m)
		}
		panes, err := f.GetPanes(name)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header not frozen: %+v %v", name, panes, err)
		}
		if w, err := f.GetColWidth(name, "A"); err != nil || w < 9 {
			t.Errorf("%s: column A has the default width %v (%v)", name, w, err)
		}
		if len(rows) < 2 {
			t.Errorf("%s: %d rows", name, len(rows))
		}
	}
	head, _ := f.GetRows("Chi tiết")
	if strings.Join(head[0], "|") != "Chỉ tiêu|Mã đối tượng|Cấp|Đơn vị|Thuộc|Trạng thái|Nội dung|Mã phát hiện" {
		t.Errorf("findings header %q", head[0])
	}
	units, _ := f.GetRows("Đơn vị")
	found := false
	for _, row := range units[1:] {
		if len(row) > 3 && row[3] == "xa-tt-1" {
			found = true
			if !strings.Contains(row[0], "Thái Thụy") || !strings.Contains(row[0], " › ") {
				t.Errorf("unit xa-tt-1's path %q, want names joined by ›", row[0])
			}
		}
	}
	if !found {
		t.Errorf("units sheet has no row for xa-tt-1: %q", units)
	}
	models, _ := f.GetRows("Mô hình")
	if len(models) < 2 || models[1][0] != "\"1+1\"" || models[1][2] == "" {
		t.Errorf("models sheet %q", models)
	}
}

// sheetXML returns the XML of each worksheet in workbook order.
func sheetXML(t *testing.T, data []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := 1; i < 20; i++ { // sheet1.xml went with the default sheet
		zf, err := zr.Open("xl/worksheets/sheet" + itoa(i) + ".xml")
		if err != nil {
			continue
		}
		b, err := io.ReadAll(zf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// The models sheet counts improved pairs (TB-07 / TB-08's
// details.improved) per model type and per province and district.
func TestXLSXModelsImprovedPairs(t *testing.T) {
	in := inventoryInputs()
	in.Inventory = json.RawMessage(strings.Replace(string(in.Inventory.(json.RawMessage)),
		`{"unit_id":"dist-tt","level":"district","count":184,`,
		`{"unit_id":"dist-tt","level":"district","improved_pairs":41,"count":184,`, 1))
	data, err := XLSX(Build(in), Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Mô hình", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "Cặp, nhóm đã tiến bộ")
	unit := slices.Index(rows[0], "Đơn vị")
	if col < 0 || unit < 0 {
		t.Fatalf("header %q has no improved pairs or unit column", rows[0])
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		if len(r) > col && r[col] != "0" && r[col] != "" {
			got[r[unit]] = r[col]
		}
	}
	if got["Toàn bộ"] != "1203" {
		t.Errorf("improved pairs of the whole snapshot %q, want 1203 (rows %q)", got["Toàn bộ"], rows)
	}
	found := false
	for u, v := range got {
		if strings.Contains(u, "Thái Thụy") || u == "dist-tt" {
			found = v == "41"
		}
	}
	if !found {
		t.Errorf("no district row of Thái Thụy with 41 improved pairs: %v", got)
	}
}

// One report gives one report.xlsx, byte for byte, however often it is
// rendered: excelize writes its streamed sheets in a map's order, and
// fastZip sorts the archive's entries (a retried publish then finds its own
// file identical).
func TestXLSXDeterministic(t *testing.T) {
	r, _ := runOf(t, "base", "2024-09-30", time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC))
	first, err := XLSX(r, Vietnamese)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, err := XLSX(r, Vietnamese)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatalf("render %d of the same report gave other bytes", i+2)
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(first))
	if err != nil {
		t.Fatalf("excelize cannot read its own file back: %v", err)
	}
	defer f.Close()
	if n := len(f.GetSheetList()); n != 4 {
		t.Errorf("%d sheets, want 4", n)
	}
}

// TestResultsParquetDeterministic: the same report gives the same
// results.parquet bytes at every render (a retried publish of a run id
// compares them). The Parquet writer lists a column chunk's data encodings
// in a map's order, so a column whose dictionary outgrows its page limit
// and falls back to plain pages was written in one order or the other: at
// national scale, the path column (tens of thousands of distinct branch
// ids in a row group).
func TestResultsParquetDeterministic(t *testing.T) {
	r, _ := runOf(t, "base", "2024-09-30", time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC))
	proto := r.Results[0]
	for i := 0; i < 40000; i++ {
		res := proto
		res.Subject = fmt.Sprintf("model-%06d", i)
		res.Path = []string{proto.Path[0], fmt.Sprintf("a-branch-id-long-enough-%06d", i)}
		r.Results = append(r.Results, res)
	}
	first, err := ResultsParquet(context.Background(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A flip of the two encodings' order happens in about one render of
	// eight (a small map's random starting slot): 60 renders miss it
	// with a chance under 1 in 2,000.
	for i := 0; i < 60; i++ {
		again, err := ResultsParquet(context.Background(), r, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatalf("render %d of the same report gave other bytes", i+2)
		}
	}
}
