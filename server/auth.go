package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/token"
)

const sessionCookie = "canvass_session"

// backgroundHeader marks a request a page's script makes on its own (the
// Progress page's refresh), which does not count as activity.
const backgroundHeader = "X-Canvass-Background"

// principal is who a request acts for, and how it proved it.
type principal struct {
	User    *account.User
	Session *account.Session // nil when a key authenticated the request
	KeyID   string
}

const principalKey = "canvass.principal"

func principalOf(c echo.Context) *principal {
	p, _ := c.Get(principalKey).(*principal)
	return p
}

// authenticate finds who the request acts for: an API key in the
// Authorization header, else a session cookie. A key that is malformed,
// unknown or revoked is refused at once (401); a bad or expired cookie just
// means no session, so the login page can show.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if header := c.Request().Header.Get("Authorization"); header != "" {
			p, err := s.keyPrincipal(c, header)
			if err != nil {
				return err
			}
			c.Set(principalKey, p)
			return next(c)
		}
		if cookie, err := c.Cookie(sessionCookie); err == nil {
			if value, ok := account.ParseSessionCookie(cookie.Value); ok {
				p, err := s.sessionPrincipal(c, value)
				if survey.ErrorCode(err) == survey.EUNAVAILABLE || survey.ErrorCode(err) == survey.EINTERNAL {
					return err
				}
				if p != nil {
					c.Set(principalKey, p)
				}
			}
		}
		return next(c)
	}
}

var errBadKey = survey.Errorf(survey.EUNAUTHORIZED, "The API key is not valid or has been revoked.")

func (s *Server) keyPrincipal(c echo.Context, header string) (*principal, error) {
	ctx := c.Request().Context()
	cred, ok := account.ParseBearer(header)
	if !ok {
		return nil, survey.Errorf(survey.EUNAUTHORIZED, `The Authorization header must be "Bearer <API key>".`)
	}
	id, secret, ok := account.ParseKey(cred)
	if !ok {
		return nil, errBadKey
	}
	k, err := s.Store.Key(ctx, id)
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		return nil, errBadKey
	} else if err != nil {
		return nil, err
	}
	if !account.Equal(k.Hash, s.secrets.Hash(secret)) || k.RevokedAt != nil {
		return nil, errBadKey
	}
	u, err := s.activeUser(c, k.UserID)
	if err != nil {
		return nil, err
	}
	now := s.wall()
	if k.LastUsed == nil || now.Sub(*k.LastUsed) > time.Minute {
		_ = s.Store.TouchKey(ctx, k.ID, now)
	}
	return &principal{User: u, KeyID: k.ID}, nil
}

// sessionPrincipal returns the live session's principal, or nil when the
// session is unknown, expired or its user disabled.
func (s *Server) sessionPrincipal(c echo.Context, value string) (*principal, error) {
	ctx := c.Request().Context()
	id := s.secrets.Hash(value)
	sess, err := s.Store.Session(ctx, id)
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	now := s.wall()
	if !sess.Live(now, s.sessionIdle, s.sessionLifetime) {
		_ = s.Store.DeleteSession(ctx, id)
		return nil, nil
	}
	u, err := s.activeUser(c, sess.UserID)
	if survey.ErrorCode(err) == survey.EUNAUTHORIZED {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	// The idle timeout counts from the last request, whatever its length,
	// so every request records itself (staff make few) — except the
	// Progress page's own refreshes, which a person did not make: an open
	// dashboard must not keep a session alive forever.
	if now.After(sess.LastSeen) && c.Request().Header.Get(backgroundHeader) == "" {
		_ = s.Store.TouchSession(ctx, id, now)
	}
	return &principal{User: u, Session: sess}, nil
}

func (s *Server) activeUser(c echo.Context, id string) (*account.User, error) {
	u, err := s.Store.User(c.Request().Context(), id)
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		return nil, survey.Errorf(survey.EUNAUTHORIZED, "The account no longer exists.")
	} else if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, survey.Errorf(survey.EUNAUTHORIZED, "This account is disabled.")
	}
	return u, nil
}

// require lets the request through only for a principal with one of roles
// (401 without credentials, 403 with the wrong role), and, for a request
// that changes something on a session cookie, only with its CSRF token.
func (s *Server) require(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := principalOf(c)
			if p == nil {
				return survey.Errorf(survey.EUNAUTHORIZED, "Please log in: this needs a session or an API key.")
			}
			allowed := false
			for _, r := range roles {
				allowed = allowed || p.User.Role == r
			}
			if !allowed {
				return survey.Errorf(survey.EFORBIDDEN, "Your role (%s) may not do this.", p.User.Role)
			}
			if p.Session != nil && !safeMethod(c.Request().Method) {
				ok, err := s.csrfOK(c, p.Session)
				if err != nil {
					return err
				}
				if !ok {
					return survey.Errorf(survey.EFORBIDDEN, "The CSRF token is missing or wrong: reload the page and try again.")
				}
			}
			return next(c)
		}
	}
}

// staffOrPI and piOnly are the two levels of access.
func (s *Server) staffOrPI() echo.MiddlewareFunc { return s.require(account.RoleStaff, account.RolePI) }
func (s *Server) piOnly() echo.MiddlewareFunc    { return s.require(account.RolePI) }

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfOK checks the token a form (field "csrf" in the body) or a script
// (header X-CSRF-Token) sends against the session's. Never one from the
// URL's query: a URL ends up in logs, histories and Referer headers.
// A form too large to read is a 413, not a missing token.
func (s *Server) csrfOK(c echo.Context, sess *account.Session) (bool, error) {
	r := c.Request()
	sent := r.Header.Get("X-CSRF-Token")
	ct := r.Header.Get("Content-Type")
	if sent == "" && (strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data")) {
		_, err := c.FormParams() // parses the body into PostForm, as Echo's handlers will read it
		if tooLarge(err) {
			return false, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		sent = r.PostForm.Get("csrf")
	}
	return sent != "" && account.Equal(sent, sess.CSRF), nil
}

// limitRespondent applies the respondent routes' rate limits: a client
// address that keeps trying unknown tokens gets 429 instead of 404 for
// them, and a token that writes too fast is slowed down. A valid link still
// works from an address over the limit: the managers of one city hall often
// share an address, and one mistyped link must not lock out the others.
func (s *Server) limitRespondent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		now := s.wall()
		ip := c.RealIP()
		tok := c.Param("token")
		if !safeMethod(c.Request().Method) && token.WellFormed(tok) {
			if ok, wait := s.limits.answers.take(s.Respond.Hasher.CaseID(tok), now); !ok {
				return tooMany(c, wait)
			}
		}
		err := next(c)
		var se *survey.Error
		if errors.As(err, &se) && se.Code == survey.ENOTFOUND {
			if ok, wait := s.limits.badToken.take(ip, now); !ok {
				return tooMany(c, wait)
			}
		}
		return err
	}
}
