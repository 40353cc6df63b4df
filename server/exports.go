package server

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/export"
)

// handleResponsesCSV answers GET /api/v1/responses.csv: one row per case,
// every question as its code (see the codebook).
func (s *Server) handleResponsesCSV(c echo.Context) error {
	cases, err := s.Store.Cases(c.Request().Context(), s.Instrument.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := export.WriteCSV(&buf, s.Instrument, cases, aapor.DefaultThresholds); err != nil {
		return err
	}
	s.record(c, "export.responses", "", "", nil)
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+s.Instrument.ID+`-responses.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// codebook is the codebook for the cases in the store (their further frame
// columns are part of the export).
func (s *Server) codebook(c echo.Context) ([]export.Variable, error) {
	cases, err := s.Store.Cases(c.Request().Context(), s.Instrument.ID)
	if err != nil {
		return nil, err
	}
	return export.Codebook(s.Instrument, export.ExtraColumns(cases)), nil
}

// handleCodebookJSON answers GET /api/v1/codebook.json.
func (s *Server) handleCodebookJSON(c echo.Context) error {
	vars, err := s.codebook(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"survey": s.Instrument.ID, "title": s.Instrument.Title, "variables": vars})
}

type codebookPage struct {
	adminBase
	Variables []export.Variable
}

// handleCodebookPage answers GET /admin/codebook.
func (s *Server) handleCodebookPage(c echo.Context) error {
	vars, err := s.codebook(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_codebook.html", codebookPage{adminBase: s.adminBase(c, "Codebook"), Variables: vars})
}
