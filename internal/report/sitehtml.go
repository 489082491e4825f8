package report

import (
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

// htmlWriter writes the HTML of a list.
type htmlWriter struct{ strings.Builder }

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
	for _, r := range rows {
		w.raw(`<tr><td class="u">`)
		w.link(r.Href, r.Name)
		w.raw(`</td>`)
		for _, c := range r.Cells {
			w.mix(`<td class="c `, c.Class, `"><b>`, c.Pct, `</b><span>`, c.Count, "</span></td>")
		}
		w.raw("</tr>\n")
	}
	return w.html()
}

// findingsBody is a findings group's rows, as
//
//	{{range .Rows}}<tr><td>{{.Subject}}</td><td>{{.Path}}</td><td class="{{.StatusClass}}">{{.Status}}</td><td><ul class="msgs">{{range .Messages}}<li>{{.}}</li>{{end}}</ul></td></tr>
//	{{end}}
func findingsBody(rows []findingRow) template.HTML {
	var w htmlWriter
	for _, r := range rows {
		w.mix("<tr><td>", r.Subject, "</td><td>", r.Path, `</td><td class="`, r.StatusClass, `">`, r.Status, `</td><td><ul class="msgs">`)
		for _, m := range r.Messages {
			w.mix("<li>", m, "</li>")
		}
		w.raw("</ul></td></tr>\n")
	}
	return w.html()
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
			worstBody(&w, c.Worst)
			w.raw("</tbody></table>")
		}
		w.raw("\n</article>\n")
	}
	return w.html()
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
