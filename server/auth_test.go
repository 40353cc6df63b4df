package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey/account"
)

func TestSessionLoginLogout(t *testing.T) {
	env := newTestEnv(t)
	env.useFakeWall()
	pi := env.addUser("pi@example.org", account.RolePI)
	env.addUser("off@example.org", account.RoleStaff)

	// A wrong password and an unknown user get the same answer.
	res1, body1, _, _ := env.loginJSON("pi@example.org", "wrong password!!")
	res2, body2, _, _ := env.loginJSON("nobody@example.org", "wrong password!!")
	wantStatus(t, res1, body1, 401)
	wantStatus(t, res2, body2, 401)
	if body1 != body2 {
		t.Errorf("wrong password %q and unknown user %q differ", body1, body2)
	}

	res, body, cookie, csrf := env.loginJSON("PI@example.org", goodPassword)
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `"user":{"email":"pi@example.org","role":"pi"}`) || csrf == "" {
		t.Fatalf("login body %s", body)
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", cookie)
	}
	res, body = env.withCookie(cookie, "", "GET", "/api/v1/users", "", "")
	wantStatus(t, res, body, 200)

	// Changes on a cookie need the CSRF token.
	res, body = env.withCookie(cookie, "", "POST", "/api/v1/keys", "application/json", `{"name": "no csrf"}`)
	wantStatus(t, res, body, 403)
	res, body = env.withCookie(cookie, "wrong", "POST", "/api/v1/keys", "application/json", `{"name": "bad csrf"}`)
	wantStatus(t, res, body, 403)
	res, body = env.withCookie(cookie, csrf, "POST", "/api/v1/keys", "application/json", `{"name": "good csrf"}`)
	wantStatus(t, res, body, 201)
	if keys, _ := env.store.Keys(t.Context(), pi.user.ID); len(keys) != 2 {
		t.Errorf("%d keys, want the test key and one made with the CSRF token", len(keys))
	}

	res, body = env.withCookie(cookie, csrf, "DELETE", "/api/v1/session", "", "")
	wantStatus(t, res, body, 200)
	res, body = env.withCookie(cookie, "", "GET", "/api/v1/users", "", "")
	wantStatus(t, res, body, 401)
}

func TestSessionExpiry(t *testing.T) {
	env := newTestEnv(t)
	wall := env.useFakeWall()
	env.addUser("pi@example.org", account.RolePI)
	_, _, cookie, _ := env.loginJSON("pi@example.org", goodPassword)
	for i := 0; i < 30; i++ { // active every 25 minutes: the idle timeout never strikes...
		wall.add(25 * time.Minute)
		res, body := env.withCookie(cookie, "", "GET", "/api/v1/users", "", "")
		if wall.now().Sub(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)) < 12*time.Hour {
			wantStatus(t, res, body, 200)
		} else { // ...but the absolute lifetime does
			wantStatus(t, res, body, 401)
			break
		}
	}
	_, _, cookie, _ = env.loginJSON("pi@example.org", goodPassword)
	wall.add(31 * time.Minute)
	res, body := env.withCookie(cookie, "", "GET", "/api/v1/users", "", "")
	wantStatus(t, res, body, 401)
}

func TestForgedCookiesAndHeaders(t *testing.T) {
	env := newTestEnv(t)
	pi := env.addUser("pi@example.org", account.RolePI)
	_, _, cookie, _ := env.loginJSON("pi@example.org", goodPassword)
	for _, value := range []string{account.NewToken(), cookie.Value[:20], cookie.Value + "x", strings.Repeat("$", 43), ""} {
		res, body := env.withCookie(&http.Cookie{Name: sessionCookie, Value: value}, "", "GET", "/api/v1/users", "", "")
		wantStatus(t, res, body, 401)
	}
	for _, header := range []string{"Bearer", "Bearer " + pi.key[:len(pi.key)-1], "Basic " + pi.key, "Bearer cvk_x.y", "Bearer " + pi.key + "x"} {
		res, body := env.doWith(http.Header{"Authorization": {header}}, "GET", "/api/v1/users", "")
		wantStatus(t, res, body, 401)
	}
}

func TestKeyRevocation(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	other := env.addUser("other@example.org", account.RoleStaff)
	pi := env.addUser("pi@example.org", account.RolePI)

	res, body := env.doAs(staff.key, "POST", "/api/v1/keys", "application/json", `{"name": "script"}`)
	wantStatus(t, res, body, 201)
	var made struct{ ID, Key string }
	_ = json.Unmarshal([]byte(body), &made)
	res, body = env.doAs(made.Key, "GET", "/api/v1/keys", "", "")
	wantStatus(t, res, body, 200)
	if strings.Contains(body, made.Key) || strings.Contains(body, `"hash"`) {
		t.Errorf("the key list shows secrets: %s", body)
	}
	// Staff cannot see or revoke another's key; a PI can.
	otherID, _, _ := account.ParseKey(other.key)
	res, body = env.doAs(staff.key, "DELETE", "/api/v1/keys/"+otherID, "", "")
	wantStatus(t, res, body, 404)
	res, body = env.doAs(pi.key, "GET", "/api/v1/keys?all=true", "", "")
	if !strings.Contains(body, otherID) {
		t.Errorf("a PI's full key list lacks another's key")
	}
	res, body = env.doAs(staff.key, "DELETE", "/api/v1/keys/"+made.ID, "", "")
	wantStatus(t, res, body, 200)
	res, body = env.doAs(made.Key, "GET", "/api/v1/keys", "", "")
	wantStatus(t, res, body, 401)
}

