package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/server/bounces"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldwork"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Invitation and reminder waves: staff create, preview and cancel them
// here, through the fieldwork service; the mailer sends them.

// inZone shows a wave's times in the survey's time zone.
func (s *Server) inZone(w *waves.Wave) {
	loc := s.Instrument.FieldPeriod.Location()
	w.ScheduledAt = w.ScheduledAt.In(loc)
	for _, t := range []*time.Time{w.StartedAt, w.FinishedAt, w.PausedUntil} {
		if t != nil {
			*t = t.In(loc)
		}
	}
}

func (s *Server) waveSummaries(c echo.Context) ([]waves.Summary, error) {
	sums, err := s.Store.WaveSummaries(c.Request().Context(), s.Instrument.ID)
	for i := range sums {
		s.inZone(&sums[i].Wave)
	}
	return sums, err
}

// handleWaveCreate answers POST /api/v1/waves: {"kind", "subject", "text",
// "html", "scheduled_at"} → 201 the wave, with how many cases it selects.
// With an Idempotency-Key header, a request repeated with the same key (a
// retry after a lost answer) gets 200 and the wave the first one made.
func (s *Server) handleWaveCreate(c echo.Context) error {
	id := waves.NewID()
	key := c.Request().Header.Get("Idempotency-Key")
	if _, given := c.Request().Header["Idempotency-Key"]; given {
		if err := waves.CheckIdempotencyKey(key); err != nil {
			return err
		}
		id = waves.IDFor(principalOf(c).User.ID, key)
	}
	var d waves.Draft
	if err := decodeJSON(c, &d); err != nil {
		return err
	}
	status := http.StatusCreated
	w, err := s.Fieldwork.CreateWave(c.Request().Context(), s.actor(c), d, id)
	if survey.ErrorCode(err) == survey.ECONFLICT && key != "" && !errors.Is(err, fieldwork.ErrNoMailServer) { // the key's wave exists
		status = http.StatusOK
		c.Response().Header().Set("Idempotent-Replayed", "true")
		w, err = s.Store.Wave(c.Request().Context(), id)
	}
	if err != nil {
		return err
	}
	s.inZone(w)
	return c.JSON(status, w)
}

// handleWaveList answers GET /api/v1/waves: every wave with its counts.
func (s *Server) handleWaveList(c echo.Context) error {
	sums, err := s.waveSummaries(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"waves": sums})
}

