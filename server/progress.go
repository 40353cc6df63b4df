package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/singleflight"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/export"
	"github.com/canvass-survey/canvass/survey/waves"
	"github.com/canvass-survey/canvass/survey/weights"
)

// progressJSON is GET /api/v1/progress: the AAPOR counts and rates,
// overall, by stratum and day by day, and the waves sent, as of one moment.
type progressJSON struct {
	aapor.Progress
	Waves []waves.Progress `json:"waves"`
	// Representativeness is null while fewer than weights.MinRespondents
	// have responded.
	Representativeness *weights.Representativeness `json:"representativeness"`
	// CompletesWithoutWave counts the completes no wave's message reached
	// before they submitted.
	CompletesWithoutWave int       `json:"completes_without_wave"`
	AsOf                 time.Time `json:"as_of"` // when the cases were counted
}

// progressSnapshot is one count of every case, shared by every viewer.
type progressSnapshot struct {
	report progressJSON
	// nonrespondents counts the cases still to be won over; oldest lists
	// the least recently contacted of them.
	nonrespondents int
	oldest         []nonrespondent
}

// progressMaxAge is how old a snapshot may be before a viewer's request
// starts a new count. Counting reads every case — seconds at 100,000 cases
// on the embedded store — so it is never done per request: requests get
// the last snapshot at once while one count runs for all of them.
const progressMaxAge = 5 * time.Second

// oldestShown bounds the nonrespondents the Progress page lists; the CSV
// has them all.
const oldestShown = 20

// progressCache holds the last snapshot; group makes concurrent refreshes one.
type progressCache struct {
	mu    sync.Mutex
	last  *progressSnapshot
	group singleflight.Group
}

// progressSnapshot returns the last snapshot, starting a new count in the
// background when it is older than progressMaxAge. Only the first request
// after a start waits for a count.
func (s *Server) progressSnapshot(ctx context.Context) (*progressSnapshot, error) {
	s.progressCache.mu.Lock()
	last := s.progressCache.last
	s.progressCache.mu.Unlock()
	if last != nil && s.wall().Sub(last.report.AsOf) < progressMaxAge {
		return last, nil
	}
	done := s.progressCache.group.DoChan("progress", func() (any, error) {
		// The count outlives the request that started it: it is for everyone.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		snap, err := s.countProgress(ctx)
		if err != nil { // viewers keep the last snapshot; the next request tries again
			s.Logger.ErrorContext(ctx, "progress not counted", "err", err)
		}
		return snap, err
	})
	if last != nil {
		return last, nil
	}
	select {
	case r := <-done:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*progressSnapshot), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// countProgress reads every case once, computes the report in Go and
// keeps it as the last snapshot.
func (s *Server) countProgress(ctx context.Context) (*progressSnapshot, error) {
	at := s.wall().UTC()
	cases, err := s.Store.Cases(ctx, s.Instrument.ID)
	if err != nil {
		return nil, err
	}
	pcs := make([]aapor.Case, len(cases))
	for i := range cases {
		pcs[i] = aapor.CaseOf(&cases[i], s.Instrument, aapor.DefaultThresholds)
	}
	sent, err := s.Store.WaveProgress(ctx, s.Instrument.ID)
	if err != nil {
		return nil, err
	}
	unattributed := waves.AttributeCompletes(sent, cases, func(i int) bool { return pcs[i].Code == aapor.I })
	s.Logger.DebugContext(ctx, "progress counted", "cases", len(cases), "ms", s.wall().Sub(at).Milliseconds())
	non := s.nonrespondents(cases)
	loc := s.Instrument.FieldPeriod.Location()
	report := progressJSON{Progress: aapor.BuildProgress(pcs, nil, s.Now(), loc), Waves: sent, CompletesWithoutWave: unattributed, AsOf: at}
	days := make([]string, len(report.Daily))
	for i, d := range report.Daily {
		days[i] = d.Date
	}
	if report.Representativeness, err = weights.Measure(pcs, s.Instrument, days, loc); err != nil {
		// The counts stand without it: a model the data cannot fit yet
		// (everyone eligible has responded, say) is no reason to fail.
		s.Logger.WarnContext(ctx, "representativeness not computed", "err", err)
	}
	snap := &progressSnapshot{
		report:         report,
		nonrespondents: len(non),
		oldest:         non[:min(len(non), oldestShown)],
	}
	s.progressCache.mu.Lock()
	if s.progressCache.last == nil || !s.progressCache.last.report.AsOf.After(at) {
		s.progressCache.last = snap
	}
	s.progressCache.mu.Unlock()
	return snap, nil
}

// progress is the report for a request: the shared snapshot, with its
// rates worked out again for the e the request gives (?e=0.8).
func (s *Server) progress(c echo.Context) (progressJSON, *progressSnapshot, error) {
	var e *float64
	if raw := c.QueryParam("e"); raw != "" {
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return progressJSON{}, nil, survey.FieldErrors("e must be a number from 0 to 1", map[string]string{"e": "must be a number from 0 to 1"})
		}
		e = &v
	}
	snap, err := s.progressSnapshot(c.Request().Context())
	if err != nil {
		return progressJSON{}, nil, err
	}
	p := snap.report
	if e != nil {
		p.Progress = p.Progress.WithE(*e)
	}
	return p, snap, nil
}

