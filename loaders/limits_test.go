package loaders

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

func TestParseLimit(t *testing.T) {
	cases := []struct {
		in      string
		want    Limit
		wantErr bool
	}{
		{"1%", Limit{Share: 0.01, IsShare: true}, false},
		{" 0.5 %", Limit{Share: 0.005, IsShare: true}, false},
		{"250", Limit{Count: 250}, false},
		{"0", Limit{}, false},
		{"-1", Limit{}, true},
		{"101%", Limit{}, true},
		{"abc", Limit{}, true},
		{"", Limit{}, true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseLimit(c.in)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v", err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if s := (Limit{Share: 0.01, IsShare: true}).String(); s != "1%" {
		t.Errorf("String = %q", s)
	}
}

func TestTooManyBadRows(t *testing.T) {
	members := "member_id,unit_id,honorary\n"
	for i := 0; i < 100; i++ {
		members += "m" + strings.Repeat("x", i) + ",chi-1,yes\n"
	}
	members += "bad1,chi-1,maybe\nbad2,chi-1,maybe\n"
	files := map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv"), "u.csv": unitsCSV, "m.csv": members}
	cases := []struct {
		limit string
		fail  bool
	}{{"1%", true}, {"2%", false}, {"1", true}, {"2", false}}
	for _, c := range cases {
		t.Run(c.limit, func(t *testing.T) {
			l, err := ParseLimit(c.limit)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := load(t, mapFS(files), WithMaxBadRows(l))
			var tm *TooManyBadRowsError
			if c.fail {
				if !errors.As(err, &tm) {
					t.Fatalf("err = %v, want TooManyBadRowsError", err)
				}
				if tm.Table != snapshot.Members || tm.Excluded != 2 || tm.Rows != 102 || len(tm.Findings) != 2 {
					t.Errorf("got %+v", tm)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := snap.Stats[snapshot.Members]; got != (snapshot.TableStats{Rows: 102, Excluded: 2}) {
				t.Errorf("stats %+v", got)
			}
			if n := snap.Table(snapshot.Members).NumRows(); n != 100 {
				t.Errorf("rows %d", n)
			}
		})
	}
}

func TestBounds(t *testing.T) {
	bomb := gz(t, []byte(unitsCSV+strings.Repeat("x", 4<<20)))
	long := "unit_id,level,name\n" + strings.Repeat("a", 5000) + ",province,P\n"
	longJSON := `{"level":"province","name":"P","unit_id":"` + strings.Repeat("a", 5000) + `"}` + "\n"
	cases := []struct {
		name  string
		files map[string][]byte
		opts  []Option
		row   int
	}{
		{"gzip bomb", map[string][]byte{"snapshot.yaml": []byte(manifest("units: u.csv.gz")), "u.csv.gz": bomb}, []Option{WithMaxDecompressed(1 << 20)}, 6},
		{"long csv line", map[string][]byte{"snapshot.yaml": []byte(manifest("units: u.csv")), "u.csv": []byte(long)}, []Option{WithMaxLineBytes(1000)}, 2},
		{"long ndjson line", map[string][]byte{"snapshot.yaml": []byte(manifest("units: u.ndjson")), "u.ndjson": []byte(longJSON)}, []Option{WithMaxLineBytes(1000)}, 1},
		{"long xlsx cell", map[string][]byte{"snapshot.yaml": []byte(manifest("units: u.xlsx")), "u.xlsx": xlsx(t, [][]string{{"unit_id", "level", "name"}, {strings.Repeat("a", 5000), "province", "P"}}, "")}, []Option{WithMaxLineBytes(1000)}, 2},
		{"xlsx bomb", map[string][]byte{"snapshot.yaml": []byte(manifest("units: u.xlsx.gz")), "u.xlsx.gz": gz(t, xlsx(t, unitRows, ""))}, []Option{WithMaxDecompressed(1000)}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := mapFS(nil)
			for k, v := range c.files {
				fsys[k] = mapFile(v)
			}
			_, err := load(t, fsys, c.opts...)
			var fe *FatalError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want FatalError", err)
			}
			if f := fe.Findings[0]; f.Table != snapshot.Units || f.Row != c.row {
				t.Errorf("finding %+v, want row %d", f, c.row)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File == "" {
				t.Errorf("no ParseError in %v", err)
			}
		})
	}
}

func TestProgress(t *testing.T) {
	files := map[string]string{"snapshot.yaml": manifest("units: u.csv"), "u.csv": unitsCSV}
	var got []string
	_, err := load(t, mapFS(files), WithProgress(func(tb snapshot.Table, rows int) {
		got = append(got, string(tb)+":"+string(rune('0'+rows)))
	}))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"units:4"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
