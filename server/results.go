package server

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/results"
)

// handleResultsRun answers POST /api/v1/results/run: it starts a run of
// the nightly analysis now and answers 202 {"id"} once the run is
// recorded; 409 while another run holds the lease.
func (s *Server) handleResultsRun(c echo.Context) error {
	id, err := s.Results.Start(c.Request().Context(), results.TriggerAPI, s.actor(c).Email)
	if err != nil {
		return err
	}
	s.record(c, "results.run", "result", id, nil)
	c.Response().Header().Set("Location", "/api/v1/results/"+id)
	return c.JSON(http.StatusAccepted, map[string]string{"id": id})
}

// handleResultsList answers GET /api/v1/results: the history of runs,
// newest first, without their tables. PIs see each run's summary; staff
// see how each run went and nothing of what it found (warnings quote
// statistics).
func (s *Server) handleResultsList(c echo.Context) error {
	list, err := s.Results.List(c.Request().Context(), 0)
	if err != nil {
		return err
	}
	if principalOf(c).User.Role != account.RolePI {
		for i := range list {
			list[i] = list[i].RunStatus()
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"results": list})
}

// handleResultLatest answers GET /api/v1/results/latest: the latest ok
// result, as JSON or, with ?format=csv&table=NAME, one of its tables.
func (s *Server) handleResultLatest(c echo.Context) error {
	id, err := s.Results.LatestID(c.Request().Context())
	if err != nil {
		return err
	}
	return s.serveResult(c, id)
}

// handleResult answers GET /api/v1/results/:id, as handleResultLatest.
func (s *Server) handleResult(c echo.Context) error {
	return s.serveResult(c, c.Param("id"))
}

// serveResult answers with the stored document byte for byte, or a table.
func (s *Server) serveResult(c echo.Context, id string) error {
	ctx := c.Request().Context()
	if c.QueryParam("format") != "csv" {
		doc, err := s.Results.Document(ctx, id)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
	}
	r, err := s.Results.Get(ctx, id)
	if err != nil {
		return err
	}
	table := c.QueryParam("table")
	var buf bytes.Buffer
	if err := s.Results.WriteTable(ctx, r, table, &buf); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+r.ID+"-"+table+`.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// handleReportLatest answers GET /api/v1/results/latest/report.html: the
// latest ok result as a self-contained, printable report.
func (s *Server) handleReportLatest(c echo.Context) error {
	r, err := s.Results.Latest(c.Request().Context())
	if err != nil {
		return err
	}
	return s.serveReport(c, r)
}

// handleReport answers GET /api/v1/results/:id/report.html, a result's
// report; one that did not end ok shows how it ended.
func (s *Server) handleReport(c echo.Context) error {
	r, err := s.Results.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return s.serveReport(c, r)
}
