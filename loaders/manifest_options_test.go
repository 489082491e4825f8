package loaders

import (
	"errors"
	"strings"
	"testing"
)

// TestManifestOptionsAndTypes: a misspelt table option is a fatal finding
// naming it, its line and the options (not ignored); YAML of the wrong
// kind is explained without the decoder's Go type names.
func TestManifestOptionsAndTypes(t *testing.T) {
	cases := []struct {
		name, tables string // the manifest's tables key, after the 5 lines of baseManifest
		want         string
	}{
		{"misspelt delimiter", "tables:\n  units:\n    path: u.csv\n    delimeter: \";\"",
			"tables.units delimeter: The table units has an unknown option delimeter on line 9; the options are path, encoding, delimiter, sheet."},
		{"list as a path", "tables:\n  units:\n    path: [u.csv]",
			"tables.units : The reading options of this table cannot be understood: line 8: a list where text is expected"},
		{"tables as a number", "tables: 5",
			"The snapshot description (snapshot.yaml) cannot be read: line 6: a number where a mapping (key: value) is expected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := baseManifest + tc.tables + "\n"
			_, fs := ParseManifest([]byte(data))
			var got []string
			for _, f := range fs {
				got = append(got, f.Column+" "+f.Value+": "+f.Message)
			}
			if len(got) != 1 || !strings.HasSuffix(got[0], tc.want) {
				t.Errorf("findings %q, want one ending with %q\nmanifest:\n%s", got, tc.want, data)
			}
			for _, g := range got {
				for _, goName := range []string{"yaml.Node", "map[", "loaders.", "!!", "unmarshal"} {
					if strings.Contains(g, goName) {
						t.Errorf("finding %q shows decoder internals (%s)", g, goName)
					}
				}
			}
		})
	}
}

// TestLongIDsClippedInMessages: an id quoted in a finding's message is
// clipped like its value (200 bytes), not repeated whole.
func TestLongIDsClippedInMessages(t *testing.T) {
	long := "c" + strings.Repeat("x", 300)
	fsys := mapFS(map[string]string{
		"snapshot.yaml": manifest("units: u.csv\nratings: r.csv"),
		"u.csv":         unitsCSV,
		"r.csv":         "unit_id,year,rating\n" + long + ",2023,good\n",
	})
	snap, err := load(t, fsys, WithMaxBadRows(Limit{Count: 10}))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range snap.Findings {
		if f.Table != "ratings" {
			continue
		}
		n++
		if strings.Contains(f.Message, long) || len(f.Message) > 300 || len(f.Value) > 210 {
			t.Errorf("%s: message of %d bytes, value of %d: %q", f.Code, len(f.Message), len(f.Value), f.Message)
		}
	}
	if n == 0 {
		t.Fatal("no finding on the ratings row")
	}
}

// TestOversizedManifest: a snapshot.yaml over its cap says so, with the cap.
func TestOversizedManifest(t *testing.T) {
	big := manifest("units: u.csv") + "# " + strings.Repeat("x", int(DefaultMaxManifestBytes)) + "\n"
	_, err := load(t, mapFS(map[string]string{"snapshot.yaml": big, "u.csv": unitsCSV}))
	var fe *FatalError
	if !errors.As(err, &fe) || len(fe.Findings) != 1 || !strings.Contains(fe.Findings[0].Message, "larger than 1024 KiB") {
		t.Fatalf("error %v, want one DQ001 naming the 1024 KiB cap", err)
	}
}