// handleProgress answers GET /api/v1/progress (?e=0.8 overrides e).
func (s *Server) handleProgress(c echo.Context) error {
	p, _, err := s.progress(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// caseJSON is a case as staff see it: no answers, no token.
type caseJSON struct {
	ID          string         `json:"id"`
	Frame       survey.Frame   `json:"frame"`
	Status      string         `json:"status"`
	Disposition aapor.Code     `json:"disposition"`
	Mark        *survey.Mark   `json:"mark"`
	History     []survey.Event `json:"history"`
	Contacts    []contactJSON  `json:"contacts"`
	// DoNotContact is set while the case is on the do-not-contact list.
	DoNotContact *survey.Flag `json:"do_not_contact"`
}

func (s *Server) caseJSON(c *survey.Case) caseJSON {
	return caseJSON{ID: c.ID, Frame: c.Frame, Status: c.Status, Mark: c.Mark, History: orEmpty(c.History), Contacts: s.contactsJSON(c.ID, c.Contacts),
		DoNotContact: c.DoNotContact, Disposition: aapor.DefaultThresholds.Code(aapor.FactsOf(c, s.Instrument))}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// handleDispositionSet answers POST /api/v1/cases/{id}/disposition:
// {"code": "bounced"|"ineligible"|"refused"|"unavailable"|"other", "note"}.
func (s *Server) handleDispositionSet(c echo.Context) error {
	var body struct{ Code, Note string }
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Code == "" {
		return survey.FieldErrors("A disposition code is required", map[string]string{"code": "bounced, ineligible, refused, unavailable or other"})
	}
	updated, err := s.Fieldwork.Mark(c.Request().Context(), s.actor(c), c.Param("id"), body.Code, body.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.caseJSON(updated))
}

// handleDispositionDelete answers DELETE /api/v1/cases/{id}/disposition.
func (s *Server) handleDispositionDelete(c echo.Context) error {
	updated, err := s.Fieldwork.Mark(c.Request().Context(), s.actor(c), c.Param("id"), "", "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.caseJSON(updated))
}

// handleCase answers GET /api/v1/cases/{id}: the case with its whole
// contact log, messages still queued or retrying included.
func (s *Server) handleCase(c echo.Context) error {
	sc, err := s.Store.Case(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	cj, err := s.caseDetail(c.Request().Context(), sc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cj)
}

// nonrespondent is a case still to be won over, with its last contact.
type nonrespondent struct {
	caseJSON
	LastContact *survey.Contact
}

// nonrespondents lists the cases that are neither complete nor out of the
// field (refused, ineligible), with their last contact, most recent last.
func (s *Server) nonrespondents(cases []survey.Case) []nonrespondent {
	var out []nonrespondent
	for i := range cases {
		cj := s.caseJSON(&cases[i])
		if cj.Disposition == aapor.I || cj.Disposition == aapor.NE || cases[i].Status == survey.StatusOptedOut {
			continue
		}
		n := nonrespondent{caseJSON: cj}
		if k := len(cases[i].Contacts); k > 0 {
			n.LastContact = &cases[i].Contacts[k-1]
		}
		out = append(out, n)
	}
	slices.SortStableFunc(out, func(a, b nonrespondent) int {
		return lastAt(a.LastContact).Compare(lastAt(b.LastContact))
	})
	return out
}

func lastAt(c *survey.Contact) time.Time {
	if c == nil {
		return time.Time{}
	}
	return c.At
}

// handleNonrespondentsCSV answers GET /api/v1/nonrespondents.csv.
func (s *Server) handleNonrespondentsCSV(c echo.Context) error {
	cases, err := s.Store.Cases(c.Request().Context(), s.Instrument.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"case_id", "email", "name", "title", "department", "city", "state", "status", "disposition", "last_contact", "last_contact_kind", "last_contact_status"})
	for _, n := range s.nonrespondents(cases) {
		last := []string{"", "", ""}
		if n.LastContact != nil {
			last = []string{n.LastContact.At.UTC().Format(time.RFC3339), n.LastContact.Kind, n.LastContact.Status}
		}
		f := n.Frame
		_ = w.Write(append([]string{n.ID, export.Text(f.Email), export.Text(f.Name), export.Text(f.Title), f.Department,
			export.Text(f.City), f.State, n.Status, string(n.Disposition)}, last...))
	}
	w.Flush()
	s.record(c, "export.nonrespondents", "", "", nil)
	c.Response().Header().Set("Content-Disposition", `attachment; filename="nonrespondents.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
