package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/server/metrics"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/respond"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/token"
)

// The test environment every test of the server package shares: a server
// on a fresh embedded store behind httptest, and the helpers that act on it
// as a respondent, a staff member or a PI would.

var testSecret = []byte("test-secret-test-secret-test-secret!")

// inField is a moment inside the default instrument's field period.
var inField = time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)

type testEnv struct {
	t      testing.TB
	srv    *Server
	store  *store.Store
	http   *httptest.Server
	client *http.Client // does not follow redirects
	now    time.Time
}

// testMetricsToken is the scrape token of the test server's /metrics.
const testMetricsToken = "test-metrics-token-test-metrics-token"

// newTestEnv serves the default questionnaire on a fresh embedded store,
// with metrics wired as Run wires them; each of opts may change the
// server's options first.
func newTestEnv(t testing.TB, opts ...func(*Options)) *testEnv {
	t.Helper()
	m := metrics.New()
	env := &testEnv{t: t, store: storetest.MustOpenMonitored(t, m.StoreMonitor()), now: inField}
	o := Options{Store: env.store, Instrument: instrument.Default(), Secret: testSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return env.now }, BaseURL: "http://example.test",
		MailServer: "mail.example.test:587", Metrics: m, MetricsToken: testMetricsToken}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	env.srv = srv
	env.http = httptest.NewServer(srv)
	t.Cleanup(env.http.Close)
	t.Cleanup(srv.Results.Close) // first: a run in progress ends before the store closes
	jar, _ := cookiejar.New(nil)
	env.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return env
}

// newCase stores a new case and returns its token.
func (env *testEnv) newCase(email string) string {
	env.t.Helper()
	tok := token.New()
	c := &survey.Case{ID: token.NewHasher(testSecret).CaseID(tok), Survey: "tech_local_gov", Status: survey.StatusNew,
		Frame: survey.Frame{Email: email, Name: "Test Person", Department: "Police"}, CreatedAt: env.now, UpdatedAt: env.now}
	if err := env.store.InsertCase(context.Background(), c); err != nil {
		env.t.Fatal(err)
	}
	return tok
}

// startedCase stores a new case, gives consent through its welcome page,
// and returns its token.
func (env *testEnv) startedCase(email string) string {
	env.t.Helper()
	tok := env.newCase(email)
	env.postForm("/s/"+tok+"/start", nil)
	return tok
}

// storedCase reads the case behind tok straight from the store.
func (env *testEnv) storedCase(tok string) *survey.Case {
	env.t.Helper()
	c, err := env.store.Case(context.Background(), token.NewHasher(testSecret).CaseID(tok))
	if err != nil {
		env.t.Fatal(err)
	}
	return c
}

func (env *testEnv) do(method, path, contentType, body string) (*http.Response, string) {
	env.t.Helper()
	return env.doWith(http.Header{"Content-Type": {contentType}}, method, path, body)
}

// doAs sends a request with an API key (none when key is empty).
func (env *testEnv) doAs(key, method, path, contentType, body string) (*http.Response, string) {
	env.t.Helper()
	h := http.Header{"Content-Type": {contentType}}
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
	return env.doWith(h, method, path, body)
}

func (env *testEnv) doWith(header http.Header, method, path, body string) (*http.Response, string) {
	env.t.Helper()
	req, err := http.NewRequest(method, env.http.URL+path, strings.NewReader(body))
	if err != nil {
		env.t.Fatal(err)
	}
	for k, v := range header {
		if len(v) > 0 && v[0] != "" {
			req.Header[k] = v
		}
	}
	res, err := env.client.Do(req)
	if err != nil {
		env.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (env *testEnv) get(path string) (*http.Response, string) { return env.do("GET", path, "", "") }

func (env *testEnv) postForm(path string, form url.Values) (*http.Response, string) {
	return env.do("POST", path, "application/x-www-form-urlencoded", form.Encode())
}

func (env *testEnv) json(method, path, body string) (*http.Response, string) {
	return env.do(method, path, "application/json", body)
}

func wantStatus(t testing.TB, res *http.Response, body string, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body:\n%.2000s", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, body)
	}
}

// teamMember is a user with an API key, made straight in the store.
type teamMember struct {
	user *account.User
	key  string
}

func (env *testEnv) addUser(email, role string) teamMember {
	env.t.Helper()
	u, err := account.NewUser(email, "a long enough password", role)
	if err != nil {
		env.t.Fatal(err)
	}
	if err := env.store.InsertUser(context.Background(), u); err != nil {
		env.t.Fatal(err)
	}
	return teamMember{user: u, key: env.addKey(u.ID)}
}

// addKey stores a new API key of the user and returns it in full.
func (env *testEnv) addKey(userID string) string {
	env.t.Helper()
	id, secret, full := account.NewKeySecret()
	k := &account.Key{ID: id, UserID: userID, Name: "test", Hash: env.srv.secrets.Hash(secret), CreatedAt: env.now}
	if err := env.store.InsertKey(context.Background(), k); err != nil {
		env.t.Fatal(err)
	}
	return full
}

// fakeWall is a settable clock for sessions and rate limits.
type fakeWall struct {
	mu sync.Mutex
	t  time.Time
}

func (w *fakeWall) now() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.t }

func (w *fakeWall) add(d time.Duration) {
	w.mu.Lock()
	w.t = w.t.Add(d)
	w.mu.Unlock()
}

