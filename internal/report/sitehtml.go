package report

import (
	"bytes"
	"html/template"
	"strconv"
	"strings"
)

// The site's long lists (the matrix's rows and cells, the findings' rows,
// the worst units) are written here rather than by site.html.tmpl's range
// actions: html/template calls its escaper through reflection for every
// action, and at national scale that was most of the site's time. The
// bytes are the template's own: each value goes through htmlEscape, which
// escapes as html/template does in text and in a quoted attribute, and a
// link is a page file (PageFile: letters, digits, "_", "-", ".", "/"),
// which html/template's URL filter and normaliser leave as it is.

// htmlEscape escapes s as html/template's escaper of text and of quoted
// attribute values does (its htmlReplacementTable; a test holds them
// equal): NUL, both quotes, &, + and angle brackets; every other byte as it is.
var htmlEscape = strings.NewReplacer(
	"\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;",
).WriteString

// htmlWriter writes the HTML of a list or of a whole page. A bytes.Buffer
// rather than a strings.Builder, so that a page's writer can be reset and
// reused for the next page (siteRender.page) without growing again.
type htmlWriter struct{ bytes.Buffer }

func (w *htmlWriter) raw(s string) { w.WriteString(s) }

func (w *htmlWriter) text(s string) { _, _ = htmlEscape(w, s) }

// mix writes markup and values in turn: parts at even indexes as they are,
// those at odd indexes escaped.
func (w *htmlWriter) mix(parts ...string) {
	for i, p := range parts {
		if i%2 == 0 {
			w.raw(p)
		} else {
			w.text(p)
		}
	}
}

// link writes <a href="href">text</a>, or the text alone without href.
func (w *htmlWriter) link(href, text string) {
	if href == "" {
		w.text(text)
		return
	}
	w.mix(`<a href="`, href, `">`, text, `</a>`)
}

func (w *htmlWriter) html() template.HTML { return template.HTML(w.String()) } // every value escaped

// matrixBody is the matrix's rows, as
//
//	{{range .Rows}}<tr><td class="u">{{if .Href}}<a href="{{.Href}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</td>{{range .Cells}}<td class="c {{.Class}}"><b>{{.Pct}}</b><span>{{.Count}}</span></td>{{end}}</tr>
//	{{end}}
func matrixBody(rows []matrixRow) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	var w htmlWriter
	w.Grow(len(rows) * (48 + 64*len(rows[0].Cells)))
	writeMatrixRows(&w, rows)
	return w.html()
}

// writeMatrixRows writes matrixBody's rows to w.
func writeMatrixRows(w *htmlWriter, rows []matrixRow) {
	for _, r := range rows {
		w.raw(`<tr><td class="u">`)
		w.link(r.Href, r.Name)
		w.raw(`</td>`)
		for _, c := range r.Cells {
			w.mix(`<td class="c `, c.Class, `"><b>`, c.Pct, `</b><span>`, c.Count, "</span></td>")
		}
		w.raw("</tr>\n")
	}
}

// findingsBody is a findings group's rows, as
//
//	{{range .Rows}}<tr><td>{{.Subject}}</td><td>{{.Path}}</td><td class="{{.StatusClass}}">{{.Status}}</td><td><ul class="msgs">{{range .Messages}}<li>{{.}}</li>{{end}}</ul></td></tr>
//	{{end}}
func findingsBody(rows []findingRow) template.HTML {
	var w htmlWriter
	writeFindingRows(&w, rows)
	return w.html()
}

// writeFindingRows writes findingsBody's rows to w.
func writeFindingRows(w *htmlWriter, rows []findingRow) {
	for _, r := range rows {
		w.mix("<tr><td>", r.Subject, "</td><td>", r.Path, `</td><td class="`, r.StatusClass, `">`, r.Status, `</td><td><ul class="msgs">`)
		for _, m := range r.Messages {
			w.mix("<li>", m, "</li>")
		}
		w.raw("</ul></td></tr>\n")
	}
}

// cardsBody is the targets' cards, as the template (its text is in a
// test, TestSiteListsAreTheTemplates):
//
//	{{range .Cards}}
//	<article class="target-card" id="target-{{.ID}}" data-target="{{.ID}}">
//	...
//	</article>
//	{{end}}
//
// A bar's width (a decimal number) is written as html/template writes it
// in a style attribute: as it is.
func cardsBody(cards []card, lang Lang) template.HTML {
	var w htmlWriter
	w.Grow(len(cards) * 1400)
	writeCards(&w, cards, lang)
	return w.html()
}

