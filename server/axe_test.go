package server

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/canvass-survey/canvass/survey"
)

// axeFile is axe-core as `make deps` installs it from npm (package.json).
const axeFile = "../node_modules/axe-core/axe.min.js"

// auditor checks pages with axe-core at each width and keeps a screenshot
// of each in an ignored folder, for a person to look at.
type auditor struct {
	t      *testing.T
	ctx    context.Context
	dir    string
	widths []int64
	n      int
}

// newAuditor loads axe-core into every document the browser opens from now
// on (as DevTools does, so the pages' Content-Security-Policy does not
// apply to it).
func newAuditor(t *testing.T, ctx context.Context, widths ...int64) *auditor {
	t.Helper()
	src, err := os.ReadFile(axeFile)
	if err != nil {
		t.Fatalf("axe-core is missing: run `make deps` (npm ci): %v", err)
	}
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(string(src)).Do(ctx)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("CANVASS_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "bin", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &auditor{t: t, ctx: ctx, dir: dir, widths: widths}
}

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target         []any
		FailureSummary string
	}
}

// axeRun runs the WCAG 2.0 and 2.1 A and AA rules on the document.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
	.then(r => JSON.stringify(r.violations.map(v => ({ID: v.id, Impact: v.impact, Help: v.help, Nodes: v.nodes.map(n => ({Target: n.target, FailureSummary: n.failureSummary}))}))))`

// photographed holds the screenshots this process has written: a test run
// again (-count=30) shows the same pages, and a full-page PNG is the
// slowest step of a check.
var photographed sync.Map

// check audits the page the browser shows, at every width, as name.
func (a *auditor) check(name string) {
	a.t.Helper()
	a.n++
	for _, width := range a.widths {
		var out string
		if err := chromedp.Run(a.ctx,
			emulation.SetDeviceMetricsOverride(width, 900, 1, width < 768),
			chromedp.Evaluate(axeRun, &out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
			a.t.Fatalf("%s at %d px: %v", name, width, err)
		}
		file := filepath.Join(a.dir, fmt.Sprintf("%02d-%s-%d.png", a.n, name, width))
		if _, done := photographed.LoadOrStore(file, true); !done {
			var shot []byte
			if err := chromedp.Run(a.ctx, chromedp.FullScreenshot(&shot, 100)); err != nil {
				a.t.Fatalf("%s at %d px: %v", name, width, err)
			}
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				a.t.Fatal(err)
			}
		}
		var violations []axeViolation
		if err := json.Unmarshal([]byte(out), &violations); err != nil {
			a.t.Fatalf("%s at %d px: axe said %q: %v", name, width, out, err)
		}
		for _, v := range violations {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target)+": "+strings.ReplaceAll(n.FailureSummary, "\n", " "))
			}
			a.t.Errorf("%s at %d px: %s (%s): %s\n\t%s", name, width, v.ID, v.Impact, v.Help, strings.Join(where, "\n\t"))
		}
	}
}

// eval runs a script in the page, for answers a person could not give
// through the form (too long a text, an option the list does not hold),
// which are how the server's error states are reached.
func eval(t *testing.T, ctx context.Context, script string) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.Evaluate(script, nil)); err != nil {
		t.Fatal(err)
	}
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.Click(sel, chromedp.ByQuery)); err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
}

// next clicks Next and checks the status of the page it leads to.
func next(t *testing.T, ctx context.Context, want int64) {
	t.Helper()
	if got := clickTo(t, ctx, `button[value="next"]`); got != want {
		t.Fatalf("Next gave %d, want %d: %s", got, want, errorSummary(t, ctx))
	}
}

// Every respondent page, with an error state of every question type and a
// follow-up both hidden and revealed, passes axe-core's WCAG 2.0/2.1 A and
// AA rules at 320 and 1280 px.
func TestBrowserAccessibility(t *testing.T) {
	env := newTestEnv(t)
	ctx := browser(t, 1280, 900, false)
	a := newAuditor(t, ctx, 320, 1280)
	base := env.http.URL + "/s/"

	tok := env.newCase("axe@example.org")
	open(t, ctx, base+tok)
	a.check("welcome")
	clickTo(t, ctx, `form[action$="/start"] button`)
	a.check("question-about-you")

	// Number, text and dropdown in error.
	eval(t, ctx, `document.querySelector('#years_in_position').value = 'seventy';
		document.querySelector('#job_title').value = 'x'.repeat(121);
		const list = document.querySelector('#staff_supervised'); list.add(new Option('Tampered', '99')); list.value = '99';`)
	next(t, ctx, 422)
	a.check("error-number-text-dropdown")
	eval(t, ctx, `document.querySelectorAll('form input[type=text], form textarea').forEach(e => e.value = '')`)
	answerPage(t, ctx)
	next(t, ctx, 200)

	// A matrix in error (and a single choice beside it).
	next(t, ctx, 422)
	a.check("error-matrix")
	answerPage(t, ctx)
	next(t, ctx, 200)

	// Check boxes in error.
	next(t, ctx, 422)
	a.check("error-multi")
	answerPage(t, ctx)
	next(t, ctx, 200)

	// A required single choice in error, on the follow-up page.
	next(t, ctx, 422)
	a.check("error-single")
	answerPage(t, ctx)
	next(t, ctx, 200)

	for _, name := range []string{"online", "participation", "data-sharing", "barriers", "culture"} {
		a.check("question-" + name)
		answerPage(t, ctx)
		next(t, ctx, 200)
	}

	// The follow-up hidden, then revealed; then a text area in error.
	a.check("conditional-closed")
	click(t, ctx, "#open_data_policy-1")
	a.check("conditional-open")
	eval(t, ctx, `document.querySelector('#comments').value = 'x'.repeat(5001)`)
	next(t, ctx, 422)
	a.check("error-textarea")
	eval(t, ctx, `document.querySelector('#comments').value = ''`)
	next(t, ctx, 200)

	a.check("review")
	clickTo(t, ctx, `form[action$="/submit"] button`)
	a.check("thank-you")

	tok = env.newCase("axe-optout@example.org")
	open(t, ctx, base+tok+"/optout")
	a.check("opt-out")
	clickTo(t, ctx, `form[action$="/optout"] button`)
	a.check("opted-out")
	open(t, ctx, base+"not-a-real-token")
	a.check("unknown-link")
	open(t, ctx, env.http.URL+"/privacy")
	a.check("privacy")
}

// The admin pages, as a PI who sees them all, pass the same rules.
func TestBrowserAccessibilityAdmin(t *testing.T) {
	env := newTestEnv(t)
	pi := env.addUser("pi@example.org", "pi")
	// A case whose page shows every part: a message to resolve, a logged
	// call, a mark, the do-not-contact list.
	someone := env.storedCase(env.newCase("someone@example.org")).ID
	if _, err := env.store.UpdateCase(t.Context(), someone, func(*survey.Case) (*survey.Change, error) {
		return &survey.Change{At: env.now, Mark: &survey.Mark{Code: "refused", At: env.now, By: pi.user.Email}, DoNotContact: &survey.Flag{At: env.now, By: pi.user.Email},
			Contact: &survey.Contact{Wave: "w1", Kind: "invitation", Mode: survey.ModeEmail, Status: survey.ContactUncertain, At: env.now}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 1280, 900, false)
	a := newAuditor(t, ctx, 320, 1280)
	open(t, ctx, env.http.URL+"/admin/login")
	a.check("admin-login")
	if err := chromedp.Run(ctx, chromedp.SendKeys("#email", pi.user.Email, chromedp.ByQuery),
		chromedp.SendKeys("#password", "a long enough password", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if status := clickTo(t, ctx, `form[action="/admin/login"] button`); status != 200 {
		t.Fatalf("login gave %d", status)
	}
	for _, page := range []string{"progress", "cases", "cases/" + someone, "waves", "fieldperiod", "codebook", "keys", "users", "audit", "results"} {
		var at string
		if status := open(t, ctx, env.http.URL+"/admin/"+page); status != 200 {
			t.Fatalf("/admin/%s gave %d", page, status)
		}
		if err := chromedp.Run(ctx, chromedp.Location(&at)); err != nil || !strings.HasSuffix(at, "/admin/"+page) {
			t.Fatalf("/admin/%s went to %s (%v)", page, at, err)
		}
		a.check("admin-" + strings.Replace(page, "/"+someone, "-case", 1))
	}
}
