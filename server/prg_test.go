package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Every admin form answers success with 303 to a page that shows the
// outcome once; the same form sent again (a double click, a reload of the
// answer) is done once.
func TestFormsRedirectAndFlashOnce(t *testing.T) {
	env := newTestEnv(t)
	pi := env.addUser("pi@example.org", account.RolePI)
	tok := env.newCase("case@example.org")
	caseID := env.storedCase(tok).ID
	cookie, csrf := env.loginPage("pi@example.org")
	count := func(what string) int {
		switch what {
		case "keys":
			keys, _ := env.store.Keys(t.Context(), pi.user.ID)
			return len(keys)
		case "users":
			users, _ := env.store.Users(t.Context())
			return len(users)
		case "waves":
			ws, _ := env.store.Waves(t.Context(), env.srv.Instrument.ID)
			return len(ws)
		case "history":
			return len(env.storedCase(tok).History)
		}
		t.Fatalf("count %s", what)
		return 0
	}
	for _, tc := range []struct {
		name, page, action string
		form               url.Values
		counts             string
		notice             string
	}{
		{"key", "/admin/keys", "/admin/keys", url.Values{"name": {"nightly"}}, "keys", "Copy the key now"},
		{"user", "/admin/users", "/admin/users", url.Values{"email": {"new@example.org"}, "password": {goodPassword}, "role": {"staff"}}, "users", "Added new@example.org"},
		{"wave", "/admin/waves", "/admin/waves", url.Values{"kind": {"invitation"}, "action": {"create"}, "when": {"now"}}, "waves", "wave is scheduled"},
		{"mark", "/admin/cases", "/admin/cases/" + caseID + "/disposition", url.Values{"code": {"other"}, "confirm": {"yes"}}, "history", "is now O"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := count(tc.counts)
			tc.form.Set("csrf", csrf)
			tc.form.Set("form_token", env.formToken(cookie, tc.page))
			res, body := env.withCookie(cookie, "", "POST", tc.action, "application/x-www-form-urlencoded", tc.form.Encode())
			to := location(t, res, body)
			if !strings.HasPrefix(to, tc.page) {
				t.Errorf("redirected to %q, want %s", to, tc.page)
			}
			res, body = env.withCookie(cookie, "", "GET", to, "", "")
			wantStatus(t, res, body, 200)
			if !strings.Contains(body, tc.notice) {
				t.Errorf("the page after the form does not say %q", tc.notice)
			}
			if _, again := env.withCookie(cookie, "", "GET", to, "", ""); strings.Contains(again, tc.notice) {
				t.Errorf("the notice %q shows twice", tc.notice)
			}
			// The same form again: nothing more is made.
			res, body = env.withCookie(cookie, "", "POST", tc.action, "application/x-www-form-urlencoded", tc.form.Encode())
			res, body = env.withCookie(cookie, "", "GET", location(t, res, body), "", "")
			if !strings.Contains(body, "already sent") {
				t.Errorf("the form sent again does not say it was done already")
			}
			if got := count(tc.counts); got != before+1 {
				t.Errorf("%s: %d after sending one form twice, want %d", tc.counts, got, before+1)
			}
		})
	}

}

// A double click: the same form sent four times at once makes one wave.
func TestFormDoubleClick(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	cookie, csrf := env.loginPage("pi@example.org")
	form := url.Values{"csrf": {csrf}, "form_token": {env.formToken(cookie, "/admin/waves")}, "kind": {"reminder"}, "action": {"create"}, "when": {"now"}}
	before := len(storedWaves(t, env))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", env.http.URL+"/admin/waves", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(cookie)
			if res, err := env.client.Do(req); err == nil {
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	if got := len(storedWaves(t, env)); got != before+1 {
		t.Errorf("%d waves after four simultaneous sends of one form, want %d", got, before+1)
	}
}

func storedWaves(t *testing.T, env *testEnv) []waves.Wave {
	t.Helper()
	ws, err := env.store.Waves(t.Context(), env.srv.Instrument.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// A form without its one-time token is refused, asking for a reload.
func TestFormWithoutToken(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	cookie, csrf := env.loginPage("pi@example.org")
	res, body := env.withCookie(cookie, "", "POST", "/admin/keys", "application/x-www-form-urlencoded", url.Values{"csrf": {csrf}, "name": {"x"}}.Encode())
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, "reload the page") {
		t.Errorf("no reason given: %.300s", body)
	}
}

// The same Idempotency-Key returns the same wave, also to requests at once.
func TestWaveIdempotencyKey(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	post := func(key string) (*http.Response, string) {
		h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + staff.key}}
		if key != "" {
			h["Idempotency-Key"] = []string{key}
		}
		return env.doWith(h, "POST", "/api/v1/waves", `{"kind": "invitation", "scheduled_at": "now"}`)
	}
	idOf := func(body string) string {
		var w struct{ ID string }
		_ = json.Unmarshal([]byte(body), &w)
		return w.ID
	}
	res, first := post("retry-1")
	wantStatus(t, res, first, 201)
	res, again := post("retry-1")
	wantStatus(t, res, again, 200)
	if idOf(first) == "" || idOf(first) != idOf(again) || res.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the same key made %q then %q", idOf(first), idOf(again))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); post("retry-2") }()
	}
	wg.Wait()
	res, body := post("bad key with spaces")
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, "Idempotency-Key") {
		t.Errorf("the error does not name the header: %s", body)
	}
	ws, _ := env.store.Waves(t.Context(), env.srv.Instrument.ID)
	if len(ws) != 2 {
		t.Errorf("%d waves from two keys, want 2", len(ws))
	}
}

// A form whose action failed gives its claim back: sent again (corrected,
// or once the store is back), it is done, not reported as done before.
func TestFailedFormCanBeSentAgain(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	caseID := env.storedCase(env.newCase("case@example.org")).ID
	cookie, csrf := env.loginPage("pi@example.org")
	token := env.formToken(cookie, "/admin/cases")
	send := func(code string) (*http.Response, string) {
		form := url.Values{"csrf": {csrf}, "form_token": {token}, "code": {code}, "confirm": {"yes"}}
		return env.withCookie(cookie, "", "POST", "/admin/cases/"+caseID+"/disposition", "application/x-www-form-urlencoded", form.Encode())
	}
	if res, body := send("lost"); res.StatusCode < 400 {
		t.Fatalf("an unknown code: status %d: %.300s", res.StatusCode, body)
	}
	res, body := send("other")
	location(t, res, body)
	if got, _ := env.store.Case(t.Context(), caseID); got.Mark == nil || got.Mark.Code != "other" {
		t.Errorf("the corrected form was not done: %+v", got.Mark)
	}
}
