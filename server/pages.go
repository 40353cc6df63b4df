package server

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/respond"
)

// The respondent's pages. They work with plain HTML forms; every POST ends
// in a redirect (so reload and back do no harm) or, when something must be
// corrected, in the same page shown again with what the person typed.

// handleWelcome answers GET /s/{token}: the welcome and consent page for a
// new case; for a started one, the page where it left off; otherwise a page
// that says why the link takes no answers.
func (s *Server) handleWelcome(c echo.Context) error {
	v, err := s.Respond.Open(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	if stop := s.statusPage(c, v); stop != nil {
		return stop()
	}
	if v.Case.Status == survey.StatusStarted {
		return s.redirectTo(c, s.Respond.ResumePage(v))
	}
	return s.render(c, http.StatusOK, "welcome.html", welcomePage{
		Base: s.base(c, "Welcome"), Intro: s.Instrument.Intro, Consent: s.Instrument.Consent, Privacy: s.privacyText(),
		Minutes: s.Instrument.EstimatedMinutes, Pages: len(s.Respond.VisiblePages(v.Visible)), About: s.Respond.PagesMayChange(-1)})
}

// statusPage returns the response for a case that takes no answers now
// (submitted, opted out, outside the field period), or nil. The status is
// 200 when the person merely looks, 409 (final) or 403 (closed) when the
// request tried to change something.
func (s *Server) statusPage(c echo.Context, v *respond.View) func() error {
	write := c.Request().Method != http.MethodGet
	page := func(m messagePage) func() error {
		status := http.StatusOK
		if write && v.Open {
			status = http.StatusConflict
		} else if write {
			status = http.StatusForbidden
		}
		return func() error {
			m.Base = s.base(c, m.Title)
			m.OptOutURL = "" // nothing left to opt out of
			return s.render(c, status, "message.html", m)
		}
	}
	fp := v.Period
	ref := reference(v.Case.ID)
	switch {
	case v.Case.Status == survey.StatusSubmitted:
		m := messagePage{Title: "Thank you", Message: "Your answers have been submitted. Thank you for taking part.", Reference: ref,
			Details: []string{
				"What happens next: the research team analyses the answers of all the cities together once the survey closes on " +
					fp.LastDay() + ", and reports them only in aggregate: no city, department or person is named. You will get no more reminders about this survey.",
				"This link no longer accepts changes.",
			},
			Ask: "Questions, or want to change or withdraw your answers?"}
		if at := v.Case.SubmittedAt; at != nil {
			m.Details = append([]string{"Submitted on " + at.In(fp.Location()).Format("Monday, January 2, 2006 at 3:04 PM MST") + "."}, m.Details...)
		}
		return page(m)
	case v.Case.Status == survey.StatusOptedOut:
		return page(messagePage{Title: "You have opted out", Message: "You will not receive further messages about this survey. Thank you for letting us know.",
			Reference: ref, Ask: "Opted out by mistake, or changed your mind?"})
	case !v.Open:
		title, why := fp.Closed(s.Now())
		return page(messagePage{Title: title, Message: why})
	}
	return nil
}

// reference is what a respondent quotes when writing to the team: the
// start of the case id, which staff find under Admin → Cases. It is not
// the token and gives no access.
func reference(caseID string) string {
	if len(caseID) > 10 {
		return caseID[:10]
	}
	return caseID
}

// privacyText is the instrument's privacy notice when it is a text, ""
// when it is the address of one.
func (s *Server) privacyText() string {
	if s.Instrument.PrivacyURL() != "" {
		return ""
	}
	return s.Instrument.Privacy
}

// handlePrivacy answers GET /privacy: the privacy notice, for an instrument
// that gives it as a text (the footer of every page links here), else a
// redirect to its address.
func (s *Server) handlePrivacy(c echo.Context) error {
	if u := s.Instrument.PrivacyURL(); u != "" {
		return c.Redirect(http.StatusFound, u)
	}
	return s.render(c, http.StatusOK, "privacy.html", welcomePage{Base: s.plainBase("How we use your answers"), Privacy: s.privacyText()})
}

// handleStart answers POST /s/{token}/start: consent given, go to the first page.
func (s *Server) handleStart(c echo.Context) error {
	v, err := s.Respond.Start(c.Request().Context(), c.Param("token"), deviceClass(c))
	if err != nil {
		return s.pageError(c, err)
	}
	return s.redirectTo(c, s.Respond.ResumePage(v))
}

// handlePage answers GET /s/{token}/page/{page}.
func (s *Server) handlePage(c echo.Context) error {
	v, page, err := s.openPage(c)
	if err != nil || v == nil {
		return err
	}
	return s.renderPage(c, http.StatusOK, v, page, nil, nil, "")
}

// openStarted loads a started case that takes answers, or answers the
// request itself (the consent page first, or why the link takes no
// answers) and returns a nil view.
func (s *Server) openStarted(c echo.Context) (*respond.View, error) {
	v, err := s.Respond.Open(c.Request().Context(), c.Param("token"))
	if err != nil {
		return nil, err
	}
	if stop := s.statusPage(c, v); stop != nil {
		return nil, stop()
	}
	if v.Case.Status == survey.StatusNew {
		return nil, s.redirectTo(c, "") // consent first
	}
	return v, nil
}

// openPage is openStarted, with the page named in the path.
func (s *Server) openPage(c echo.Context) (*respond.View, int, error) {
	v, err := s.openStarted(c)
	if err != nil || v == nil {
		return nil, 0, err
	}
	page := s.Instrument.PageIndex(c.Param("page"))
	if page < 0 {
		return nil, 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return v, page, nil
}

// handlePagePost answers POST /s/{token}/page/{page}: save the page's
// answers, then go on (action=next), back (action=back), or stop for now
// (action=save).
func (s *Server) handlePagePost(c echo.Context) error {
	form, err := c.FormParams()
	if tooLarge(err) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	if err != nil {
		return survey.Errorf(survey.EINVALID, "The form could not be read")
	}
	v, page, err := s.openPage(c)
	if code := survey.ErrorCode(err); code == survey.EUNAVAILABLE || code == survey.EBUSY {
		return s.storeDown(c, form, err)
	}
	if err != nil || v == nil {
		return err
	}
	action := form.Get("action")
	res, err := s.Instrument.DecodeForm(page, form)
	if err != nil {
		return s.renderPage(c, http.StatusUnprocessableEntity, v, page, res.Raw, fieldsOf(err), "")
	}
	after := respond.Merged(v.Answers, res.Set, res.Clear)
	// An answer that the page's other answers make not apply is not kept
	// (the store keeps no hidden answer), but never without a word: the
	// page comes back saying which and why, whatever the action.
	problems := s.notKept(v.Answers, res, s.Instrument.Clean(after))
	if action == "next" {
		maps.Copy(problems, s.missingOnPage(after, page))
	}
	dest := s.Instrument.Pages[page].ID
	switch {
	case len(problems) > 0:
	case action == "next" && returning(c):
		dest = respond.Review
	default:
		dest = s.Respond.Neighbour(after, page, action)
	}
	saved, err := s.Respond.Save(c.Request().Context(), c.Param("token"), respond.Save{
		Set: res.Set, Clear: res.Clear, Page: dest, Device: deviceClass(c),
		PageSeconds: pageSeconds(s.Instrument.Pages[page].ID, form.Get("shown"), s.Now())})
	// A failed save shows the page again over the case as it was read,
	// with what was typed.
	switch code := survey.ErrorCode(err); {
	case err == nil:
		v = saved
	case code == survey.EBUSY:
		return s.renderPage(c, statusOf(code), v, page, res.Raw, nil, notSaved)
	case code == survey.EUNAVAILABLE || code == survey.EINTERNAL:
		s.Logger.ErrorContext(c.Request().Context(), "saving a page failed", "err", err)
		return s.renderPage(c, statusOf(code), v, page, res.Raw, nil, notConfirmed)
	default:
		return s.pageError(c, err)
	}
	if len(problems) > 0 {
		return s.renderPage(c, http.StatusUnprocessableEntity, v, page, nil, problems, "")
	}
	if action == "save" {
		return s.render(c, http.StatusOK, "message.html", messagePage{Base: s.base(c, "Your answers are saved"), Title: "Your answers are saved",
			Message: "You can close this page. To continue, open the same link from your invitation again, on this or any other device.", Continue: s.pageURL(c, dest)})
	}
	return s.redirectTo(c, dest)
}

// returning reports whether the page was reached by "Change" from Review,
// so that saving it goes back there rather than on through the pages.
func returning(c echo.Context) bool { return c.QueryParam("return") == respond.Review }

// What a page says when a save fails: refused before the store was touched,
// or sent to a store that did not confirm it.
const (
	notSaved     = "We could not save your answers just now. They are still on this page: please try again in a moment."
	notConfirmed = "We could not confirm that your answers were saved. They are still on this page: please send them again in a moment; nothing is recorded twice."
)

// storeDown shows the posted page again, as typed, when the store cannot
// even be read: the person must not lose what they wrote.
func (s *Server) storeDown(c echo.Context, form url.Values, err error) error {
	s.Logger.ErrorContext(c.Request().Context(), "store unavailable on a page post", "err", err)
	page := s.Instrument.PageIndex(c.Param("page"))
	if page < 0 {
		return err
	}
	res, _ := s.Instrument.DecodeForm(page, form)
	a := instrument.Answers{}
	if res != nil {
		a = res.Set
	}
	v := &respond.View{Case: &survey.Case{}, Answers: a, Visible: s.Instrument.Visible(a)}
	return s.renderPage(c, http.StatusServiceUnavailable, v, page, res.Raw, nil, notSaved)
}

// pageError answers a failed respondent write from a page: a case that
// stopped taking answers says why, with 409 or 403; anything else is a
// plain error.
func (s *Server) pageError(c echo.Context, err error) error {
	code := survey.ErrorCode(err)
	if code != survey.ECONFLICT && code != survey.ECLOSED {
		return err
	}
	v, openErr := s.Respond.Open(c.Request().Context(), c.Param("token"))
	if openErr != nil {
		return openErr
	}
	if stop := s.statusPage(c, v); stop != nil {
		return stop()
	}
	return err
}

func fieldsOf(err error) map[string]string {
	var e *survey.Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// missingOnPage names the page's required visible items left unanswered.
func (s *Server) missingOnPage(a instrument.Answers, page int) map[string]string {
	missing := map[string]string{}
	for _, id := range s.Instrument.Missing(a) {
		if it, _ := s.Instrument.Item(id); it.Page == page {
			missing[id] = requiredMessage(it)
		}
	}
	return missing
}

// notKept explains, for each answer just posted that cleared (the ids
// the answers after the post hide) drops, that it was not kept and why.
func (s *Server) notKept(before instrument.Answers, res *instrument.FormResult, cleared []string) map[string]string {
	out := map[string]string{}
	for _, id := range cleared {
		v, posted := res.Set[id]
		if !posted {
			continue
		}
		it, _ := s.Instrument.Item(id)
		out[id] = fmt.Sprintf("Your answer %q was not kept: this question applies only if %s", answerText(it, v), s.conditionWords(it, before))
	}
	return out
}

// requiredMessage is what a required item left unanswered says beside it.
func requiredMessage(it instrument.Item) string {
	switch it.Type {
	case instrument.Number, instrument.Text, instrument.Textarea:
		return "Enter an answer"
	case instrument.Multi:
		return "Select at least one option"
	}
	return "Select an answer"
}

// pageSeconds is the paradata for one visit: the time since the page was
// shown (a hidden field the server set), within reason.
func pageSeconds(page, shown string, now time.Time) map[string]float64 {
	ms, err := strconv.ParseInt(shown, 10, 64)
	if err != nil {
		return nil
	}
	sec := now.Sub(time.UnixMilli(ms)).Seconds()
	if sec <= 0 || sec > 3600 {
		return nil
	}
	return map[string]float64{page: sec}
}

// handleReview answers GET /s/{token}/review: every visible question with
// its answer and a link to change it, and the submit button.
func (s *Server) handleReview(c echo.Context) error {
	v, err := s.openStarted(c)
	if err != nil || v == nil {
		return err
	}
	return s.renderReview(c, http.StatusOK, v, nil)
}

// handleSubmitPost answers POST /s/{token}/submit.
func (s *Server) handleSubmitPost(c echo.Context) error {
	_, err := s.Respond.Submit(c.Request().Context(), c.Param("token"))
	if survey.ErrorCode(err) == survey.EINVALID {
		v, openErr := s.Respond.Open(c.Request().Context(), c.Param("token"))
		if openErr != nil {
			return openErr
		}
		return s.renderReview(c, http.StatusUnprocessableEntity, v, fieldsOf(err))
	}
	if err != nil {
		return s.pageError(c, err)
	}
	return s.redirectTo(c, "") // the link now shows the thank-you page
}

// handleOptOut answers GET /s/{token}/optout: a confirmation.
func (s *Server) handleOptOut(c echo.Context) error {
	v, err := s.Respond.Open(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	if v.Case.Status == survey.StatusSubmitted || v.Case.Status == survey.StatusOptedOut {
		return s.redirectTo(c, "")
	}
	return s.render(c, http.StatusOK, "optout.html", s.base(c, "Opt out of this survey"))
}

// handleOptOutPost answers POST /s/{token}/optout.
func (s *Server) handleOptOutPost(c echo.Context) error {
	if _, err := s.Respond.OptOut(c.Request().Context(), c.Param("token")); err != nil {
		return s.pageError(c, err)
	}
	return s.redirectTo(c, "")
}

// redirectTo sends the browser to a page of the case: "" is the link
// itself, "review" the review page, anything else a page id.
func (s *Server) redirectTo(c echo.Context, where string) error {
	return c.Redirect(http.StatusSeeOther, s.pageURL(c, where))
}

func (s *Server) pageURL(c echo.Context, where string) string {
	base := "/s/" + url.PathEscape(c.Param("token"))
	switch where {
	case "":
		return base
	case respond.Review:
		return base + "/review"
	}
	return base + "/page/" + url.PathEscape(where)
}
