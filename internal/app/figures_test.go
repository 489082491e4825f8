package app

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"golang.org/x/text/unicode/norm"

	"github.com/vungmanh/vungmanh/internal/sample"
)

// jsonReport is report.json read as plain JSON, so that the figures below
// are checked against the published file and not against any Go type.
type jsonReport struct {
	Targets []struct {
		ID     string `json:"id"`
		Total  int    `json:"total"`
		Pass   int    `json:"pass"`
		ByUnit []struct {
			UnitID string `json:"unit_id"`
			Level  string `json:"level"`
			Name   string `json:"name"`
			Total  int    `json:"total"`
			Pass   int    `json:"pass"`
		} `json:"by_unit"`
	} `json:"targets"`
	Findings []struct {
		Target  string   `json:"target"`
		Subject string   `json:"subject"`
		Path    []string `json:"path"`
		Status  string   `json:"status"`
	} `json:"findings"`
	Inventory struct {
		Models []struct {
			Type      string         `json:"type"`
			Status    string         `json:"status"`
			Count     int            `json:"count"`
			UnitsWith map[string]int `json:"units_with"`
			Improved  int            `json:"improved_pairs"`
			ByUnit    []struct {
				UnitID string `json:"unit_id"`
				Count  int    `json:"count"`
			} `json:"by_unit"`
		} `json:"models"`
	} `json:"inventory"`
}

