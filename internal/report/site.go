package report

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
)

//go:embed site.html.tmpl
var siteSource string

var siteTemplate = template.Must(template.New("site").Parse(siteSource))

// Goal is what data.params may give a target: a rate to reach (0..1) by a
// date (YYYY-MM-DD). Cards show the pace it needs.
type Goal struct {
	Rate     float64
	Deadline string
}

// pageView is one page of the site.
type pageView struct {
	L               Lang
	Title           string
	Unit, Kind      string
	Crumbs          []crumb
	Province        string
	AsOf, RunTime   string
	RunID           string
	Root            bool
	Stopped         bool
	Overall         string
	OverallWidth    string // percent, one decimal
	Summary         []kv
	PoliciesChanged bool
	Matrix          matrixView
	Cards           []card
	CardsHTML       template.HTML // Cards' HTML (cardsBody)
	Groups          []findingGroup
	WaiversApplied  string
	WaiversExpired  []waiverRow
	WaiversUnused   []waiverRow
	DQ              []kv
	DQRows          []dqRow
	DQList          []dqLine
	Models          modelsView
}

type crumb struct{ Label, Href string }

// matrixView is the table of child units × targets.
type matrixView struct {
	Label   string
	Targets []matrixHead
	Rows    []matrixRow
	Body    template.HTML // Rows' HTML (matrixBody)
}

type matrixHead struct{ ID, Title string }

type matrixRow struct {
	Name, Kind, Href string
	Cells            []matrixCell
}

type matrixCell struct{ Pct, Count, Class string }

type findingGroup struct {
	ID, Title, Count, More string
	Rows                   []findingRow
	Body                   template.HTML // Rows' HTML (findingsBody)
}

