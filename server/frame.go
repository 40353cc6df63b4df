package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/export"
	"github.com/canvass-survey/canvass/survey/frame"
)

// maxFrame bounds a sample-frame upload: 100,000 rows of a few hundred bytes.
const maxFrame = 32 << 20

// importedCase is one new case and its personal link, shown once.
type importedCase struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	URL   string `json:"url"`
}

// importFrame imports the uploaded frame and makes each new case's
// personal link.
func (s *Server) importFrame(c echo.Context, body io.Reader) ([]importedCase, error) {
	imported, err := s.Fieldwork.ImportFrame(c.Request().Context(), s.actor(c), body)
	if _, problems := frameErrors(err); err != nil && !problems && !tooLarge(err) && survey.ErrorCode(err) == survey.EINTERNAL {
		// The upload broke off (a stalled client, a dropped connection): the
		// cause names addresses, so it goes to the log only.
		return nil, &survey.Error{Code: survey.EINVALID, Message: "The sample frame could not be read; please send it again.", Err: err}
	}
	if err != nil {
		return nil, err
	}
	out := make([]importedCase, len(imported))
	for i, ic := range imported {
		out[i] = importedCase{ID: ic.ID, Email: ic.Email, URL: s.BaseURL + "/s/" + ic.Token}
	}
	return out, nil
}

// frameErrorBody is the 422 answer to a frame with problems.
type frameErrorBody struct {
	Error     string           `json:"error"`
	Rows      []frame.RowError `json:"rows"`
	Truncated bool             `json:"truncated,omitempty"`
}

func frameErrors(err error) (frameErrorBody, bool) {
	var fe *frame.Errors
	if !errors.As(err, &fe) {
		return frameErrorBody{}, false
	}
	msg := "The sample frame has problems; nothing was imported. Fix the rows listed and send the whole file again."
	return frameErrorBody{Error: msg, Rows: fe.Rows, Truncated: fe.Truncated}, true
}

// handleFrameImport answers POST /api/v1/frame (body: the CSV). With
// "Accept: text/csv" the links come back as CSV, for mail merge.
func (s *Server) handleFrameImport(c echo.Context) error {
	imported, err := s.importFrame(c, c.Request().Body)
	if body, ok := frameErrors(err); ok {
		return c.JSON(http.StatusUnprocessableEntity, body)
	}
	if tooLarge(err) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	if err != nil {
		return err
	}
	if strings.Contains(c.Request().Header.Get("Accept"), "text/csv") {
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", linksCSV(imported))
	}
	return c.JSON(http.StatusOK, map[string]any{"imported": len(imported), "cases": imported})
}

// linksCSV is the personal links as CSV: id, email, url.
func linksCSV(cases []importedCase) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"id", "email", "url"})
	for _, ic := range cases {
		_ = w.Write([]string{ic.ID, export.Text(ic.Email), ic.URL})
	}
	w.Flush()
	return buf.Bytes()
}
