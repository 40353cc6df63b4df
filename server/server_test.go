package server

import (
	"context"
	"strings"
	"testing"
)

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