// writeCards writes cardsBody's cards to w.
func writeCards(w *htmlWriter, cards []card, lang Lang) {
	pass, change := lang.T("pass"), lang.T("change")
	for i := range cards {
		c := &cards[i]
		w.mix("\n<article class=\"target-card\" id=\"target-", c.ID, `" data-target="`, c.ID, "\">\n<div class=\"id\">", c.ID,
			" · ", c.Severity, "</div>\n<h3>", c.Title, "</h3>\n<div><span class=\"big ", c.Class, `">`, c.Pct,
			"</span> <span>", pass, " ", c.Pass, "/", c.Eligible, "</span></div>\n<div class=\"track\"><div class=\"fillbar ", c.Class,
			`" style="width:`, c.Width, "%\"></div></div>\n")
		if c.Errors != "" {
			w.mix(`<div class="errbox err">`, c.Errors, "</div>")
		}
		w.raw("\n")
		if c.NotEvaluated != "" {
			w.mix(`<div class="note na">`, c.NotEvaluated, "</div>")
		}
		w.mix("\n<div class=\"note\">", change, `: <span class="`, c.ChangeClass, `">`, c.Change, "</span></div>\n")
		if c.Trend != "" {
			w.mix(`<svg class="trend" viewBox="0 0 100 30" preserveAspectRatio="none" role="img" aria-label="`, lang.T("trend"),
				`"><polyline points="`, c.Trend,
				"\" fill=\"none\" stroke=\"#ad1457\" stroke-width=\"1.5\" vector-effect=\"non-scaling-stroke\"></polyline></svg>\n<div class=\"trendlbl\"><span>",
				c.TrendFrom, "</span><span>", c.TrendCount, "</span><span>", c.TrendTo, "</span></div>")
		}
		w.raw("\n")
		if c.Pace != "" {
			w.mix(`<div class="note pace `, c.PaceClass, `">`, c.Pace, "</div>")
		}
		w.raw("\n")
		if len(c.Worst) > 0 {
			w.mix(`<div class="small" style="margin-top:6px">`, lang.T("worst_units"), "</div>\n<table class=\"worst\"><tbody>")
			worstBody(w, c.Worst)
			w.raw("</tbody></table>")
		}
		w.raw("\n</article>\n")
	}
}

// worstBody writes a card's worst units, as
//
//	{{range .Worst}}<tr><td>{{if .Href}}<a href="{{.Href}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</td><td class="n">{{.Value}}</td><td class="n">{{.Pct}}</td></tr>{{end}}
func worstBody(w *htmlWriter, rows []worstRow) {
	for _, r := range rows {
		w.raw("<tr><td>")
		w.link(r.Href, r.Name)
		w.mix(`</td><td class="n">`, r.Value, `</td><td class="n">`, r.Pct, "</td></tr>")
	}
}

