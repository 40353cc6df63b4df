package server

import (
	"errors"
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
	When       string // "now" or "at": how the form says when the wave starts
	Preview    *fieldwork.Preview
	TimeZone   string
	MailServer string
}

// handleWavesPage answers GET /admin/waves.
func (s *Server) handleWavesPage(c echo.Context) error {
	return s.renderWaves(c, http.StatusOK, "", false)
}

func (s *Server) renderWaves(c echo.Context, status int, notice string, isError bool) error {
	return s.renderWavesWith(c, status, notice, isError, waves.Draft{Kind: waves.KindInvitation}, "now", nil)
}

func (s *Server) renderWavesWith(c echo.Context, status int, notice string, isError bool, d waves.Draft, when string, p *fieldwork.Preview) error {
	sums, err := s.waveSummaries(c)
	if err != nil {
		return err
	}
	page := wavesPage{adminBase: s.adminBase(c, "Waves"), Waves: sums, Draft: d, When: when, Preview: p,
		TimeZone: s.Instrument.FieldPeriod.TimeZone, MailServer: s.Fieldwork.MailServer}
	page.show(notice, isError)
	return s.render(c, status, "admin_waves.html", page)
}

// handleWavesPost answers POST /admin/waves (form: kind, subject, text,
// html, when — "now", or "at" with scheduled_at — and action "preview" or
// "create"). The page offers "create" only beside a preview, which shows
// the rendered message and how many people it goes to.
func (s *Server) handleWavesPost(c echo.Context) error {
	d := waves.Draft{Kind: c.FormValue("kind"), Subject: c.FormValue("subject"), Text: c.FormValue("text"),
		HTML: c.FormValue("html"), ScheduledAt: c.FormValue("scheduled_at")}
	when := c.FormValue("when")
	keepDraft := func(c echo.Context, status int, notice string, isError bool) error {
		return s.renderWavesWith(c, status, notice, isError, d, when, nil)
	}
	scheduled := d // as sent to the store; d stays as typed, for the form
	switch {
	case when == "now":
		scheduled.ScheduledAt = "now"
	case when == "at" && strings.TrimSpace(d.ScheduledAt) == "":
		return s.adminFormError(c, survey.FieldErrors("The wave needs a start",
			map[string]string{"scheduled_at": `give the date and time, or choose "now"`}), keepDraft)
	}
	if c.FormValue("action") == "preview" {
		p, err := s.Fieldwork.PreviewWave(c.Request().Context(), scheduled, s.BaseURL)
		if err != nil {
			return s.adminFormError(c, err, keepDraft)
		}
		return s.renderWavesWith(c, http.StatusOK, "", false, d, when, p)
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