func (env *testEnv) useFakeWall() *fakeWall {
	w := &fakeWall{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	env.srv.wall = w.now
	return w
}

// loginJSON logs in through the API and returns the session cookie and
// the CSRF token.
func (env *testEnv) loginJSON(email, password string) (*http.Response, string, *http.Cookie, string) {
	env.t.Helper()
	res, body := env.json("POST", "/api/v1/session", `{"email": "`+email+`", "password": "`+password+`"}`)
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	var got struct{ CSRF string }
	_ = json.Unmarshal([]byte(body), &got)
	return res, body, cookie, got.CSRF
}

// withCookie sends a request carrying a session cookie and, if not empty,
// a CSRF header.
func (env *testEnv) withCookie(cookie *http.Cookie, csrf, method, path, contentType, body string) (*http.Response, string) {
	env.t.Helper()
	h := http.Header{"Content-Type": {contentType}, "Cookie": {cookie.Name + "=" + cookie.Value}}
	if csrf != "" {
		h.Set("X-CSRF-Token", csrf)
	}
	return env.doWith(h, method, path, body)
}

const goodPassword = "a long enough password"

// loginPage logs in through the form and returns the cookie and the CSRF
// token the admin pages carry.
func (env *testEnv) loginPage(email string) (*http.Cookie, string) {
	env.t.Helper()
	res, body := env.postForm("/admin/login", url.Values{"email": {email}, "password": {goodPassword}})
	location(env.t, res, body)
	cookie := res.Cookies()[0]
	res, body = env.withCookie(cookie, "", "GET", "/admin/keys", "", "")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		env.t.Fatal("no CSRF field")
	}
	return cookie, m[1]
}

// formToken opens the page at path and returns the one-time token its
// forms carry.
func (env *testEnv) formToken(cookie *http.Cookie, path string) string {
	env.t.Helper()
	res, body := env.withCookie(cookie, "", "GET", path, "", "")
	wantStatus(env.t, res, body, 200)
	m := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		env.t.Fatalf("%s has no form token", path)
	}
	return m[1]
}

func syntheticCSV(t testing.TB, n int, seed int64) string {
	t.Helper()
	var buf bytes.Buffer
	if err := frame.WriteCSV(&buf, frame.Synthetic(n, seed, instrument.Default())); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

type importAnswer struct {
	Imported int
	Cases    []importedCase
	Error    string
	Rows     []frame.RowError
}

func (env *testEnv) importFrame(key, csv string) (*http.Response, importAnswer) {
	env.t.Helper()
	res, body := env.doAs(key, "POST", "/api/v1/frame", "text/csv", csv)
	var got importAnswer
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		env.t.Fatalf("import answer %.300s: %v", body, err)
	}
	return res, got
}

// location follows one redirect and says where it pointed.
func location(t testing.TB, res *http.Response, body string) string {
	t.Helper()
	wantStatus(t, res, body, http.StatusSeeOther)
	return res.Header.Get("Location")
}

// answer saves answers to the required questions of the case behind tok,
// or to every question when all is set (the social-media follow-up stays
// hidden), and submits when asked.
func (env *testEnv) answer(tok string, all, submit bool) {
	env.t.Helper()
	answers := map[string]any{}
	for _, it := range env.srv.Instrument.Items() {
		if it.ID == "social_media_use" {
			answers[it.ID] = []int{0} // "None of these": hides the follow-up page
		} else if it.Required || all {
			answers[it.ID] = validAnswer(it)
		}
	}
	b, _ := json.Marshal(map[string]any{"answers": answers})
	res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", string(b))
	wantStatus(env.t, res, body, 200)
	if submit {
		res, body = env.json("POST", "/api/v1/respond/"+tok+"/submit", "")
		wantStatus(env.t, res, body, 200)
	}
}

func (env *testEnv) mark(key, caseID, code string) {
	env.t.Helper()
	res, body := env.doAs(key, "POST", "/api/v1/cases/"+caseID+"/disposition", "application/json", `{"code": "`+code+`", "note": "by the test"}`)
	wantStatus(env.t, res, body, 200)
}

// newCases stores n cases of a synthetic frame with one InsertCases and
// returns their tokens.
func (env *testEnv) newCases(n int) []string {
	env.t.Helper()
	hasher := token.NewHasher(testSecret)
	tokens := make([]string, n)
	cases := make([]*survey.Case, n)
	for i, f := range frame.Synthetic(n, 1, instrument.Default()) {
		tokens[i] = token.New()
		cases[i] = &survey.Case{ID: hasher.CaseID(tokens[i]), Survey: env.srv.Instrument.ID, Frame: f,
			Status: survey.StatusNew, CreatedAt: env.now, UpdatedAt: env.now}
	}
	if err := env.store.InsertCases(context.Background(), "bench", cases); err != nil {
		env.t.Fatal(err)
	}
	return tokens
}

// fullGate replaces the server's gate with one whose only place the test
// holds, so that every respondent request is refused after a short wait.
func (env *testEnv) fullGate() (leave func()) {
	env.t.Helper()
	env.srv.Respond.Gate = respond.NewGate(1, 10*time.Millisecond)
	leave, err := env.srv.Respond.Gate.Enter(env.t.Context())
	if err != nil {
		env.t.Fatal(err)
	}
	return leave
}
