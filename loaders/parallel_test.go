package loaders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// withReaders sets how many table files are read at a time; 1 is the
// sequential order.
func withReaders(n int) Option { return func(c *config) { c.readers = n } }

func TestLoadDigest(t *testing.T) {
	units := []byte(unitsCSV)
	members := gz(t, []byte("member_id,unit_id\nm1,chi-1\nm2,to-1\n"))
	models := parquetFile(t, modelRows)
	// Listed out of table order: the digest follows snapshot.Tables.
	yaml := []byte(manifest("models: models.parquet\nmembers: members.csv.gz\nunits: units.csv"))
	files := fstest.MapFS{"snapshot.yaml": mapFile(yaml), "units.csv": mapFile(units), "members.csv.gz": mapFile(members), "models.parquet": mapFile(models)}

	h := sha256.New()
	h.Write(yaml)
	for _, b := range [][]byte{units, members, models} { // units, members, models: snapshot.Tables order
		sum := sha256.Sum256(b)
		h.Write(sum[:])
	}
	want := hex.EncodeToString(h.Sum(nil))

	dir := writeDir(t, map[string][]byte{"snapshot.yaml": yaml, "units.csv": units, "members.csv.gz": members, "models.parquet": models})
	local, err := OpenFS(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		fsys fs.FS
	}{{"memory", files}, {"folder", local}} {
		for _, readers := range []int{1, 2, 8} {
			for i := 0; i < 3; i++ {
				t.Run(fmt.Sprintf("%s/readers=%d/%d", c.name, readers, i), func(t *testing.T) {
					snap, err := load(t, c.fsys, withReaders(readers))
					if err != nil {
						t.Fatal(err)
					}
					if snap.SHA256 != want {
						t.Errorf("SHA256 = %s, want %s", snap.SHA256, want)
					}
				})
			}
		}
	}

	// One byte more in one file changes the digest.
	changed := fstest.MapFS{}
	for k, v := range files {
		changed[k] = v
	}
	changed["units.csv"] = mapFile(append([]byte(unitsCSV), '\n'))
	snap, err := load(t, changed)
	if err != nil {
		t.Fatal(err)
	}
	if snap.SHA256 == want {
		t.Errorf("SHA256 unchanged after a file changed: %s", snap.SHA256)
	}
}

// outcome renders everything LoadFS returns that a caller can see.
func outcome(snap *snapshot.Snapshot, err error) string {
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "error %T: %v\n", err, err)
		if cause := errors.Unwrap(err); cause != nil {
			fmt.Fprintf(&b, "cause %T: %v\n", cause, cause)
		}
		var fe *FatalError
		var tm *TooManyBadRowsError
		switch {
		case errors.As(err, &fe):
			for _, f := range fe.Findings {
				fmt.Fprintf(&b, "finding %+v\n", f)
			}
		case errors.As(err, &tm):
			for _, f := range tm.Findings {
				fmt.Fprintf(&b, "finding %+v\n", f)
			}
		}
		return b.String()
	}
	fmt.Fprintf(&b, "sha256 %s\n", snap.SHA256)
	for _, f := range snap.Findings {
		fmt.Fprintf(&b, "finding %+v\n", f)
	}
	for _, tb := range snapshot.Tables() {
		fmt.Fprintf(&b, "%s %+v ignored %v\n", tb, snap.Stats[tb], snap.IgnoredColumns[tb])
		for _, row := range dump(snap.Table(tb)) {
			fmt.Fprintf(&b, "  %s\n", row)
		}
	}
	for _, u := range snap.ExcludedUnits {
		fmt.Fprintf(&b, "excluded unit %+v\n", u)
	}
	for _, m := range snap.ExcludedModels {
		fmt.Fprintf(&b, "excluded model %+v\n", m)
	}
	return b.String()
}