// TestThaiBinhFigures runs the nightly job on the built-in thai-binh-2024
// sample and checks every figure of the source article (shared/domain.md)
// in the published report.json.
func TestThaiBinhFigures(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runMain(t, nil, "run", "--snapshot", "sample://thai-binh-2024", "--out", out, "--formats", "json,html", "--progress=false")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	l, ok := readLatest(t, out, "thai-binh")
	if !ok {
		t.Fatal("no latest.json")
	}
	data, err := os.ReadFile(filepath.Join(out, l.Path, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}

	target := func(id string) int {
		for i, tg := range r.Targets {
			if tg.ID == id {
				return i
			}
		}
		t.Fatalf("no target %s in report", id)
		return -1
	}
	district := func(tid, name string) (total, pass int, id string) {
		for _, u := range r.Targets[target(tid)].ByUnit {
			if u.Level == "district" && u.Name == name {
				return u.Total, u.Pass, u.UnitID
			}
		}
		t.Fatalf("%s: no by_unit row for district %q", tid, name)
		return
	}
	models := func(typ string) (count int, units map[string]int, byUnit map[string]int) {
		for _, m := range r.Inventory.Models {
			if m.Type == typ && m.Status == "active" {
				byUnit = map[string]int{}
				for _, u := range m.ByUnit {
					byUnit[u.UnitID] = u.Count
				}
				return m.Count, m.UnitsWith, byUnit
			}
		}
		t.Fatalf("no active %s models in the inventory", typ)
		return
	}
	check := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}

	// The README's improved pairs (domain.md, How the guidance is read 2):
	// "1+1" twinning pairs and accompany groups whose weaker unit has since
	// become strong.
	for typ, want := range map[string]int{"one_plus_one": 80, "accompany": 80} {
		for _, m := range r.Inventory.Models {
			if m.Type == typ && m.Status == "active" {
				check(typ+" improved pairs", m.Improved, want)
			}
		}
	}

	tb01, tb02 := r.Targets[target("TB-01")], r.Targets[target("TB-02")]
	check("TB-01 communes", tb01.Total, 242)
	check("TB-01 pass", tb01.Pass, 104)
	check("TB-02 pass", tb02.Pass, 98)
	n11, _, byUnit11 := models("one_plus_one")
	n32, _, byUnit32 := models("three_has_three_knows")
	check(`active "1+1" models`, n11, 376)
	check(`active "3 có, 3 biết" models`, n32, 443)

	// report.html, which leaders read, shows the same figures in its
	// "Mô hình" section: active models, then communes with one.
	page, err := os.ReadFile(filepath.Join(out, l.Path, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for typ, cells := range map[string]string{
		"one_plus_one":          `<td class="n">376</td><td class="n">104</td>`,
		"three_has_three_knows": `<td class="n">443</td><td class="n">98</td>`,
	} {
		i := bytes.Index(page, []byte(`<tr data-type="`+typ+`">`))
		if i < 0 {
			t.Errorf("report.html has no models row for %s", typ)
			continue
		}
		if row, _, _ := strings.Cut(string(page[i:]), "</tr>"); !strings.Contains(row, cells) {
			t.Errorf("report.html models row %s = %s, want it to hold %s", typ, row, cells)
		}
	}

	// ... and on the target cards of the root page: TB-01 passes for 104
	// of 242 communes, TB-02 for 98.
	for id, want := range map[string]string{"TB-01": "Đạt 104/242", "TB-02": "Đạt 98/242"} {
		i := bytes.Index(page, []byte(`id="target-`+id+`"`))
		if i < 0 {
			t.Errorf("report.html has no card for %s", id)
			continue
		}
		if card, _, _ := strings.Cut(string(page[i:]), "</article>"); !strings.Contains(card, want) {
			t.Errorf("report.html's %s card lacks %q:\n%s", id, want, card)
		}
	}

	total, pass, _ := district("TB-05", "Thái Thụy")
	check("Thái Thụy branches (TB-05)", total, 254)
	check("Thái Thụy TB-05 pass", pass, 254)
	total, pass, _ = district("TB-04", "Thái Thụy")
	check("Thái Thụy branches (TB-04)", total, 254)
	check("Thái Thụy TB-04 pass", pass, 184)

	total, _, vuThu := district("TB-01", "Vũ Thư")
	check("Vũ Thư communes", total, 30)
	missing := map[string]bool{} // Vũ Thư communes that fail TB-01 or TB-02
	for _, f := range r.Findings {
		if (f.Target == "TB-01" || f.Target == "TB-02") && slices.Contains(f.Path, vuThu) {
			missing[f.Subject] = true
		}
	}
	check("Vũ Thư communes with both models", total-len(missing), 22)
	check("Vũ Thư models of the two kinds", byUnit11[vuThu]+byUnit32[vuThu], 294)

	n, units, _ := models("cadres_progress")
	check("cadres_progress groups", n, 230)
	check("communes with cadres_progress groups", units["commune"], 148)
	n, units, _ = models("accompany")
	check("accompany groups", n, 169)
	check("communes with accompany groups", units["commune"], 94)
	check("TB-06 subjects", r.Targets[target("TB-06")].Total, 230)
	check("TB-07 subjects", r.Targets[target("TB-07")].Total, 169)
	check("TB-08 subjects", r.Targets[target("TB-08")].Total, 376)

	checkPackMessages(t, filepath.Join(out, l.Path))
}

// TestNoPersonalDataInOutputs writes a sample whose exports carry names,
// phone numbers and needs text (in ignored columns and in members.needs,
// the latter in NFD so that normalisation touches it), runs the job with
// every format, and searches every output file — inside the XLSX archive
// and the Parquet columns too — for any of those values.
func TestNoPersonalDataInOutputs(t *testing.T) {
	ctx := context.Background()
	snap := t.TempDir()
	if _, err := sample.Write(ctx, snap, sample.Options{Profile: "national", Scale: 0.0002, Format: "csv", Seed: 7}); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Nguyễn Thị Bí Mật", "0912 345 678", "Cần vay vốn chữa bệnh cho con"}
	nfdNeeds := norm.NFD.String(secrets[2])
	addColumns(t, filepath.Join(snap, "members.csv"), func(header []string, row []string) []string {
		for i, h := range header {
			if h == "needs" {
				row[i] = nfdNeeds
			}
		}
		return append(row, secrets[0], secrets[1])
	}, "ho_ten", "so_dien_thoai")
	addColumns(t, filepath.Join(snap, "cadres.csv"), func(_ []string, row []string) []string {
		return append(row, secrets[0], secrets[1])
	}, "ho_ten", "dien_thoai")

	out := t.TempDir()
	code, _, stderr := runMain(t, nil, "run", "--snapshot", snap, "--out", out, "--progress=false")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, s := range append(secrets, nfdNeeds) {
		if strings.Contains(stderr, s) {
			t.Errorf("the log contains %q", s)
		}
	}
	var files int
	err := filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		for name, text := range outputTexts(t, path) {
			for _, s := range append(secrets, nfdNeeds) {
				if strings.Contains(text, s) {
					t.Errorf("%s (%s) contains %q", path, name, s)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 6 {
		t.Fatalf("only %d output files", files)
	}
	// The ignored columns are reported by name (DQ009), never by value.
	l, _ := readLatest(t, out, "vietnam")
	rep := readReport(t, out, l)
	var ignored []string
	for _, f := range rep.DataQuality {
		if f.Code == "DQ009" {
			ignored = append(ignored, string(f.Table)+"."+f.Column)
		}
	}
	slices.Sort(ignored)
	want := []string{"cadres.dien_thoai", "cadres.ho_ten", "members.ho_ten", "members.so_dien_thoai"}
	if !slices.Equal(ignored, want) {
		t.Errorf("DQ009 columns = %v, want %v", ignored, want)
	}
}

// addColumns rewrites a CSV file with extra columns filled by fill.
func addColumns(t *testing.T, path string, fill func(header, row []string) []string, names ...string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(append(slices.Clone(header), names...))
	for _, row := range rows[1:] {
		_ = w.Write(fill(header, row))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// outputTexts returns the text of an output file: the entries of an XLSX
// archive, the column values of a Parquet file, the bytes of anything else.
func outputTexts(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch filepath.Ext(path) {
	case ".xlsx":
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out := map[string]string{}
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
			out[f.Name] = string(b)
		}
		return out
	case ".parquet":
		rdr, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer rdr.Close()
		fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer tbl.Release()
		var sb strings.Builder
		for i := 0; i < int(tbl.NumCols()); i++ {
			for _, chunk := range tbl.Column(i).Data().Chunks() {
				fmt.Fprintln(&sb, chunk)
			}
		}
		return map[string]string{"columns": sb.String()}
	}
	return map[string]string{"bytes": string(data)}
}
