package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/token"
)

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

// newTestEnv serves the default questionnaire on a fresh embedded store.
func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	env := &testEnv{t: t, store: storetest.MustOpen(t), now: inField}
	srv, err := New(Options{Store: env.store, Instrument: instrument.Default(), Secret: testSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return env.now }, BaseURL: "http://example.test",
		MailServer: "mail.example.test:587"})
	if err != nil {
		t.Fatal(err)
	}
	env.srv = srv
	env.http = httptest.NewServer(srv)
	t.Cleanup(env.http.Close)
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

func TestHealth(t *testing.T) {
	env := newTestEnv(t)
	res, body := env.get("/healthz")
	wantStatus(t, res, body, 200)
	res, body = env.get("/readyz")
	wantStatus(t, res, body, 200)
	if err := env.store.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, body = env.get("/readyz")
	wantStatus(t, res, body, 503)
	res, body = env.get("/healthz")
	wantStatus(t, res, body, 200)
}

func TestSecurityHeaders(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("a@example.org")
	for _, path := range []string{"/s/" + tok, "/api/v1/respond/" + tok, "/healthz", "/s/" + strings.Repeat("x", 32)} {
		res, _ := env.get(path)
		for header, want := range map[string]string{
			"Referrer-Policy":        "no-referrer",
			"X-Content-Type-Options": "nosniff",
		} {
			if got := res.Header.Get(header); got != want {
				t.Errorf("%s: %s = %q, want %q", path, header, got, want)
			}
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
}
