package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/xuri/excelize/v2"

	"github.com/vungmanh/vungmanh/internal/sample"
	"github.com/vungmanh/vungmanh/policies"
)

// Planted personal data, as real exports hold it: a woman who is not a
// member is named in participant_id by her name and phone, pairs are
// labelled with a name.
const (
	plantedPerson = "Nguyễn Thị Lan"
	plantedPhone  = "09123" // + 5 digits per person
	plantedPair   = "cặp chị Hoa Mai"
	plantedWho    = "Đỗ Thị Hằng 0988777666" // an id of kind member that the members table lacks
)

// provinceTargets are a province's own targets (besides the pack) that
// copy participant ids and pair labels into messages, refs and details, and
// call to_number on them: the checker must scrub what they leak.
const provinceTargets = `# METADATA
# title: Tỉnh tự thêm
# custom:
#   id: XX-01
#   scope: model
#   model_type: one_plus_one
package targets.xx01_leaky

violation contains {"msg": sprintf("Người %s, cặp %s", [p.id, object.get(p, "pair", "")]), "refs": [input.subject.id, p.id, object.get(p, "pair", "")], "details": {"who": p.id}} if {
	some p in input.subject.participants
	p.kind in {"person", "member"}
	not p.member
}
`

const provinceToNumber = `# METADATA
# title: Tỉnh tự thêm, lỗi khi chạy
# custom:
#   id: XX-02
#   scope: model
#   model_type: one_plus_one
package targets.xx02_to_number

violation contains {"msg": "số"} if {
	some p in input.subject.participants
	p.kind == "person"
	to_number(p.id) > 0
}
`

// plantPersonalData rewrites participants.csv of the sample in dir: every
// person gets a name and a phone as id, every pair label "1" becomes
// plantedPair, and the first "1+1" and "cadres_progress" models get a
// person who is in no pair and a member id the members table lacks.
func plantPersonalData(t *testing.T, dir string) (persons int) {
	t.Helper()
	path := filepath.Join(dir, "participants.csv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	phone := func(n int) string { return fmt.Sprintf("%s %s%05d", plantedPerson, plantedPhone, n) }
	var onePlusOne, progress string
	for _, r := range recs[1:] {
		if r[col["kind"]] == "person" {
			persons++
			r[col["participant_id"]] = phone(persons)
		}
		if r[col["pair"]] == "1" {
			r[col["pair"]] = plantedPair
		}
		if onePlusOne == "" && r[col["component"]] != "" {
			onePlusOne = r[col["model_id"]]
		}
		if progress == "" && r[col["kind"]] == "cadre" && r[col["component"]] == "" {
			progress = r[col["model_id"]]
		}
	}
	if onePlusOne == "" || progress == "" {
		t.Fatalf("sample has no 1+1 (%q) or cadre group (%q)", onePlusOne, progress)
	}
	row := func(model, id, kind, role, pair string) []string {
		r := make([]string, len(recs[0]))
		r[col["model_id"]], r[col["participant_id"]], r[col["kind"]], r[col["role"]], r[col["pair"]] = model, id, kind, role, pair
		return r
	}
	persons++
	recs = append(recs, row(onePlusOne, phone(persons), "person", "helped", ""))
	recs = append(recs, row(onePlusOne, plantedWho, "member", "helped", plantedPair))
	persons++
	recs = append(recs, row(progress, phone(persons), "person", "member", ""))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return persons
}

// TestPersonalDataNeverPublished runs the real pipeline on a snapshot whose
// participants carry names, phones and named pair labels, with the pack and
// a province's own targets that copy them and call to_number on them: none
// of them reaches report.json, the HTML, findings.csv, the XLSX (read with
// excelize) or results.parquet (read with the Arrow Parquet reader).
func TestPersonalDataNeverPublished(t *testing.T) {
	ctx := context.Background()
	snapDir := filepath.Join(t.TempDir(), "snapshot")
	if _, err := sample.Write(ctx, snapDir, sample.Options{Profile: sample.ProfileThaiBinh, Format: sample.FormatCSV}); err != nil {
		t.Fatal(err)
	}
	persons := plantPersonalData(t, snapDir)
	if persons < 3 {
		t.Fatalf("only %d persons planted", persons)
	}

	polDir := filepath.Join(t.TempDir(), "policies")
	if err := os.MkdirAll(polDir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		b, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(polDir, filepath.Base(p)), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"xx01.rego": provinceTargets, "xx02.rego": provinceToNumber} {
		if err := os.WriteFile(filepath.Join(polDir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	out := t.TempDir()
	code, _, stderr := runMain(t, nil, "run", "--snapshot", snapDir, "--policies", polDir, "--out", out, "--run-id", "privacy", "--workers", "2")
	if code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	l, ok := readLatest(t, out, "thai-binh")
	if !ok {
		t.Fatal("latest.json not written")
	}
	folder := filepath.Join(out, l.Path)

	secrets := []string{plantedPerson, plantedPhone, plantedPair, plantedWho, "Hoa Mai", "0988777666"}
	texts := map[string]string{} // file -> everything it shows
	err = filepath.WalkDir(folder, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(folder, p)
		switch filepath.Ext(p) {
		case ".xlsx":
			texts[rel] = xlsxText(t, data)
		case ".parquet":
			texts[rel] = parquetText(t, data)
		default:
			texts[rel] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.json", "report.html", "findings.csv", "report.xlsx", "results.parquet"} {
		if texts[name] == "" {
			t.Errorf("%s missing or empty", name)
		}
	}
	for name, text := range texts {
		for _, s := range secrets {
			if i := strings.Index(text, s); i >= 0 {
				t.Errorf("%s holds %q: …%s…", name, s, text[max(0, i-80):min(len(text), i+80)])
			}
		}
	}
	// The findings are there, named without the personal data: the pack's
	// by position, the province's targets redacted, the builtin's error by
	// its name.
	rep := texts["report.json"]
	for _, want := range []string{"người tham gia thứ", "(không phải hội viên)", "Người ***, cặp ***", "to_number: the operand's value is not shown", "xx02.rego:"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report.json lacks %q", want)
		}
	}
	for _, name := range []string{"findings.csv", "report.xlsx", "results.parquet"} {
		if !strings.Contains(texts[name], "người tham gia thứ") {
			t.Errorf("%s lacks the pack's findings about participants", name)
		}
	}
}

// xlsxText is every cell of every sheet of an XLSX, read with excelize.
func xlsxText(t *testing.T, data []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sb strings.Builder
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			sb.WriteString(strings.Join(r, "\t"))
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// parquetText is every value of every column of a Parquet file, read with
// the Arrow Parquet reader, as JSON.
func parquetText(t *testing.T, data []byte) string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rdr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, mem)
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
			b, err := json.Marshal(chunk)
			if err != nil {
				t.Fatal(err)
			}
			sb.Write(b)
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// TestTestCommandSandbox: `vungmanh test` compiles test modules in the
// sandbox of run and check: a test calling http.send on a loopback server
// is a policy error (exit 2) and the server is never reached.
func TestTestCommandSandbox(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	src := "package reach_test\n\ntest_metadata if {\n\thttp.send({\"method\": \"GET\", \"url\": \"" + srv.URL + "\"}).status_code == 200\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "reach_test.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runMain(t, nil, "test", dir)
	if code != ExitConfig || !strings.Contains(stdout+stderr, "reach_test.rego:4:2: undefined function http.send") {
		t.Errorf("exit code %d, want %d with the call's place; stdout:\n%s\nstderr:\n%s", code, ExitConfig, stdout, stderr)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
}
