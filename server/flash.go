package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
)

// Post/redirect/get: a form that succeeds answers 303 to a page, which
// shows the outcome once, from the session. Reloading that page repeats
// nothing, and a form sent twice is done once.

// redirectDone answers a form that succeeded: the notice goes to the
// session, the browser to the page at to.
func (s *Server) redirectDone(c echo.Context, to string, f account.Flash) error {
	if p := principalOf(c); p != nil && p.Session != nil {
		if f.Secret != "" {
			f.Secret = s.sealer.Seal(f.Secret)
		}
		if err := s.Store.SetFlash(c.Request().Context(), p.Session.ID, &f); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// takeFlash returns the session's one-time notice, with its secret opened,
// and removes it from the store so no later page shows it again.
func (s *Server) takeFlash(c echo.Context) *account.Flash {
	p := principalOf(c)
	if p == nil || p.Session == nil || p.Session.Flash == nil {
		return nil
	}
	f := *p.Session.Flash
	p.Session.Flash = nil
	if err := s.Store.SetFlash(c.Request().Context(), p.Session.ID, nil); err != nil {
		s.Logger.ErrorContext(c.Request().Context(), "flash not cleared", "err", err)
	}
	if f.Secret != "" {
		secret, err := s.sealer.Open(f.Secret)
		if err != nil {
			s.Logger.ErrorContext(c.Request().Context(), "flash secret does not open", "err", err)
		}
		f.Secret = secret
	}
	return &f
}

var errStaleForm = survey.Errorf(survey.EINVALID, "The form is out of date: reload the page and send it again.")

// sentBefore reports whether this form, as rendered on one page (its
// form_token) and sent to this action, was already sent in this session:
// a double click or a reload of the answer. The first sending claims it in
// the store; every later one is told so and changes nothing. A sending
// whose action fails (any answer but a redirect to the outcome) gives its
// claim back, so the same form may be sent again. Requests with an API key
// carry no form token and are not forms.
func (s *Server) sentBefore(c echo.Context) (bool, error) {
	p := principalOf(c)
	if p == nil || p.Session == nil {
		return false, nil
	}
	tok := c.Request().PostFormValue("form_token")
	if tok == "" {
		return false, errStaleForm
	}
	key := s.secrets.Hash(p.Session.ID + " " + tok + " " + c.Request().Method + " " + c.Request().URL.Path)
	err := s.Store.ClaimOnce(c.Request().Context(), key, s.wall().UTC())
	if survey.ErrorCode(err) == survey.ECONFLICT {
		return true, nil
	}
	if err == nil {
		c.Response().Before(func() {
			if c.Response().Status >= http.StatusBadRequest {
				if err := s.Store.ReleaseOnce(context.WithoutCancel(c.Request().Context()), key); err != nil {
					s.Logger.ErrorContext(c.Request().Context(), "a failed form's claim was not given back", "err", err)
				}
			}
		})
	}
	return false, err
}

// alreadySent answers a form sent again: back to its page, saying so.
func (s *Server) alreadySent(c echo.Context) error {
	return s.redirectDone(c, sectionOf(c.Request().URL.Path), account.Flash{
		Notice: "That form was already sent, and was done once; nothing was done again."})
}

// sectionOf is the admin page a form's action belongs to:
// /admin/cases/ID/disposition → /admin/cases.
func sectionOf(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	if len(parts) < 2 {
		return "/admin"
	}
	return "/" + parts[0] + "/" + parts[1]
}
