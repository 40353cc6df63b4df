package server

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
)

// The disposition menu starts on no choice, says what each code does, and
// a mark on a case with answers waits for a confirmation on a second page.
func TestCaseMarkNeedsAChoiceAndConfirmation(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("staff@example.org", account.RoleStaff)
	answered := env.newCase("answered@example.org")
	fresh := env.newCase("fresh@example.org")
	if _, err := env.store.UpdateCase(t.Context(), env.storedCase(answered).ID, func(*survey.Case) (*survey.Change, error) {
		return &survey.Change{SetAnswers: map[string]any{"years_in_position": 7}, Status: survey.StatusSubmitted, At: env.now}, nil
	}); err != nil {
		t.Fatal(err)
	}
	cookie, csrf := env.loginPage("staff@example.org")
	res, body := env.withCookie(cookie, "", "GET", "/admin/cases", "", "")
	wantStatus(t, res, body, 200)
	if !regexp.MustCompile(`name="code" required[^>]*><option value="" selected>`).MatchString(body) {
		t.Error("the disposition menu does not start on an empty choice")
	}
	for _, want := range []string{"<dt>bounced</dt><dd>the address does not reach the person. Reminders: none. Rates: unknown eligibility (UO)", "<dt>ineligible</dt><dd>left the position, or the department does not exist. Reminders: none. Rates: left out of every rate (NE)", "<dt>refused</dt><dd>the person declined, by phone, letter or a reply. Reminders: none. Rates: refusal (R)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not explain %q", want)
		}
	}
	mark := func(tok string, form url.Values) (int, string) {
		form.Set("csrf", csrf)
		form.Set("form_token", env.formToken(cookie, "/admin/cases"))
		res, body := env.withCookie(cookie, "", "POST", "/admin/cases/"+env.storedCase(tok).ID+"/disposition", "application/x-www-form-urlencoded", form.Encode())
		return res.StatusCode, body
	}
	if status, _ := mark(fresh, url.Values{"code": {""}}); status != 422 || env.storedCase(fresh).Mark != nil {
		t.Errorf("no choice: status %d, mark %+v; want 422 and nothing recorded", status, env.storedCase(fresh).Mark)
	}
	status, body := mark(answered, url.Values{"code": {"bounced"}})
	if status != 200 || !strings.Contains(body, "Confirm the disposition") || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("a case with answers: status %d, no confirmation asked:\n%.600s", status, body)
	}
	if env.storedCase(answered).Mark != nil {
		t.Fatal("the mark was recorded before the confirmation")
	}
	if status, _ := mark(answered, url.Values{"code": {"bounced"}, "confirm": {"yes"}}); status != 303 || env.storedCase(answered).Mark == nil {
		t.Errorf("confirmed: status %d, mark %+v", status, env.storedCase(answered).Mark)
	}
	if status, _ := mark(fresh, url.Values{"code": {"ineligible"}}); status != 303 || env.storedCase(fresh).Mark == nil {
		t.Errorf("a case without answers: status %d, want it marked at once", status)
	}
	if status, _ := mark(fresh, url.Values{"code": {"undo"}}); status != 303 || env.storedCase(fresh).Mark != nil {
		t.Errorf("undo: status %d, mark %+v", status, env.storedCase(fresh).Mark)
	}
}

// Without a mail server the Waves page says so and nothing is scheduled.
func TestWavesWithoutMailServer(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	env.newCase("a@example.org")
	res, body := env.doAs(staff.key, "GET", "/admin/waves", "", "")
	if !strings.Contains(body, "mail.example.test:587") {
		t.Error("the page does not name the mail server")
	}
	env.srv.Fieldwork.MailServer = ""
	res, body = env.doAs(staff.key, "GET", "/admin/waves", "", "")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, "No mail server is configured") || strings.Contains(body, `value="create"`) {
		t.Error("the page does not say that no mail server is configured, or still offers to schedule")
	}
	res, body = env.doAs(staff.key, "POST", "/api/v1/waves", "application/json", `{"kind": "invitation", "scheduled_at": "now"}`)
	wantStatus(t, res, body, 409)
	if !strings.Contains(body, "CANVASS_SMTP_HOST") {
		t.Errorf("the refusal does not say what to configure: %s", body)
	}
	res, body = env.doAs(staff.key, "POST", "/admin/waves", "application/x-www-form-urlencoded", url.Values{"kind": {"invitation"}, "when": {"now"}, "action": {"create"}}.Encode())
	wantStatus(t, res, body, 409)
	if ws, _ := env.store.Waves(t.Context(), env.srv.Instrument.ID); len(ws) != 0 {
		t.Errorf("%d waves stored without a mail server", len(ws))
	}
}

// The preview shows how many people the wave goes to and the email as it
// shows, not its source; only then is scheduling offered. A start in the
// past is "now" only when chosen.
func TestWavePreviewBeforeScheduling(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	env.newCase("a@example.org")
	env.newCase("b@example.org")
	res, body := env.doAs(staff.key, "GET", "/admin/waves", "", "")
	if strings.Contains(body, `value="create"`) {
		t.Error("scheduling is offered before a preview")
	}
	form := url.Values{"kind": {"invitation"}, "when": {"now"}, "action": {"preview"}}
	res, body = env.doAs(staff.key, "POST", "/admin/waves", "application/x-www-form-urlencoded", form.Encode())
	wantStatus(t, res, body, 200)
	for _, want := range []string{"It goes to 2 people", `<iframe class="email" sandbox="" `, "srcdoc=", "Schedule it for 2 people"} {
		if !strings.Contains(body, want) {
			t.Errorf("the preview lacks %q", want)
		}
	}
	if strings.Contains(body, "HTML (source)") {
		t.Error("the preview shows the HTML source")
	}
	for _, tc := range []struct {
		when, at string
		want     int
	}{
		{"at", "2020-01-01T09:00", 422},
		{"at", "", 422},
		{"at", "2026-06-02T09:00", 303},
		{"now", "2020-01-01T09:00", 303},
	} {
		form := url.Values{"kind": {"reminder"}, "when": {tc.when}, "scheduled_at": {tc.at}, "action": {"create"}}
		res, body := env.doAs(staff.key, "POST", "/admin/waves", "application/x-www-form-urlencoded", form.Encode())
		if res.StatusCode != tc.want {
			t.Errorf("when %s %q: status %d, want %d: %.300s", tc.when, tc.at, res.StatusCode, tc.want, body)
		}
	}
}
