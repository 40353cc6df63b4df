package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

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

// logRequests logs one line per request with the route pattern, never the
// path itself: a respondent's path holds the token.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.Logger.Info("request",
			"method", c.Request().Method,
			"route", c.Path(),
			"status", c.Response().Status,
			"ms", time.Since(start).Milliseconds())
		return nil
	}
}
