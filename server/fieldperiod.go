package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldperiod"
)

// The field period as a PI runs it: staff see it, a PI moves the close,
// pauses and resumes collection, through the fieldwork service. The change
// is in the store, so every instance serves it to respondents at once.

// fieldPeriodState is the field period in force and what it means now.
type fieldPeriodState struct {
	fieldperiod.Period
	Open   bool `json:"open"`   // respondents' answers are accepted now
	Paused bool `json:"paused"` // a pause is on now
}

func (s *Server) fieldPeriodState(p fieldperiod.Period) fieldPeriodState {
	now := s.Now()
	return fieldPeriodState{Period: p, Open: p.Open(now), Paused: p.PausedAt(now)}
}

// handleFieldPeriod answers GET /api/v1/fieldperiod: {"opens", "closes",
// "questionnaire_closes", "time_zone", "paused_until", "updated_at",
// "updated_by", "open", "paused"}.
func (s *Server) handleFieldPeriod(c echo.Context) error {
	p, err := s.Fieldwork.Period.Current(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.fieldPeriodState(p))
}

// handleFieldPeriodChange answers POST /api/v1/fieldperiod (PI): {"closes"}
// to move the close, {"paused_until"} to pause, {"resume": true} to end a
// pause, or several → 200 as GET.
func (s *Server) handleFieldPeriodChange(c echo.Context) error {
	var ch fieldperiod.Change
	if err := decodeJSON(c, &ch); err != nil {
		return err
	}
	p, err := s.Fieldwork.ChangeFieldPeriod(c.Request().Context(), s.actor(c), ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.fieldPeriodState(p))
}

type fieldPeriodPage struct {
	adminBase
	fieldPeriodState
	CloseDate string // the last day, for the date field
	IsPI      bool
}

// handleFieldPeriodPage answers GET /admin/fieldperiod.
func (s *Server) handleFieldPeriodPage(c echo.Context) error {
	return s.renderFieldPeriod(c, http.StatusOK, "", false)
}

func (s *Server) renderFieldPeriod(c echo.Context, status int, notice string, isError bool) error {
	p, err := s.Fieldwork.Period.Current(c.Request().Context())
	if err != nil {
		return err
	}
	page := fieldPeriodPage{adminBase: s.adminBase(c, "Field period"), fieldPeriodState: s.fieldPeriodState(p),
		CloseDate: p.Closes.Add(-time.Nanosecond).Format("2006-01-02"), IsPI: principalOf(c).User.Role == account.RolePI}
	page.show(notice, isError)
	return s.render(c, status, "admin_fieldperiod.html", page)
}

// handleFieldPeriodPost answers POST /admin/fieldperiod (PI; form: action
// "close" with closes, "pause" with paused_until, or "resume").
func (s *Server) handleFieldPeriodPost(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderFieldPeriod)
	}
	var ch fieldperiod.Change
	switch c.FormValue("action") {
	case "close":
		ch.Closes = c.FormValue("closes")
	case "pause":
		ch.PausedUntil = c.FormValue("paused_until")
	case "resume":
		ch.Resume = true
	}
	p, err := s.Fieldwork.ChangeFieldPeriod(c.Request().Context(), s.actor(c), ch)
	if err != nil {
		return s.adminFormError(c, err, s.renderFieldPeriod)
	}
	notice := "Collection closes at the end of " + p.LastDay() + "."
	if p.PausedAt(s.Now()) {
		notice = "Collection is paused until " + p.PausedUntil.Format("Monday, January 2, 2006 at 3:04 PM MST") + "; " + notice
	}
	return s.redirectDone(c, "/admin/fieldperiod", account.Flash{Notice: notice})
}
