package loaders

import (
	"bytes"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vungmanh/vungmanh/internal/snapshot"
	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"
)

// ManifestFile is the name of the manifest in a snapshot folder.
const ManifestFile = "snapshot.yaml"

var nameRE = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)

type rawManifest struct {
	APIVersion string                       `yaml:"apiVersion"`
	Kind       string                       `yaml:"kind"`
	Name       string                       `yaml:"name"`
	Title      string                       `yaml:"title"`
	AsOf       string                       `yaml:"asOf"`
	Tables     map[string]yaml.Node         `yaml:"tables"`
	Aliases    map[string]map[string]string `yaml:"aliases"`
}

// manifestKeys are the top-level keys of snapshot.yaml, in rawManifest's
// order.
var manifestKeys = func() []string {
	var keys []string
	typ := reflect.TypeFor[rawManifest]()
	for i := range typ.NumField() {
		keys = append(keys, typ.Field(i).Tag.Get("yaml"))
	}
	return keys
}()

// unknownKeys returns the top-level keys of the manifest that are not
// manifestKeys; nil when data is not a YAML mapping (the decoder then says
// what is wrong).
func unknownKeys(data []byte) []*yaml.Node {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var out []*yaml.Node
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; !slices.Contains(manifestKeys, k.Value) {
			out = append(out, k)
		}
	}
	return out
}

type rawSource struct {
	Path      string `yaml:"path"`
	Encoding  string `yaml:"encoding"`
	Delimiter string `yaml:"delimiter"`
	Sheet     string `yaml:"sheet"`
}

// sourceKeys are the options of a table given as an object, in rawSource's
// order.
var sourceKeys = func() []string {
	var keys []string
	typ := reflect.TypeFor[rawSource]()
	for i := range typ.NumField() {
		keys = append(keys, typ.Field(i).Tag.Get("yaml"))
	}
	return keys
}()

// unknownOption returns the first key of a table's options (a mapping node)
// that is not one of sourceKeys, nil when there is none: a misspelt
// "delimeter" must not be ignored.
func unknownOption(m *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; !slices.Contains(sourceKeys, k.Value) {
			return k
		}
	}
	return nil
}

