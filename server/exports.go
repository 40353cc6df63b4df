package server

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/export"
	"github.com/canvass-survey/canvass/survey/weights"
)

// export writes the export that the request asks for (?deidentified=1
// for the de-identified one) to w and returns its codebook.
func (s *Server) export(c echo.Context, w io.Writer) (*export.Book, error) {
	deidentified, err := deidentifiedParam(c)
	if err != nil {
		return nil, err
	}
	cases, err := s.Store.Cases(c.Request().Context(), s.Instrument.ID)
	if err != nil {
		return nil, err
	}
	framed := make([]weights.Case, len(cases))
	for i := range cases {
		framed[i] = weights.Case{ID: cases[i].ID, Strata: aapor.StrataOf(cases[i].Frame), Code: aapor.CaseOf(&cases[i], s.Instrument, aapor.DefaultThresholds).Code}
	}
	report, of := weights.Compute(framed, s.Instrument)
	return export.WriteCSV(w, s.Instrument, cases, export.Options{Thresholds: aapor.DefaultThresholds, Deidentified: deidentified,
		Weights: of, Weighting: report})
}

// deidentifiedParam reads ?deidentified=: absent is false.
func deidentifiedParam(c echo.Context) (bool, error) {
	v := c.QueryParam("deidentified")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, survey.FieldErrors("Invalid query", map[string]string{"deidentified": "Use 1 for the de-identified file, or 0"})
	}
	return b, nil
}

// handleResponsesCSV answers GET /api/v1/responses.csv: one row per case,
// every question as its code (see the codebook); ?deidentified=1 leaves out
// every column that may identify the person. Either is audited with the
// identifying columns it holds.
func (s *Server) handleResponsesCSV(c echo.Context) error {
	var buf bytes.Buffer
	book, err := s.export(c, &buf)
	if err != nil {
		return err
	}
	var identifying []string
	for _, v := range book.Variables {
		if v.Identifying {
			identifying = append(identifying, v.Name)
		}
	}
	s.record(c, "export.responses", "", "", map[string]string{"deidentified": strconv.FormatBool(book.Deidentified),
		"rows": strconv.Itoa(book.Rows), "columns": strconv.Itoa(len(book.Variables)), "identifying_columns": strings.Join(identifying, ",")})
	return attachment(c, export.File, "text/csv; charset=utf-8", buf.Bytes())
}

// attachment answers a file to download under name.
func attachment(c echo.Context, name, contentType string, body []byte) error {
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, contentType, body)
}

// handleCodebookJSON answers GET /api/v1/codebook.json: the codebook of the
// export as it would be downloaded now (?deidentified=1 likewise).
func (s *Server) handleCodebookJSON(c echo.Context) error {
	book, err := s.export(c, io.Discard)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, book)
}

// syntaxFiles are the label syntax for each program: the route's last
// segment, the file's name and its writer.
var syntaxFiles = map[string]struct {
	name  string
	write func(io.Writer, *export.Book) error
}{
	"r":     {"responses.R", export.WriteR},
	"stata": {"responses.do", export.WriteStata},
	"spss":  {"responses.sps", export.WriteSPSS},
}

// handleSyntax answers GET /api/v1/syntax/r, /api/v1/syntax/stata and
// /api/v1/syntax/spss: a script that reads the export, as it would be
// downloaded now (?deidentified=1 likewise), with its labels.
func (s *Server) handleSyntax(c echo.Context) error {
	f := syntaxFiles[c.Path()[strings.LastIndexByte(c.Path(), '/')+1:]]
	book, err := s.export(c, io.Discard)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.write(&buf, book); err != nil {
		return err
	}
	return attachment(c, f.name, "text/plain; charset=utf-8", buf.Bytes())
}

type codebookPage struct {
	adminBase
	Book *export.Book
}

// handleCodebookPage answers GET /admin/codebook.
func (s *Server) handleCodebookPage(c echo.Context) error {
	book, err := s.export(c, io.Discard)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_codebook.html", codebookPage{adminBase: s.adminBase(c, "Codebook"), Book: book})
}
