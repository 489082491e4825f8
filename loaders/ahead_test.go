package loaders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/google/go-cmp/cmp"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"golang.org/x/text/encoding/unicode"
)

// withAheadRows sets config.aheadRows: the rows of a CSV/TSV file read
// before the rest is read ahead (a test-only option).
func withAheadRows(n int) Option { return func(c *config) { c.aheadRows = n } }

// noAhead is an aheadRows no file reaches: every record read in one goroutine.
const noAhead = 1 << 62

// modelsCSV writes n models with a column the spec does not know between
// used ones, and, every so many rows, something for the loader to find:
// records that cannot be split (bare quotes), quoted newlines (the physical
// line numbers move), rows too short and too long, enum values that are
// wrong or need an alias, text changed by NFC, bad dates, empty required
// values, duplicate ids and unknown units.
func modelsCSV(n int, sep, eol string) string {
	var b strings.Builder
	row := func(fields ...string) { b.WriteString(strings.Join(fields, sep) + eol) }
	row("model_id", "ghi_chu", "unit_id", "type", "name", "launched_on", "status", "field", "special_group")
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("m%05d", i)
		f := []string{id, "x", "xa-1", "one_plus_one", fmt.Sprintf("Mô hình %d", i), "2024-03-08", "", "family", ""}
		switch {
		case i%97 == 5:
			f[3] = `"one"_plus_one` // ErrBareQuote: the record cannot be split
		case i%89 == 6:
			f[4] = "\"Mô hình\nhai dòng, \"\"trích\"\"\"" // a quoted newline
		case i%83 == 7:
			f = f[:4] // too few fields
		case i%79 == 8:
			f = append(f, "thừa") // too many fields
		case i%73 == 9:
			f[3] = "bogus" // DQ005
		case i%71 == 10:
			f[4] = "Mo\u0302 hi\u0300nh" // NFD: DQ008
		case i%67 == 11:
			f[5] = "2024-02-30" // DQ004
		case i%61 == 12:
			f[2] = "" // DQ007
		case i%59 == 13:
			f[0] = "m00001" // DQ002
		case i%53 == 14:
			f[2] = "ghost" // DQ003
		case i%47 == 15:
			f[3], f[6], f[7] = "1+1", "INACTIVE", " economy " // alias, case, spaces
		case i%43 == 16:
			f[1], f[8] = "", "dân tộc" // empty unknown column, special group
		case i%41 == 17:
			f[2], f[7] = "", "bogus" // DQ007 and DQ006: the row's reason is the first column's (unit_id)
		}
		row(f...)
	}
	return b.String()
}

