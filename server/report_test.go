package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"github.com/canvass-survey/canvass/survey/results/resultstest"
)

// report renders the fixture's report.
func (env *testEnv) report() string {
	env.t.Helper()
	var buf bytes.Buffer
	if err := env.srv.renderReport(&buf, resultstest.Result()); err != nil {
		env.t.Fatal(err)
	}
	return buf.String()
}

// The report is one HTML document with the run's facts, the three figures
// each with its caption, chart and table, and every table of the result.
func TestReportDocument(t *testing.T) {
	env := newTestEnv(t)
	page := env.report()
	doc := parseHTML(t, page)
	if n := figures(t, doc); n != 3 {
		t.Errorf("%d figures, want 3", n)
	}
	for _, want := range []string{"<title>Results nightly-20260602T030000Z", "tech_local_gov</code> version 2016.1", "742 used of 2,500 read",
		"4b1e9a7c2d3f", "v0.12.0-4-g1c2d3e4", "2026-06-02 03:04 UTC", "model provide_private: 14 of 742", "Alpha of Shared goals on open government", "Coefficient of Participation in decision-making (Private organizations)", "71,840",
		"Congruence of the loadings of Trust from political actors</th><td class=\"num\"></td><td class=\"num\">0.991", "Participation in decision-making", "Bartlett", "3 factors and 3 components", "omega", "department=Police",
		"3|4", "log-likelihood -958.40", "population"} {
		if !strings.Contains(page, want) {
			t.Errorf("the report does not hold %q", want)
		}
	}
	// The loadings read as the questionnaire names the factors: its first
	// column is participation (the EFA's second), and political trust's
	// reflected column is turned back.
	var heads []string
	for _, th := range elements(elements(doc, "table")[4], "th")[1:4] {
		heads = append(heads, text(th))
	}
	if strings.Join(heads, "|") != "Participation in decision-making|Shared goals on open government|Trust from political actors" {
		t.Errorf("loadings' columns %q", heads)
	}
	for _, want := range []string{`<td class="num salient">0.780</td><td class="num">0.040</td><td class="num">0.020</td>`,
		`<td class="num">0.020</td><td class="num salient">0.770</td>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the loadings do not hold %s", want)
		}
	}
}

// text is the text inside n.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// The report needs nothing outside itself: no scripts, frames, images or
// stylesheets to fetch, and no link but to its own sections.
func TestReportSelfContained(t *testing.T) {
	env := newTestEnv(t)
	doc := parseHTML(t, env.report())
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "image", "use", "base":
			t.Errorf("<%s> in the report", n.Data)
		case "style":
			if css := text(n); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
				t.Error("the stylesheet fetches something")
			}
		}
		for _, a := range n.Attr {
			switch strings.TrimPrefix(a.Key, "xlink:") {
			case "src", "srcset", "action", "poster", "data", "style":
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			case "href":
				if !strings.HasPrefix(a.Val, "#") || len(a.Val) < 2 {
					t.Errorf("<%s href=%q>: not a link within the report", n.Data, a.Val)
				} else if anchor := a.Val[1:]; !hasID(doc, anchor) {
					t.Errorf("href=%q: no element has that id", a.Val)
				}
			}
		}
	}
}

func hasID(doc *html.Node, id string) bool {
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && attr(n, "id") == id {
			return true
		}
	}
	return false
}

// Served, the report's policy allows exactly its own stylesheet.
func TestReportPolicyAllowsItsStyle(t *testing.T) {
	env := newTestEnv(t)
	e := echo.New()
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest("GET", "/report.html", nil), rec)
	if err := env.srv.serveReport(c, resultstest.Result()); err != nil {
		t.Fatal(err)
	}
	styles := elements(parseHTML(t, rec.Body.String()), "style")
	if len(styles) != 1 {
		t.Fatalf("%d stylesheets", len(styles))
	}
	sum := sha256.Sum256([]byte(styles[0].FirstChild.Data))
	want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, want) || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("policy %q, want it to hold %q", csp, want)
	}
}

// The first result says there is nothing to compare it with; a result
// without tables still makes a report.
func TestReportFirstAndEmpty(t *testing.T) {
	env := newTestEnv(t)
	r := resultstest.Result()
	r.Changes = nil
	var buf bytes.Buffer
	if err := env.srv.renderReport(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "This is the first result") {
		t.Error("the first result does not say so")
	}
	empty := *r // a result without tables, as a failed run keeps
	empty.EFA, empty.Factors, empty.Reliability, empty.Models, empty.Descriptives, empty.Changes = nil, nil, nil, nil, nil, nil
	empty.Warnings = nil
	buf.Reset()
	if err := env.srv.renderReport(&buf, &empty); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<p>None.</p>", "Not drawn: the result has no descriptives.", "no factor analysis", "no models"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the report of a result without tables does not say %q", want)
		}
	}
}
