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

// link writes <a href="href">text</a>, or the text alone without href.
func (w *htmlWriter) link(href, text string) {
	if href == "" {
		w.text(text)
		return
	}
	w.raw(`<a href="`)
	w.text(href)
	w.raw(`">`)
	w.text(text)
	w.raw(`</a>`)
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
			w.raw(`<td class="c `)
			w.text(c.Class)
			w.raw(`"><b>`)
			w.text(c.Pct)
			w.raw(`</b><span>`)
			w.text(c.Count)
			w.raw("</span></td>")
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
		w.raw("<tr><td>")
		w.text(r.Subject)
		w.raw("</td><td>")
		w.text(r.Path)
		w.raw(`</td><td class="`)
		w.text(r.StatusClass)
		w.raw(`">`)
		w.text(r.Status)
		w.raw(`</td><td><ul class="msgs">`)
		for _, m := range r.Messages {
			w.raw("<li>")
			w.text(m)
			w.raw("</li>")
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
		w.raw("\n<article class=\"target-card\" id=\"target-")
		w.text(c.ID)
		w.raw(`" data-target="`)
		w.text(c.ID)
		w.raw("\">\n<div class=\"id\">")
		w.text(c.ID)
		w.raw(" · ")
		w.text(c.Severity)
		w.raw("</div>\n<h3>")
		w.text(c.Title)
		w.raw("</h3>\n<div><span class=\"big ")
		w.text(c.Class)
		w.raw(`">`)
		w.text(c.Pct)
		w.raw("</span> <span>")
		w.text(pass)
		w.raw(" ")
		w.text(c.Pass)
		w.raw("/")
		w.text(c.Eligible)
		w.raw("</span></div>\n<div class=\"track\"><div class=\"fillbar ")
		w.text(c.Class)
		w.raw(`" style="width:`)
		w.text(c.Width)
		w.raw("%\"></div></div>\n")
		if c.Errors != "" {
			w.raw(`<div class="errbox err">`)
			w.text(c.Errors)
			w.raw("</div>")
		}
		w.raw("\n")
		if c.NotEvaluated != "" {
			w.raw(`<div class="note na">`)
			w.text(c.NotEvaluated)
			w.raw("</div>")
		}
		w.raw("\n<div class=\"note\">")
		w.text(change)
		w.raw(`: <span class="`)
		w.text(c.ChangeClass)
		w.raw(`">`)
		w.text(c.Change)
		w.raw("</span></div>\n")
		if c.Trend != "" {
			w.raw(`<svg class="trend" viewBox="0 0 100 30" preserveAspectRatio="none" role="img" aria-label="`)
			w.text(lang.T("trend"))
			w.raw(`"><polyline points="`)
			w.text(c.Trend)
			w.raw("\" fill=\"none\" stroke=\"#ad1457\" stroke-width=\"1.5\" vector-effect=\"non-scaling-stroke\"></polyline></svg>\n<div class=\"trendlbl\"><span>")
			w.text(c.TrendFrom)
			w.raw("</span><span>")
			w.text(c.TrendCount)
			w.raw("</span><span>")
			w.text(c.TrendTo)
			w.raw("</span></div>")
		}
		w.raw("\n")
		if c.Pace != "" {
			w.raw(`<div class="note pace `)
			w.text(c.PaceClass)
			w.raw(`">`)
			w.text(c.Pace)
			w.raw("</div>")
		}
		w.raw("\n")
		if len(c.Worst) > 0 {
			w.raw(`<div class="small" style="margin-top:6px">`)
			w.text(lang.T("worst_units"))
			w.raw("</div>\n<table class=\"worst\"><tbody>")
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
		w.raw(`</td><td class="n">`)
		w.text(r.Value)
		w.raw(`</td><td class="n">`)
		w.text(r.Pct)
		w.raw("</td></tr>")
	}
}

// width is a bar's width in percent as the page writes it: one decimal.
func width(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