// handleWavePreview answers POST /api/v1/waves/preview with a draft →
// {"subject", "text", "html", "to"}. Nothing is stored or sent.
func (s *Server) handleWavePreview(c echo.Context) error {
	var d waves.Draft
	if err := decodeJSON(c, &d); err != nil {
		return err
	}
	p, err := s.Fieldwork.PreviewWave(c.Request().Context(), d, s.BaseURL)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// handleWaveTest answers POST /api/v1/waves/test with a draft: it is sent,
// rendered as the preview shows it, to the caller's own address only, and
// counted nowhere → the preview, with "to".
func (s *Server) handleWaveTest(c echo.Context) error {
	var d waves.Draft
	if err := decodeJSON(c, &d); err != nil {
		return err
	}
	p, err := s.Fieldwork.SendTest(c.Request().Context(), s.actor(c), d, s.BaseURL)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// handleWaveTestOf answers POST /api/v1/waves/{id}/test: a stored wave's
// test, as handleWaveTest's.
func (s *Server) handleWaveTestOf(c echo.Context) error {
	p, err := s.Fieldwork.SendTestOf(c.Request().Context(), s.actor(c), c.Param("id"), s.BaseURL)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// handleWaveCancel answers POST /api/v1/waves/{id}/cancel.
func (s *Server) handleWaveCancel(c echo.Context) error {
	w, err := s.Fieldwork.CancelWave(c.Request().Context(), s.actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	s.inZone(w)
	return c.JSON(http.StatusOK, w)
}

type wavesPage struct {
	adminBase
	Waves      []waves.Summary
	Draft      waves.Draft
	Rules      rulesForm
	When       string // "now" or "at": how the form says when the wave starts
	Preview    *fieldwork.Preview
	TimeZone   string
	MailServer string
	// Uncertain lists the messages that may have gone out, for staff to
	// resolve on each case's page.
	Uncertain []uncertainMessage
	// Bounces is the bounce mailbox and its last poll; nil without one.
	Bounces *bounceMailbox
}

// rulesForm is a reminder's rules as the form holds them, as typed.
type rulesForm struct{ MaxReminders, MinDays, Target string }

// uncertainMessage is a message that may have gone out, with its case.
type uncertainMessage struct {
	Case, Name, Wave, Kind, MessageID string
}

type bounceMailbox struct {
	Name string
	Poll *store.Poll // nil before the first poll
}

// handleWavesPage answers GET /admin/waves.
func (s *Server) handleWavesPage(c echo.Context) error {
	return s.renderWaves(c, http.StatusOK, "", false)
}

func (s *Server) renderWaves(c echo.Context, status int, notice string, isError bool) error {
	return s.renderWavesWith(c, status, notice, isError, waves.Draft{Kind: waves.KindInvitation}, rulesForm{}, "now", nil)
}

func (s *Server) renderWavesWith(c echo.Context, status int, notice string, isError bool, d waves.Draft, rules rulesForm, when string, p *fieldwork.Preview) error {
	ctx := c.Request().Context()
	sums, err := s.waveSummaries(c)
	if err != nil {
		return err
	}
	page := wavesPage{adminBase: s.adminBase(c, "Waves"), Waves: sums, Draft: d, Rules: rules, When: when, Preview: p,
		TimeZone: s.Instrument.FieldPeriod.TimeZone, MailServer: s.Fieldwork.MailServer, Uncertain: s.uncertainMessages(ctx, sums)}
	if s.bounceMailbox != "" {
		page.Bounces = &bounceMailbox{Name: s.bounceMailbox}
		if page.Bounces.Poll, err = s.Store.Poll(ctx, bounces.Job); err != nil && survey.ErrorCode(err) != survey.ENOTFOUND {
			return err
		}
	}
	page.show(notice, isError)
	return s.render(c, status, "admin_waves.html", page)
}

// uncertainMessages lists the messages that may have gone out and that
// staff have not resolved, from each wave's list of them, reading their
// cases by id for the names.
func (s *Server) uncertainMessages(ctx context.Context, sums []waves.Summary) []uncertainMessage {
	var out []uncertainMessage
	for _, w := range sums {
		for _, id := range w.Unresolved {
			m := uncertainMessage{Case: id, Wave: w.ID, Kind: w.Kind, MessageID: s.messageID(w.ID, id)}
			if c, err := s.Store.Case(ctx, id); err == nil {
				m.Name = c.Frame.Name
			}
			out = append(out, m)
		}
	}
	return out
}

// draftRules reads a reminder's rules from the form: an empty box sets no
// rule; anything but a whole number is refused, naming the box.
func draftRules(d *waves.Draft, r rulesForm) error {
	fields := map[string]string{}
	for name, dst := range map[string]struct {
		v   string
		ptr **int
	}{"max_reminders": {r.MaxReminders, &d.MaxReminders}, "min_days_since_contact": {r.MinDays, &d.MinDays}} {
		if strings.TrimSpace(dst.v) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(dst.v))
		if err != nil {
			fields[name] = "a whole number, or empty for no limit"
			continue
		}
		*dst.ptr = &n
	}
	d.Target = r.Target
	if len(fields) > 0 {
		return survey.FieldErrors("The reminder's rules are not valid", fields)
	}
	return nil
}

// handleWavesPost answers POST /admin/waves (form: kind, subject, text,
// html, when — "now", or "at" with scheduled_at — and action "preview" or
// "create"). The page offers "create" only beside a preview, which shows
// the rendered message and how many people it goes to.
func (s *Server) handleWavesPost(c echo.Context) error {
	d := waves.Draft{Kind: c.FormValue("kind"), Subject: c.FormValue("subject"), Text: c.FormValue("text"),
		HTML: c.FormValue("html"), ScheduledAt: c.FormValue("scheduled_at")}
	rules := rulesForm{MaxReminders: c.FormValue("max_reminders"), MinDays: c.FormValue("min_days_since_contact"), Target: c.FormValue("target")}
	when := c.FormValue("when")
	keepDraft := func(c echo.Context, status int, notice string, isError bool) error {
		return s.renderWavesWith(c, status, notice, isError, d, rules, when, nil)
	}
	if err := draftRules(&d, rules); err != nil {
		return s.adminFormError(c, err, keepDraft)
	}
	scheduled := d // as sent to the store; d stays as typed, for the form
	switch {
	case when == "now":
		scheduled.ScheduledAt = "now"
	case when == "at" && strings.TrimSpace(d.ScheduledAt) == "":
		return s.adminFormError(c, survey.FieldErrors("The wave needs a start",
			map[string]string{"scheduled_at": `give the date and time, or choose "now"`}), keepDraft)
	}
	switch c.FormValue("action") {
	case "preview":
		p, err := s.Fieldwork.PreviewWave(c.Request().Context(), scheduled, s.BaseURL)
		if err != nil {
			return s.adminFormError(c, err, keepDraft)
		}
		return s.renderWavesWith(c, http.StatusOK, "", false, d, rules, when, p)
	case "test": // the draft stays on the page, previewed, to schedule after the test
		p, err := s.Fieldwork.SendTest(c.Request().Context(), s.actor(c), scheduled, s.BaseURL)
		if err != nil {
			return s.adminFormError(c, err, keepDraft)
		}
		return s.renderWavesWith(c, http.StatusOK, "A test was sent to "+p.To+": it is not counted, and no case's contact log shows it.", false, d, rules, when, p)
	}
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, keepDraft)
	}
	w, err := s.Fieldwork.CreateWave(c.Request().Context(), s.actor(c), scheduled, waves.NewID())
	if err != nil {
		return s.adminFormError(c, err, keepDraft)
	}
	s.inZone(w)
	return s.redirectDone(c, "/admin/waves", account.Flash{Notice: "The " + w.Kind + " wave is scheduled for " +
		w.ScheduledAt.Format("2006-01-02 15:04 MST") + "; it selects " + strconv.Itoa(w.Selected) + " cases now."})
}

// handleWaveTestPost answers POST /admin/waves/{id}/test: the wave's test
// to the logged-in member of staff.
func (s *Server) handleWaveTestPost(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderWaves)
	}
	p, err := s.Fieldwork.SendTestOf(c.Request().Context(), s.actor(c), c.Param("id"), s.BaseURL)
	if err != nil {
		return s.adminFormError(c, err, s.renderWaves)
	}
	return s.redirectDone(c, "/admin/waves", account.Flash{Notice: "A test of the wave was sent to " + p.To + ": it is not counted, and no case's contact log shows it."})
}

// handleWaveCancelPost answers POST /admin/waves/{id}/cancel.
func (s *Server) handleWaveCancelPost(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderWaves)
	}
	if _, err := s.Fieldwork.CancelWave(c.Request().Context(), s.actor(c), c.Param("id")); err != nil {
		return s.adminFormError(c, err, s.renderWaves)
	}
	return s.redirectDone(c, "/admin/waves", account.Flash{Notice: "The wave is cancelled."})
}
