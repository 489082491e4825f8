package report

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/collate"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Unit is one unit of the snapshot's hierarchy as the report site needs
// it: not part of report.json (the caller passes it in Inputs.Units).
// Kind is the export's free text ("xã", "phường", "thành phố"...).
type Unit struct {
	ID, Parent, Level, Name, Kind string
}

// counts are a target's result counts under one unit. NotEvaluated is
// Total minus the other statuses.
type counts struct {
	Total, Pass, Fail, Waived, Skipped, Error int32
}

func (c *counts) add(s checker.Status) {
	c.Total++
	switch s {
	case checker.StatusPass:
		c.Pass++
	case checker.StatusFail:
		c.Fail++
	case checker.StatusWaived:
		c.Waived++
	case checker.StatusSkipped:
		c.Skipped++
	case checker.StatusError:
		c.Error++
	}
}

// countsOf is the compact form of c.
func countsOf(c checker.Counts) counts {
	return counts{int32(c.Total), int32(c.Pass), int32(c.Fail), int32(c.Waived), int32(c.Skipped), int32(c.Error)}
}

// wide is c as checker.Counts (NotEvaluated: Total minus the others).
// merge adds o's counts to c.
func (c *counts) merge(o counts) {
	c.Total += o.Total
	c.Pass += o.Pass
	c.Fail += o.Fail
	c.Waived += o.Waived
	c.Skipped += o.Skipped
	c.Error += o.Error
}

func (c counts) wide() checker.Counts {
	return checker.Counts{Total: int(c.Total), Pass: int(c.Pass), Fail: int(c.Fail), Waived: int(c.Waived),
		Skipped: int(c.Skipped), Error: int(c.Error), NotEvaluated: c.notEvaluated()}
}

// evaluated is the denominator of a rate: the subjects with a verdict
// (neither skipped, nor an evaluation error, nor left out for bad data).
func (c counts) evaluated() int {
	return int(c.Pass + c.Fail + c.Waived)
}

func (c counts) notEvaluated() int {
	return int(c.Total - c.Pass - c.Fail - c.Waived - c.Skipped - c.Error)
}

// node is a unit of the site's tree. Its unit is the report's (an
// element of Report.Units: a national tree holds 600,000 nodes, and a copy
// of each unit's five texts in its node held 45 MB more while the files
// were rendered), or one of its own for a unit met only on a path.
type node struct {
	*Unit
	parent   *node
	children []*node
	depth    int
	// counts per target (index into Report.Targets); nil for a unit
	// without results below it or one the site does not count (a group).
	counts []counts
	// findings of the subjects whose page this is (indexes into
	// Report.Findings).
	findings []int
	page     bool // has a page of its own
	// label: the shown name of a counted unit (kind prefix, parent where
	// names collide); "" for the others. Read it with shown.
	label string
	file  string // page file, relative to the run folder
	// sorted: the children with results below them, in Vietnamese order
	// with numbers in natural order (Phường 2 before Phường 10), sorted
	// when the tree is built.
	sorted []*node
}

// shown is the name the site and the XLSX show for n: its label when the
// site counts it, else its display name, made when asked. A national tree
// has 629,000 units, most of them groups that no count shows and few
// pages name (a model's unit, a finding's path): their labels were some
// 40 MB held while the site rendered.
func (n *node) shown() string {
	if n.counts == nil {
		return displayName(*n.Unit)
	}
	return n.label
}

// unitName is the name the site and the XLSX show for unit id (node.shown),
// or id itself when it is no unit of the tree (t may be nil: no tree).
func (t *siteTree) unitName(id string) string {
	if t != nil {
		if n := t.nodes[id]; n != nil {
			return n.shown()
		}
	}
	return id
}

// pageLevels are the levels that get a page: a commune's page is the
// last one and lists the findings of everything below it.
func pageLevel(level string) bool {
	switch snapshot.Level(level) {
	case snapshot.LevelProvince, snapshot.LevelDistrict, snapshot.LevelCommune:
		return true
	}
	return false
}

// countedLevel: units whose counts are kept (the rows of a commune's
// matrix are its branches).
func countedLevel(level string) bool {
	return pageLevel(level) || level == string(snapshot.LevelBranch) || level == ""
}

// siteTree is the unit tree of a report with per-unit counts. It is the
// same in every language, and read only once built: the site's pages
// (rendered concurrently), the XLSX and summary.json share one.
type siteTree struct {
	root  *node // the root page's unit; a synthetic one when the snapshot has several roots
	nodes map[string]*node
}

