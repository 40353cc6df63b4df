package server

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey/account"
)

// A JSON login needs JSON and this site's origin: a page elsewhere can post
// text/plain without asking, which signed a browser into an account of its
// choosing.
func TestJSONLoginCSRF(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	body := `{"email": "pi@example.org", "password": "` + goodPassword + `"}`
	for _, tc := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"text/plain", http.Header{"Content-Type": {"text/plain"}}, 415},
		{"form", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 415},
		{"no type", http.Header{}, 415},
		{"foreign origin", http.Header{"Content-Type": {"application/json"}, "Origin": {"https://evil.example"}}, 403},
		{"cross-site", http.Header{"Content-Type": {"application/json"}, "Sec-Fetch-Site": {"cross-site"}}, 403},
		{"same-site", http.Header{"Content-Type": {"application/json"}, "Sec-Fetch-Site": {"same-site"}}, 403},
		{"text/plain from evil", http.Header{"Content-Type": {"text/plain"}, "Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}, 415},
		{"same origin", http.Header{"Content-Type": {"application/json"}, "Origin": {env.http.URL}, "Sec-Fetch-Site": {"same-origin"}}, 200},
		{"charset", http.Header{"Content-Type": {"application/json; charset=utf-8"}}, 200},
		{"script", http.Header{"Content-Type": {"application/json"}}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, got := env.doWith(tc.header, "POST", "/api/v1/session", body)
			wantStatus(t, res, got, tc.want)
			for _, c := range res.Cookies() {
				if c.Name == sessionCookie && c.Value != "" && tc.want != 200 {
					t.Errorf("a refused login set a session cookie")
				}
			}
		})
	}
}

// The idle timeout counts from the last request even when it is shorter
// than the interval at which sessions used to be touched.
func TestIdleTimeoutFromLastRequest(t *testing.T) {
	env := newTestEnv(t)
	wall := env.useFakeWall()
	env.srv.sessionIdle = 5 * time.Second
	env.addUser("pi@example.org", account.RolePI)
	_, _, cookie, _ := env.loginJSON("pi@example.org", goodPassword)
	for i := 0; i < 6; i++ { // 12 s in use, every 2 s: never idle for 5
		wall.add(2 * time.Second)
		res, body := env.withCookie(cookie, "", "GET", "/api/v1/users", "", "")
		wantStatus(t, res, body, 200)
	}
	wall.add(5 * time.Second)
	res, body := env.withCookie(cookie, "", "GET", "/api/v1/users", "", "")
	wantStatus(t, res, body, 401)
}

// stalledBody fails the way a client that stops sending does under the
// server's read timeout.
type stalledBody struct{}

func (stalledBody) Read([]byte) (int, error) {
	return 0, &net.OpError{Op: "read", Net: "tcp",
		Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 19109},
		Addr:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 44768}, Err: errTimeout{}}
}

type errTimeout struct{}

func (errTimeout) Error() string { return "i/o timeout" }
func (errTimeout) Timeout() bool { return true }

// An error body names no address, path or driver message; the log has it.
func TestErrorBodiesDiscloseNothing(t *testing.T) {
	env := newTestEnv(t)
	var logged bytes.Buffer
	env.srv.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	tok := env.newCase("a@example.org")
	staff := env.addUser("staff@example.org", account.RoleStaff)
	for _, tc := range []struct{ method, path, contentType string }{
		{"POST", "/api/v1/session", "application/json"},
		{"PUT", "/api/v1/respond/" + tok + "/answers", "application/json"},
		{"POST", "/api/v1/frame", "text/csv"},
	} {
		req := httptest.NewRequest(tc.method, tc.path, stalledBody{})
		req.Header.Set("Content-Type", tc.contentType)
		req.Header.Set("Authorization", "Bearer "+staff.key)
		rec := httptest.NewRecorder()
		env.srv.ServeHTTP(rec, req)
		path := tc.path
		if rec.Code != 422 {
			t.Errorf("%s: status %d, want 422: %s", path, rec.Code, rec.Body)
		}
		if b := rec.Body.String(); regexp.MustCompile(`127\.0\.0\.1|tcp|timeout|:\d{4,5}`).MatchString(b) {
			t.Errorf("%s: the error body discloses the connection: %s", path, b)
		}
	}
	if !strings.Contains(logged.String(), "i/o timeout") {
		t.Errorf("the cause is not logged: %s", logged.String())
	}
}

