package sample

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
)

// readCSV reads a written table as maps keyed by header name.
func readCSV(t *testing.T, dir, table string) []map[string]string {
	t.Helper()
	var out []map[string]string
	eachCSV(t, dir, table, func(m map[string]string) { out = append(out, maps.Clone(m)) })
	return out
}

// eachCSV calls fn with each row of a written table; fn must not keep m.
func eachCSV(t *testing.T, dir, table string, fn func(m map[string]string)) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, table+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	head = slices.Clone(head)
	m := map[string]string{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		for i, h := range head {
			m[h] = rec[i]
		}
		fn(m)
	}
}

type fixtureDir struct {
	once sync.Once
	dir  string
	err  error
}

var fixtures = struct {
	sync.Mutex
	dirs map[Options]*fixtureDir
}{dirs: map[Options]*fixtureDir{}}

// fixture writes the sample of o once for all tests and returns its folder.
func fixture(t *testing.T, o Options) string {
	t.Helper()
	fixtures.Lock()
	f, ok := fixtures.dirs[o]
	if !ok {
		f = &fixtureDir{}
		fixtures.dirs[o] = f
	}
	fixtures.Unlock()
	f.once.Do(func() {
		if f.dir, f.err = os.MkdirTemp("", "sample-"+o.Profile+"-"); f.err == nil {
			_, f.err = Write(context.Background(), f.dir, o)
		}
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.dir
}

// thaiBinhDir is thai-binh-2024 with seed 1 as CSV.
func thaiBinhDir(t *testing.T) string { return fixture(t, Options{Profile: ProfileThaiBinh, Seed: 1}) }

// hungYenDir is hung-yen-2026 with seed 3 as CSV.
func hungYenDir(t *testing.T) string { return fixture(t, Options{Profile: ProfileHungYen, Seed: 3}) }

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range fixtures.dirs {
		if f.dir != "" {
			os.RemoveAll(f.dir)
		}
	}
	os.Exit(code)
}

// tree is an independent reading of units.csv.
type tree struct {
	parent, level, name map[string]string
}

func readTree(t *testing.T, dir string) tree {
	tr := tree{parent: map[string]string{}, level: map[string]string{}, name: map[string]string{}}
	for _, u := range readCSV(t, dir, "units") {
		tr.parent[u["unit_id"]] = u["parent_id"]
		tr.level[u["unit_id"]] = u["level"]
		tr.name[u["unit_id"]] = u["name"]
	}
	return tr
}

// up returns the ancestor of id (or id itself) at level, "" when none.
func (tr tree) up(id, level string) string {
	for id != "" {
		if tr.level[id] == level {
			return id
		}
		id = tr.parent[id]
	}
	return ""
}

func countBy(ids []string, level string, tr tree) (units map[string]int) {
	units = map[string]int{}
	for _, id := range ids {
		if u := tr.up(id, level); u != "" {
			units[u]++
		}
	}
	return units
}

// TestThaiBinhFigures checks the article's figures on the written files,
// with a computation of its own that does not use the generator's state.
func TestThaiBinhFigures(t *testing.T) {
	t.Parallel()
	dir := thaiBinhDir(t)
	tr := readTree(t, dir)
	district := map[string]string{} // name -> id
	levels := map[string]int{}
	for id, l := range tr.level {
		levels[l]++
		if l == "district" {
			district[tr.name[id]] = id
		}
	}
	tt, vt := district["Thái Thụy"], district["Vũ Thư"]
	inDistrict := func(d, level string) int {
		n := 0
		for id, l := range tr.level {
			if l == level && tr.up(id, "district") == d {
				n++
			}
		}
		return n
	}
	active := map[string][]string{} // type -> unit ids of active models
	for _, m := range readCSV(t, dir, "models") {
		if m["status"] == "active" {
			active[m["type"]] = append(active[m["type"]], m["unit_id"])
		}
	}
	onePlus := countBy(active["one_plus_one"], "commune", tr)
	three := countBy(active["three_has_three_knows"], "commune", tr)
	sumIn := func(counts map[string]int, d string) (total int) {
		for c, n := range counts {
			if tr.up(c, "district") == d {
				total += n
			}
		}
		return total
	}
	branchesIn := func(ids []string, d string) int {
		n := 0
		for b := range countBy(ids, "branch", tr) {
			if tr.up(b, "district") == d {
				n++
			}
		}
		return n
	}
	both := 0
	for c := range onePlus {
		if three[c] > 0 && tr.up(c, "district") == vt {
			both++
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "members.csv"))
	if err != nil {
		t.Fatal(err)
	}
	members := bytes.Count(data, []byte("\n")) - 1 // no member field holds a line break
	got := map[string]int{
		"districts":                 levels["district"],
		"communes":                  levels["commune"],
		"Vũ Thư communes":           inDistrict(vt, "commune"),
		"Thái Thụy branches":        inDistrict(tt, "branch"),
		"TB-01 communes":            len(onePlus),
		"active 1+1":                len(active["one_plus_one"]),
		"TB-02 communes":            len(three),
		"active 3c3b":               len(active["three_has_three_knows"]),
		"Thái Thụy TB-05 branches":  branchesIn(active["three_has_three_knows"], tt),
		"Thái Thụy TB-04 branches":  branchesIn(active["one_plus_one"], tt),
		"Vũ Thư both":               both,
		"Vũ Thư models of the two":  sumIn(onePlus, vt) + sumIn(three, vt),
		"cadres_progress":           len(active["cadres_progress"]),
		"cadres_progress communes":  len(countBy(active["cadres_progress"], "commune", tr)),
		"accompany":                 len(active["accompany"]),
		"accompany communes":        len(countBy(active["accompany"], "commune", tr)),
		"branches about 1,800":      min(max(levels["branch"], 1700), 1900),
		"members about 360,000":     min(max(members, 340000), 380000),
		"groups several per branch": min(max(levels["group"]/levels["branch"], 2), 5),
	}
	want := map[string]int{
		"districts": 8, "communes": 242, "Vũ Thư communes": 30, "Thái Thụy branches": 254,
		"TB-01 communes": 104, "active 1+1": 376, "TB-02 communes": 98, "active 3c3b": 443,
		"Thái Thụy TB-05 branches": 254, "Thái Thụy TB-04 branches": 184,
		"Vũ Thư both": 22, "Vũ Thư models of the two": 294,
		"cadres_progress": 230, "cadres_progress communes": 148, "accompany": 169, "accompany communes": 94,
		"branches about 1,800": levels["branch"], "members about 360,000": members, "groups several per branch": levels["group"] / levels["branch"],
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("figures (-want +got):\n%s", d)
	}
	for _, d := range []string{"TP Thái Bình", "Đông Hưng", "Hưng Hà", "Kiến Xương", "Quỳnh Phụ", "Thái Thụy", "Tiền Hải", "Vũ Thư"} {
		if district[norm.NFC.String(d)] == "" {
			t.Errorf("district %q missing", d)
		}
	}
	// No personal columns, and every text NFC.
	for _, table := range []string{"units", "members", "cadres", "models", "participants", "ratings", "activities"} {
		i := 1
		eachCSV(t, dir, table, func(row map[string]string) {
			i++
			for k, v := range row {
				if slices.Contains([]string{"name", "ho_ten", "phone", "so_dien_thoai"}, k) && table != "units" && table != "models" {
					t.Fatalf("%s has personal column %q", table, k)
				}
				if !norm.NFC.IsNormalString(v) {
					t.Fatalf("%s row %d column %s not NFC: %q", table, i, k, v)
				}
			}
		})
	}
}
