package server

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/frame"
)

// The Cases page: import the sample frame, find cases, record what only
// staff can know about them.

type casesPage struct {
	adminBase
	Query    string
	Total    int
	Shown    []caseJSON
	Imported int
	LinksCSV template.URL // a data: URL of the personal links, offered once after an import
	Problems []frame.RowError
	Marks    []string
}

// casesShown bounds the table: a search narrows 2,500 cases down.
const casesShown = 200

func (s *Server) renderCases(c echo.Context, status int, page casesPage) error {
	cases, err := s.Store.Cases(c.Request().Context(), s.Instrument.ID)
	if err != nil {
		return err
	}
	notice, isError := page.Notice, page.Error
	page.adminBase = s.adminBase(c, "Cases")
	page.show(notice, isError)
	page.Total = len(cases)
	page.Marks = []string{"bounced", "ineligible", "unavailable", "other"}
	q := strings.ToLower(strings.TrimSpace(page.Query))
	for i := range cases {
		f := cases[i].Frame
		hay := strings.ToLower(strings.Join([]string{cases[i].ID, f.Email, f.Name, f.Department, f.City, f.State}, " "))
		if q == "" || strings.Contains(hay, q) {
			page.Shown = append(page.Shown, s.caseJSON(&cases[i]))
			if len(page.Shown) == casesShown {
				break
			}
		}
	}
	return s.render(c, status, "admin_cases.html", page)
}

// handleCasesPage answers GET /admin/cases (?q= searches).
func (s *Server) handleCasesPage(c echo.Context) error {
	return s.renderCases(c, http.StatusOK, casesPage{Query: c.QueryParam("q")})
}

// handleCasesImport answers POST /admin/cases/import (multipart: frame).
// It answers with the page itself rather than a redirect: the personal
// links are offered there once and may be neither stored nor put in a URL.
// Sending the same form again (a reload) imports nothing and says so.
func (s *Server) handleCasesImport(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, func(c echo.Context, status int, msg string, _ bool) error { return s.casesNotice(c, status, msg) })
	}
	fh, err := c.FormFile("frame")
	if tooLarge(err) {
		return s.casesNotice(c, http.StatusRequestEntityTooLarge, "The file is larger than 32 MiB.")
	}
	if err != nil {
		return s.casesNotice(c, http.StatusUnprocessableEntity, "Choose the sample frame's CSV file to upload.")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	imported, err := s.importFrame(c, f)
	if body, ok := frameErrors(err); ok {
		page := casesPage{Problems: body.Rows}
		page.Notice, page.Error = body.Error, true
		return s.renderCases(c, http.StatusUnprocessableEntity, page)
	}
	if tooLarge(err) {
		return s.casesNotice(c, http.StatusRequestEntityTooLarge, "The file is larger than 32 MiB.")
	}
	if err != nil {
		return s.adminFormError(c, err, func(c echo.Context, status int, msg string, _ bool) error { return s.casesNotice(c, status, msg) })
	}
	page := casesPage{Imported: len(imported),
		// A data: URL made here from our own CSV, so it is safe to mark as a URL.
		LinksCSV: template.URL("data:text/csv;base64," + base64.StdEncoding.EncodeToString(linksCSV(imported)))}
	page.Notice = "Imported " + strconv.Itoa(len(imported)) + " cases. Download their personal links now: they are not shown again."
	return s.renderCases(c, http.StatusOK, page)
}

func (s *Server) casesNotice(c echo.Context, status int, msg string) error {
	page := casesPage{}
	page.Notice, page.Error = msg, status >= 400
	return s.renderCases(c, status, page)
}

// handleCaseMarkPost answers POST /admin/cases/{id}/disposition (form:
// code, note; an empty code undoes the mark).
func (s *Server) handleCaseMarkPost(c echo.Context) error {
	notice := func(c echo.Context, status int, msg string, _ bool) error { return s.casesNotice(c, status, msg) }
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, notice)
	}
	updated, err := s.markCase(c, c.Param("id"), c.FormValue("code"), c.FormValue("note"))
	if err != nil {
		return s.adminFormError(c, err, notice)
	}
	return s.redirectDone(c, "/admin/cases?q="+url.QueryEscape(updated.ID), account.Flash{
		Notice: "Saved: " + updated.Frame.Name + " is now " + string(s.caseJSON(updated).Disposition) + "."})
}
