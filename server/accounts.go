package server

import (
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
)

// The team's accounts: logins, users, API keys and the audit log. Each
// action is one function used by both the JSON API and the admin pages.

// record appends an audit entry for the request's principal. The action has
// happened by then, so a failure to record it is logged, loudly, rather
// than reported as the action's failure.
func (s *Server) record(c echo.Context, action, target, caseID string, detail map[string]string) {
	e := &account.AuditEntry{At: s.wall().UTC(), Action: action, Target: target, CaseID: caseID, IP: c.RealIP(), Detail: detail}
	if p := principalOf(c); p != nil {
		e.Actor, e.Role = p.User.Email, p.User.Role
	}
	if err := s.Store.AppendAudit(c.Request().Context(), e); err != nil {
		s.Logger.ErrorContext(c.Request().Context(), "audit entry not written", "action", action, "err", err)
	}
}

var errLogin = survey.Errorf(survey.EUNAUTHORIZED, "The email or password is not right.")

// login checks a password login and opens a session. Every attempt from
// an address spends from that address's bucket, which bounds the hashing
// work one client can cause; wrong passwords also spend from the bucket of
// the account at that address, so guessing one account is slow, while
// someone guessing from elsewhere cannot lock its owner out. An unknown
// email and a wrong password get the same answer after the same work.
func (s *Server) login(c echo.Context, email, password string) (*account.User, string, *account.Session, error) {
	ctx := c.Request().Context()
	now := s.wall()
	email = account.NormalizeEmail(email)
	if len(email) > 254 || len(password) > account.MaxPasswordLen {
		return nil, "", nil, errLogin
	}
	ip := c.RealIP()
	if ok, wait := s.limits.loginAddress.take(ip, now); !ok {
		return nil, "", nil, tooMany(c, wait)
	}
	accountHere := email + " " + ip
	if ok, wait := s.limits.loginAccount.peek(accountHere, now); !ok {
		return nil, "", nil, tooMany(c, wait)
	}
	u, err := s.Store.UserByEmail(ctx, email)
	hash := ""
	switch code := survey.ErrorCode(err); {
	case err == nil:
		hash = u.PasswordHash
	case code != survey.ENOTFOUND:
		return nil, "", nil, err
	}
	if !account.CheckPassword(hash, password) {
		s.limits.loginAccount.take(accountHere, now)
		s.record(c, "session.login_failed", email, "", nil)
		return nil, "", nil, errLogin
	}
	if u.Disabled {
		return nil, "", nil, survey.Errorf(survey.EFORBIDDEN, "This account is disabled. Ask a PI to enable it.")
	}
	cookie := account.NewToken()
	sess := &account.Session{ID: s.secrets.Hash(cookie), UserID: u.ID, CSRF: account.NewToken(), CreatedAt: now, LastSeen: now}
	if err := s.Store.InsertSession(ctx, sess); err != nil {
		return nil, "", nil, err
	}
	c.Set(principalKey, &principal{User: u, Session: sess})
	s.record(c, "session.login", u.Email, "", nil)
	s.setSessionCookie(c, cookie, s.sessionLifetime)
	return u, cookie, sess, nil
}

func (s *Server) setSessionCookie(c echo.Context, value string, maxAge time.Duration) {
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secure(c), MaxAge: int(maxAge.Seconds()),
	})
}

// secure reports whether the service is reached over TLS, directly or by
// its public URL.
func (s *Server) secure(c echo.Context) bool {
	return c.Request().TLS != nil || strings.HasPrefix(s.BaseURL, "https://")
}

// logout ends the request's session, if it has one.
func (s *Server) logout(c echo.Context) error {
	p := principalOf(c)
	if p != nil && p.Session != nil {
		if err := s.Store.DeleteSession(c.Request().Context(), p.Session.ID); err != nil {
			return err
		}
		s.record(c, "session.logout", p.User.Email, "", nil)
	}
	s.setSessionCookie(c, "", -time.Second)
	return nil
}