func TestUsersAndAudit(t *testing.T) {
	env := newTestEnv(t)
	pi := env.addUser("pi@example.org", account.RolePI)
	res, body := env.doAs(pi.key, "POST", "/api/v1/users", "application/json", `{"email": "new.staff@example.org", "password": "`+goodPassword+`", "role": "staff"}`)
	wantStatus(t, res, body, 201)
	var u account.User
	_ = json.Unmarshal([]byte(body), &u)
	if strings.Contains(body, "password") {
		t.Errorf("the user's JSON shows the password hash: %s", body)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"email": "bad", "password": "` + goodPassword + `", "role": "staff"}`, "email"},
		{`{"email": "x@example.org", "password": "short", "role": "staff"}`, "password"},
		{`{"email": "x@example.org", "password": "` + goodPassword + `", "role": "admin"}`, "role"},
	} {
		res, body := env.doAs(pi.key, "POST", "/api/v1/users", "application/json", tc.body)
		wantStatus(t, res, body, 422)
		if !strings.Contains(body, `"`+tc.field+`"`) {
			t.Errorf("%s: error does not name %s: %s", tc.body, tc.field, body)
		}
	}
	res, body = env.doAs(pi.key, "POST", "/api/v1/users", "application/json", `{"email": "NEW.staff@example.org", "password": "`+goodPassword+`", "role": "pi"}`)
	wantStatus(t, res, body, 409)

	// The new staff member logs in, sees staff pages, not PI ones.
	_, _, cookie, _ := env.loginJSON("new.staff@example.org", goodPassword)
	res, body = env.withCookie(cookie, "", "GET", "/admin/progress", "", "")
	wantStatus(t, res, body, 200)
	if strings.Contains(body, `href="/admin/users"`) || strings.Contains(body, `href="/admin/audit"`) {
		t.Errorf("staff navigation offers PI sections")
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/users", "", "")
	wantStatus(t, res, body, 403)

	// Disabling ends the sessions and refuses the next login with a reason.
	res, body = env.doAs(pi.key, "PATCH", "/api/v1/users/"+u.ID, "application/json", `{"disabled": true}`)
	wantStatus(t, res, body, 200)
	res, body = env.withCookie(cookie, "", "GET", "/admin/progress", "", "")
	wantStatus(t, res, body, 401)
	res, body, _, _ = env.loginJSON("new.staff@example.org", goodPassword)
	wantStatus(t, res, body, 403)
	// The last active PI cannot be disabled.
	res, body = env.doAs(pi.key, "PATCH", "/api/v1/users/"+pi.user.ID, "application/json", `{"disabled": true}`)
	wantStatus(t, res, body, 409)

	res, body = env.doAs(pi.key, "GET", "/api/v1/audit", "", "")
	wantStatus(t, res, body, 200)
	var audit struct{ Entries []account.AuditEntry }
	_ = json.Unmarshal([]byte(body), &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action+":"+e.Actor+":"+e.Target)
		if e.IP == "" || e.At.IsZero() {
			t.Errorf("entry without address or time: %+v", e)
		}
	}
	got := strings.Join(actions, " ")
	for _, want := range []string{"user.create:pi@example.org:new.staff@example.org", "session.login:new.staff@example.org:new.staff@example.org", "user.update:pi@example.org:new.staff@example.org"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit lacks %s: %s", want, got)
		}
	}
}

func TestAdminPagesWithCSRF(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	res, body := env.get("/admin/users")
	wantStatus(t, res, body, 401)
	if !strings.Contains(body, `action="/admin/login"`) {
		t.Error("401 on an admin page does not offer the login form")
	}
	res, body = env.postForm("/admin/login", url.Values{"email": {"pi@example.org"}, "password": {goodPassword}})
	if got := location(t, res, body); got != "/admin" {
		t.Errorf("login leads to %q", got)
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		cookie = c
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/keys", "", "")
	wantStatus(t, res, body, 200)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if csrf == nil {
		t.Fatal("the keys page has no CSRF field")
	}
	form := url.Values{"name": {"from the page"}}
	res, body = env.withCookie(cookie, "", "POST", "/admin/keys", "application/x-www-form-urlencoded", form.Encode())
	wantStatus(t, res, body, 403)
	form.Set("csrf", csrf[1])
	form.Set("form_token", env.formToken(cookie, "/admin/keys"))
	res, body = env.withCookie(cookie, "", "POST", "/admin/keys", "application/x-www-form-urlencoded", form.Encode())
	res, body = env.withCookie(cookie, "", "GET", location(t, res, body), "", "")
	if !regexp.MustCompile(`cvk_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`).MatchString(body) {
		t.Error("the new key is not shown once")
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/keys", "", "")
	if strings.Contains(body, "cvk_") {
		t.Error("the key is shown again")
	}
}

func TestLoginRateLimit(t *testing.T) {
	env := newTestEnv(t)
	wall := env.useFakeWall()
	env.addUser("pi@example.org", account.RolePI)
	var last *http.Response
	for i := 0; i < 6; i++ {
		last, _, _, _ = env.loginJSON("pi@example.org", "a wrong password")
	}
	if last.StatusCode != 429 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("6th wrong password: %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
	res, body, _, _ := env.loginJSON("pi@example.org", goodPassword)
	wantStatus(t, res, body, 429) // even the right one, from there, for now...
	wall.add(25 * time.Second)
	res, body, _, _ = env.loginJSON("pi@example.org", goodPassword)
	wantStatus(t, res, body, 200) // ...but not for good

	// Someone guessing from one address does not lock the PI out elsewhere.
	env.srv.echo.IPExtractor = echo.ExtractIPFromXFFHeader(echo.TrustLoopback(true))
	from := func(ip, password string) int {
		res, _ := env.doWith(http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {ip}},
			"POST", "/api/v1/session", `{"email": "pi@example.org", "password": "`+password+`"}`)
		return res.StatusCode
	}
	for i := 0; i < 10; i++ {
		from("203.0.113.9", "a wrong password")
	}
	if got := from("203.0.113.9", goodPassword); got != 429 {
		t.Errorf("the guessing address: %d, want 429", got)
	}
	if got := from("198.51.100.7", goodPassword); got != 200 {
		t.Errorf("the PI's own address: %d, want 200", got)
	}

	// A thousand rapid logins from one address: all but the first few are
	// refused without a password check.
	statuses := map[int]int{}
	for i := 0; i < 1000; i++ {
		res, _, _, _ := env.loginJSON("someone"+string(rune('a'+i%26))+"@example.org", "a wrong password")
		statuses[res.StatusCode]++
	}
	if statuses[429] < 950 || statuses[200] != 0 {
		t.Errorf("statuses of 1,000 rapid logins: %v", statuses)
	}
}

func TestUnknownTokenRateLimit(t *testing.T) {
	env := newTestEnv(t)
	env.useFakeWall()
	var res *http.Response
	var body string
	for i := 0; i < 11; i++ {
		res, body = env.get("/api/v1/respond/" + url32("unknown"))
	}
	wantStatus(t, res, body, 429)
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	res, body = env.get("/api/v1/respond/" + env.newCase("valid@example.org"))
	wantStatus(t, res, body, 200) // a valid link from the same address still works
}

// No password, session, API key or respondent token reaches a log line.
func TestLogsHoldNoSecrets(t *testing.T) {
	env := newTestEnv(t)
	var logs bytes.Buffer
	env.srv.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	pi := env.addUser("pi@example.org", account.RolePI)
	tok := env.newCase("logs@example.org")
	_, _, cookie, csrf := env.loginJSON("pi@example.org", goodPassword)
	env.withCookie(cookie, csrf, "POST", "/api/v1/keys", "application/json", `{"name": "x"}`)
	env.doAs(pi.key, "GET", "/api/v1/users", "", "")
	env.get("/s/" + tok)
	env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": {"years_in_position": 3}}`)
	env.get("/api/v1/respond/" + tok + "x")
	if logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for name, secret := range map[string]string{"password": goodPassword, "session": cookie.Value, "csrf": csrf, "key": pi.key, "token": tok} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the logs hold the %s", name)
		}
	}
}

// A login posted from another site is refused: it could sign a browser in
// to an account of the other site's choosing.
func TestLoginCSRF(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	form := url.Values{"email": {"pi@example.org"}, "password": {goodPassword}}.Encode()
	for _, tc := range []struct {
		header http.Header
		want   int
	}{
		{http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403},
		{http.Header{"Origin": {"https://evil.example"}}, 403},
		{http.Header{"Sec-Fetch-Site": {"same-origin"}}, 303},
		{http.Header{"Origin": {env.http.URL}}, 303},
		{http.Header{}, 303},
	} {
		tc.header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, body := env.doWith(tc.header, "POST", "/admin/login", form)
		if res.StatusCode != tc.want {
			t.Errorf("%v: status %d, want %d: %.200s", tc.header, res.StatusCode, tc.want, body)
		}
	}
}
