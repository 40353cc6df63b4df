package server

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey/results/resultstest"
)

// The report, served under its own policy, and the Results page as a PI
// sees it pass axe-core's WCAG 2.0/2.1 A and AA rules at 390 and 1280 px,
// neither scrolls sideways on a 390 px phone, and the report's stylesheet
// applies. The auditor keeps screenshots of both for a person to look at.
func TestBrowserResults(t *testing.T) {
	env := newTestEnv(t)
	env.withResults()
	e := echo.New()
	e.GET("/report.html", func(c echo.Context) error { return env.srv.serveReport(c, resultstest.Result()) })
	reports := httptest.NewServer(e)
	t.Cleanup(reports.Close)

	ctx := browser(t, 1280, 900, false)
	a := newAuditor(t, ctx, 390, 1280)
	open(t, ctx, reports.URL+"/report.html")
	var border string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`getComputedStyle(document.querySelector('header.report')).borderTopWidth`, &border)); err != nil {
		t.Fatal(err)
	}
	if border != "8px" {
		t.Errorf("the report's stylesheet does not apply (header border %q): the policy blocks it", border)
	}
	a.check("results-report")
	fitsPhone(t, ctx, "the report")

	if err := chromedp.Run(ctx, chromedp.Navigate(env.http.URL+"/admin/login"),
		chromedp.SendKeys("#email", "pi@example.org", chromedp.ByQuery),
		chromedp.SendKeys("#password", goodPassword, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	clickTo(t, ctx, `form[action="/admin/login"] button`)
	if status := open(t, ctx, env.http.URL+"/admin/results"); status != 200 {
		t.Fatalf("/admin/results gave %d", status)
	}
	a.check("admin-results-pi")
	fitsPhone(t, ctx, "the Results page")
}

// fitsPhone fails the test if the page is wider than a 390 px screen.
func fitsPhone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	var width int
	if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(390, 900, 1, true),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &width)); err != nil {
		t.Fatal(err)
	}
	if width > 390 {
		t.Errorf("%s is %d px wide on a 390 px screen", what, width)
	}
}
