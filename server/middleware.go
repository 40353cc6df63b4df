package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/respond"
)

// securityHeaders sets the headers every response carries. Respondent URLs
// hold the personal token, so no page may leak its address in a Referer.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		if s.secure(c) {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		// frame-src about: lets the Waves page show a preview email in a
		// sandboxed srcdoc frame, and nothing from anywhere else.
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src about:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		c.Response().Before(func() {
			// Every 503 is worth retrying: a refusal at the gate wrote
			// nothing, and a save sent again is recorded once.
			if c.Response().Status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
				h.Set("Retry-After", strconv.Itoa(int(respond.RetryAfter/time.Second)))
			}
		})
		return next(c)
	}
}

// logRequests gives every request its id — in its context, so that each
// line logged for it carries the id, and in the X-Request-Id response
// header — then logs one line and records its latency when it is
// answered. Both name the route pattern, never the path itself: a
// respondent's path holds the token.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		r := c.Request()
		id := requestID(r.Header.Get(echo.HeaderXRequestID))
		c.SetRequest(r.WithContext(withRequestID(r.Context(), id)))
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		took := time.Since(start)
		s.metrics.Request(c.Path(), r.Method, c.Response().Status, took)
		s.Logger.InfoContext(c.Request().Context(), "request",
			"method", r.Method,
			"route", c.Path(),
			"status", c.Response().Status,
			"ms", took.Milliseconds())
		return nil
	}
}

// metricsAccess lets a request read /metrics with the scrape token from
// the configuration, compared in constant time, or as a PI does any
// PI-only route. No token configured: PIs only.
func (s *Server) metricsAccess(next echo.HandlerFunc) echo.HandlerFunc {
	asPI := s.authenticate(s.piOnly()(next))
	return func(c echo.Context) error {
		if cred, ok := account.ParseBearer(c.Request().Header.Get("Authorization")); ok && s.metricsToken != "" && account.Equal(cred, s.metricsToken) {
			return next(c)
		}
		return asPI(c)
	}
}
