package server

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/results"
)

// scrape reads /metrics with the scrape token.
func (env *testEnv) scrape() string {
	env.t.Helper()
	res, body := env.doAs(testMetricsToken, "GET", "/metrics", "", "")
	wantStatus(env.t, res, body, http.StatusOK)
	return body
}

// sample is the value of the series named exactly as series (name and
// labels as the exposition format writes them), or 0 when absent.
func sample(t *testing.T, scraped, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(scraped)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// /metrics is for PIs and for a scraper holding the configured token;
// without a token configured, for PIs only.
func TestMetricsAccess(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	pi := env.addUser("pi@example.org", account.RolePI)
	for _, tc := range []struct {
		name, key string
		want      int
	}{
		{"anonymous", "", 401},
		{"staff", staff.key, 403},
		{"pi", pi.key, 200},
		{"token", testMetricsToken, 200},
		{"wrong token", testMetricsToken + "x", 401},
		{"token's prefix", testMetricsToken[:len(testMetricsToken)-1], 401},
	} {
		res, body := env.doAs(tc.key, "GET", "/metrics", "", "")
		if res.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d: %.200s", tc.name, res.StatusCode, tc.want, body)
		}
		if tc.want == 200 && !strings.Contains(body, "canvass_http_request_duration_seconds") {
			t.Errorf("%s: no request histogram in\n%.500s", tc.name, body)
		}
	}
	// A PI's session cookie works as on every PI route.
	cookie, _ := env.loginPage(pi.user.Email)
	if res, body := env.withCookie(cookie, "", "GET", "/metrics", "", ""); res.StatusCode != 200 {
		t.Errorf("PI session: status %d: %.200s", res.StatusCode, body)
	}

	env.srv.metricsToken = ""
	if res, body := env.doAs(testMetricsToken, "GET", "/metrics", "", ""); res.StatusCode != 401 {
		t.Errorf("no token configured, a token sent: status %d: %.200s", res.StatusCode, body)
	}
	if res, body := env.doAs(pi.key, "GET", "/metrics", "", ""); res.StatusCode != 200 {
		t.Errorf("no token configured, a PI: status %d: %.200s", res.StatusCode, body)
	}
}

// A respondent's save and submission move their counters and the request
// histogram of the route's template; no token appears in the scrape; the
// store's commands are timed.
func TestMetricsRecorded(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("metrics@example.org")
	before := env.scrape()
	env.answer(tok, false, true) // a save, then a submission
	res, body := env.json("POST", "/api/v1/respond/"+tok+"/submit", "")
	wantStatus(t, res, body, http.StatusConflict)
	after := env.scrape()

	for series, want := range map[string]float64{
		`canvass_respondent_saves_total{outcome="ok"}`:                                                                             1,
		`canvass_respondent_submissions_total{outcome="ok"}`:                                                                       1,
		`canvass_respondent_submissions_total{outcome="conflict"}`:                                                                 1,
		`canvass_http_request_duration_seconds_count{method="PUT",route="/api/v1/respond/:token/answers",status="2xx"}`:            1,
		`canvass_http_request_duration_seconds_count{method="POST",route="/api/v1/respond/:token/submit",status="2xx"}`:            1,
		`canvass_http_request_duration_seconds_count{method="POST",route="/api/v1/respond/:token/submit",status="4xx"}`:            1,
		`canvass_http_request_duration_seconds_bucket{method="PUT",route="/api/v1/respond/:token/answers",status="2xx",le="+Inf"}`: 1,
	} {
		if got := sample(t, after, series) - sample(t, before, series); got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	if strings.Contains(after, tok) {
		t.Error("the scrape holds a respondent's token")
	}
	if n := sample(t, after, `canvass_store_command_duration_seconds_count{command="update",outcome="ok"}`); n < 1 {
		t.Errorf("%v store updates timed, want some:\n%s", n, grep(after, "canvass_store_"))
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(after, "\n"+name+" ") {
			t.Errorf("no %s: the Go and process collectors are missing", name)
		}
	}
}

// A nightly run this process executes is timed and counted by its status.
func TestMetricsNightly(t *testing.T) {
	env := newTestEnv(t)
	r, err := env.srv.Results.RunNow(context.Background(), results.TriggerCommand, "test")
	if err != nil {
		t.Fatal(err)
	}
	scraped := env.scrape()
	if n := sample(t, scraped, `canvass_nightly_runs_total{status="`+r.Status+`"}`); n != 1 {
		t.Errorf("runs with status %s: %v, want 1:\n%s", r.Status, n, grep(scraped, "canvass_nightly_"))
	}
	if n := sample(t, scraped, `canvass_nightly_run_duration_seconds_count`); n != 1 {
		t.Errorf("run durations: %v, want 1", n)
	}
}

// grep is the lines of s that hold sub, for failure messages.
func grep(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// Every response carries a request id: the proxy's when it is well formed,
// else a new one; and every line logged for the request carries it, with
// no token in any.
func TestRequestID(t *testing.T) {
	logs := &syncBuffer{}
	env := newTestEnv(t, func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(logs, nil)) })
	tok := env.newCase("id@example.org")

	res, body := env.get("/api/v1/respond/" + tok)
	wantStatus(t, res, body, 200)
	generated := res.Header.Get("X-Request-Id")
	if !wellFormedRequestID(generated) {
		t.Errorf("generated id %q", generated)
	}
	for sent, kept := range map[string]bool{
		"7f2c1a9be0d34c5f8a6b0e1d2c3f4a5b":     true, // nginx's $request_id
		"123e4567-e89b-12d3-a456-426614174000": true,
		strings.Repeat("a", maxRequestID+1):    false,
		"two words":                            false,
		`"quoted"`:                             false,
	} {
		res, _ := env.doWith(http.Header{"X-Request-Id": {sent}}, "GET", "/healthz", "")
		got := res.Header.Get("X-Request-Id")
		if (got == sent) != kept || !wellFormedRequestID(got) || got == generated {
			t.Errorf("sent %q, got %q back (want it kept: %v)", sent, got, kept)
		}
	}

	// A failing store makes the handler log an error inside the request.
	if err := env.store.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	const id = "store-down-1"
	res, body = env.doWith(http.Header{"X-Request-Id": {id}}, "GET", "/api/v1/respond/"+tok, "")
	wantStatus(t, res, body, http.StatusServiceUnavailable)
	logs.mu.Lock()
	logged := logs.buf.String()
	logs.mu.Unlock()
	for _, msg := range []string{"request failed", "request"} {
		if !regexp.MustCompile(`"msg":"` + msg + `"[^\n]*"request_id":"` + id + `"`).MatchString(logged) {
			t.Errorf("no %q line with the request's id:\n%s", msg, logged)
		}
	}
	if strings.Contains(logged, tok) {
		t.Errorf("a log line holds the token:\n%s", logged)
	}
}