// The same snapshot gives the same result, findings and error whether its
// tables are read one after another or at the same time.
func TestLoadConcurrentSameAsSequential(t *testing.T) {
	type files = map[string]string
	units := "unit_id,parent_id,level,name\ntinh,,province,T\nxa-1,tinh,commune,X1\nchi-1,xa-1,branch,C1\nto-1,chi-1,group,G1\n"
	cases := []struct {
		name   string
		tables string
		files  files
		opts   []Option
		check  func(t *testing.T, err error) // the error the sequential rules give
	}{
		{
			name: "findings in every table", tables: "units: u.csv\nmembers: m.csv\ncadres: c.csv\nmodels: mo.csv\nparticipants: p.csv\nratings: r.csv\nactivities: a.csv",
			files: files{"u.csv": units + "xa-1,tinh,commune,dup\nxa-2,nowhere,commune,X2\n",
				"m.csv":  "member_id,unit_id,phone\nm1,chi-1,09\nm1,to-1,\nm2,ghost,\nm3,xa-2,\n",
				"c.csv":  "cadre_id,unit_id,member_id,role\nc1,xa-1,m1,chair\nc2,xa-1,m9,bogus\n",
				"mo.csv": "model_id,unit_id,type,launched_on,status\nmo1,xa-1,one_plus_one,2024-02-30,\nmo2,xa-1,other,,\nmo3,xa-2,other,,\n",
				"p.csv":  "model_id,kind,participant_id\nmo2,member,m1\nmo2,member,m7\nmo1,member,m1\n",
				"r.csv":  "unit_id,year,rating,score\nxa-1,2023,good,101\nxa-1,2024,good,50\n",
				"a.csv":  "unit_id,month,attendees\nxa-1,2024-13,3\nxa-1,2024-09,3\n"},
			opts: []Option{WithMaxBadRows(Limit{Share: 1, IsShare: true})},
		},
		{
			name: "too many bad rows", tables: "units: u.csv\nmembers: m.csv\nmodels: mo.csv",
			files: files{"u.csv": units, "m.csv": "member_id,unit_id\nm1,ghost\nm2,chi-1\n",
				"mo.csv": "model_id,unit_id,type\nmo1,ghost,other\nmo2,xa-1,bogus\n"},
			check: func(t *testing.T, err error) {
				var tm *TooManyBadRowsError
				if !errors.As(err, &tm) || tm.Table != snapshot.Members {
					t.Errorf("err = %v, want too many bad rows in members (the first table in order)", err)
				}
			},
		},
		{
			// The cause of the FatalError is the last open error in table
			// order if there is one, else the first parse error: the rules of
			// the sequential loop.
			name: "fatal in several tables", tables: "units: u.csv\nmembers: m.csv\ncadres: absent.csv\nmodels: mo.csv.gz\nratings: r.csv\nactivities: gone.csv",
			files: files{"u.csv": units, "m.csv": "unit_id\nchi-1\n", "mo.csv.gz": "not gzip",
				"r.csv": "unit_id,year,rating\n" + strings.Repeat("x", 200) + "\n"},
			opts: []Option{WithMaxLineBytes(100)},
			check: func(t *testing.T, err error) {
				var fe *FatalError
				var pe *fs.PathError
				if !errors.As(err, &fe) || !errors.As(fe.Err, &pe) || pe.Path != "gone.csv" {
					t.Errorf("err = %v (cause %v), want DQ001 caused by opening gone.csv", err, fe.Err)
				}
			},
		},
		{
			name: "parse errors only", tables: "units: u.csv\nmodels: mo.csv.gz\nratings: r.csv",
			files: files{"u.csv": units, "mo.csv.gz": "not gzip", "r.csv": "unit_id,year,rating\n" + strings.Repeat("x", 200) + "\n"},
			opts:  []Option{WithMaxLineBytes(100)},
			check: func(t *testing.T, err error) {
				var fe *FatalError
				var pe *ParseError
				if !errors.As(err, &fe) || !errors.As(fe.Err, &pe) || pe.File != "mo.csv.gz" {
					t.Errorf("err = %v, want DQ001 caused by mo.csv.gz", err)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := mapFS(c.files)
			fsys["snapshot.yaml"] = mapFile([]byte(manifest(c.tables)))
			snap, err := load(t, fsys, append([]Option{withReaders(1)}, c.opts...)...)
			want := outcome(snap, err)
			if c.check != nil {
				c.check(t, err)
			} else if err != nil {
				t.Fatalf("sequential: %v", err)
			}
			for i := 0; i < 10; i++ {
				snap, err := load(t, fsys, append([]Option{withReaders(8)}, c.opts...)...)
				if d := cmp.Diff(want, outcome(snap, err)); d != "" {
					t.Fatalf("run %d: concurrent differs from sequential (-sequential +concurrent):\n%s", i, d)
				}
			}
		})
	}
}

// gcsFront serves objects through fake-gcs-server behind an HTTP front
// and points the Cloud Storage client at the front (STORAGE_EMULATOR_HOST):
// intercept sees every request first and answers it itself when it returns
// true; the rest go to the server.
func gcsFront(t *testing.T, objects []fakestorage.Object, intercept func(w http.ResponseWriter, r *http.Request, server http.Handler) bool) {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{InitialObjects: objects, Scheme: "http", Host: "127.0.0.1", Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	target, _ := url.Parse(srv.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r, proxy) {
			proxy.ServeHTTP(w, r)
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go front.Serve(ln) //nolint:errcheck // closed by Cleanup
	t.Cleanup(func() { _ = front.Close() })
	t.Setenv("STORAGE_EMULATOR_HOST", ln.Addr().String())
}

// brokenGCS serves the objects through fake-gcs-server, except the downloads
// named in fail (answered 404 once ready is closed) and in hang (never
// answered: the handler waits for the client to give up).
func brokenGCS(t *testing.T, objects []fakestorage.Object, fail map[string]<-chan struct{}, hang map[string]bool, failed func(name string)) {
	t.Helper()
	gcsFront(t, objects, func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if r.URL.Query().Get("alt") != "media" {
			return false
		}
		if ready, ok := fail[name]; ok {
			select {
			case <-ready:
			case <-r.Context().Done():
				return true
			}
			http.Error(w, "gone", http.StatusNotFound)
			failed(name)
			return true
		}
		if hang[name] {
			<-r.Context().Done()
			return true
		}
		return false
	})
}

// A storage failure in a table stops the reads of the tables after it; the
// error returned is that of the first failing table in snapshot.Tables order,
// even when a later table fails first.
func TestLoadGCSFirstErrorInTableOrder(t *testing.T) {
	obj := func(name string, content []byte) fakestorage.Object {
		return fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/" + name}, Content: content}
	}
	objects := []fakestorage.Object{
		obj("snapshot.yaml", []byte(manifest("units: units.csv\nmembers: members.csv\nmodels: models.parquet\nactivities: activities.csv"))),
		obj("units.csv", []byte(unitsCSV)),
		obj("members.csv", []byte("member_id,unit_id\nm1,chi-1\n")),
		obj("models.parquet", parquetFile(t, modelRows)),
		obj("activities.csv", []byte("unit_id,month,attendees\nxa-1,2024-09,3\n")),
	}
	modelsFailed := make(chan struct{})
	var once sync.Once
	brokenGCS(t, objects,
		// members fails only after models has failed: the later table
		// fails first.
		map[string]<-chan struct{}{"members.csv": modelsFailed, "models.parquet": closed()},
		map[string]bool{"activities.csv": true}, // stopped by the error of models
		func(name string) {
			if name == "models.parquet" {
				once.Do(func() { close(modelsFailed) })
			}
		})
	for i := 0; i < 3; i++ {
		mem := checked(t)
		_, err := Load(context.Background(), "gs://exports/tb", WithAllocator(mem), withReaders(8))
		var fe *FatalError
		if err == nil || errors.As(err, &fe) || !strings.Contains(err.Error(), "read members.csv") {
			t.Fatalf("run %d: err = %v, want the storage error of members.csv", i, err)
		}
	}
}

func closed() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// Progress calls come from several goroutines but never overlap (under
// -race, unserialised calls are a data race on got); each table's count
// only grows and ends at its rows.
func TestProgressConcurrent(t *testing.T) {
	// Two large tables, read at the same time, tick every 65,536 rows; the
	// small ones report once, at about the same time.
	var members, activities strings.Builder
	members.WriteString("member_id,unit_id\n")
	activities.WriteString("unit_id,month,attendees\n")
	const n = 150_000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&members, "m%d,chi-1\n", i)
		activities.WriteString("xa-1,2024-09,3\n")
	}
	large := mapFS(map[string]string{
		"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv\nmodels: mo.csv\nactivities: a.csv"),
		"u.csv":         unitsCSV, "m.csv": members.String(),
		"mo.csv": csvText(modelRows, ","), "a.csv": activities.String(),
	})
	small := mapFS(map[string]string{
		"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv\ncadres: c.csv\nmodels: mo.csv\nparticipants: p.csv\nratings: r.csv\nactivities: a.csv\nlineage: l.csv"),
		"u.csv":         unitsCSV, "m.csv": "member_id,unit_id\nm1,chi-1\n", "c.csv": "cadre_id,unit_id,role\nc1,xa-1,commune_chair\n",
		"mo.csv": csvText(modelRows, ","), "p.csv": "model_id,kind,participant_id\nm1,member,m1\n",
		"r.csv": "unit_id,year,rating\nxa-1,2024,good\n", "a.csv": "unit_id,month,attendees\nxa-1,2024-09,3\n",
		"l.csv": "predecessor_id,successor_id,effective\nold,xa-1,2024-01-01\n",
	})
	cases := []struct {
		name  string
		fsys  fs.FS
		runs  int
		want  map[snapshot.Table]int
		ticks []snapshot.Table // tables with progress while reading
	}{
		{name: "large", fsys: large, runs: 1,
			want:  map[snapshot.Table]int{snapshot.Units: 4, snapshot.Members: n, snapshot.Models: 2, snapshot.Activities: n},
			ticks: []snapshot.Table{snapshot.Members, snapshot.Activities}},
		{name: "small", fsys: small, runs: 20,
			want: map[snapshot.Table]int{snapshot.Units: 4, snapshot.Members: 1, snapshot.Cadres: 1, snapshot.Models: 2,
				snapshot.Participants: 1, snapshot.Ratings: 1, snapshot.Activities: 1, snapshot.Lineage: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for run := 0; run < c.runs; run++ {
				// No synchronisation here on purpose: an atomic or a mutex
				// would order the calls for the race detector and hide a
				// missing serialisation.
				got := map[snapshot.Table][]int{}
				_, err := load(t, c.fsys, withReaders(8), WithProgress(func(tb snapshot.Table, rows int) {
					got[tb] = append(got[tb], rows)
				}))
				if err != nil {
					t.Fatal(err)
				}
				for tb, rows := range c.want {
					counts := got[tb]
					if len(counts) == 0 || counts[len(counts)-1] != rows {
						t.Errorf("%s: progress %v, want it to end at %d", tb, counts, rows)
						continue
					}
					for i := 1; i < len(counts); i++ {
						if counts[i] < counts[i-1] {
							t.Errorf("%s: progress went back: %v", tb, counts)
							break
						}
					}
				}
				for _, tb := range c.ticks {
					if len(got[tb]) < 2 {
						t.Errorf("%s: progress %v, want ticks while reading", tb, got[tb])
					}
				}
			}
		})
	}
}
