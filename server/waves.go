package server

import (
	"errors"
	"net/http"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Invitation and reminder waves: staff create, preview and cancel them
// here; the Mailer sends them. Each action is one function used by both
// the JSON API and the admin page.

// selection scans the survey's cases once and returns how many a wave of
// the kind selects, and the first of them (nil when none).
func (s *Server) selection(c echo.Context, kind string) (int, *survey.Case, error) {
	cases, err := s.Store.Cases(c.Request().Context(), s.Instrument.ID)
	if err != nil {
		return 0, nil, err
	}
	n, first := 0, (*survey.Case)(nil)
	for i := range cases {
		if waves.Selects(kind, &cases[i]) {
			if n == 0 {
				first = &cases[i]
			}
			n++
		}
	}
	return n, first, nil
}

// createWave checks a draft, counts the cases it selects and stores it
// under id; nothing is stored when the draft is not valid. A wave with
// that id already stored is ECONFLICT.
func (s *Server) createWave(c echo.Context, d waves.Draft, id string) (*waves.Wave, error) {
	w, _, err := d.Check(s.Instrument.ID, s.Now(), s.Instrument.FieldPeriod.Location())
	if err != nil {
		return nil, err
	}
	if s.mailServer == "" {
		return nil, errNoMailServer
	}
	if w.Selected, _, err = s.selection(c, w.Kind); err != nil {
		return nil, err
	}
	w.ID, w.CreatedAt, w.CreatedBy = id, s.wall().UTC(), principalOf(c).User.Email
	if err := s.Store.InsertWave(c.Request().Context(), w); err != nil {
		return nil, err
	}
	s.record(c, "wave.create", w.ID, "", map[string]string{"kind": w.Kind,
		"scheduled_at": w.ScheduledAt.Format(time.RFC3339), "selected": strconv.Itoa(w.Selected)})
	return w, nil
}

// errNoMailServer refuses a wave that nothing would send: without a mail
// server it would sit "scheduled" past its time, silently.
var errNoMailServer = survey.Errorf(survey.ECONFLICT,
	"No mail server is configured (CANVASS_SMTP_HOST), so nothing would be sent: configure one and restart the service, then schedule the wave.")

// wavePreview is a draft rendered for one selected case, or for made-up
// fields when the draft selects none. The link is never a real one.
type wavePreview struct {
	waves.Message
	To string `json:"to"`
	// Recipients is how many cases the wave selects now; it selects again
	// when it starts.
	Recipients int `json:"recipients"`
}

func (s *Server) previewWave(c echo.Context, d waves.Draft) (*wavePreview, error) {
	w, tpl, err := d.Check(s.Instrument.ID, s.Now(), s.Instrument.FieldPeriod.Location())
	if err != nil {
		return nil, err
	}
	n, first, err := s.selection(c, w.Kind)
	if err != nil {
		return nil, err
	}
	sample := waves.SampleFields()
	f := waves.FieldsFor(&survey.Case{Frame: survey.Frame{Name: sample.Name, Title: sample.Title, City: sample.City}},
		s.BaseURL, waves.PreviewToken, s.Instrument)
	to := netmail.Address{Name: sample.Name, Address: "alex.sample@example.org"}
	if first != nil {
		f = waves.FieldsFor(first, s.BaseURL, waves.PreviewToken, s.Instrument)
		to = netmail.Address{Name: first.Frame.Name, Address: first.Frame.Email}
	}
	m, err := tpl.Render(f)
	if err != nil {
		return nil, err
	}
	return &wavePreview{Message: m, To: to.String(), Recipients: n}, nil
}

// cancelWave stops a wave that has not finished; what it sent stays sent.
func (s *Server) cancelWave(c echo.Context, id string) (*waves.Wave, error) {
	now := s.wall().UTC()
	w, err := s.Store.UpdateWave(c.Request().Context(), id, func(w *waves.Wave) error {
		if !w.Active() {
			return survey.Errorf(survey.ECONFLICT, "The wave is %s already.", w.Status)
		}
		w.Status, w.FinishedAt, w.PausedUntil = waves.StatusCancelled, &now, nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.record(c, "wave.cancel", w.ID, "", map[string]string{"kind": w.Kind})
	return w, nil
}

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
	w, err := s.createWave(c, d, id)
	if survey.ErrorCode(err) == survey.ECONFLICT && key != "" && !errors.Is(err, errNoMailServer) { // the key's wave exists
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
	p, err := s.previewWave(c, d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// handleWaveCancel answers POST /api/v1/waves/{id}/cancel.
func (s *Server) handleWaveCancel(c echo.Context) error {
	w, err := s.cancelWave(c, c.Param("id"))
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
	Preview    *wavePreview
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

func (s *Server) renderWavesWith(c echo.Context, status int, notice string, isError bool, d waves.Draft, when string, p *wavePreview) error {
	sums, err := s.waveSummaries(c)
	if err != nil {
		return err
	}
	page := wavesPage{adminBase: s.adminBase(c, "Waves"), Waves: sums, Draft: d, When: when, Preview: p,
		TimeZone: s.Instrument.FieldPeriod.TimeZone, MailServer: s.mailServer}
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
		p, err := s.previewWave(c, scheduled)
		if err != nil {
			return s.adminFormError(c, err, keepDraft)
		}
		return s.renderWavesWith(c, http.StatusOK, "", false, d, when, p)
	}
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, keepDraft)
	}
	w, err := s.createWave(c, scheduled, waves.NewID())
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
	if _, err := s.cancelWave(c, c.Param("id")); err != nil {
		return s.adminFormError(c, err, s.renderWaves)
	}
	return s.redirectDone(c, "/admin/waves", account.Flash{Notice: "The wave is cancelled."})
}
