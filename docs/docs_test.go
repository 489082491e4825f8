// Package docs_test keeps the Markdown of the repository honest: every link
// points at a file of the repository (and at a heading of it), and the
// snapshot format names every column the loaders read.
package docs_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/vungmanh/vungmanh/internal/report"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// repoRoot is the repository's top folder, seen from this package.
const repoRoot = ".."

// markdownFiles lists every .md file of the repository, relative to its root.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, err := filepath.Rel(repoRoot, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found only %d Markdown files (%v): is repoRoot right?", len(files), files)
	}
	return files
}

// mdLine is one line of a Markdown file outside fenced code blocks, with
// its 1-based number and its inline code spans blanked.
type mdLine struct {
	n    int
	text string // inline code removed
	raw  string // as written
}

var codeSpan = regexp.MustCompile("`+[^`]*`+")

func proseLines(src string) []mdLine {
	var out []mdLine
	fence := ""
	for i, l := range strings.Split(src, "\n") {
		trim := strings.TrimSpace(l)
		if fence != "" {
			if strings.HasPrefix(trim, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			fence = trim[:3]
			continue
		}
		out = append(out, mdLine{n: i + 1, text: codeSpan.ReplaceAllString(l, "``"), raw: l})
	}
	return out
}

var (
	heading   = regexp.MustCompile(`^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	htmlID    = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	mdLinkTxt = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	// inlineLink matches [text](target) and ![alt](target); refDef matches
	// a reference definition "[label]: target".
	inlineLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refDef     = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	scheme     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// slug is GitHub's anchor of a heading: its text without Markdown syntax,
// lower-cased, every character that is not a letter, digit, mark, space, -
// or _ removed, and each space made a hyphen.
func slug(h string) string {
	h = mdLinkTxt.ReplaceAllString(h, "$1")
	h = strings.NewReplacer("`", "", "*", "", "~~", "").Replace(h)
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns the anchors GitHub makes for a Markdown file: one per
// heading (a repeated one gets -1, -2, ...) and one per <a id="...">.
func anchors(src string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range proseLines(src) {
		for _, m := range htmlID.FindAllStringSubmatch(l.raw, -1) {
			out[m[1]] = true
		}
		m := heading.FindStringSubmatch(l.raw)
		if m == nil {
			continue
		}
		s := slug(m[2])
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Manifest: `snapshot.yaml`", "manifest-snapshotyaml"},
		{"Tham số / Params (`--params params.yaml`)", "tham-số--params---params-paramsyaml"},
		{"Unit versions: before and after the 1 July 2025 reform", "unit-versions-before-and-after-the-1-july-2025-reform"},
		{"See [the format](snapshot-format.md) now", "see-the-format-now"},
	} {
		if got := slug(tc.in); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMarkdownLinks fails on a link of any Markdown file of the repository
// that leaves the repository, points at a missing file, or at a missing
// heading; and on a mention of the team's shared folder, which a clone does
// not have.
func TestMarkdownLinks(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	anchorCache := map[string]map[string]bool{}
	anchorsOf := func(rel string) map[string]bool {
		if a, ok := anchorCache[rel]; ok {
			return a
		}
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		anchorCache[rel] = anchors(string(b))
		return anchorCache[rel]
	}
	shared := regexp.MustCompile(`\.\./shared/|(^|[^a-z/.])spec/(snapshot|policies|reports|cli)\.md`)
	links := 0
	for _, file := range markdownFiles(t) {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range proseLines(string(b)) {
			if shared.MatchString(l.raw) {
				t.Errorf("%s:%d: names the team's shared folder or its spec, which a clone does not have: %s", file, l.n, strings.TrimSpace(l.raw))
			}
			var targets []string
			for _, m := range inlineLink.FindAllStringSubmatch(l.text, -1) {
				targets = append(targets, m[1])
			}
			if m := refDef.FindStringSubmatch(l.text); m != nil {
				targets = append(targets, m[1])
			}
			for _, target := range targets {
				links++
				if msg := checkLink(root, file, target, anchorsOf); msg != "" {
					t.Errorf("%s:%d: link %q %s", file, l.n, target, msg)
				}
			}
		}
	}
	if links < 10 {
		t.Fatalf("found only %d links: is the link pattern right?", links)
	}
}

// checkLink returns why target, a link written in file, is broken, or "".
func checkLink(root, file, target string, anchorsOf func(string) map[string]bool) string {
	if scheme.MatchString(target) {
		if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "mailto:") {
			return ""
		}
		return "uses a scheme a reader of the repository cannot follow"
	}
	p, frag, _ := strings.Cut(target, "#")
	rel := file
	if p != "" {
		if strings.HasPrefix(p, "/") {
			return "is absolute: write it relative to the file"
		}
		rel = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(file), p)))
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return "leaves the repository"
		}
		if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
			return "points at a file that does not exist"
		}
	}
	if frag == "" {
		return ""
	}
	if !strings.HasSuffix(rel, ".md") {
		return "has an #anchor into a file that is not Markdown"
	}
	if !anchorsOf(rel)[frag] {
		return fmt.Sprintf("points at #%s, which is no heading of %s", frag, rel)
	}
	return ""
}