// Site renders the report site: report.html for the root unit and
// units/<file>.html for every other unit with subjects below it (province,
// district, commune; see PageFile), file name -> bytes. Every page is
// self-contained (inline CSS, an inline SVG per trend, a small inline
// script for the filter box) and links relatively.
func Site(r *Report, lang Lang) (map[string][]byte, error) {
	out := map[string][]byte{}
	var mu sync.Mutex
	err := SiteTo(r, lang, func(name string, page []byte) error {
		mu.Lock()
		defer mu.Unlock()
		out[name] = page
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SiteTo renders the site as Site does, handing each page to emit as soon
// as it is rendered. The pages are rendered GOMAXPROCS at a time, so emit
// may be called from several goroutines at once; each page is let go once
// emit returns. The error returned is the first in the site's order (root
// first, then depth first), after every renderer has stopped.
func SiteTo(r *Report, lang Lang, emit Emit) error {
	if r.Run.Status == StatusStopped {
		return siteTo(r, lang, nil, emit)
	}
	return siteTo(r, lang, buildTree(r), emit)
}

// siteTo is SiteTo on r's tree t (nil for a stopped run, whose site is its
// one page).
func siteTo(r *Report, lang Lang, t *siteTree, emit Emit) error {
	if r.Run.Status == StatusStopped {
		page, err := stoppedPage(r, lang)
		if err != nil {
			return err
		}
		return emit(HTMLName, page)
	}
	s := newSiteRender(r, lang, t)
	pages := t.pages()
	errs := make([]error, len(pages))
	var failed atomic.Bool
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, n := range pages {
		if failed.Load() {
			break
		}
		g.Go(func() error {
			page, err := s.page(n)
			if err == nil {
				err = emit(n.file, page)
			}
			if err != nil {
				errs[i] = err
				failed.Store(true)
			}
			return nil
		})
	}
	_ = g.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// newSiteRender prepares what every page of r's site reads, from r's tree
// t. The siteRender is read only afterwards: pages render concurrently.
func newSiteRender(r *Report, lang Lang, t *siteTree) *siteRender {
	s := &siteRender{r: r, lang: lang, t: t, why: newReasons(lang, r, nil), loc: r.Location}
	s.why.label = t.unitName
	s.why.index()
	s.kinds = map[string]string{}
	for _, n := range t.nodes {
		if _, ok := s.kinds[n.Kind]; !ok && n.Kind != "" && utf8.ValidString(n.Kind) {
			s.kinds[n.Kind] = capitalise(n.Kind)
		}
	}
	s.head = pageView{
		L: lang, Title: lang.T("doc_title"), Province: cmp.Or(r.Run.Snapshot.Title, r.Run.Snapshot.Name),
		AsOf: lang.Date(r.Run.Snapshot.AsOf), RunTime: lang.DateTimeIn(r.Run.FinishedAt, s.loc), RunID: r.Run.ID,
		PoliciesChanged: r.Delta != nil && r.Delta.PoliciesChanged,
	}
	return s
}

// HTML renders the root page of the site, report.html, alone.
func HTML(r *Report, lang Lang) ([]byte, error) {
	if r.Run.Status == StatusStopped {
		return stoppedPage(r, lang)
	}
	s := newSiteRender(r, lang, buildTree(r))
	return s.page(s.t.root)
}

type siteRender struct {
	r    *Report
	lang Lang
	t    *siteTree
	why  *reasons
	loc  *time.Location
	// head: what every page shows the same (the run time's zone is
	// looked up once, not per page).
	head pageView
	// kinds: the units' kinds capitalised (kindLabel), once per kind
	// rather than once per row of every page. Kinds that are not valid
	// UTF-8 are left to capitalise at each use, as before.
	kinds map[string]string
}

// nameOf is the shown label of the unit id ("" for an id that is no unit
// of the tree), for the models table, which names those otherwise: read
// from the tree, not copied into a map of its own (a national tree's
// 629,000 labels were a second map of 40 MB while the site rendered). A
// unit's label is never "": without a name it is the unit's id.
func (s *siteRender) nameOf(id string) string {
	if n := s.t.nodes[id]; n != nil {
		return n.shown()
	}
	return ""
}

func (s *siteRender) kindLabel(n *node) string {
	if n.Kind != "" {
		if k, ok := s.kinds[n.Kind]; ok {
			return k
		}
		return capitalise(n.Kind)
	}
	if n.Level == "" {
		return ""
	}
	return s.lang.T("level_" + n.Level)
}

// page renders n's page: the root's by the template, any other by
// writeUnitPage.
func (s *siteRender) page(n *node) ([]byte, error) {
	v, err := s.view(n)
	if err != nil {
		return nil, err
	}
	if n != s.t.root {
		return writePage(&v), nil
	}
	return templatePage(&v, n.file)
}

// view is what n's page shows.
func (s *siteRender) view(n *node) (pageView, error) {
	r, lang := s.r, s.lang
	v := s.head
	v.Unit, v.Kind, v.Root = n.shown(), s.kindLabel(n), n == s.t.root
	if n == s.t.root {
		v.Kind = ""
	}
	// Breadcrumbs: the root page, then each ancestor with a page.
	var up []*node
	for p := n.parent; p != nil; p = p.parent {
		if p.page {
			up = append(up, p)
		}
	}
	for i := len(up) - 1; i >= 0; i-- {
		v.Crumbs = append(v.Crumbs, crumb{up[i].shown(), link(n.file, up[i].file)})
	}
	var pass, eligible int
	var tot counts
	for _, c := range n.counts {
		pass += int(c.Pass)
		eligible += c.evaluated()
		tot.merge(c)
	}
	ov := ratio(pass, eligible)
	v.Overall, v.OverallWidth = lang.Percent(ov), width(100*ov)
	if eligible == 0 {
		v.Overall = "–"
	}
	for _, x := range []struct {
		k     string
		n     int
		class string
	}{{"subjects", int(tot.Total), ""}, {"pass", int(tot.Pass), "good"}, {"fail", int(tot.Fail), "bad"},
		{"waived", int(tot.Waived), ""}, {"skipped", int(tot.Skipped), ""}, {"error", int(tot.Error), "err"},
		{"not_evaluated", tot.notEvaluated(), ""}} {
		if x.n > 0 || x.k == "subjects" || x.k == "pass" || x.k == "fail" {
			v.Summary = append(v.Summary, kv{lang.T(x.k), lang.Int(x.n), x.class})
		}
	}
	children := n.sorted
	v.Matrix = s.matrix(n, children)
	for k, tg := range r.Targets {
		if n.counts[k].Total == 0 {
			continue
		}
		v.Cards = append(v.Cards, s.card(n, k, tg, children))
	}
	v.Groups = s.findings(n)
	if n == s.t.root {
		if err := s.rootSections(&v); err != nil {
			return v, fmt.Errorf("render %s: %w", n.file, err)
		}
	}
	return v, nil
}

// templatePage renders v, the page of file, by site.html.tmpl, its lists
// written in Go first (matrixBody, cardsBody, findingsBody).
func templatePage(v *pageView, file string) ([]byte, error) {
	v.Matrix.Body = matrixBody(v.Matrix.Rows)
	v.CardsHTML = cardsBody(v.Cards, v.L)
	for i := range v.Groups {
		v.Groups[i].Body = findingsBody(v.Groups[i].Rows)
	}
	var buf bytes.Buffer
	buf.Grow(32 << 10)
	if err := siteTemplate.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("render %s: %w", file, err)
	}
	return buf.Bytes(), nil
}

// pageWriters are the writers of unit pages, reused from page to page: a
// page is written into one (grown once to the size of the largest pages)
// and copied out at its size, where a new writer per page grew by doubling
// from nothing at every page.
var pageWriters = sync.Pool{New: func() any { w := new(htmlWriter); w.Grow(64 << 10); return w }}

// writePage writes the unit page v (writeUnitPage) and returns its bytes,
// which are the caller's.
func writePage(v *pageView) []byte {
	w := pageWriters.Get().(*htmlWriter)
	w.Reset()
	writeUnitPage(w, v)
	page := bytes.Clone(w.Bytes())
	if w.Cap() <= 4<<20 { // a writer grown by an outsized page is let go
		pageWriters.Put(w)
	}
	return page
}

func (s *siteRender) matrix(n *node, children []*node) matrixView {
	lang := s.lang
	var m matrixView
	if len(children) == 0 {
		return m
	}
	var cols []int
	for k, tg := range s.r.Targets {
		// A column per target with results below a child (a commune's
		// own targets have none below its branches).
		if slices.ContainsFunc(children, func(c *node) bool { return c.counts[k].Total > 0 }) {
			cols = append(cols, k)
			title := tg.Title
			if lang == English && tg.TitleEn != "" {
				title = tg.TitleEn
			}
			m.Targets = append(m.Targets, matrixHead{tg.ID, title})
		}
	}
	m.Label = lang.T("by_child")
	m.Rows = make([]matrixRow, 0, len(children))
	// The rows' cells in one array.
	cells := make([]matrixCell, 0, len(children)*len(cols))
	for _, c := range children {
		row := matrixRow{Name: c.shown(), Kind: s.kindLabel(c), Cells: cells[len(cells) : len(cells) : len(cells)+len(cols)]}
		if c.page {
			row.Href = link(n.file, c.file)
		}
		for _, k := range cols {
			cc := c.counts[k]
			ev := cc.evaluated()
			switch {
			case cc.Total == 0:
				row.Cells = append(row.Cells, matrixCell{Pct: "", Count: "", Class: "none"})
			case ev == 0:
				cl := "na"
				if cc.Error > 0 {
					cl = "err"
				}
				row.Cells = append(row.Cells, matrixCell{Pct: "–", Count: "0/0", Class: cl})
			default:
				rt := ratio(int(cc.Pass), ev)
				row.Cells = append(row.Cells, matrixCell{Pct: lang.Percent(rt), Count: lang.fraction(int(cc.Pass), ev),
					Class: ratioClass(rt, ev)})
			}
		}
		cells = cells[:len(cells)+len(cols)]
		m.Rows = append(m.Rows, row)
	}
	return m
}

// card builds the card of target k at unit n.
func (s *siteRender) card(n *node, k int, t TargetSummary, children []*node) card {
	lang := s.lang
	c := n.counts[k]
	el := c.evaluated()
	rt := ratio(int(c.Pass), el)
	cd := card{
		ID: t.ID, Title: t.Title, Description: t.Description,
		Pass: lang.Int(int(c.Pass)), Eligible: lang.Int(el), Pct: lang.Percent(rt),
		Width: width(100 * rt), Class: ratioClass(rt, el),
		Severity: lang.T("severity_" + cmp.Or(t.Severity, "medium")),
	}
	if lang == English && t.TitleEn != "" {
		cd.Title = t.TitleEn
	}
	if el == 0 {
		cd.Pct = "–"
	}
	if c.Error > 0 {
		cd.Errors = fmt.Sprintf(lang.T("errors_apart"), lang.Int(int(c.Error)), lang.Percent(ratio(int(c.Error), el+int(c.Error))))
	}
	if ne := c.notEvaluated(); ne > 0 {
		cd.NotEvaluated = fmt.Sprintf(lang.T("not_evaluated_apart"), lang.Int(ne))
	}
	// The trend: earlier as_of dates, then now.
	unit := n.ID
	if n == s.t.root {
		unit = ""
	}
	var pts []trendPoint
	for _, h := range s.r.History {
		if hc, ok := h.countsAcross(t.ID, unit, s.r.Lineage); ok && hc.evaluated() > 0 {
			pts = append(pts, trendPoint{h.AsOf, ratio(int(hc.Pass), hc.evaluated()), int(hc.Pass)})
		}
	}
	var prevPass *int
	if n == s.t.root && s.r.Delta != nil {
		for _, d := range s.r.Delta.ByTarget {
			if d.ID == t.ID {
				prevPass = &d.PassBefore
			}
		}
	} else if len(pts) > 0 {
		prevPass = &pts[len(pts)-1].pass
	}
	switch {
	case prevPass == nil:
		cd.Change, cd.ChangeClass = lang.T("no_previous"), "na"
	default:
		d := int(c.Pass) - *prevPass
		switch {
		case d > 0:
			cd.Change, cd.ChangeClass = "▲ +"+lang.Int(d), "good"
		case d < 0:
			cd.Change, cd.ChangeClass = "▼ "+lang.Int(d), "bad"
		default:
			cd.Change, cd.ChangeClass = "= "+lang.T("unchanged"), "na"
		}
	}
	if el > 0 {
		pts = append(pts, trendPoint{s.r.Run.Snapshot.AsOf, rt, int(c.Pass)})
	}
	if len(pts) >= 2 {
		cd.Trend = trendLine(pts)
		cd.TrendFrom = lang.Date(pts[0].asOf) + ": " + lang.Percent(pts[0].rate)
		cd.TrendTo = lang.Date(pts[len(pts)-1].asOf) + ": " + lang.Percent(pts[len(pts)-1].rate)
		cd.TrendCount = fmt.Sprintf(lang.T("trend_points"), lang.Int(len(pts)))
	}
	if g, ok := s.r.Goals[t.ID]; ok && el > 0 {
		cd.Pace, cd.PaceClass = pace(lang, g, s.r.Run.Snapshot.AsOf, rt, pts)
	}
	// Units needing attention: the children with the lowest rates.
	var worst []*node
	for _, ch := range children {
		if cc := ch.counts[k]; cc.Fail+cc.Error > 0 {
			worst = append(worst, ch)
		}
	}
	slices.SortStableFunc(worst, func(a, b *node) int {
		ca, cb := a.counts[k], b.counts[k]
		return cmp.Or(cmp.Compare(ratio(int(ca.Pass), ca.evaluated()), ratio(int(cb.Pass), cb.evaluated())),
			cmp.Compare(cb.Fail+cb.Error, ca.Fail+ca.Error))
	})
	for _, w := range worst[:min(len(worst), WorstUnitsPerTarget)] {
		wc := w.counts[k]
		ev := wc.evaluated()
		row := worstRow{Name: w.shown(), Level: s.kindLabel(w), Value: lang.fraction(int(wc.Pass), ev),
			Pct: lang.Percent(ratio(int(wc.Pass), ev))}
		if ev == 0 {
			row.Pct = "–"
		}
		if w.page {
			row.Href = link(n.file, w.file)
		}
		cd.Worst = append(cd.Worst, row)
	}
	return cd
}

// findings groups the findings of the unit's own subjects by target.
func (s *siteRender) findings(n *node) []findingGroup {
	lang := s.lang
	var groups []findingGroup
	byTarget := map[string]int{}
	// Subjects shown by name; an id only where two subjects of the page
	// share their shown text.
	// first: the first subject of each shown text; shared: the texts
	// shown for two subjects or more (a map of subjects per text before).
	shown := make([]string, len(n.findings))
	first := make(map[string]string, len(n.findings))
	shared := map[string]bool{}
	for i, fi := range n.findings {
		f := &s.r.Findings[fi]
		shown[i] = s.subjectText(f)
		if subj, ok := first[shown[i]]; !ok {
			first[shown[i]] = f.Subject
		} else if subj != f.Subject {
			shared[shown[i]] = true
		}
	}
	for i, fi := range n.findings {
		f := &s.r.Findings[fi]
		g, ok := byTarget[f.Target]
		if !ok {
			g = len(groups)
			byTarget[f.Target] = g
			title := f.Target
			for _, t := range s.r.Targets {
				if t.ID == f.Target {
					title = t.Title
					if lang == English && t.TitleEn != "" {
						title = t.TitleEn
					}
				}
			}
			groups = append(groups, findingGroup{ID: f.Target, Title: title})
		}
		grp := &groups[g]
		if len(grp.Rows) == HTMLFindingsPerTarget {
			grp.More = "x" // counted below
			continue
		}
		subj := shown[i]
		if shared[subj] {
			subj += " (" + f.Subject + ")"
		}
		grp.Rows = append(grp.Rows, findingRow{
			Subject: subj, Path: s.pathText(n, f), Status: lang.T(string(f.Status)), StatusClass: statusClass(f.Status),
			Messages: findingMessages(*f, lang, s.why),
		})
	}
	for i := range groups {
		total := 0
		for _, fi := range n.findings {
			if s.r.Findings[fi].Target == groups[i].ID {
				total++
			}
		}
		groups[i].Count = lang.Int(total)
		if groups[i].More != "" {
			groups[i].More = fmt.Sprintf(lang.T("more_findings"), lang.Int(total-len(groups[i].Rows)))
		}
	}
	return groups
}

// subjectText names a finding's subject: a unit by its label, a model by
// its name and the unit that built it.
func (s *siteRender) subjectText(f *Finding) string {
	if f.SubjectLevel == "model" {
		name := cmp.Or(f.SubjectName, f.Subject)
		if len(f.Path) > 0 {
			if u := s.t.nodes[f.Path[len(f.Path)-1]]; u != nil {
				return name + " · " + u.shown()
			}
		}
		return name
	}
	if u := s.t.nodes[f.Subject]; u != nil {
		return u.shown()
	}
	return cmp.Or(f.SubjectName, f.Subject)
}

// pathText is the part of a finding's path below the page's unit.
func (s *siteRender) pathText(n *node, f *Finding) string {
	start := 0
	for i, id := range f.Path {
		if id == n.ID {
			start = i + 1
		}
	}
	if f.SubjectLevel == "model" && len(f.Path) > 0 {
		// the model's unit is in the subject's text already
		return s.names(f.Path[start:max(start, len(f.Path)-1)])
	}
	return s.names(f.Path[start:])
}

func (s *siteRender) names(ids []string) string {
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		parts = append(parts, s.t.unitName(id))
	}
	return strings.Join(parts, " › ")
}

// rootSections fills the snapshot-wide sections of the root page: models,
// waivers and data quality.
func (s *siteRender) rootSections(v *pageView) error {
	r, lang := s.r, s.lang
	v.WaiversApplied = lang.Int(r.Waivers.Applied)
	for _, w := range r.Waivers.Expired {
		v.WaiversExpired = append(v.WaiversExpired, waiverRow{w.Target, s.t.unitName(w.Unit), lang.Date(w.Expires), w.Reason})
	}
	for _, w := range r.Waivers.Unused {
		v.WaiversUnused = append(v.WaiversUnused, waiverRow{w.Target, s.t.unitName(w.Unit), lang.Date(w.Expires), w.Reason})
	}
	v.DQ, v.DQRows = dqSections(r, lang)
	m, err := buildModels(r, lang, s.nameOf, newCollator())
	v.Models = m
	return err
}
