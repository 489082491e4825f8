package report

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
)

// htmlEscape writes what html/template writes for a value in text and in
// a quoted attribute, and the lists written in Go are the bytes of the
// template actions they replace.
func TestHTMLEscapeIsTheTemplates(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(`<p title="{{.}}">{{.}}</p>`))
	values := []string{"", "Xã Đông Hưng", `a<b>&"c"'d'+e`, "\x00nul", "bad \xff\xfe utf-8 \xc3", "\uFDD0\uFFFE\U0001F600",
		"48,5\u00a0%", "x › y", "a&amp;b", "<script>alert(1)</script>", "1+1=2"}
	for b := 0; b < 256; b++ {
		values = append(values, "<"+string(rune(b))+string([]byte{byte(b)})+">")
	}
	for _, v := range values {
		var want bytes.Buffer
		if err := tmpl.Execute(&want, v); err != nil {
			t.Fatal(err)
		}
		var w htmlWriter
		w.raw(`<p title="`)
		w.text(v)
		w.raw(`">`)
		w.text(v)
		w.raw(`</p>`)
		if w.String() != want.String() {
			t.Errorf("%q: escaped %q, html/template %q", v, w.String(), want.String())
		}
	}
}

// The Go-written lists against the template text they replace (the doc
// comments of matrixBody, findingsBody and cardsBody, with worstBody).
func TestSiteListsAreTheTemplates(t *testing.T) {
	parse := func(s string) *template.Template { return template.Must(template.New("t").Parse(s)) }
	run := func(tm *template.Template, v any) string {
		var b strings.Builder
		if err := tm.Execute(&b, v); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	odd := `<A & "B" 'c'+d>`
	m := []matrixRow{
		{Name: "Xã " + odd, Href: "units/xa-1.html", Cells: []matrixCell{{"50 %", "1/2", "mid"}, {"", "", "none"}}},
		{Name: "Chi hội " + odd, Cells: []matrixCell{{"–", "0/0", "na"}, {"100 %", "3/3", "good"}}},
	}
	matrix := parse(`<table><tbody>{{range .}}<tr><td class="u">{{if .Href}}<a href="{{.Href}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</td>{{range .Cells}}<td class="c {{.Class}}"><b>{{.Pct}}</b><span>{{.Count}}</span></td>{{end}}</tr>
{{end}}</tbody></table>`)
	if got, want := "<table><tbody>"+string(matrixBody(m))+"</tbody></table>", run(matrix, m); got != want {
		t.Errorf("matrix:\n%s\nwant\n%s", got, want)
	}
	f := []findingRow{{Subject: odd, Path: "a › " + odd, Status: "Không đạt", StatusClass: "bad", Messages: []string{odd, "m2"}},
		{Subject: "s", Status: "Lỗi", StatusClass: "err"}}
	findings := parse(`<table><tbody>{{range .}}<tr><td>{{.Subject}}</td><td>{{.Path}}</td><td class="{{.StatusClass}}">{{.Status}}</td><td><ul class="msgs">{{range .Messages}}<li>{{.}}</li>{{end}}</ul></td></tr>
{{end}}</tbody></table>`)
	if got, want := "<table><tbody>"+string(findingsBody(f))+"</tbody></table>", run(findings, f); got != want {
		t.Errorf("findings:\n%s\nwant\n%s", got, want)
	}
	w := []worstRow{{Name: odd, Value: "1/2", Pct: "50 %", Href: "../units/_0123abcd.html"}, {Name: "b", Value: "0/1", Pct: "0 %"}}
	full := card{ID: "TB-01", Title: odd, Severity: "Cao", Pass: "1.234", Eligible: "2.000", Pct: "61,7\u00a0%", Width: "61.7", Class: "mid",
		Errors: "3 " + odd, NotEvaluated: "4 " + odd, Change: "▲ +12", ChangeClass: "good", Trend: "0.0,15.0 100.0,3.0",
		TrendFrom: "30/06/2024: 50 %", TrendTo: "30/09/2024: 61,7 %", TrendCount: "2 " + odd, Pace: odd, PaceClass: "bad", Worst: w}
	bare := card{ID: "TB-02", Title: "t", Severity: "Thấp", Pass: "0", Eligible: "0", Pct: "–", Width: "0.0", Class: "na",
		Change: "Chưa có", ChangeClass: "na"}
	cardsTmpl := parse(`<section class="cards">
` + `{{range .Cards}}
<article class="target-card" id="target-{{.ID}}" data-target="{{.ID}}">
<div class="id">{{.ID}} · {{.Severity}}</div>
<h3>{{.Title}}</h3>
<div><span class="big {{.Class}}">{{.Pct}}</span> <span>{{$.L.T "pass"}} {{.Pass}}/{{.Eligible}}</span></div>
<div class="track"><div class="fillbar {{.Class}}" style="width:{{.Width}}%"></div></div>
{{if .Errors}}<div class="errbox err">{{.Errors}}</div>{{end}}
{{if .NotEvaluated}}<div class="note na">{{.NotEvaluated}}</div>{{end}}
<div class="note">{{$.L.T "change"}}: <span class="{{.ChangeClass}}">{{.Change}}</span></div>
{{if .Trend}}<svg class="trend" viewBox="0 0 100 30" preserveAspectRatio="none" role="img" aria-label="{{$.L.T "trend"}}"><polyline points="{{.Trend}}" fill="none" stroke="#ad1457" stroke-width="1.5" vector-effect="non-scaling-stroke"></polyline></svg>
<div class="trendlbl"><span>{{.TrendFrom}}</span><span>{{.TrendCount}}</span><span>{{.TrendTo}}</span></div>{{end}}
{{if .Pace}}<div class="note pace {{.PaceClass}}">{{.Pace}}</div>{{end}}
{{if .Worst}}<div class="small" style="margin-top:6px">{{$.L.T "worst_units"}}</div>
<table class="worst"><tbody>{{range .Worst}}<tr><td>{{if .Href}}<a href="{{.Href}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</td><td class="n">{{.Value}}</td><td class="n">{{.Pct}}</td></tr>{{end}}</tbody></table>{{end}}
</article>
{{end}}` + `
</section>`)
	for _, lang := range []Lang{Vietnamese, English} {
		cs := []card{full, bare}
		got := "<section class=\"cards\">\n" + string(cardsBody(cs, lang)) + "\n</section>"
		want := run(cardsTmpl, struct {
			L     Lang
			Cards []card
		}{lang, cs})
		if got != want {
			t.Errorf("cards (%s):\n%s\nwant\n%s", lang, got, want)
		}
	}
}