// buildTree builds the tree from r.Units (or, without them, from the
// results' paths and the roll-ups' names), counts every result under each
// unit of its path and the subject itself, and gives each finding the
// page of the deepest page unit on its path.
func buildTree(r *Report) *siteTree {
	t := &siteTree{nodes: make(map[string]*node, len(r.Units))}
	// The nodes, in the order they are first met: the tree's later passes
	// walk this list rather than the map (a national snapshot has 600,000
	// units, and a map walk visits them in random memory order). The
	// units' nodes are allocated as one array, not one by one.
	all := make([]*node, 0, len(r.Units))
	slab := make([]node, len(r.Units))
	newNode := func(u *Unit) *node {
		var n *node
		if len(slab) > 0 {
			n, slab = &slab[0], slab[1:]
		} else {
			n = &node{}
		}
		n.Unit = u
		t.nodes[u.ID] = n
		all = append(all, n)
		return n
	}
	get := func(id string) *node {
		if n := t.nodes[id]; n != nil {
			return n
		}
		return newNode(&Unit{ID: id})
	}
	for i := range r.Units {
		u := &r.Units[i]
		if n := t.nodes[u.ID]; n != nil {
			n.Unit = u // an id listed twice: its last row, as before
		} else {
			newNode(u)
		}
	}
	derived := len(r.Units) == 0
	if derived {
		names := unitNames(r)
		for _, tg := range r.Targets {
			for _, u := range tg.ByUnit {
				n := get(u.UnitID)
				n.Level, n.Name = u.Level, u.Name
			}
		}
		for i := range r.Results {
			res := &r.Results[i]
			for k, id := range res.Path {
				n := get(id)
				if k > 0 && n.Parent == "" {
					n.Parent = res.Path[k-1]
				}
				n.Name = cmp.Or(n.Name, names[id])
			}
			if res.SubjectLevel != "model" {
				n := get(res.Subject)
				n.Level, n.Name = cmp.Or(n.Level, res.SubjectLevel), cmp.Or(n.Name, res.SubjectName)
				if len(res.Path) > 0 && n.Parent == "" {
					n.Parent = res.Path[len(res.Path)-1]
				}
			}
		}
	}
	var roots []*node
	// Siblings mostly come one after another: their parent is looked up
	// once for the run of them.
	var lastID string
	var last *node
	for _, n := range all {
		p := last
		if n.Parent != lastID || last == nil {
			p = t.nodes[n.Parent]
			lastID, last = n.Parent, p
		}
		if p != nil && p != n {
			n.parent = p
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	nt := len(r.Targets)
	ti := make(map[string]int, nt)
	for i, tg := range r.Targets {
		ti[tg.ID] = i
	}
	add := func(n *node, k int, s checker.Status) {
		if !countedLevel(n.Level) {
			return
		}
		if n.counts == nil {
			n.counts = make([]counts, nt)
		}
		n.counts[k].add(s)
	}
	// Results come sorted by target and subject: neighbours share most of
	// their path, whose nodes are looked up once (the path's ids are
	// compared, which is cheap when they share their bytes).
	var lastPath []string
	var lastNodes []*node
	for i := range r.Results {
		res := &r.Results[i]
		k, ok := ti[res.Target]
		if !ok {
			continue
		}
		for j, id := range res.Path {
			if j >= len(lastPath) || lastPath[j] != id {
				lastNodes = append(lastNodes[:j], get(id))
				lastPath = append(lastPath[:j], id)
			}
			add(lastNodes[j], k, res.Status)
		}
		if res.SubjectLevel != "model" {
			add(get(res.Subject), k, res.Status)
		}
	}
	// The findings' pages: the deepest page unit of subject and path.
	for i := range r.Findings {
		f := &r.Findings[i]
		var at *node
		if f.SubjectLevel != "model" {
			if n := t.nodes[f.Subject]; n != nil && pageLevel(n.Level) {
				at = n
			}
		}
		for k := len(f.Path) - 1; at == nil && k >= 0; k-- {
			if n := t.nodes[f.Path[k]]; n != nil && pageLevel(n.Level) {
				at = n
			}
		}
		if at != nil {
			at.findings = append(at.findings, i)
		}
	}
	// The root: the one root with results below it, else a synthetic
	// unit over all of them (a national snapshot of provinces).
	var counted []*node
	for _, n := range roots {
		if n.counts != nil {
			counted = append(counted, n)
		}
	}
	if len(counted) == 1 {
		t.root = counted[0]
	} else {
		t.root = &node{Unit: &Unit{Name: cmp.Or(r.Run.Snapshot.Title, r.Run.Snapshot.Name)}, children: counted,
			counts: make([]counts, nt), label: cmp.Or(r.Run.Snapshot.Title, r.Run.Snapshot.Name)}
		for _, c := range counted {
			c.parent = t.root
		}
		for k, tg := range r.Targets {
			t.root.counts[k] = countsOf(tg.Counts)
		}
	}
	t.label(all)
	t.files(all)
	t.sort(all)
	return t
}

// kindPrefixes are the words a unit's name may already start with.
var kindPrefixes = []string{"tỉnh", "thành phố", "tp", "tp.", "huyện", "quận", "thị xã", "xã", "phường", "thị trấn",
	"đặc khu", "chi hội", "tổ", "thôn", "tổ dân phố", "khu phố", "ấp", "bản", "làng", "xóm", "hội lhpn"}

// displayName is a unit's name with its kind in front when the name does
// not already carry it ("Đông Hưng" of kind "huyện": "Huyện Đông Hưng").
// The kind is the export's; without one the name stands alone, since the
// level alone cannot tell a city from a district.
func displayName(u Unit) string {
	name := strings.TrimSpace(u.Name)
	if name == "" {
		return u.ID
	}
	kind := strings.TrimSpace(u.Kind)
	if kind == "" {
		return name
	}
	// The name and kind in lower case, as strings.ToLower writes them (a
	// rune at a time, unicode.ToLower), on the stack: a name only needs
	// its start, as far as the longest word it is compared with and the
	// space after it. Every unit of a national tree passes here, and
	// strings.ToLower allocated twice for each (TestDisplayNameAsBefore).
	var kb, nb [48]byte
	lowKind := appendLower(kb[:0], kind, -1)
	low := appendLower(nb[:0], name, max(len(lowKind), longestKindPrefix)+1)
	if hasWord(low, lowKind) || slices.ContainsFunc(kindPrefixes, func(p string) bool { return hasWord(low, []byte(p)) }) {
		return name
	}
	return capitalise(kind) + " " + name
}

// longestKindPrefix is the length of the longest of kindPrefixes.
var longestKindPrefix = len(slices.MaxFunc(kindPrefixes, func(a, b string) int { return cmp.Compare(len(a), len(b)) }))

// appendLower appends s in lower case to dst as strings.ToLower writes it:
// each rune (an invalid byte read as utf8.RuneError) as unicode.ToLower
// maps it. With limit >= 0 it stops once dst holds limit bytes or more.
func appendLower(dst []byte, s string, limit int) []byte {
	for _, c := range s {
		if limit >= 0 && len(dst) >= limit {
			break
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(c))
	}
	return dst
}

// hasWord tells whether s starts with the word w followed by a space.
func hasWord(s, w []byte) bool {
	return len(s) > len(w) && s[len(w)] == ' ' && bytes.HasPrefix(s, w)
}

func capitalise(s string) string {
	for i, r := range s {
		if i == 0 {
			return strings.ToUpper(string(r)) + s[len(string(r)):]
		}
	}
	return s
}

// label gives every counted unit its shown label: its display name, with
// its parent's name where two units of the tree share one ("Huyện Châu
// Thành (Tiền Giang)"), and its id where that still collides. The others
// keep no label: shown makes theirs when asked.
func (t *siteTree) label(all []*node) {
	// Pages' units collide across the whole tree (a national list of
	// worst units); branches only among their commune's.
	type labelKey struct{ parent, label string }
	// first: the first unit of each label; shared: the units of the
	// labels met more than once (a list per label, not per unit: most
	// labels are met once).
	first := make(map[labelKey]*node, len(all))
	shared := map[labelKey][]*node{}
	for _, n := range all {
		if n.counts == nil {
			continue // its label is its display name (shown)
		}
		n.label = displayName(*n.Unit)
		key := labelKey{label: n.label}
		if !pageLevel(n.Level) {
			key.parent = n.Parent
		}
		if f, ok := first[key]; !ok {
			first[key] = n
		} else if ns, ok := shared[key]; ok {
			shared[key] = append(ns, n)
		} else {
			shared[key] = []*node{f, n}
		}
	}
	for _, ns := range shared {
		again := map[string]int{}
		for _, n := range ns {
			if n.parent != nil && n.parent.Name != "" {
				n.label += " (" + n.parent.Name + ")"
			}
			again[n.label]++
		}
		for _, n := range ns {
			if again[n.label] > 1 {
				n.label += " [" + n.ID + "]"
			}
		}
	}
}

// plainFile is a unit id that can be a file name as it is.
var plainFile = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)

// PageFile returns the page of unit id in the run folder: units/<id>.html
// when the id is a safe file name, else units/_<16 hex of sha256(id)>.html
// (ids come from exports and may hold "/", ".." or markup). The same id
// gives the same file in every run. folded ids: the ids whose lower case
// is shared by another unit's (a case-insensitive file system would mix
// their pages), which are hashed too.
func PageFile(id string, folded bool) string {
	if plainFile.MatchString(id) && !folded {
		return "units/" + id + ".html"
	}
	sum := sha256.Sum256([]byte(id))
	return "units/_" + hex.EncodeToString(sum[:8]) + ".html"
}

// files marks the units that get a page and names their files.
func (t *siteTree) files(all []*node) {
	fold := map[string]int{}
	for _, n := range all {
		if n.counts != nil && pageLevel(n.Level) {
			fold[strings.ToLower(n.ID)]++
		}
	}
	for _, n := range all {
		if n.counts != nil && pageLevel(n.Level) && n != t.root {
			n.page = true
			n.file = PageFile(n.ID, fold[strings.ToLower(n.ID)] > 1)
		}
	}
	t.root.page = true
	t.root.file = HTMLName
}

// sort sorts every unit's children with results below them (n.sorted),
// with one collator: a collator is not safe for concurrent use, and the
// tree is read only once built.
func (t *siteTree) sort(all []*node) {
	col := newCollator()
	var buf collate.Buffer
	var keys []keyedNode
	for _, n := range all {
		keys = t.sortChildren(col, &buf, keys, n)
	}
	if t.nodes[t.root.ID] != t.root {
		t.sortChildren(col, &buf, keys, t.root) // the synthetic root
	}
}

// keyedNode is a node with the collation key of its label.
type keyedNode struct {
	key []byte
	n   *node
}

// sortChildren sets n.sorted; keys is scratch space, returned for the next
// call.
func (t *siteTree) sortChildren(col *collate.Collator, buf *collate.Buffer, keys []keyedNode, n *node) []keyedNode {
	n.sorted = nil
	for _, c := range n.children {
		if c.counts != nil {
			n.sorted = append(n.sorted, c)
		}
	}
	return sortByLabel(col, buf, keys, n.sorted)
}

// sortByLabel sorts nodes (counted ones, whose label is set) in Vietnamese
// order of their labels, numbers in natural order, then by id: the order
// of col.CompareString on the labels (TestSortByLabelAsCompareString), by
// their collation keys, each computed once instead of the two labels'
// weights at every comparison of the sort (most of the time of buildTree at
// national scale). keys is scratch space, returned for the next call.
func sortByLabel(col *collate.Collator, buf *collate.Buffer, keys []keyedNode, nodes []*node) []keyedNode {
	if len(nodes) < 2 {
		return keys
	}
	buf.Reset()
	keys = keys[:0]
	for _, c := range nodes {
		keys = append(keys, keyedNode{col.KeyFromString(buf, c.label), c})
	}
	slices.SortFunc(keys, func(a, b keyedNode) int {
		if c := bytes.Compare(a.key, b.key); c != 0 {
			return c
		}
		// Equal keys: CompareString orders such labels by their bytes
		// (unless the collator ignores that level), then by id.
		return cmp.Or(col.CompareString(a.n.label, b.n.label), cmp.Compare(a.n.ID, b.n.ID))
	})
	for i := range keys {
		nodes[i] = keys[i].n
	}
	return keys
}

// pages returns the units with a page in the site's order: the root
// first, then depth first, children in Vietnamese order.
func (t *siteTree) pages() []*node {
	var out []*node
	var walk func(n *node)
	walk = func(n *node) {
		out = append(out, n)
		for _, c := range n.sorted {
			if c.page {
				walk(c)
			}
		}
	}
	walk(t.root)
	return out
}

// link returns the relative link from page file from to page file to.
func link(from, to string) string {
	fromUnits := strings.HasPrefix(from, "units/")
	toUnits := strings.HasPrefix(to, "units/")
	switch {
	case fromUnits && toUnits:
		return strings.TrimPrefix(to, "units/")
	case fromUnits:
		return "../" + to
	}
	return to
}