// TestCSVReadAhead loads CSV files with the records read ahead in a
// goroutine from the first row, from a later row and never, and wants the
// same snapshot, findings (file, row, column) and errors every time.
func TestCSVReadAhead(t *testing.T) {
	const rows = 5000 // several batches of aheadBatch records
	big := modelsCSV(rows, ",", "\n")
	tooLong := strings.Replace(big, "Mô hình 3001,", "Mô hình 3001 "+strings.Repeat("x", 300)+",", 1)
	lastOpen := big + "m99999,x,xa-1,other,\"never closed\n"
	gzBig := gz(t, []byte(big))
	type files = map[string][]byte
	cases := []struct {
		name   string
		models string // the manifest's models entry
		files  files
		opts   []Option
		want   func(t *testing.T, err error) // the outcome without read-ahead
	}{
		{name: "findings", models: "m.csv", files: files{"m.csv": []byte(big)}},
		{name: "semicolon crlf", models: "m.csv", files: files{"m.csv": []byte(modelsCSV(rows, ";", "\r\n"))}},
		{name: "tsv utf-16", models: "{path: m.tsv, encoding: utf-16}", files: files{"m.tsv": utf16(t, modelsCSV(rows, "\t", "\n"), unicode.LittleEndian)}},
		{name: "windows-1258", models: "{path: m.csv, encoding: windows-1258}", files: files{"m.csv": cp1258(t, strings.ReplaceAll(big, "\u0302", ""))}},
		{name: "gzip", models: "m.csv.gz", files: files{"m.csv.gz": gzBig}},
		{name: "unterminated quote at the end", models: "m.csv", files: files{"m.csv": []byte(lastOpen)}},
		{name: "header only", models: "m.csv", files: files{"m.csv": []byte("model_id,unit_id,type\n")}},
		{
			name: "too many bad rows", models: "m.csv", files: files{"m.csv": []byte(big)}, opts: []Option{WithMaxBadRows(Limit{Count: 10})},
			want: func(t *testing.T, err error) {
				var tm *TooManyBadRowsError
				if !errors.As(err, &tm) || tm.Table != snapshot.Models {
					t.Fatalf("err = %v, want too many bad rows in models", err)
				}
			},
		},
		{
			name: "line too long", models: "m.csv", files: files{"m.csv": []byte(tooLong)}, opts: []Option{WithMaxLineBytes(200)},
			want: wantFatalRow(3000),
		},
		{
			name: "truncated gzip", models: "m.csv.gz", files: files{"m.csv.gz": gzBig[:len(gzBig)*2/3]},
			want: wantFatalRow(1000),
		},
		{
			name: "decompressed size limit", models: "m.csv", files: files{"m.csv": []byte(big)}, opts: []Option{WithMaxDecompressed(int64(len(big) / 2))},
			want: wantFatalRow(1000),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{"snapshot.yaml": mapFile([]byte(manifest("units: u.csv\nmodels: " + c.models))), "u.csv": mapFile([]byte(unitsCSV))}
			for k, v := range c.files {
				fsys[k] = mapFile(v)
			}
			opts := append([]Option{WithMaxBadRows(Limit{Share: 1, IsShare: true})}, c.opts...)
			run := func(ahead int) string {
				snap, err := load(t, fsys, append(slices.Clip(opts), withAheadRows(ahead))...)
				return outcome(snap, err)
			}
			snap, err := load(t, fsys, append(slices.Clip(opts), withAheadRows(noAhead))...)
			if c.want != nil {
				c.want(t, err)
			} else if err != nil {
				t.Fatalf("without read-ahead: %v", err)
			} else if c.name != "header only" && len(snap.Findings) < 100 {
				t.Fatalf("without read-ahead: %d findings, want the file's many", len(snap.Findings))
			}
			want := outcome(snap, err)
			for _, ahead := range []int{0, 1, 100, aheadBatch, 3001} {
				if d := cmp.Diff(want, run(ahead)); d != "" {
					t.Fatalf("read ahead from row %d differs (-without +with):\n%s", ahead, d)
				}
			}
		})
	}
}

// wantFatalRow wants a DQ001 whose finding is on a row after row.
func wantFatalRow(row int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var fe *FatalError
		if !errors.As(err, &fe) || len(fe.Findings) != 1 || fe.Findings[0].Row <= row {
			t.Fatalf("err = %v, want one DQ001 finding after row %d", err, row)
		}
	}
}