type userJSON struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// handleSessionCreate answers POST /api/v1/session: {"email", "password"}.
func (s *Server) handleSessionCreate(c echo.Context) error {
	// No session holds a CSRF token yet. A page elsewhere can post a
	// "simple" request (text/plain, a form) without asking, but not JSON;
	// and a browser names the page's origin.
	if mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type")); mt != "application/json" {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Send the login as JSON, with Content-Type: application/json.")
	}
	if !sameOrigin(c.Request()) {
		return survey.Errorf(survey.EFORBIDDEN, "Log in from this site's own pages.")
	}
	var body struct{ Email, Password string }
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	u, _, sess, err := s.login(c, body.Email, body.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": userJSON{u.Email, u.Role}, "csrf": sess.CSRF})
}

// handleSessionDelete answers DELETE /api/v1/session.
func (s *Server) handleSessionDelete(c echo.Context) error {
	if err := s.logout(c); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "logged out"})
}

// actor is the request's principal as the audit log names it.
func (s *Server) actor(c echo.Context) account.Actor {
	a := account.Actor{IP: c.RealIP()}
	if p := principalOf(c); p != nil {
		a.UserID, a.Email, a.Role = p.User.ID, p.User.Email, p.User.Role
	}
	return a
}

// handleUserCreate answers POST /api/v1/users: {"email", "password", "role"}.
func (s *Server) handleUserCreate(c echo.Context) error {
	var body struct{ Email, Password, Role string }
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	u, err := s.Accounts.Create(c.Request().Context(), s.actor(c), body.Email, body.Password, body.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, u)
}

// handleUserList answers GET /api/v1/users.
func (s *Server) handleUserList(c echo.Context) error {
	users, err := s.Store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"users": users})
}

// handleUserUpdate answers PATCH /api/v1/users/{id}: {"role", "disabled", "password"}.
func (s *Server) handleUserUpdate(c echo.Context) error {
	var body account.Change
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	u, err := s.Accounts.Update(c.Request().Context(), s.actor(c), c.Param("id"), body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// visibleKeys is the keys the request's user may see: their own, or, for a
// PI who asks, everyone's.
func (s *Server) visibleKeys(c echo.Context, all bool) ([]account.Key, error) {
	p := principalOf(c)
	owner := p.User.ID
	if all && p.User.Role == account.RolePI {
		owner = ""
	}
	return s.Store.Keys(c.Request().Context(), owner)
}

// handleKeyCreate answers POST /api/v1/keys: {"name"} → {"id", "key"}.
func (s *Server) handleKeyCreate(c echo.Context) error {
	var body struct{ Name string }
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	k, full, err := s.Accounts.CreateKey(c.Request().Context(), s.actor(c), body.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"id": k.ID, "name": k.Name, "key": full})
}

// handleKeyList answers GET /api/v1/keys (?all=true for a PI: everyone's).
func (s *Server) handleKeyList(c echo.Context) error {
	keys, err := s.visibleKeys(c, c.QueryParam("all") == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"keys": keys})
}

// handleKeyDelete answers DELETE /api/v1/keys/{id}.
func (s *Server) handleKeyDelete(c echo.Context) error {
	if err := s.Accounts.RevokeKey(c.Request().Context(), s.actor(c), c.Param("id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "revoked"})
}

// handleAudit answers GET /api/v1/audit (?limit=N, default 200, at most 5,000).
func (s *Server) handleAudit(c echo.Context) error {
	entries, err := s.Store.Audit(c.Request().Context(), auditLimit(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": entries})
}

func auditLimit(c echo.Context) int64 {
	n, err := strconv.ParseInt(c.QueryParam("limit"), 10, 64)
	if err != nil || n <= 0 {
		return 200
	}
	return min(n, 5000)
}

// bootstrapPI creates the first PI from the configuration when the store
// has no user at all; once anyone exists it does nothing, so a restart never
// resets a password.
func (s *Server) bootstrapPI(ctx context.Context, email, password string) error {
	n, err := s.Store.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if email == "" {
		s.Logger.Warn("no users yet: set CANVASS_ADMIN_EMAIL and CANVASS_ADMIN_PASSWORD, or run `canvass user add`, to create the first PI")
		return nil
	}
	u, err := s.Accounts.Create(ctx, account.Actor{Email: "configuration", IP: "local"}, email, password, account.RolePI)
	if err != nil {
		return err
	}
	s.Logger.Info("created the first PI", "email", u.Email)
	return nil
}
