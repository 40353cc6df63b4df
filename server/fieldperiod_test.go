package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldperiod"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// fieldPeriod posts a change of the field period as who and returns the
// answer.
func (env *testEnv) fieldPeriod(key, body string) (int, fieldPeriodAnswer) {
	env.t.Helper()
	res, out := env.doAs(key, "POST", "/api/v1/fieldperiod", "application/json", body)
	var got fieldPeriodAnswer
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		env.t.Fatalf("%s: %v", out, err)
	}
	return res.StatusCode, got
}

type fieldPeriodAnswer struct {
	Closes      time.Time
	PausedUntil *time.Time `json:"paused_until"`
	UpdatedBy   string     `json:"updated_by"`
	Open        bool
	Paused      bool
	Error       string
	Fields      map[string]string
}

// saveOne saves one answer through the respondent API and returns the
// status and body.
func (env *testEnv) saveOne(tok string) (int, string) {
	env.t.Helper()
	it := env.srv.Instrument.Items()[0]
	b, _ := json.Marshal(map[string]any{"answers": map[string]any{it.ID: validAnswer(it)}})
	res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", string(b))
	return res.StatusCode, body
}

// A PI extends a field period that has closed: the closed page goes away
// at once, answers are taken again, the thank-you page quotes the new close,
// and the change is in the audit log.
func TestFieldPeriodExtend(t *testing.T) {
	env := newTestEnv(t)
	pi := env.addUser("pi@example.org", account.RolePI)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	tok := env.startedCase("late@example.org")
	env.now = time.Date(2028, 1, 10, 12, 0, 0, 0, time.UTC) // after the questionnaire's close
	if res, body := env.get("/s/" + tok); !strings.Contains(body, "has closed") {
		t.Fatalf("before: %d %.300s", res.StatusCode, body)
	}
	if status, _ := env.saveOne(tok); status != 403 {
		t.Fatalf("a save after the close: %d, want 403", status)
	}

	status, got := env.fieldPeriod(pi.key, `{"closes": "2028-02-29"}`)
	if want := time.Date(2028, 3, 1, 0, 0, 0, 0, env.srv.Instrument.FieldPeriod.Location()); status != 200 || !got.Closes.Equal(want) || !got.Open || got.UpdatedBy != "pi@example.org" {
		t.Fatalf("extend: %d %+v, want closes %v", status, got, want)
	}
	if res, body := env.get("/s/" + tok); !strings.Contains(location(t, res, body), "/page/") {
		t.Errorf("after extending, the link does not resume the questionnaire: %.300s", body)
	}
	env.answer(tok, false, true)
	if _, body := env.get("/s/" + tok); !strings.Contains(body, "once the survey closes on Tuesday, February 29, 2028") {
		t.Errorf("the thank-you page does not quote the new close: %.600s", body)
	}
	res, body := env.doAs(staff.key, "GET", "/api/v1/fieldperiod", "", "")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `"closes":"2028-03-01T00:00:00-07:00"`) || !strings.Contains(body, `"questionnaire_closes":"2027-12-31T23:59:59-07:00"`) {
		t.Errorf("GET: %s", body)
	}
	entries, err := env.store.Audit(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 || entries[0].Action != "fieldperiod.change" || entries[0].Actor != "pi@example.org" || entries[0].Detail["closes"] != "2028-03-01T00:00:00-07:00" {
		t.Errorf("audit %+v", entries)
	}
}

// A pause shows respondents when collection resumes and refuses their
// saves with a 403 saying so; it ends by itself at that time, or when a PI
// resumes collection.
func TestFieldPeriodPause(t *testing.T) {
	env := newTestEnv(t)
	pi := env.addUser("pi@example.org", account.RolePI)
	tok := env.startedCase("paused@example.org")
	status, got := env.fieldPeriod(pi.key, `{"paused_until": "2026-06-08T09:00"}`)
	if status != 200 || !got.Paused || got.Open || got.PausedUntil == nil {
		t.Fatalf("pause: %d %+v", status, got)
	}
	const until = "Collection is paused until Monday, June 8, 2026 at 9:00 AM MST"
	if res, body := env.get("/s/" + tok); res.StatusCode != 200 || !strings.Contains(body, until) {
		t.Errorf("the link during a pause: %d %.400s", res.StatusCode, body)
	}
	if status, body := env.saveOne(tok); status != 403 || !strings.Contains(body, until) {
		t.Errorf("a save during a pause: %d %s", status, body)
	}
	res, body := env.json("GET", "/api/v1/respond/"+tok, "")
	if !strings.Contains(body, `"open":false`) || !strings.Contains(body, `"paused_until":"2026-06-08T09:00:00-07:00"`) {
		t.Errorf("the respondent API during a pause: %d %.300s", res.StatusCode, body)
	}

	env.now = time.Date(2026, 6, 8, 16, 0, 0, 0, time.UTC) // 09:00 in Phoenix
	if status, body := env.saveOne(tok); status != 200 {
		t.Errorf("a save when the pause ended: %d %s", status, body)
	}
	env.fieldPeriod(pi.key, `{"paused_until": "2026-06-20T09:00"}`)
	if status, _ := env.saveOne(tok); status != 403 {
		t.Errorf("a save during the second pause: %d", status)
	}
	if status, got := env.fieldPeriod(pi.key, `{"resume": true}`); status != 200 || got.Paused || !got.Open {
		t.Errorf("resume: %d %+v", status, got)
	}
	if status, body := env.saveOne(tok); status != 200 {
		t.Errorf("a save after resuming: %d %s", status, body)
	}
}