// width is a bar's width in percent as the page writes it: one decimal.
func width(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// A unit page (every page but the root's and a stopped run's) is written
// in Go by writeUnitPage, not by executing site.html.tmpl: the template
// evaluates each action through reflection (a field, a method call such
// as .L.T, then its escaper), some sixty calls a page, and at national
// scale (11,000 pages) that was half the site's time. site.html.tmpl stays
// the page's definition: the root page and the stopped page are rendered
// by it, and TestUnitPagesAreTheTemplates holds every unit page of several
// sites to the template's bytes.
//
// The style sheet and the script are taken from the template's own text,
// so that they cannot drift apart: html/template writes text outside
// actions as it is (it would strip comments from CSS and scripts, and
// these have none; the test would see one).
var (
	// siteStyle: from the end of the title to the header: the style
	// sheet, </head>, <body>.
	siteStyle = templateText("</title>\n", "<header>")
	// siteScript: from the end of the footer to the end of the page.
	siteScript = templateText("</footer>", "")
)

// templateText is the text of site.html.tmpl from start up to end (to
// its end when end is ""); it panics when either is missing or the text
// holds an action.
func templateText(start, end string) string {
	i := strings.Index(siteSource, start)
	if i < 0 {
		panic("site.html.tmpl: no " + start)
	}
	s := siteSource[i:]
	if end != "" {
		j := strings.Index(s, end)
		if j < 0 {
			panic("site.html.tmpl: no " + end + " after " + start)
		}
		s = s[:j]
	}
	if strings.Contains(s, "{{") {
		panic("site.html.tmpl: an action between " + start + " and " + end)
	}
	return s
}

// writeUnitPage writes the page of v, which is neither the root's nor a
// stopped run's, as site.html.tmpl does: each text below is the
// template's, with the branches a unit page does not take (Stopped, Root,
// Models) left out.
func writeUnitPage(w *htmlWriter, v *pageView) {
	lang := v.L
	w.mix("<!DOCTYPE html>\n<html lang=\"", string(lang),
		"\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
		v.Unit, " – ", v.Title, " – ", v.AsOf)
	w.raw(siteStyle)
	w.raw("<header><div class=\"in\">\n")
	if len(v.Crumbs) > 0 {
		w.mix(`<nav class="crumbs" aria-label="`, lang.T("up"), `">`)
		for _, c := range v.Crumbs {
			w.mix(`<a href="`, c.Href, `">`, c.Label, `</a>›`)
		}
		w.raw("</nav>")
	}
	w.mix("\n<h1 id=\"unit\">", v.Unit, "</h1>\n<div class=\"meta\">\n")
	if v.Kind != "" {
		w.mix("<span>", v.Kind, "</span>")
	}
	w.mix("\n<span id=\"province\">", v.Title, " · ", v.Province, "</span>\n<span>", lang.T("as_of"), ": <b id=\"as-of\">", v.AsOf,
		"</b></span>\n<span>", lang.T("run_time"), ": <span id=\"run-time\">", v.RunTime, "</span></span>\n</div>\n<div>",
		lang.T("overall"), ": <span class=\"overall\" id=\"overall\">", v.Overall,
		"</span></div>\n<div class=\"track\"><div class=\"fillbar\" style=\"width:", v.OverallWidth,
		"%\"></div></div>\n</div></header>\n<main>\n\n<div class=\"kv\">")
	for _, k := range v.Summary {
		w.mix("<div><span class=\"small\">", k.Label, "</span><b class=\"", k.Class, "\">", k.Value, "</b></div>")
	}
	w.raw("</div>\n")
	if v.PoliciesChanged {
		w.mix("<p class=\"mid\"><b>", lang.T("policies_changed"), "</b></p>")
	}
	w.raw("\n")
	if m := &v.Matrix; len(m.Rows) > 0 {
		w.mix("\n<h2 id=\"units\">", m.Label, "</h2>\n<input id=\"filter\" type=\"search\" placeholder=\"", lang.T("filter"),
			"\" aria-label=\"", lang.T("filter_label"), "\" hidden>\n<p class=\"small\">", lang.T("matrix_note"),
			"</p>\n<div class=\"mwrap\"><table class=\"matrix\"><thead><tr><th class=\"u\">", lang.T("unit"), "</th>")
		for _, h := range m.Targets {
			w.mix(`<th title="`, h.Title, `">`, h.ID, "</th>")
		}
		w.raw("</tr></thead><tbody>\n")
		writeMatrixRows(w, m.Rows)
		w.raw("</tbody></table></div>\n")
	}
	w.mix("\n<h2>", lang.T("targets"), "</h2>\n<section class=\"cards\">\n")
	writeCards(w, v.Cards, lang)
	w.raw("\n</section>\n\n")
	if len(v.Groups) > 0 {
		w.mix("<h2>", lang.T("findings"), "</h2>\n")
		unit, path, status, messages := lang.T("unit"), lang.T("path"), lang.T("status"), lang.T("messages")
		for i := range v.Groups {
			g := &v.Groups[i]
			w.mix("\n<details class=\"findings\" data-target=\"", g.ID, "\"><summary>", g.ID, " – ", g.Title, " (", g.Count,
				")</summary>\n<div class=\"scroll\"><table><thead><tr><th>", unit, "</th><th>", path, "</th><th>", status,
				"</th><th>", messages, "</th></tr></thead><tbody>\n")
			writeFindingRows(w, g.Rows)
			w.raw("</tbody></table></div>")
			if g.More != "" {
				w.mix(`<p class="small">`, g.More, "</p>")
			}
			w.raw("\n</details>")
		}
	}
	w.mix("\n\n\n</main>\n<footer>", lang.T("run_id"), ": ", v.RunID, " · ", lang.T("footer"))
	w.raw(siteScript)
}
