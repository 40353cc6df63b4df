package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/token"
)

// chromium finds the browser the end-to-end tests drive. CI installs
// Debian's chromium (make deps); a missing browser fails the test, since a
// skipped test would prove nothing.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CANVASS_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("no Chromium found: run `make deps` (Debian: apt-get install chromium) or set CANVASS_CHROMIUM")
	return ""
}

// browser starts a headless Chromium with the given window size.
func browser(t *testing.T, width, height int, mobile bool) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	// Not t.TempDir: Chromium's helpers may still write the profile for a
	// moment after the browser exits, which would fail that cleanup.
	profile, err := os.MkdirTemp("", "canvass-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// A guard against a hung browser, not a speed limit: the accessibility
	// walk takes 40 s on two idle cores and several times that when other
	// builds share them.
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTimeout()
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	})
	// Focus emulation: a headless page does not have the window's focus,
	// so :focus would never match and focus styles could not be measured.
	actions := []chromedp.Action{emulation.SetDeviceMetricsOverride(int64(width), int64(height), 2, mobile), emulation.SetFocusEmulationEnabled(true)}
	if mobile {
		actions = append(actions, emulation.SetUserAgentOverride(
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"))
	}
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// answerPage fills in every question on the current page the way a person
// would — clicking the last option of each choice, typing into text fields —
// and returns how many questions it answered.
func answerPage(t *testing.T, ctx context.Context) int {
	t.Helper()
	var fields []struct {
		ID, Type string
		Options  []string
	}
	// Read the form's structure from the DOM through DevTools; the page's own
	// scripts may be disabled.
	err := chromedp.Run(ctx, chromedp.Evaluate(`(() => {
		const out = [];
		for (const el of document.querySelectorAll('form [name]')) {
			if (el.name === 'shown' || el.name === 'action' || el.closest('.conditional')) continue;
			let f = out.find(f => f.ID === el.name);
			if (!f) { f = {ID: el.name, Type: el.type || el.tagName.toLowerCase(), Options: []}; out.push(f); }
			if (el.type === 'radio' || el.type === 'checkbox') {
				if (!el.hasAttribute('data-exclusive')) f.Options.push(el.id);
			} else if (el.tagName === 'SELECT') {
				f.Type = 'select';
				for (const o of el.options) if (o.value && !o.value.includes('_')) f.Options.push(o.value);
			} else f.Type = el.tagName === 'TEXTAREA' ? 'textarea' : 'text';
		}
		return out;
	})()`, &fields))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		var action chromedp.Action
		switch f.Type {
		case "radio", "checkbox":
			if len(f.Options) == 0 {
				continue // a special answer alone, e.g. "don't know" beside a text field
			}
			action = chromedp.Click("#"+f.Options[len(f.Options)-1], chromedp.ByQuery)
		case "select":
			action = chromedp.SetValue("#"+f.ID, f.Options[0], chromedp.ByQuery)
		default:
			text := "Typed in a browser"
			if f.ID == "years_in_position" {
				text = "12"
			}
			action = chromedp.SendKeys("#"+f.ID, text, chromedp.ByQuery)
		}
		if err := chromedp.Run(ctx, action); err != nil {
			t.Fatalf("answering %s: %v", f.ID, err)
		}
	}
	return len(fields)
}

// open loads url and waits for the page to finish loading; it returns
// the HTTP status of the document.
func open(t *testing.T, ctx context.Context, url string) int64 {
	t.Helper()
	return follow(t, ctx, chromedp.Navigate(url))
}

// follow runs an action that leads to another page (a click on a link or a
// submit button) and waits until that page has loaded, following
// redirects; it returns the HTTP status of the document that ends up
// shown. Reading the page any earlier would read the old one, or a DOM
// that is being replaced ("Could not find node with given id").
func follow(t *testing.T, ctx context.Context, action chromedp.Action) int64 {
	t.Helper()
	res, err := chromedp.RunResponse(ctx, action)
	if err != nil {
		t.Fatal(err)
	}
	if res == nil {
		t.Fatal("the action loaded no page")
	}
	return res.Status
}

// clickTo clicks the element sel and waits for the page it leads to.
func clickTo(t *testing.T, ctx context.Context, sel string) int64 {
	t.Helper()
	return follow(t, ctx, chromedp.Click(sel, chromedp.ByQuery))
}

// errorSummary is the text of the page's error summary, if it has one.
func errorSummary(t *testing.T, ctx context.Context) string {
	t.Helper()
	var text string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('.error-summary')?.innerText ?? ''`, &text)); err != nil {
		t.Fatal(err)
	}
	return text
}

// takeSurvey goes from the link to the thank-you page in the browser.
func takeSurvey(t *testing.T, ctx context.Context, link string) (pages int) {
	t.Helper()
	var url string
	open(t, ctx, link)
	if status := clickTo(t, ctx, `form[action$="/start"] button`); status != 200 {
		t.Fatalf("start came back with %d", status)
	}
	for pages = 0; pages < 20; pages++ {
		if err := chromedp.Run(ctx, chromedp.Location(&url)); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(url, "/review") {
			break
		}
		if answerPage(t, ctx) == 0 {
			t.Fatalf("page %s shows no questions", url)
		}
		if status := clickTo(t, ctx, `button[value="next"]`); status != 200 {
			t.Fatalf("page %s came back with %d: %s", url, status, errorSummary(t, ctx))
		}
	}
	var thanks string
	if status := clickTo(t, ctx, `form[action$="/submit"] button`); status != 200 {
		t.Fatalf("submit came back with %d: %s", status, errorSummary(t, ctx))
	}
	if err := chromedp.Run(ctx, chromedp.Text(`h1`, &thanks, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if thanks != "Thank you" {
		t.Fatalf("after submit the page says %q", thanks)
	}
	return pages
}

// A person answers the whole questionnaire in a real browser: on a phone
// with scripts on, and on a desktop with scripts off.
func TestBrowserEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name          string
		width, height int
		mobile        bool
		noScript      bool
		matrixHead    string // the matrix column headings' display on this screen
	}{
		{"phone", 390, 844, true, false, "none"},
		{"desktop without JavaScript", 1280, 900, false, true, "grid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			tok := env.newCase(strings.ReplaceAll(tc.name, " ", "-") + "@example.org")
			ctx := browser(t, tc.width, tc.height, tc.mobile)
			if tc.noScript {
				if err := chromedp.Run(ctx, emulation.SetScriptExecutionDisabled(true)); err != nil {
					t.Fatal(err)
				}
			}
			// The matrix layout: stacked rows on a phone, a table on a desktop.
			var display string
			env.postForm("/s/"+tok+"/start", nil)
			open(t, ctx, env.http.URL+"/s/"+tok+"/page/technology")
			if err := chromedp.Run(ctx, chromedp.Evaluate(`getComputedStyle(document.querySelector('.matrix-head')).display`, &display)); err != nil {
				t.Fatal(err)
			}
			if display != tc.matrixHead {
				t.Errorf("matrix heading display %q, want %q", display, tc.matrixHead)
			}
			// Start over from a fresh case so the whole path runs in the browser.
			tok = env.newCase("whole-" + strings.ReplaceAll(tc.name, " ", "-") + "@example.org")
			pages := takeSurvey(t, ctx, env.http.URL+"/s/"+tok)
			c := env.storedCase(tok)
			if c.Status != survey.StatusSubmitted {
				t.Fatalf("status %q after %d pages", c.Status, pages)
			}
			if got := env.srv.Instrument.Normalize(c.Answers)["years_in_position"]; got != 12.0 {
				t.Errorf("years_in_position stored as %v", got)
			}
			wantDevice := "desktop"
			if tc.mobile {
				wantDevice = "mobile"
			}
			if c.Paradata.Device != wantDevice {
				t.Errorf("device %q", c.Paradata.Device)
			}
		})
	}
}

// misalignedJS lists every matrix radio whose centre does not lie under its
// own column heading (the heading of the same position), and fails when
// the page shows no heading to measure against.
const misalignedJS = `(() => {
	const bad = [];
	const matrices = document.querySelectorAll('.matrix');
	if (matrices.length === 0) return ['no matrix on the page'];
	for (const m of matrices) {
		const heads = [...m.querySelectorAll('.matrix-head span')].filter(s => s.textContent.trim()).map(s => s.getBoundingClientRect());
		if (heads.length === 0 || heads[0].width === 0) return ['the matrix headings are not shown'];
		for (const row of m.querySelectorAll('.row')) {
			row.querySelectorAll('input').forEach((input, i) => {
				const r = input.getBoundingClientRect(), x = r.left + r.width / 2, h = heads[i];
				if (!h || x < h.left || x > h.right) bad.push(input.id + ': centre at x=' + x.toFixed(0) + ', its heading spans ' + (h ? h.left.toFixed(0) + '-' + h.right.toFixed(0) : 'nothing'));
			});
		}
	}
	return bad;
})()`

// A matrix sent back with an error on one row keeps every radio under its
// own heading, at the narrowest and a wide table layout, and a click
// anywhere in a cell (not only on the radio) chooses that cell's option.
func TestBrowserMatrixAlignment(t *testing.T) {
	env := newTestEnv(t)
	tok := env.startedCase("align@example.org")
	page := env.http.URL + "/s/" + tok + "/page/technology"
	ctx := browser(t, 1280, 900, false)
	for _, width := range []int64{768, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(width, 900, 1, false)); err != nil {
				t.Fatal(err)
			}
			open(t, ctx, page)
			// Every row but the third is answered; the third comes back in error.
			for _, id := range []string{"tech_capacity_2-2", "tech_capacity_4-4", "tech_capacity_5-5"} {
				if err := chromedp.Run(ctx, chromedp.Click("#"+id, chromedp.ByQuery)); err != nil {
					t.Fatal(err)
				}
			}
			// The first row by a click in the top left corner of its "Disagree" cell.
			var cell struct{ X, Y float64 }
			if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const cell = document.querySelector('#tech_capacity_1-2').closest('.choice'); cell.scrollIntoView({block: 'center'}); const r = cell.getBoundingClientRect(); return {X: r.left + 3, Y: r.top + 3}; })()`, &cell)); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Run(ctx, chromedp.MouseClickXY(cell.X, cell.Y)); err != nil {
				t.Fatal(err)
			}
			if status := clickTo(t, ctx, `button[value="next"]`); status != 422 {
				t.Fatalf("status %d, want 422 for the unanswered row", status)
			}
			var errorRows int
			var bad []string
			if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll('.matrix .row.has-error').length`, &errorRows),
				chromedp.Evaluate(misalignedJS, &bad)); err != nil {
				t.Fatal(err)
			}
			if errorRows != 1 {
				t.Errorf("%d rows in error, want 1", errorRows)
			}
			for _, b := range bad {
				t.Error(b)
			}
			if got := env.srv.Instrument.Normalize(env.storedCase(tok).Answers)["tech_capacity_1"]; got != 2 {
				t.Errorf("a click in the corner of the Disagree cell stored %v, want 2", got)
			}
		})
	}
}

// With scripts, the follow-up on the Policies page shows only while "Yes"
// is chosen; "Yes" controls it, and a live region says when it comes and
// goes.
func TestBrowserConditionalReveal(t *testing.T) {
	env := newTestEnv(t)
	tok := env.startedCase("reveal@example.org")
	ctx := browser(t, 1280, 900, false)
	open(t, ctx, env.http.URL+"/s/"+tok+"/page/policies")
	var controls string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('#open_data_policy-1').getAttribute('aria-controls')`, &controls)); err != nil {
		t.Fatal(err)
	}
	if controls != "conditional-open_data_policy_year" {
		t.Errorf("Yes has aria-controls %q", controls)
	}
	const year = "In what year did your city adopt its open data policy?"
	for _, step := range []struct {
		click string // "" for the page as loaded
		shown bool
		said  string
	}{
		{"", false, ""},
		{"#open_data_policy-1", true, "Follow-up question shown: " + year},
		{"#open_data_policy-0", false, "Follow-up question hidden: " + year},
		{"#open_data_policy-dont_know", false, "Follow-up question hidden: " + year}, // still hidden: nothing new to say
	} {
		if step.click != "" {
			click(t, ctx, step.click)
		}
		var shown bool
		var said string
		if err := chromedp.Run(ctx,
			chromedp.Evaluate(`document.querySelector('#conditional-open_data_policy_year').offsetParent !== null`, &shown),
			chromedp.Evaluate(`document.querySelector('#reveal-status').textContent`, &said)); err != nil {
			t.Fatal(err)
		}
		if shown != step.shown || !strings.HasPrefix(said, step.said) {
			t.Errorf("after %q: shown %v, live region %q; want %v, %q", step.click, shown, said, step.shown, step.said)
		}
	}
}