// Bad changes are refused with 422 naming the field, and change nothing;
// only a PI may change the field period.
func TestFieldPeriodBadInput(t *testing.T) {
	env := newTestEnv(t)
	pi := env.addUser("pi@example.org", account.RolePI)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	for _, tc := range []struct{ body, field, want string }{
		{`{"closes": "2025-12-30"}`, "closes", "must be after the start"},
		{`{"closes": "2026-05-31"}`, "closes", "is in the past"},
		{`{"closes": "2026-06-01T07:59"}`, "closes", "is in the past"},
		{`{"closes": "next week"}`, "closes", "YYYY-MM-DD"},
		{`{"paused_until": "2026-06-01T07:00"}`, "paused_until", "is in the past"},
		{`{"paused_until": "2026-06-08"}`, "paused_until", "YYYY-MM-DDTHH:MM"},
		{`{"paused_until": "2028-06-01T09:00"}`, "paused_until", "must be before the close"},
		{`{"resume": true, "paused_until": "2026-06-08T09:00"}`, "resume", "not both"},
		{`{}`, "closes", "give a new close"},
	} {
		status, got := env.fieldPeriod(pi.key, tc.body)
		if status != 422 || !strings.Contains(got.Fields[tc.field], tc.want) {
			t.Errorf("%s: %d %+v, want 422 with %s: %q", tc.body, status, got, tc.field, tc.want)
		}
	}
	if status, _ := env.fieldPeriod(staff.key, `{"closes": "2028-02-29"}`); status != 403 {
		t.Errorf("staff changing the field period: %d, want 403", status)
	}
	res, body := env.doAs(pi.key, "GET", "/api/v1/fieldperiod", "", "")
	if !strings.Contains(body, `"closes":"2027-12-31T23:59:59-07:00"`) || strings.Contains(body, "updated_by") {
		t.Errorf("after refused changes: %d %s", res.StatusCode, body)
	}
}

// The admin page: a PI moves the close with the form (CSRF and a one-time
// token, as every form) and sees the outcome; a bad date comes back as 422
// naming it; staff see the dates without the forms.
func TestFieldPeriodAdminPage(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	env.addUser("staff@example.org", account.RoleStaff)
	cookie, csrf := env.loginPage("pi@example.org")
	post := func(form url.Values) (int, string) {
		res, body := env.withCookie(cookie, "", "POST", "/admin/fieldperiod", "application/x-www-form-urlencoded", form.Encode())
		return res.StatusCode, body
	}
	if status, _ := post(url.Values{"action": {"close"}, "closes": {"2028-01-31"}, "form_token": {env.formToken(cookie, "/admin/fieldperiod")}}); status != 403 {
		t.Errorf("without the CSRF token: %d, want 403", status)
	}
	if status, body := post(url.Values{"csrf": {csrf}, "action": {"close"}, "closes": {"2025-01-31"}, "form_token": {env.formToken(cookie, "/admin/fieldperiod")}}); status != 422 || !strings.Contains(body, "closes: must be after the start") {
		t.Errorf("a close before the start: %d %.300s", status, body)
	}
	res, body := env.withCookie(cookie, "", "POST", "/admin/fieldperiod", "application/x-www-form-urlencoded",
		url.Values{"csrf": {csrf}, "action": {"close"}, "closes": {"2028-01-31"}, "form_token": {env.formToken(cookie, "/admin/fieldperiod")}}.Encode())
	if got := location(t, res, body); got != "/admin/fieldperiod" {
		t.Errorf("after the change: to %q", got)
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/fieldperiod", "", "")
	wantStatus(t, res, body, 200)
	for _, want := range []string{"Collection closes at the end of Monday, January 31, 2028.", "until <strong>2028-02-01 00:00</strong>", "a PI moved it", "by pi@example.org", `name="paused_until"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	staffCookie, _ := env.loginPage("staff@example.org")
	res, body = env.withCookie(staffCookie, "", "GET", "/admin/fieldperiod", "", "")
	wantStatus(t, res, body, 200)
	if strings.Contains(body, `name="paused_until"`) || !strings.Contains(body, "Only a principal investigator") || !strings.Contains(body, "2028-02-01 00:00") {
		t.Errorf("the staff page: %.1000s", body)
	}
}

// Another instance on the same store serves the change to its respondents
// once the period it read is older than fieldperiod.MaxAge, without a
// restart.
func TestFieldPeriodOtherInstance(t *testing.T) {
	env := newTestEnv(t)
	pi := env.addUser("pi@example.org", account.RolePI)
	tok := env.startedCase("elsewhere@example.org")
	other, err := New(Options{Store: env.store, Instrument: instrument.Default(), Secret: testSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return env.now }})
	if err != nil {
		t.Fatal(err)
	}
	wall := &fakeWall{t: time.Now()}
	other.Respond.Period.Wall = wall.now
	ts := httptest.NewServer(other)
	defer ts.Close()
	get := func() string {
		res, err := ts.Client().Get(ts.URL + "/s/" + tok)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if strings.Contains(get(), "paused") {
		t.Fatal("paused before the pause")
	}
	env.fieldPeriod(pi.key, `{"paused_until": "2026-06-08T09:00"}`)
	wall.add(fieldperiod.MaxAge)
	if body := get(); !strings.Contains(body, "Collection is paused until") {
		t.Errorf("the other instance, %v later: %.300s", fieldperiod.MaxAge, body)
	}
}
