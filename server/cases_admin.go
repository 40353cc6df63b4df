package server

import (
	"context"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/frame"
)

// The Cases page: import the sample frame, find cases, record what only
// staff can know about them.

type casesPage struct {
	adminBase
	Query    string
	Filter   string // one of caseFilters' names; "" for every case
	Filters  []caseFilter
	Total    int
	Shown    []caseJSON
	Imported int
	LinksCSV template.URL // a data: URL of the personal links, offered once after an import
	Problems []frame.RowError
	Marks    []markChoice
}

// markChoice is a disposition staff may record, with what it does, said
// where the choice is made.
type markChoice struct {
	Code, Effect string
}

// markChoices are the staff marks in the order the menu offers them, each
// saying what it does to reminders and to the rates. Every mark is a final
// disposition: no wave mails the case while it stands.
var markChoices = []markChoice{
	{"bounced", "the address does not reach the person. Reminders: none. Rates: unknown eligibility (UO), unless the person answered"},
	{"ineligible", "left the position, or the department does not exist. Reminders: none. Rates: left out of every rate (NE), whatever the person did"},
	{"refused", "the person declined, by phone, letter or a reply. Reminders: none. Rates: refusal (R), unless the answers make a partial or a complete"},
	{"unavailable", "away for the whole field period. Reminders: none. Rates: non-contact (NC), unless the person answered"},
	{"other", "another reason for no interview. Reminders: none. Rates: other (O), unless the person answered"},
}

// caseFilter is a way the Cases page narrows the list.
type caseFilter struct {
	Name, Label string
	keep        func(c *survey.Case, retrying map[string]bool) bool
}

// caseFilters find the cases whose messages need a look.
var caseFilters = []caseFilter{
	{"failed", "a message failed", func(c *survey.Case, _ map[string]bool) bool { return hasContact(c, survey.ContactFailed) }},
	{"bounced", "bounced", func(c *survey.Case, _ map[string]bool) bool { return c.Bounced() }},
	{"uncertain", "a message may have gone out (to resolve)", func(c *survey.Case, _ map[string]bool) bool { return c.Uncertain() != "" }},
	{"retrying", "a message is being retried", func(c *survey.Case, retrying map[string]bool) bool { return retrying[c.ID] }},
	{"do_not_contact", "on the do-not-contact list", func(c *survey.Case, _ map[string]bool) bool { return c.DoNotContact != nil }},
}

func hasContact(c *survey.Case, status string) bool {
	for _, ct := range c.Contacts {
		if ct.IsEmail() && ct.Status == status {
			return true
		}
	}
	return false
}

// retrying lists the cases whose message a temporary refusal holds in the
// outbox, from the waves' lists of them; only the filter that needs it
// reads the waves.
func (s *Server) retrying(ctx context.Context, filter string) (map[string]bool, error) {
	out := map[string]bool{}
	if filter != "retrying" {
		return out, nil
	}
	ws, err := s.Store.Waves(ctx, s.Instrument.ID)
	for _, w := range ws {
		for _, id := range w.Retrying {
			out[id] = true
		}
	}
	return out, err
}

// confirmPage asks before a mark replaces what a case's answers say.
type confirmPage struct {
	adminBase
	Case       caseJSON
	Answered   int
	Code, Note string
	Effect     string
	Undo       bool
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
	page.Marks, page.Filters = markChoices, caseFilters
	keep := func(*survey.Case, map[string]bool) bool { return true }
	for _, f := range caseFilters {
		if f.Name == page.Filter {
			keep = f.keep
		}
	}
	retrying, err := s.retrying(c.Request().Context(), page.Filter)
	if err != nil {
		return err
	}
	q := strings.ToLower(strings.TrimSpace(page.Query))
	for i := range cases {
		f := cases[i].Frame
		hay := strings.ToLower(strings.Join([]string{cases[i].ID, f.Email, f.Name, f.Department, f.City, f.State}, " "))
		if (q == "" || strings.Contains(hay, q)) && keep(&cases[i], retrying) {
			page.Shown = append(page.Shown, s.caseJSON(&cases[i]))
			if len(page.Shown) == casesShown {
				break
			}
		}
	}
	return s.render(c, status, "admin_cases.html", page)
}

// handleCasesPage answers GET /admin/cases (?q= searches; ?filter= narrows
// to failed, bounced, uncertain, retrying or do_not_contact).
func (s *Server) handleCasesPage(c echo.Context) error {
	return s.renderCases(c, http.StatusOK, casesPage{Query: c.QueryParam("q"), Filter: c.QueryParam("filter")})
}

// handleCasesImport answers POST /admin/cases/import (multipart: frame).
// It answers with the page itself rather than a redirect: the personal
// links are offered there once and may be neither stored nor put in a URL.
// Sending the same form again (a reload) imports nothing and says so.
func (s *Server) handleCasesImport(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderCasesNotice)
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
		return s.adminFormError(c, err, s.renderCasesNotice)
	}
	page := casesPage{Imported: len(imported),
		// A data: URL made here from our own CSV, so it is safe to mark as a URL.
		LinksCSV: template.URL("data:text/csv;base64," + base64.StdEncoding.EncodeToString(linksCSV(imported)))}
	page.Notice = "Imported " + strconv.Itoa(len(imported)) + " cases. Download their personal links now: they are not shown again."
	return s.renderCases(c, http.StatusOK, page)
}

func (s *Server) casesNotice(c echo.Context, status int, msg string) error {
	return s.renderCasesNotice(c, status, msg, status >= 400)
}

// renderCasesNotice is the Cases page with a notice at the top.
func (s *Server) renderCasesNotice(c echo.Context, status int, msg string, isError bool) error {
	page := casesPage{}
	page.Notice, page.Error = msg, isError
	return s.renderCases(c, status, page)
}

// handleCaseMarkPost answers POST /admin/cases/{id}/disposition (form:
// code — a mark, or "undo" to remove the case's mark — note, and confirm).
// A mark on a case with answers would overrule them (a complete marked
// bounced stops counting as complete), so it is done only once confirmed
// on a second page; without answers it is done at once.
func (s *Server) handleCaseMarkPost(c echo.Context) error {
	notice := s.renderCasesNotice
	code, note := c.FormValue("code"), c.FormValue("note")
	switch code {
	case "":
		return notice(c, http.StatusUnprocessableEntity, "Choose a disposition to record: nothing was changed.", true)
	case "undo":
		code = ""
	}
	if c.FormValue("confirm") != "yes" {
		cur, err := s.Store.Case(c.Request().Context(), c.Param("id"))
		if err != nil {
			return s.adminFormError(c, err, notice)
		}
		if len(cur.Answers) > 0 {
			page := confirmPage{adminBase: s.adminBase(c, "Confirm the disposition"), Case: s.caseJSON(cur), Answered: len(cur.Answers),
				Code: c.FormValue("code"), Note: note, Undo: code == ""}
			for _, m := range markChoices {
				if m.Code == code {
					page.Effect = m.Effect
				}
			}
			return s.render(c, http.StatusOK, "admin_confirm.html", page)
		}
	}
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, notice)
	}
	updated, err := s.Fieldwork.Mark(c.Request().Context(), s.actor(c), c.Param("id"), code, note)
	if err != nil {
		return s.adminFormError(c, err, notice)
	}
	return s.redirectDone(c, "/admin/cases/"+updated.ID, account.Flash{
		Notice: "Saved: " + updated.Frame.Name + " is now " + string(s.caseJSON(updated).Disposition) + "."})
}
