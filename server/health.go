package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleHealthz answers GET /healthz: 200 while the process runs.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers GET /readyz: 200 while the store answers, else 503.
func (s *Server) handleReadyz(c echo.Context) error {
	if err := s.Store.Ping(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, errorBody{Error: "the store does not answer"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