// A CSRF token in the URL's query does not count: URLs end up in logs and
// histories.
func TestCSRFNotFromQuery(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("pi@example.org", account.RolePI)
	_, _, cookie, csrf := env.loginJSON("pi@example.org", goodPassword)
	form := url.Values{"name": {"from a link"}}.Encode()
	res, body := env.withCookie(cookie, "", "POST", "/admin/keys?csrf="+url.QueryEscape(csrf), "application/x-www-form-urlencoded", form)
	wantStatus(t, res, body, 403)
	res, body = env.withCookie(cookie, "", "POST", "/api/v1/keys?csrf="+url.QueryEscape(csrf), "application/json", `{"name": "x"}`)
	wantStatus(t, res, body, 403)
	res, body = env.withCookie(cookie, "", "POST", "/admin/keys", "application/x-www-form-urlencoded",
		form+"&csrf="+url.QueryEscape(csrf)+"&form_token="+env.formToken(cookie, "/admin/keys"))
	if res.StatusCode >= 400 {
		t.Fatalf("the token in the body is refused: %d %s", res.StatusCode, body)
	}
}

func TestStaticListsNoDirectory(t *testing.T) {
	env := newTestEnv(t)
	for _, path := range []string{"/static/", "/static", "/static/.", "/static/%2e/"} {
		res, body := env.get(path)
		if res.StatusCode == 200 || strings.Contains(body, `href="canvass.css"`) {
			t.Errorf("%s: %d lists the directory: %.200s", path, res.StatusCode, body)
		}
	}
	res, body := env.get("/static/canvass.css")
	wantStatus(t, res, body, 200)
}

// A password reset or a disable revokes the user's keys, visibly, and
// enabling the user again does not bring them back.
func TestKeysEndWithPasswordAndDisable(t *testing.T) {
	env := newTestEnv(t)
	pi := env.addUser("pi@example.org", account.RolePI)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	path := "/api/v1/users/" + staff.user.ID

	res, body := env.doAs(staff.key, "GET", "/api/v1/keys", "", "")
	wantStatus(t, res, body, 200)
	res, body = env.doAs(pi.key, "PATCH", path, "application/json", `{"password": "another long password"}`)
	wantStatus(t, res, body, 200)
	res, body = env.doAs(staff.key, "GET", "/api/v1/keys", "", "")
	wantStatus(t, res, body, 401)
	res, body = env.doAs(pi.key, "GET", "/api/v1/keys?all=true", "", "")
	if !strings.Contains(body, `"revoked_why":"password reset"`) {
		t.Errorf("the key list does not say why the key stopped: %s", body)
	}

	second := env.addKey(staff.user.ID)
	res, body = env.doAs(pi.key, "PATCH", path, "application/json", `{"disabled": true}`)
	wantStatus(t, res, body, 200)
	res, body = env.doAs(pi.key, "PATCH", path, "application/json", `{"disabled": false}`)
	wantStatus(t, res, body, 200)
	res, body = env.doAs(second, "GET", "/api/v1/keys", "", "")
	wantStatus(t, res, body, 401)
	res, body = env.doAs(pi.key, "GET", "/api/v1/keys?all=true", "", "")
	if !strings.Contains(body, `"revoked_why":"user disabled"`) {
		t.Errorf("the key list does not say the key ended with the disable: %s", body)
	}
}

// The only two active PIs demote (or disable) each other with requests
// sent at the same moment: one wins, the other gets 409, and a PI remains.
func TestLastPIUnderRacingRequests(t *testing.T) {
	env := newTestEnv(t)
	x := env.addUser("x@example.org", account.RolePI)
	y := env.addUser("y@example.org", account.RolePI)
	for round, change := range []string{`{"role": "staff"}`, `{"disabled": true}`, `{"role": "staff"}`, `{"disabled": true}`} {
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, tc := range []struct{ key, target string }{{x.key, y.user.ID}, {y.key, x.user.ID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("PATCH", env.http.URL+"/api/v1/users/"+tc.target, strings.NewReader(change))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tc.key)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				statuses[i] = res.StatusCode
			}()
		}
		wg.Wait()
		// The loser is refused by the rule (409) or, when the winner
		// disabled it first, no longer gets in at all (401).
		slices.Sort(statuses)
		if statuses[0] != 200 || statuses[1] != 409 && !(statuses[1] == 401 && strings.Contains(change, "disabled")) {
			t.Fatalf("round %d: statuses %v, want one 200 and one refused", round, statuses)
		}
		users, err := env.store.Users(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		active := 0
		for _, u := range users {
			if u.Role == account.RolePI && !u.Disabled {
				active++
			}
		}
		if active != 1 {
			t.Fatalf("round %d: %d active PIs", round, active)
		}
		// Restore both, through the service, with fresh keys (a disable revoked one).
		pi, enabled := account.RolePI, false
		for _, m := range []*teamMember{&x, &y} {
			if _, err := env.srv.Accounts.Update(t.Context(), account.Actor{Email: "test"}, m.user.ID, account.Change{Role: &pi, Disabled: &enabled}); err != nil {
				t.Fatal(err)
			}
			m.key = env.addKey(m.user.ID)
		}
	}
}
