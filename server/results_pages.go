package server

import (
	"cmp"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/results"
)

// The Results page: the latest result of the nightly analysis with its
// figures, what changed, and the history of runs. Staff see the history
// and how each run ended; the figures and tables are the PIs'.

// historyLimit is how many runs the page lists: a month of nights.
const historyLimit = 30

type resultsPage struct {
	adminBase
	PI       bool // the figures, tables and the Run now button are the PIs'
	Enabled  bool // false: the questionnaire has no analysis section
	Latest   *results.Result
	Finished string
	Figures  []figureView
	Changes  *changesView
	History  []historyRow
}

// historyRow is one run as the history lists it.
type historyRow struct {
	results.Result
	Started, Finished, Note string
}

// adminResults answers GET /admin/results.
func (s *Server) adminResults(c echo.Context) error {
	return s.renderResults(c, http.StatusOK, "", false)
}

func (s *Server) renderResults(c echo.Context, status int, notice string, isError bool) error {
	page := resultsPage{adminBase: s.adminBase(c, "Results"), PI: principalOf(c).User.Role == account.RolePI,
		Enabled: s.Instrument.Analysis != nil}
	page.show(notice, isError)
	if !page.Enabled {
		return s.render(c, status, "admin_results.html", page)
	}
	ctx := c.Request().Context()
	history, err := s.Results.List(ctx, historyLimit)
	if err != nil {
		return err
	}
	for _, r := range history {
		page.History = append(page.History, historyRow{Result: r, Started: when(&r.StartedAt), Finished: when(r.FinishedAt), Note: cmp.Or(r.Error, r.Reason)})
	}
	if page.PI {
		latest, err := s.Results.Latest(ctx)
		if err != nil && survey.ErrorCode(err) != survey.ENOTFOUND {
			return err
		}
		if latest != nil {
			page.Latest, page.Finished = latest, when(latest.FinishedAt)
			page.Figures, page.Changes = figureViews(s.Instrument, latest), newChangesView(s.Instrument, latest.Changes)
		}
	}
	return s.render(c, status, "admin_results.html", page)
}

// adminResultsRun answers POST /admin/results/run: a run of the nightly
// analysis now, in the background; the page it leads back to lists it.
func (s *Server) adminResultsRun(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderResults)
	}
	id, err := s.Results.Start(c.Request().Context(), results.TriggerAPI, s.actor(c).Email)
	if err != nil {
		return s.adminFormError(c, err, s.renderResults)
	}
	s.record(c, "results.run", "result", id, nil) // as POST /api/v1/results/run does
	return s.redirectDone(c, "/admin/results", account.Flash{Notice: "Run started: " + id + ". It is listed below; reload the page to see it finish."})
}
