package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/canvass-survey/canvass/server/scheduler"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/results/resultstest"
)

// storeResult records r as a finished run, in the store as the results
// service does: its summary for the history, its document for the rest,
// and the latest pointer when it ended ok.
func (env *testEnv) storeResult(r *results.Result) {
	env.t.Helper()
	rec, err := results.EncodeRecord(r, 1)
	if err != nil {
		env.t.Fatal(err)
	}
	ctx := context.Background()
	if err := env.store.InsertResult(ctx, rec); err != nil {
		env.t.Fatal(err)
	}
	if r.Status == results.StatusOK {
		if err := env.store.SetLatestResult(ctx, r.ID); err != nil {
			env.t.Fatal(err)
		}
	}
}

// withResults records three runs — an insufficient one, the fixture's ok
// result, and a failed one after it — and adds a PI and a staff member to
// read them.
func (env *testEnv) withResults() {
	env.t.Helper()
	ok := resultstest.Result()
	failedAt, dayBefore := ok.FinishedAt.Add(7*time.Hour), ok.FinishedAt.Add(-24*time.Hour)
	env.storeResult(&results.Result{ID: "nightly-20260601T030000Z", Status: results.StatusInsufficient, Trigger: results.TriggerSchedule,
		StartedAt: ok.StartedAt.Add(-24 * time.Hour), FinishedAt: &dayBefore, N: 31, Reason: "31 usable cases, fewer than the 50 the analysis needs"})
	env.storeResult(ok)
	env.storeResult(&results.Result{ID: "run-20260602T100000Z-x1y2z3", Status: results.StatusFailed, Trigger: results.TriggerAPI, RequestedBy: "pi@example.org",
		StartedAt: failedAt.Add(-time.Minute), FinishedAt: &failedAt, Error: "interrupted: the process running it stopped before it finished"})
	env.addUser("pi@example.org", account.RolePI)
	env.addUser("staff@example.org", account.RoleStaff)
}

// parseHTML parses a page, failing the test on a document the parser
// cannot read.
func parseHTML(t *testing.T, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// elements returns every element named tag under n, in document order.
func elements(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && d.Data == tag {
			out = append(out, d)
		}
	}
	return out
}

// figures checks that each <figure> under doc holds a figcaption, an
// inline chart and its table, and returns how many there are.
func figures(t *testing.T, doc *html.Node) int {
	t.Helper()
	figs := elements(doc, "figure")
	for _, f := range figs {
		if len(elements(f, "figcaption")) != 1 || len(elements(f, "svg")) != 1 || len(elements(f, "table")) != 1 {
			t.Errorf("figure %s: %d figcaptions, %d charts, %d tables; want one each", attr(f, "id"),
				len(elements(f, "figcaption")), len(elements(f, "svg")), len(elements(f, "table")))
		}
	}
	return len(figs)
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// A PI sees the latest result's figures, its warnings and what changed,
// the history, and a Run now form; staff see the history only.
func TestResultsPage(t *testing.T) {
	env := newTestEnv(t)
	env.withResults()
	t.Run("PI", func(t *testing.T) {
		cookie, _ := env.loginPage("pi@example.org")
		res, body := env.withCookie(cookie, "", "GET", "/admin/results", "", "")
		wantStatus(t, res, body, http.StatusOK)
		if n := figures(t, parseHTML(t, body)); n != 3 {
			t.Errorf("%d figures, want 3", n)
		}
		for _, want := range []string{`action="/admin/results/run"`, `name="form_token"`, `href="/api/v1/results/latest/report.html"`,
			"model provide_private: 14 of 742 cases left out", "Alpha of Participation in decision-making", "interrupted: the process",
			"The largest share answering Daily is 29.1%"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page does not hold %q", want)
			}
		}
	})
	t.Run("staff", func(t *testing.T) {
		cookie, _ := env.loginPage("staff@example.org")
		res, body := env.withCookie(cookie, "", "GET", "/admin/results", "", "")
		wantStatus(t, res, body, http.StatusOK)
		for _, never := range []string{"<figure", "<svg", "/admin/results/run", "report.html", "Warnings", "What changed"} {
			if strings.Contains(body, never) {
				t.Errorf("staff see %q", never)
			}
		}
		for _, want := range []string{"nightly-20260602T030000Z", ">failed<", "interrupted: the process", "31 usable cases", ">insufficient_data<"} {
			if !strings.Contains(body, want) {
				t.Errorf("the history does not show %q", want)
			}
		}
	})
}

