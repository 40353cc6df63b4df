package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/export"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/token"
)

// maxFrame bounds a sample-frame upload: 100,000 rows of a few hundred bytes.
const maxFrame = 32 << 20

// importedCase is one new case and its personal link, shown once.
type importedCase struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	URL   string `json:"url"`
}

// importFrame validates a sample-frame CSV against the survey, then creates
// a case with a fresh token for every row — all of them or, on any problem,
// none. The store finds rows already in the sample, without reading it.
func (s *Server) importFrame(c echo.Context, body io.Reader) ([]importedCase, error) {
	ctx := c.Request().Context()
	file, err := frame.Parse(body, s.Instrument)
	if _, problems := frameErrors(err); err != nil && !problems && !tooLarge(err) {
		// The upload broke off (a stalled client, a dropped connection): the
		// cause names addresses, so it goes to the log only.
		return nil, &survey.Error{Code: survey.EINVALID, Message: "The sample frame could not be read; please send it again.", Err: err}
	}
	if err != nil {
		return nil, err
	}
	rows := file.Rows
	now := s.Now().UTC() // the survey's clock, like every timestamp on a case
	importID := account.NewID()
	cases := make([]*survey.Case, len(rows))
	out := make([]importedCase, len(rows))
	for i, f := range rows {
		tok := token.New()
		f.Email = strings.ToLower(f.Email) // the unique index compares exactly
		cases[i] = &survey.Case{ID: s.Respond.Hasher.CaseID(tok), Survey: s.Instrument.ID, Frame: f, Status: survey.StatusNew,
			CreatedAt: now, UpdatedAt: now, SealedToken: s.sealer.Seal(tok)}
		out[i] = importedCase{ID: cases[i].ID, Email: f.Email, URL: s.BaseURL + "/s/" + tok}
	}
	var inSample *store.DuplicateError
	if err := s.Store.InsertCases(ctx, importID, cases); errors.As(err, &inSample) {
		return nil, file.InSample(inSample.Indexes)
	} else if err != nil {
		return nil, err
	}
	s.record(c, "frame.import", importID, "", map[string]string{"cases": strconv.Itoa(len(cases))})
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
