package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
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
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTimeout()
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	})
	actions := []chromedp.Action{emulation.SetDeviceMetricsOverride(int64(width), int64(height), 2, mobile)}
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
			if (el.name === 'shown' || el.name === 'action' || el.closest('[data-conditional]')) continue;
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

// waitForNavigation waits until the browser has left the page at from; a
// page that comes back with errors instead fails the test.
func waitForNavigation(t *testing.T, ctx context.Context, from string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var at string
		var errs []*cdp.Node
		if err := chromedp.Run(ctx, chromedp.Location(&at), chromedp.Nodes(".error-summary", &errs, chromedp.ByQuery, chromedp.AtLeast(0))); err != nil {
			t.Fatal(err)
		}
		if len(errs) > 0 {
			var text string
			_ = chromedp.Run(ctx, chromedp.Text(".error-summary", &text, chromedp.ByQuery))
			t.Fatalf("page %s shows errors: %s", from, text)
		}
		if at != from {
			return
		}
	}
	t.Fatalf("page %s did not advance", from)
}

// takeSurvey goes from the link to the thank-you page in the browser.
func takeSurvey(t *testing.T, ctx context.Context, link string) (pages int) {
	t.Helper()
	var url string
	if err := chromedp.Run(ctx, chromedp.Navigate(link),
		chromedp.Click(`form[action$="/start"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`.progress-label`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
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
		if err := chromedp.Run(ctx, chromedp.Click(`button[value="next"]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		waitForNavigation(t, ctx, url)
	}
	var thanks string
	if err := chromedp.Run(ctx, chromedp.Click(`form[action$="/submit"] button`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitForNavigation(t, ctx, url)
	if err := chromedp.Run(ctx, chromedp.WaitVisible(`h1`, chromedp.ByQuery), chromedp.Text(`h1`, &thanks, chromedp.ByQuery)); err != nil {
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
			if err := chromedp.Run(ctx, chromedp.Navigate(env.http.URL+"/s/"+tok+"/page/technology"),
				chromedp.Evaluate(`getComputedStyle(document.querySelector('.matrix-head')).display`, &display)); err != nil {
				t.Fatal(err)
			}
			if display != tc.matrixHead {
				t.Errorf("matrix heading display %q, want %q", display, tc.matrixHead)
			}
			var shot []byte
			if err := chromedp.Run(ctx, chromedp.FullScreenshot(&shot, 100)); err == nil && os.Getenv("CANVASS_SCREENSHOTS") != "" {
				_ = os.WriteFile(fmt.Sprintf("%s/%s.png", os.Getenv("CANVASS_SCREENSHOTS"), strings.ReplaceAll(tc.name, " ", "-")), shot, 0o644)
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

// The research team's pages fit a 320 px phone: nothing is wider than the
// screen, so nothing scrolls sideways.
func TestAdminPagesFitAPhone(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	_, imported := env.importFrame(staff.key, syntheticCSV(t, 30, 3))
	for i, ic := range imported.Cases[:10] {
		env.answer(ic.URL[strings.LastIndex(ic.URL, "/")+1:], true, i%2 == 0)
	}
	ctx := browser(t, 320, 800, true)
	if err := chromedp.Run(ctx, chromedp.Navigate(env.http.URL+"/admin/login"),
		chromedp.SendKeys("#email", "staff@example.org", chromedp.ByQuery),
		chromedp.SendKeys("#password", goodPassword, chromedp.ByQuery),
		chromedp.Submit("#password", chromedp.ByQuery), chromedp.WaitVisible(".headline", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/progress", "/admin/cases", "/admin/waves"} {
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