// TestCSVAheadRecords compares the records the goroutine hands over with
// those of the reader itself, field by field, for every header column and
// for a few used ones.
func TestCSVAheadRecords(t *testing.T) {
	texts := map[string]string{
		"findings":   modelsCSV(3000, ",", "\n"),
		"crlf":       modelsCSV(3000, ";", "\r\n"),
		"open quote": "a,b,c\n1,2,3\n4,5,6\n7,8\n\"x\n",
		"empty":      "a,b,c\n\n\n1,,\n,2,\n\n,,3\n",
		"long text":  "a,b,c\n" + strings.Repeat(strings.Repeat("é", 500)+",z,\n", 2000), // batches end on bytes
		"bad at batch ends": "a,b,c\n" + strings.Repeat("1,2,3\n", aheadBatch-2) + strings.Repeat("1,\"x\"y,3\n", 4) +
			strings.Repeat("1,2,3\n", aheadBatch-2) + "1,2,3\n\"x\"y,2,3\n", // malformed records first and last in batches
	}
	type rowOut struct {
		Row, Width int
		Bad        string
		Cells      []cell
	}
	read := func(rr rowReader, cols []int) ([]rowOut, error) {
		var out []rowOut
		for {
			ok, err := rr.next()
			if err != nil || !ok {
				return out, err
			}
			r := rowOut{Row: rr.row(), Width: rr.width(), Bad: rr.malformed()}
			for _, i := range cols {
				r.Cells = append(r.Cells, rr.cell(i))
			}
			out = append(out, r)
		}
	}
	for name, text := range texts {
		open := func() *csvReader {
			c, err := newCSVReader("m.csv", strings.NewReader(text), "", false, DefaultMaxLineBytes, func() error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		all := make([]int, len(open().hdr)+1) // and one past the header
		for i := range all {
			all[i] = i
		}
		for _, used := range [][]int{all[:len(all)-1], {0, 2}} {
			t.Run(fmt.Sprintf("%s/%v", name, used), func(t *testing.T) {
				want, wantErr := read(open(), all)
				for i := range want { // only the used columns are copied
					for j := range want[i].Cells {
						if !contains(used, j) {
							want[i].Cells[j] = cell{}
						}
					}
				}
				a := open().readAhead(used)
				defer a.stop()
				got, gotErr := read(a, all)
				if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
					t.Fatalf("error %v, want %v", gotErr, wantErr)
				}
				if len(want) < 3 {
					t.Fatalf("only %d records: the case tests nothing", len(want))
				}
				if d := cmp.Diff(want, got, cmp.AllowUnexported(cell{})); d != "" {
					t.Errorf("records differ (-reader +read ahead):\n%s", d)
				}
			})
		}
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// aheadGoroutines counts the goroutines reading a CSV file ahead.
// aheadGoroutinesAfter waits until no more than want goroutines read ahead
// (up to 5 s) and returns how many do. stop returns once run has closed the
// batches channel, which run does in a deferred call: for a moment after
// stop the goroutine is still on its way out of run, reading nothing.
func aheadGoroutinesAfter(want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := aheadGoroutines()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(time.Millisecond)
	}
}

func aheadGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "(*csvAhead).run(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestCSVReadAheadCancel cancels a load while a goroutine reads the members
// file ahead: LoadFS returns context.Canceled, and by then the goroutine has
// returned (stop waits for it) and every Arrow buffer is released.
func TestCSVReadAheadCancel(t *testing.T) {
	var members strings.Builder
	members.WriteString("member_id,unit_id\n")
	for i := 0; i < 64<<10+20_000; i++ { // more than the goroutine may read ahead of the first tick
		fmt.Fprintf(&members, "m%d,chi-1\n", i)
	}
	fsys := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv"), "u.csv": unitsCSV, "m.csv": members.String()})
	before := aheadGoroutines()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	during := -1
	_, err := LoadFS(ctx, fsys, withAheadRows(0), WithAllocator(checked(t)), WithProgress(func(tb snapshot.Table, rows int) {
		if tb == snapshot.Members && rows > 0 && during < 0 {
			during = aheadGoroutines()
			cancel()
		}
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if during != before+1 {
		t.Errorf("%d goroutines reading ahead while loading, want %d", during, before+1)
	}
	if after := aheadGoroutinesAfter(before); after != before {
		t.Errorf("%d goroutines reading ahead after LoadFS returned, want %d", after, before)
	}
}

// blockedReader blocks its first Read until the read-ahead goroutine is
// told to stop, then fails; returned records that the Read has returned.
type blockedReader struct {
	a        **csvAhead
	ready    chan struct{} // closed once *a is set
	entered  chan struct{}
	returned atomic.Bool
}

func (b *blockedReader) Read(p []byte) (int, error) {
	close(b.entered)
	<-b.ready
	<-(*b.a).done
	b.returned.Store(true)
	return 0, errors.New("stopped")
}

// stop returns only once the goroutine has returned: nothing reads the file
// after it (the caller then hashes the rest of the file and closes it).
func TestCSVAheadStopWaits(t *testing.T) {
	var a *csvAhead
	br := &blockedReader{a: &a, ready: make(chan struct{}), entered: make(chan struct{})}
	c, err := newCSVReader("m.csv", io.MultiReader(strings.NewReader("a,b\n1,2\n"), br), ",", false, DefaultMaxLineBytes, func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	// The header is read; the goroutine's first records block in Read.
	before := aheadGoroutines()
	a = c.readAhead([]int{0, 1})
	close(br.ready)
	<-br.entered
	a.stop()
	if !br.returned.Load() {
		t.Error("stop returned while the goroutine was still reading")
	}
	if n := aheadGoroutinesAfter(before); n != before {
		t.Errorf("%d goroutines reading ahead after stop, want %d", n, before)
	}
}

// failingFS serves fsys, except that reading name fails once at bytes have
// been read.
type failingFS struct {
	fstest.MapFS
	name  string
	at    int
	cause error
}

func (f failingFS) Open(name string) (fs.File, error) {
	file, err := f.MapFS.Open(name)
	if err != nil || name != f.name {
		return file, err
	}
	return &failingFile{File: file, left: f.at, cause: f.cause}, nil
}

type failingFile struct {
	fs.File
	left  int
	cause error
}

func (f *failingFile) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, f.cause
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := f.File.Read(p)
	f.left -= n
	return n, err
}

// A file that fails to read half-way gives the same DQ001, on the same row,
// with and without read-ahead.
func TestCSVReadAheadReadError(t *testing.T) {
	big := modelsCSV(5000, ",", "\n")
	fsys := failingFS{MapFS: fstest.MapFS{"snapshot.yaml": mapFile([]byte(manifest("units: u.csv\nmodels: m.csv"))),
		"u.csv": mapFile([]byte(unitsCSV)), "m.csv": mapFile([]byte(big))}, name: "m.csv", at: len(big) * 3 / 4, cause: errors.New("disk on fire")}
	var want string
	for _, ahead := range []int{noAhead, 0, 2000} {
		_, err := load(t, fsys, withAheadRows(ahead))
		var fe *FatalError
		if !errors.As(err, &fe) || len(fe.Findings) != 1 || fe.Findings[0].Row < 3000 || !strings.Contains(fe.Findings[0].Message, "disk on fire") {
			t.Fatalf("aheadRows %d: err = %v, want one DQ001 late in the file naming the cause", ahead, err)
		}
		got := outcome(nil, err)
		if want == "" {
			want = got
		} else if d := cmp.Diff(want, got); d != "" {
			t.Errorf("aheadRows %d: differs (-without +with):\n%s", ahead, d)
		}
	}
}

// A Cloud Storage download that breaks half-way through the members file
// (the connection drops, and the client's retry finds the object gone) is a
// transient error naming the file, with and without read-ahead.
func TestCSVReadAheadGCSFailure(t *testing.T) {
	var members strings.Builder
	members.WriteString("member_id,unit_id\n")
	for i := 0; i < 40_000; i++ {
		fmt.Fprintf(&members, "m%d,chi-1\n", i)
	}
	content := []byte(members.String())
	objects := []fakestorage.Object{
		{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/snapshot.yaml"}, Content: []byte(manifest("units: units.csv\nmembers: members.csv"))},
		{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/units.csv"}, Content: []byte(unitsCSV)},
		{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "exports", Name: "tb/members.csv"}, Content: content},
	}
	var mu sync.Mutex
	served := 0 // downloads of members.csv
	gcsFront(t, objects, func(w http.ResponseWriter, r *http.Request, server http.Handler) bool {
		if r.URL.Query().Get("alt") != "media" || !strings.HasSuffix(r.URL.Path, "members.csv") {
			return false
		}
		mu.Lock()
		served++
		first := served%2 == 1
		mu.Unlock()
		if !first { // the client's retry after the broken download
			http.Error(w, "gone", http.StatusNotFound)
			return true
		}
		// Half of the file, then the connection drops.
		server.ServeHTTP(&cutWriter{ResponseWriter: w, left: len(content) / 2}, r)
		return true
	})

	var want string
	for _, ahead := range []int{noAhead, 0, 1000} {
		_, err := Load(context.Background(), "gs://exports/tb", withAheadRows(ahead), WithAllocator(checked(t)))
		var fe *FatalError
		if err == nil || errors.As(err, &fe) || !strings.Contains(err.Error(), "read members.csv") {
			t.Fatalf("aheadRows %d: err = %v, want the storage error of members.csv", ahead, err)
		}
		if want == "" {
			want = err.Error()
		} else if err.Error() != want {
			t.Errorf("aheadRows %d: err = %v, want %v", ahead, err, want)
		}
	}
}

// cutWriter passes on left bytes of the body, then fails: the reverse proxy
// then aborts the response, and the client sees the connection drop.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.ErrClosedPipe
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.ResponseWriter.Write(p)
	c.left -= n
	if err == nil && c.left <= 0 {
		if f, ok := c.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		err = io.ErrClosedPipe
	}
	return n, err
}

// FuzzCSVReadAhead loads a models file with and without read-ahead and
// wants the same outcome.
func FuzzCSVReadAhead(f *testing.F) {
	f.Add([]byte(modelsCSV(300, ",", "\n")))
	f.Add([]byte("model_id,unit_id,type\n\"a\nb\",xa-1,other\nm2,xa-1,\"x\"y\n"))
	f.Add([]byte("model_id;unit_id;type\r\nm1;xa-1;other\r\nm2;\"xa-1\r\n"))
	man := []byte(manifest("units: u.csv\nmodels: m.csv"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"snapshot.yaml": {Data: man}, "m.csv": {Data: data}, "u.csv": {Data: []byte(unitsCSV)}}
		opts := []Option{WithMaxBadRows(Limit{Share: 1, IsShare: true}), WithMaxLineBytes(4096), WithMaxDecompressed(1 << 20)}
		var want string
		for _, ahead := range []int{noAhead, 0, 2} {
			snap, err := load(t, fsys, append(slices.Clip(opts), withAheadRows(ahead))...)
			got := outcome(snap, err)
			if ahead == noAhead {
				want = got
			} else if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("read ahead from row %d differs (-without +with):\n%s", ahead, d)
			}
		}
	})
}