var (
	yamlTypeError = regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `[^`]*`)? into (\\S+)")
	yamlKinds     = map[string]string{"seq": "a list", "map": "a mapping (key: value)", "str": "text", "int": "a number",
		"float": "a number", "bool": "true or false", "null": "nothing", "timestamp": "a date"}
)

// yamlMessage is the text of a YAML decoding error without the decoder's
// prefix and Go type names: "line 3: a list where text is expected".
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	msg = yamlTypeError.ReplaceAllStringFunc(msg, func(m string) string {
		sub := yamlTypeError.FindStringSubmatch(m)
		got, ok := yamlKinds[sub[1]]
		if !ok {
			got = sub[1]
		}
		want := "something else"
		switch t := sub[2]; {
		case t == "string":
			want = "text"
		case strings.HasPrefix(t, "map["), t == "loaders.rawManifest", t == "loaders.rawSource":
			want = "a mapping (key: value)"
		case strings.HasPrefix(t, "[]"):
			want = "a list"
		case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "float"):
			want = "a number"
		case t == "bool":
			want = "true or false"
		}
		return got + " where " + want + " is expected"
	})
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "; ")
}

// futureAsOf returns a DQ001 finding when asOf (a valid date) is after the
// day following now in UTC: an export describes a day that has come (the
// extra day lets a clock in any time zone run ahead of UTC). A run of such
// a date would otherwise be the newest run until that day, and every correct
// run after it would leave latest.json where it points.
func futureAsOf(asOf string, now time.Time) (snapshot.Finding, bool) {
	d, err := time.Parse(time.DateOnly, asOf)
	y, m, day := now.UTC().Date()
	latest := time.Date(y, m, day+1, 0, 0, 0, 0, time.UTC)
	if err != nil || !d.After(latest) {
		return snapshot.Finding{}, false
	}
	return snapshot.Finding{Code: snapshot.DQManifest, Severity: snapshot.SeverityFatal, File: ManifestFile, Column: "asOf", Value: asOf,
		Message: fmt.Sprintf("The snapshot date (asOf) %s is after today (%s, UTC): an export describes a day that has come.", asOf, now.UTC().Format(time.DateOnly))}, true
}

// ParseManifest parses and validates snapshot.yaml. Problems are returned as
// findings: DQ001 (fatal) for anything that makes the snapshot unusable,
// DQ009 (warning) for a table the spec does not know. The manifest is usable
// when no finding is fatal.
func ParseManifest(data []byte) (snapshot.Manifest, []snapshot.Finding) {
	var out []snapshot.Finding
	fatal := func(field, value, msg string) {
		out = append(out, snapshot.Finding{Code: snapshot.DQManifest, Severity: snapshot.SeverityFatal,
			File: ManifestFile, Column: field, Value: clip(value), Message: msg})
	}
	if unknown := unknownKeys(data); len(unknown) > 0 {
		for _, k := range unknown {
			fatal(k.Value, "", fmt.Sprintf("The snapshot description (snapshot.yaml) has an unknown key %s on line %d; the known keys are %s.",
				k.Value, k.Line, strings.Join(manifestKeys, ", ")))
		}
		return snapshot.Manifest{}, out
	}
	var raw rawManifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		fatal("", "", "The snapshot description (snapshot.yaml) cannot be read: "+yamlMessage(err))
		return snapshot.Manifest{}, out
	}
	m := snapshot.Manifest{APIVersion: raw.APIVersion, Kind: raw.Kind, Name: raw.Name, Title: norm.NFC.String(strings.TrimSpace(raw.Title)),
		AsOf: raw.AsOf, Tables: map[snapshot.Table]snapshot.TableSource{}, Aliases: map[string]map[string]string{}}
	if raw.APIVersion != "vungmanh/v1" {
		fatal("apiVersion", raw.APIVersion, `The snapshot description must say "apiVersion: vungmanh/v1".`)
	}
	if raw.Kind != "Snapshot" {
		fatal("kind", raw.Kind, `The snapshot description must say "kind: Snapshot".`)
	}
	if !nameRE.MatchString(raw.Name) {
		fatal("name", raw.Name, "The snapshot name must be 1 to 63 lower-case letters, digits or dashes, e.g. thai-binh.")
	}
	if _, err := time.Parse(time.DateOnly, raw.AsOf); err != nil {
		fatal("asOf", raw.AsOf, "The snapshot date (asOf) must be a date written YYYY-MM-DD, e.g. 2024-09-30.")
	}
	known := map[snapshot.Table]bool{}
	for _, t := range snapshot.Tables() {
		known[t] = true
	}
	for name, node := range raw.Tables {
		t := snapshot.Table(name)
		if !known[t] {
			out = append(out, snapshot.Finding{Code: snapshot.DQIgnored, Severity: snapshot.SeverityWarning, File: ManifestFile,
				Column: "tables", Value: clip(name), Message: "This table is not part of the snapshot format; it was ignored."})
			continue
		}
		var src rawSource
		switch node.Kind {
		case yaml.ScalarNode:
			src.Path = node.Value
		case yaml.MappingNode:
			if k := unknownOption(&node); k != nil {
				fatal("tables."+name, k.Value, fmt.Sprintf("The table %s has an unknown option %s on line %d; the options are %s.",
					name, k.Value, k.Line, strings.Join(sourceKeys, ", ")))
				continue
			}
			if err := node.Decode(&src); err != nil {
				fatal("tables."+name, "", "The reading options of this table cannot be understood: "+yamlMessage(err))
				continue
			}
		default:
			fatal("tables."+name, "", "A table must be given as a file name or as an object with a path.")
			continue
		}
		if msg := checkTablePath(src.Path); msg != "" {
			fatal("tables."+name, src.Path, msg)
			continue
		}
		enc := strings.ToLower(strings.TrimSpace(src.Encoding))
		switch enc {
		case "", "utf-8", "utf8":
			enc = ""
		case "utf-16", "utf16":
			enc = "utf-16"
		case "windows-1258", "cp1258":
			enc = "windows-1258"
		default:
			fatal("tables."+name+".encoding", src.Encoding, "The encoding must be utf-8, utf-16 or windows-1258.")
			continue
		}
		switch src.Delimiter {
		case "", ",", ";", "\t":
		default:
			fatal("tables."+name+".delimiter", src.Delimiter, `The delimiter must be ",", ";" or a tab.`)
			continue
		}
		m.Tables[t] = snapshot.TableSource{Path: src.Path, Encoding: enc, Delimiter: src.Delimiter, Sheet: src.Sheet}
	}
	if _, ok := m.Tables[snapshot.Units]; !ok && !slices.ContainsFunc(out, func(f snapshot.Finding) bool { return strings.HasPrefix(f.Column, "tables.units") }) {
		fatal("tables", "", "The snapshot must list the units table (tables: units: units.csv).")
	}
	for key, labels := range raw.Aliases {
		tbl, column, ok := strings.Cut(key, ".")
		if !ok {
			fatal("aliases", key, `Aliases must be given per column as "table.column", e.g. ratings.rating.`)
			continue
		}
		if !known[snapshot.Table(tbl)] {
			var tables []string
			for _, t := range snapshot.Tables() {
				tables = append(tables, string(t))
			}
			fatal("aliases", key, fmt.Sprintf("There is no table %s; the tables are %s.", tbl, strings.Join(tables, ", ")))
			continue
		}
		if columnSpec(snapshot.Table(tbl), column) == nil {
			var cols []string
			for _, c := range snapshot.Columns(snapshot.Table(tbl)) {
				cols = append(cols, c.Name)
			}
			fatal("aliases", key, fmt.Sprintf("The %s table has no column %s; its columns are %s.", tbl, column, strings.Join(cols, ", ")))
			continue
		}
		mm := make(map[string]string, len(labels))
		for k, v := range labels {
			mm[norm.NFC.String(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
		m.Aliases[key] = mm
	}
	return m, out
}

// checkTablePath returns a message when p is not a safe relative path of a
// known format.
func checkTablePath(p string) string {
	switch {
	case strings.TrimSpace(p) == "":
		return "The table has no file name."
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || (len(p) > 1 && p[1] == ':'):
		return "The table file must be given relative to snapshot.yaml, not as an absolute path."
	case strings.Contains(p, `\`):
		return `The table file name must use "/" between folders.`
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return `The table file must be inside the snapshot folder (".." is not allowed).`
		}
	}
	if path.Clean(p) != p {
		return "The table file name is not a clean path (remove ./ and doubled slashes)."
	}
	if _, _, ok := formatOf(p); !ok {
		return "The table file must end in .csv, .tsv, .parquet, .ndjson, .jsonl or .xlsx (optionally followed by .gz)."
	}
	return ""
}

type format int

const (
	fmtCSV format = iota
	fmtTSV
	fmtParquet
	fmtNDJSON
	fmtXLSX
)

func formatOf(p string) (format, bool, bool) {
	lower := strings.ToLower(p)
	gz := strings.HasSuffix(lower, ".gz")
	lower = strings.TrimSuffix(lower, ".gz")
	switch path.Ext(lower) {
	case ".csv":
		return fmtCSV, gz, true
	case ".tsv":
		return fmtTSV, gz, true
	case ".parquet":
		return fmtParquet, gz, true
	case ".ndjson", ".jsonl":
		return fmtNDJSON, gz, true
	case ".xlsx":
		return fmtXLSX, gz, true
	}
	return 0, false, false
}

func columnSpec(t snapshot.Table, name string) *snapshot.ColumnSpec {
	cols := snapshot.Columns(t)
	for i, c := range cols {
		if c.Name == name {
			return &cols[i]
		}
	}
	return nil
}

// clip shortens a value quoted in a finding.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