// TestCheckLink proves that checkLink can fail: each broken kind of link is
// caught.
func TestCheckLink(t *testing.T) {
	root, _ := filepath.Abs(repoRoot)
	anchorsOf := func(rel string) map[string]bool {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return anchors(string(b))
	}
	for _, tc := range []struct {
		file, target string
		ok           bool
	}{
		{"README.md", "docs/snapshot-format.md", true},
		{"README.md", "docs/snapshot-format.md#tables", true},
		{"docs/policy-input.md", "#sandbox", true},
		{"docs/policy-input.md", "https://www.openpolicyagent.org/docs", true},
		{"docs/policy-input.md", "../../shared/spec/policies.md", false},
		{"README.md", "spec/snapshot.md", false},
		{"README.md", "docs/snapshot-format.md#no-such-heading", false},
		{"README.md", "/etc/passwd", false},
		{"README.md", "file:///etc/passwd", false},
	} {
		msg := checkLink(root, tc.file, tc.target, anchorsOf)
		if (msg == "") != tc.ok {
			t.Errorf("checkLink(%s, %s) = %q, want ok=%v", tc.file, tc.target, msg, tc.ok)
		}
	}
}

// docTables reads the tables of docs/snapshot-format.md: for each "###
// <table>" heading under "## Tables", the rows of its column table by
// column name, each as its cells.
func docTables(t *testing.T) map[string]map[string][]string {
	t.Helper()
	b, err := os.ReadFile("snapshot-format.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string][]string{}
	inTables, table := false, ""
	for _, l := range proseLines(string(b)) {
		if m := heading.FindStringSubmatch(l.raw); m != nil {
			switch len(m[1]) {
			case 1, 2:
				inTables, table = m[2] == "Tables", ""
			case 3:
				if inTables {
					table = m[2]
					out[table] = map[string][]string{}
				}
			}
			continue
		}
		if table == "" || !strings.HasPrefix(l.raw, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(l.raw), "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) < 3 || cells[0] == "column" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		out[table][cells[0]] = cells
	}
	return out
}

// TestSnapshotDocNamesEveryColumn fails when docs/snapshot-format.md and
// internal/snapshot disagree: every column the loaders read is a row of its
// table's section, bold when required, with its type, and every enum value.
func TestSnapshotDocNamesEveryColumn(t *testing.T) {
	doc := docTables(t)
	for _, tbl := range snapshot.Tables() {
		rows, ok := doc[string(tbl)]
		if !ok {
			t.Errorf("docs/snapshot-format.md has no section \"### %s\" under \"## Tables\"", tbl)
			continue
		}
		for _, c := range snapshot.Columns(tbl) {
			name := c.Name
			if c.Required {
				name = "**" + c.Name + "**"
			}
			cells, ok := rows[name]
			if !ok {
				other := "**" + c.Name + "**"
				if c.Required {
					other = c.Name
				}
				if _, wrong := rows[other]; wrong {
					t.Errorf("%s.%s: required=%v in internal/snapshot, but the doc writes it as %s", tbl, c.Name, c.Required, other)
				} else {
					t.Errorf("%s.%s is read by the loaders but is no row of the doc's %s table", tbl, c.Name, tbl)
				}
				continue
			}
			typ := cells[1]
			want := string(c.Kind)
			if first := strings.FieldsFunc(typ, func(r rune) bool { return !unicode.IsLetter(r) }); len(first) == 0 || first[0] != want {
				t.Errorf("%s.%s: the doc's type %q does not start with %q", tbl, c.Name, typ, want)
			}
			for _, v := range snapshot.EnumValues(c.Enum) {
				if !strings.Contains(typ, "`"+v+"`") {
					t.Errorf("%s.%s: enum value %q is missing from the doc's type %q", tbl, c.Name, v, typ)
				}
			}
		}
	}
}

// TestReportsDocNamesEveryParquetColumn fails when docs/reports.md's
// results.parquet table and the file's schema (report.ParquetSchema)
// disagree: every column is named in the table's first cell, and the
// table names no column the file does not have.
func TestReportsDocNamesEveryParquetColumn(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "reports.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## `results.parquet`\n")
	if !ok {
		t.Fatal("docs/reports.md has no section \"## `results.parquet`\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	named := map[string]bool{}
	code := regexp.MustCompile("`([a-z_]+)`")
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			named[m[1]] = true
		}
	}
	columns := map[string]bool{}
	for _, f := range report.ParquetSchema().Fields() {
		columns[f.Name] = true
		if !named[f.Name] {
			t.Errorf("results.parquet has a column %s that docs/reports.md's table does not name", f.Name)
		}
	}
	for name := range named {
		if !columns[name] {
			t.Errorf("docs/reports.md's results.parquet table names %s, which is no column of the file", name)
		}
	}
}
