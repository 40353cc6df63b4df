package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldwork"
	"github.com/canvass-survey/canvass/survey/waves"
)

// A case's contact log — the messages of waves, what came back later, the
// attempts staff log — and the case page that shows it with what staff
// can record: a disposition, an attempt, the resolution of a message that
// may have gone out, the do-not-contact list.

// contactJSON is one line of a case's contact log as staff see it. A
// logged attempt's outcome is its status.
type contactJSON struct {
	Wave      string    `json:"wave"`
	Kind      string    `json:"kind"`
	Mode      string    `json:"mode"`
	At        time.Time `json:"at"`
	Status    string    `json:"status"`
	MessageID string    `json:"message_id"`
	Note      string    `json:"note"`
	Error     string    `json:"error,omitempty"`
	By        string    `json:"by,omitempty"`
}

// contactsJSON is the contact log of case id, oldest first.
func (s *Server) contactsJSON(id string, cts []survey.Contact) []contactJSON {
	out := make([]contactJSON, len(cts))
	for i, ct := range cts {
		out[i] = contactJSON{Wave: ct.Wave, Kind: ct.Kind, Mode: ct.Mode, At: ct.At, Status: ct.Status, Note: ct.Note, Error: ct.Error, By: ct.By}
		if ct.IsEmail() {
			out[i].Mode, out[i].MessageID = survey.ModeEmail, s.messageID(ct.Wave, id)
		}
	}
	return out
}

// messageID is the Message-ID of a wave's message to a case, as the mailer
// set it; without a mail server, only its part before the @.
func (s *Server) messageID(wave, caseID string) string {
	if wave == "" {
		return ""
	}
	return strings.TrimSuffix(waves.MessageID(waves.OutboxID(wave, caseID), s.Fieldwork.MailDomain), "@")
}