// focusJS focuses each kind of control and measures its focus indicator:
// the best contrast any part of it (outline, shadows, background) has
// against each page background it can sit on, the worst of those; and the
// focused skip link's text contrast. Colours follow WCAG's relative
// luminance.
const focusJS = `(() => {
	const rgb = c => c.match(/[\d.]+/g).map(Number);
	const lum = c => { const m = rgb(c); const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]); };
	const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
	const opaque = c => { const m = rgb(c); return m.length < 4 || m[3] > 0; };
	const out = {};
	const skip = document.querySelector('.skip');
	skip.focus();
	out['skip link text'] = ratio(getComputedStyle(skip).color, getComputedStyle(skip).backgroundColor);
	const backgrounds = ['rgb(255, 255, 255)', 'rgb(243, 242, 241)'];
	for (const [name, sel] of [['link', 'footer a'], ['button', 'button[value=next]'], ['link-styled button', 'button.link'],
			['radio button or check box', 'input[type=radio], input[type=checkbox]'], ['text field', 'input[type=text]'], ['select list', 'select']]) {
		const el = document.querySelector(sel);
		el.focus();
		const st = getComputedStyle(el);
		const parts = (st.boxShadow.match(/rgba?\([^)]*\)/g) || []).concat(st.outlineStyle === 'none' ? [] : [st.outlineColor], [st.backgroundColor]).filter(opaque);
		out[name] = Math.min(...backgrounds.map(bg => Math.max(0, ...parts.map(c => ratio(c, bg)))));
	}
	out['main padding-top'] = parseFloat(getComputedStyle(document.querySelector('main')).paddingTop);
	return out;
})()`