// Before the first ok result, and without an analysis, the page says so.
func TestResultsPageWithoutResult(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	cookie, _ := env.loginPage("pi@example.org")
	res, body := env.withCookie(cookie, "", "GET", "/admin/results", "", "")
	wantStatus(t, res, body, http.StatusOK)
	if !strings.Contains(body, "No run has ended ok yet") || !strings.Contains(body, "No runs yet.") || strings.Contains(body, "report.html") {
		t.Errorf("the page before any result:\n%s", body)
	}
	env.srv.Instrument = &instrument.Instrument{Title: "No analysis"}
	res, body = env.withCookie(cookie, "", "GET", "/admin/results", "", "")
	wantStatus(t, res, body, http.StatusOK)
	if !strings.Contains(body, "has no analysis section") || strings.Contains(body, "/admin/results/run") {
		t.Errorf("the page without an analysis:\n%s", body)
	}
}

// Run now needs the session's CSRF token and the page's form token; with
// them it starts a run, as the PI, and comes back to the page saying so.
// While another run holds the nightly lease, it is refused with the reason.
func TestResultsRunNow(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	cookie, csrf := env.loginPage("pi@example.org")
	post := func(form url.Values) (*http.Response, string) {
		return env.withCookie(cookie, "", "POST", "/admin/results/run", "application/x-www-form-urlencoded", form.Encode())
	}
	runs := func() []results.Result {
		list, err := env.srv.Results.List(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	res, body := post(url.Values{"form_token": {env.formToken(cookie, "/admin/results")}})
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = post(url.Values{"csrf": {csrf}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	if n := len(runs()); n != 0 {
		t.Fatalf("a refused form started %d runs", n)
	}

	res, body = post(url.Values{"csrf": {csrf}, "form_token": {env.formToken(cookie, "/admin/results")}})
	if to := location(t, res, body); to != "/admin/results" {
		t.Errorf("redirected to %q", to)
	}
	list := runs()
	if len(list) != 1 || list[0].Trigger != results.TriggerAPI || list[0].RequestedBy != "pi@example.org" {
		t.Fatalf("runs %+v", list)
	}
	if audit, _ := env.store.Audit(context.Background(), 10); len(audit) == 0 || audit[0].Action != "results.run" || audit[0].Actor != "pi@example.org" {
		t.Errorf("the run is not in the audit log: %+v", audit)
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/results", "", "")
	wantStatus(t, res, body, http.StatusOK)
	if !strings.Contains(body, "Run started: "+list[0].ID) {
		t.Errorf("no flash after Run now:\n%.3000s", body)
	}

	for deadline := time.Now().Add(time.Minute); runs()[0].Status == results.StatusRunning && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // the run of no cases ends at once, as insufficient
	}
	_, release, ok, err := scheduler.Hold(context.Background(), env.store, NightlyJob, env.srv.Logger)
	if err != nil || !ok {
		t.Fatalf("the nightly lease: %v, %v", ok, err)
	}
	defer release()
	res, body = post(url.Values{"csrf": {csrf}, "form_token": {env.formToken(cookie, "/admin/results")}})
	wantStatus(t, res, body, http.StatusConflict)
	if !strings.Contains(body, "a run of the analysis is in progress") {
		t.Errorf("the refusal does not say why:\n%.3000s", body)
	}
}
