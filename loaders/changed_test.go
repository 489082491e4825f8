package loaders

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// rewrittenFS is a snapshot whose file name is rewritten by the export
// while it is read: the file opened holds the old bytes; a later look at
// the folder finds the new ones.
type rewrittenFS struct {
	fstest.MapFS
	name    string
	rewrite *fstest.MapFile
}

func (r rewrittenFS) Stat(name string) (fs.FileInfo, error) {
	if name == r.name {
		return fstest.MapFS{name: r.rewrite}.Stat(name)
	}
	return r.MapFS.Stat(name)
}

// TestFileChangedWhileRead: a local table file that changed while it was
// read (another size or modification time afterwards) is ErrChanged, a
// transient error (exit code 1: the retry reads the whole new file), not
// the DQ001 its torn bytes would give (exit code 3), nor a snapshot mixing
// two exports.
func TestFileChangedWhileRead(t *testing.T) {
	members := "member_id,unit_id\nm1,chi-1\nm2,chi-1\n"
	later := time.Date(2024, 10, 1, 2, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name, data string
		rewrite    *fstest.MapFile
		changed    bool
	}{
		{"whole old bytes, a new size", members, &fstest.MapFile{Data: []byte(members + "m3,chi-1\n")}, true},
		{"whole old bytes, the same size written later", members, &fstest.MapFile{Data: []byte(members), ModTime: later}, true},
		{"torn bytes (DQ001)", "member_id,unit_id\nm1,\"chi", &fstest.MapFile{Data: []byte(members)}, true},
		{"unchanged", members, &fstest.MapFile{Data: []byte(members)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			files := mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv\nmembers: m.csv"), "u.csv": unitsCSV, "m.csv": tt.data})
			_, err := load(t, rewrittenFS{MapFS: files, name: "m.csv", rewrite: tt.rewrite})
			if got := errors.Is(err, ErrChanged); got != tt.changed {
				t.Errorf("err = %v, want ErrChanged %v", err, tt.changed)
			}
			var fe *FatalError
			if tt.changed && errors.As(err, &fe) {
				t.Errorf("err = %v: a DQ001 for a file being rewritten", err)
			}
		})
	}
}

// TestManyUnknownColumns: a header of 181,000 columns the format does not
// know gives a bounded number of DQ009 findings: the first
// maxListedFindings with their names, then one that counts the rest.
func TestManyUnknownColumns(t *testing.T) {
	const unknown = 181_000
	var b strings.Builder
	b.WriteString("unit_id,parent_id,level,name")
	for i := range unknown {
		fmt.Fprintf(&b, ",%x", i)
	}
	b.WriteString("\ntinh,,province,T\n")
	snap, err := load(t, mapFS(map[string]string{"snapshot.yaml": manifest("units: u.csv"), "u.csv": b.String()}), WithMaxLineBytes(4<<20), WithMaxBadRows(Limit{Share: 1, IsShare: true}))
	if err != nil {
		t.Fatal(err)
	}
	var listed, counted int
	for _, f := range snap.Findings {
		if f.Code != snapshot.DQIgnored {
			continue
		}
		if f.Row > 0 {
			listed++
		} else if strings.HasPrefix(f.Message, fmt.Sprintf("%d more columns", unknown-maxListedFindings)) {
			counted++
		}
	}
	if listed != maxListedFindings || counted != 1 {
		t.Errorf("%d DQ009 listed and %d counting the rest, want %d and 1", listed, counted, maxListedFindings)
	}
}