// Every focused control shows an indicator with at least 3:1 against the
// page's backgrounds (WCAG 1.4.11), the focused skip link's text has at
// least 4.5:1 (1.4.3), and the page keeps its space below the header.
func TestBrowserFocusAndSpacing(t *testing.T) {
	env := newTestEnv(t)
	tok := env.startedCase("focus@example.org")
	ctx := browser(t, 1280, 900, false)
	open(t, ctx, env.http.URL+"/s/"+tok+"/page/about_you")
	var got map[string]float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(focusJS, &got)); err != nil {
		t.Fatal(err)
	}
	for name, min := range map[string]float64{"skip link text": 4.5, "link": 3, "button": 3, "link-styled button": 3,
		"radio button or check box": 3, "text field": 3, "select list": 3, "main padding-top": 16} {
		if got[name] < min {
			t.Errorf("%s: %.2f, want at least %g", name, got[name], min)
		}
	}
}

// The research team's pages fit a 320 px phone: nothing is wider than the
// screen, so nothing scrolls sideways.
func TestAdminPagesFitAPhone(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	_, imported := env.importFrame(staff.key, syntheticCSV(t, 30, 3))
	for i, ic := range imported.Cases[:10] {
		env.answer(ic.URL[strings.LastIndex(ic.URL, "/")+1:], true, i%2 == 0)
	}
	// An address longer than the screen is wide, as real ones are.
	long := token.NewHasher(testSecret).CaseID(env.newCase("jennifer.jackson.22@greenton-ca.example.org"))
	ctx := browser(t, 320, 800, true)
	if err := chromedp.Run(ctx, chromedp.Navigate(env.http.URL+"/admin/login"),
		chromedp.SendKeys("#email", "staff@example.org", chromedp.ByQuery),
		chromedp.SendKeys("#password", goodPassword, chromedp.ByQuery),
		chromedp.Submit("#password", chromedp.ByQuery), chromedp.WaitVisible(".headline", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/progress", "/admin/cases", "/admin/cases/" + long, "/admin/waves", "/admin/fieldperiod",
		"/admin/results", "/admin/keys", "/admin/codebook"} {
		var width int
		if err := chromedp.Run(ctx, chromedp.Navigate(env.http.URL+path), chromedp.WaitVisible("h1", chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.scrollWidth`, &width)); err != nil {
			t.Fatal(err)
		}
		if width > 320 {
			t.Errorf("%s is %d px wide on a 320 px screen", path, width)
		}
	}
}

// An open Progress page brings in new figures without reloading itself.
func TestProgressUpdatesInPlace(t *testing.T) {
	env := newTestEnv(t)
	env.srv.progressRefresh = time.Second
	wall := env.useFakeWall()
	env.addUser("staff@example.org", account.RoleStaff)
	env.newCase("a@example.org")
	ctx := browser(t, 1280, 900, false)
	var headline string
	if err := chromedp.Run(ctx, chromedp.Navigate(env.http.URL+"/admin/login"),
		chromedp.SendKeys("#email", "staff@example.org", chromedp.ByQuery),
		chromedp.SendKeys("#password", goodPassword, chromedp.ByQuery),
		chromedp.Submit("#password", chromedp.ByQuery), chromedp.WaitVisible(".headline", chromedp.ByQuery),
		chromedp.Evaluate(`window.stillThisPage = true`, nil),
		chromedp.Text(".headline", &headline, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(headline, "0 of 1 complete") {
		t.Fatalf("headline %q", headline)
	}
	env.newCase("b@example.org")
	wall.add(progressMaxAge) // the snapshot is old now
	var same bool
	if err := chromedp.Run(ctx, chromedp.Poll(`document.querySelector(".headline").textContent.includes("0 of 2 complete")`, nil),
		chromedp.Evaluate(`window.stillThisPage === true`, &same)); err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Error("the page reloaded to update")
	}
}