// queued adds to a case's contact log the messages of active waves still
// in the outbox: queued, or retrying after a temporary refusal. Each is
// read by its id, one per wave, so the outbox is not scanned.
func (s *Server) queued(ctx context.Context, cj *caseJSON) error {
	ws, err := s.Store.Waves(ctx, s.Instrument.ID)
	if err != nil {
		return err
	}
	for _, w := range ws {
		if !w.Active() || w.Status == waves.StatusScheduled {
			continue
		}
		e, err := s.Store.Entry(ctx, waves.OutboxID(w.ID, cj.ID))
		if survey.ErrorCode(err) == survey.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		ct := contactJSON{Wave: w.ID, Kind: w.Kind, Mode: survey.ModeEmail, At: e.UpdatedAt, Status: e.Status, MessageID: s.messageID(w.ID, cj.ID)}
		switch {
		case e.Status == waves.EntryPending && e.Attempts > 0:
			ct.Status, ct.At, ct.Error = "retrying", e.NextAttemptAt, e.LastError
			ct.Note = "tried " + plural(e.Attempts, "time") + "; next try at this time"
		case e.Status != waves.EntryPending && e.Status != waves.EntrySending:
			continue // settled: on the case already
		case e.Status == waves.EntryPending:
			ct.Status = "queued"
		}
		cj.Contacts = append(cj.Contacts, ct)
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// caseDetail is a case with its whole contact log, queued messages included.
func (s *Server) caseDetail(ctx context.Context, c *survey.Case) (caseJSON, error) {
	cj := s.caseJSON(c)
	return cj, s.queued(ctx, &cj)
}

// handleContactCreate answers POST /api/v1/cases/{id}/contacts: {"mode":
// "phone"|"letter"|"other", "outcome", "note", "at"} → 201 the case.
func (s *Server) handleContactCreate(c echo.Context) error {
	var a fieldwork.Attempt
	if err := decodeJSON(c, &a); err != nil {
		return err
	}
	updated, err := s.Fieldwork.LogContact(c.Request().Context(), s.actor(c), c.Param("id"), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.caseJSON(updated))
}

// handleResolve answers POST /api/v1/cases/{id}/resolve: {"delivered":
// true|false, "note"} settles the case's message that may have gone out.
func (s *Server) handleResolve(c echo.Context) error {
	var body struct {
		Delivered *bool  `json:"delivered"`
		Note      string `json:"note"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Delivered == nil {
		return survey.FieldErrors("Say whether the message was delivered", map[string]string{"delivered": "true or false, as the mail server's log says"})
	}
	updated, err := s.Fieldwork.Resolve(c.Request().Context(), s.actor(c), c.Param("id"), *body.Delivered, body.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.caseJSON(updated))
}

// handleDoNotContactAdd answers POST /api/v1/donotcontact: {"email" or
// "case", "note"} → the case, on the list.
func (s *Server) handleDoNotContactAdd(c echo.Context) error {
	var body struct{ Email, Case, Note string }
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if (body.Email == "") == (body.Case == "") {
		return survey.FieldErrors("Name the person by email or by case", map[string]string{"email": "an email, or a case id in case"})
	}
	updated, err := s.Fieldwork.DoNotContact(c.Request().Context(), s.actor(c), body.Email+body.Case, true, body.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.caseJSON(updated))
}

// handleDoNotContactRemove answers DELETE /api/v1/donotcontact/{email or case id}.
func (s *Server) handleDoNotContactRemove(c echo.Context) error {
	updated, err := s.Fieldwork.DoNotContact(c.Request().Context(), s.actor(c), c.Param("who"), false, "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.caseJSON(updated))
}

type casePage struct {
	adminBase
	Case     caseJSON
	Marks    []markChoice
	Modes    []string
	Outcomes []string
	// Uncertain is the message that may have gone out, if any.
	Uncertain *contactJSON
	TimeZone  string
	Now       string // the form's default time, in the survey's zone
}

// handleCasePage answers GET /admin/cases/{id}.
func (s *Server) handleCasePage(c echo.Context) error {
	return s.renderCase(c, http.StatusOK, "", false)
}

func (s *Server) renderCase(c echo.Context, status int, notice string, isError bool) error {
	ctx := c.Request().Context()
	sc, err := s.Store.Case(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	cj, err := s.caseDetail(ctx, sc)
	if err != nil {
		return err
	}
	loc := s.Instrument.FieldPeriod.Location()
	page := casePage{adminBase: s.adminBase(c, sc.Frame.Name), Case: cj, Marks: markChoices, Modes: fieldwork.Modes(),
		Outcomes: fieldwork.Outcomes(), TimeZone: loc.String(), Now: s.Now().In(loc).Format("2006-01-02T15:04")}
	for i := range cj.Contacts {
		if ct := &cj.Contacts[i]; ct.Mode == survey.ModeEmail && ct.Status == survey.ContactUncertain {
			page.Uncertain = ct
		}
		cj.Contacts[i].At = cj.Contacts[i].At.In(loc)
	}
	page.show(notice, isError)
	return s.render(c, status, "admin_case.html", page)
}

// caseForm runs a form of the case page: once, then back to the page
// with what happened, or the page again with the problem.
func (s *Server) caseForm(c echo.Context, do func(ctx context.Context, by account.Actor, id string) (string, error)) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderCase)
	}
	done, err := do(c.Request().Context(), s.actor(c), c.Param("id"))
	if err != nil {
		return s.adminFormError(c, err, s.renderCase)
	}
	return s.redirectDone(c, "/admin/cases/"+c.Param("id"), account.Flash{Notice: done})
}

// handleContactPost answers POST /admin/cases/{id}/contacts (form: mode,
// outcome, at, note).
func (s *Server) handleContactPost(c echo.Context) error {
	a := fieldwork.Attempt{Mode: c.FormValue("mode"), Outcome: c.FormValue("outcome"), At: c.FormValue("at"), Note: c.FormValue("note")}
	return s.caseForm(c, func(ctx context.Context, by account.Actor, id string) (string, error) {
		_, err := s.Fieldwork.LogContact(ctx, by, id, a)
		return "Logged: " + a.Mode + ", " + strings.ReplaceAll(a.Outcome, "_", " ") + ".", err
	})
}

// handleResolvePost answers POST /admin/cases/{id}/resolve (form:
// delivered "yes" or "no", note).
func (s *Server) handleResolvePost(c echo.Context) error {
	delivered := c.FormValue("delivered")
	return s.caseForm(c, func(ctx context.Context, by account.Actor, id string) (string, error) {
		if delivered != "yes" && delivered != "no" {
			return "", survey.FieldErrors("Say whether the message was delivered", map[string]string{"delivered": "yes or no"})
		}
		_, err := s.Fieldwork.Resolve(ctx, by, id, delivered == "yes", c.FormValue("note"))
		if delivered == "yes" {
			return "Resolved: the message was delivered. The case takes part in later waves again.", err
		}
		return "Resolved: the message was not delivered. The case takes part in later waves again.", err
	})
}

// handleDoNotContactPost answers POST /admin/donotcontact (form: who — an
// email or a case id — action "add" or "remove", note). It goes back to
// the case's page.
func (s *Server) handleDoNotContactPost(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderCasesNotice)
	}
	on := c.FormValue("action") != "remove"
	updated, err := s.Fieldwork.DoNotContact(c.Request().Context(), s.actor(c), c.FormValue("who"), on, c.FormValue("note"))
	if err != nil {
		return s.adminFormError(c, err, s.renderCasesNotice)
	}
	done := updated.Frame.Name + " is on the do-not-contact list: no wave mails them."
	if !on {
		done = updated.Frame.Name + " is off the do-not-contact list: waves may mail them again."
	}
	return s.redirectDone(c, "/admin/cases/"+updated.ID, account.Flash{Notice: done})
}
