package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
)

// The admin pages: plain HTML forms, each carrying the session's CSRF
// token, styled like the respondent pages.

type navItem struct {
	Label, URL string
	Active     bool
}

// adminBase is what the admin layout needs.
type adminBase struct {
	Title       string
	SurveyTitle string
	User        *account.User
	CSRF        string
	Nav         []navItem
	FormToken   string // this page's one-time form token, in every form
	Notice      string // a confirmation or an error to show at the top
	Error       bool
	Secret      string // shown once, from the flash (a new API key)
}

// adminSections is the navigation, with the roles that may open each.
var adminSections = []struct {
	Label, Path string
	PIOnly      bool
}{
	{"Progress", "/admin/progress", false},
	{"Cases", "/admin/cases", false},
	{"Waves", "/admin/waves", false},
	{"Field period", "/admin/fieldperiod", false},
	{"Results", "/admin/results", false},
	{"Users", "/admin/users", true},
	{"Keys", "/admin/keys", false},
	{"Audit", "/admin/audit", true},
}

// show puts a notice at the top of the page, in place of the flash if
// there is one; an empty notice leaves the flash.
func (b *adminBase) show(notice string, isError bool) {
	if notice != "" {
		b.Notice, b.Error = notice, isError
	}
}

func (s *Server) adminBase(c echo.Context, title string) adminBase {
	b := adminBase{Title: title, SurveyTitle: s.Instrument.Title}
	p := principalOf(c)
	if p == nil {
		return b
	}
	b.User = p.User
	if p.Session != nil {
		b.CSRF, b.FormToken = p.Session.CSRF, account.NewToken()
	}
	if f := s.takeFlash(c); f != nil {
		b.Notice, b.Error, b.Secret = f.Notice, f.Error, f.Secret
	}
	for _, sec := range adminSections {
		if !sec.PIOnly || p.User.Role == account.RolePI {
			b.Nav = append(b.Nav, navItem{Label: sec.Label, URL: sec.Path, Active: strings.HasPrefix(c.Path(), sec.Path)})
		}
	}
	return b
}

type loginPage struct {
	adminBase
	Email string
}

// handleLoginPage answers GET /admin/login.
func (s *Server) handleLoginPage(c echo.Context) error {
	if principalOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/admin")
	}
	return s.render(c, http.StatusOK, "admin_login.html", loginPage{adminBase: s.adminBase(c, "Log in")})
}

// handleLoginPost answers POST /admin/login (form: email, password). There
// is no session yet to hold a CSRF token, so a login posted from another
// site — which could sign a staff member's browser into someone else's
// account — is refused by what the browser says of the request's origin.
func (s *Server) handleLoginPost(c echo.Context) error {
	if !sameOrigin(c.Request()) {
		return survey.Errorf(survey.EFORBIDDEN, "Log in from this site's own login page.")
	}
	email := c.FormValue("email")
	if _, _, _, err := s.login(c, email, c.FormValue("password")); err != nil {
		status, body := s.describe(err, c)
		page := loginPage{adminBase: s.adminBase(c, "Log in"), Email: email}
		page.Notice, page.Error = body.Error, true
		return s.render(c, status, "admin_login.html", page)
	}
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// handleLogoutPost answers POST /admin/logout.
func (s *Server) handleLogoutPost(c echo.Context) error {
	if err := s.logout(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/login")
}

// handleAdminHome answers GET /admin.
func (s *Server) handleAdminHome(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/admin/progress")
}

type sectionPage struct {
	adminBase
	Text string
}

type usersPage struct {
	adminBase
	Users []account.User
}

// handleUsersPage answers GET /admin/users.
func (s *Server) handleUsersPage(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, "", false)
}

func (s *Server) renderUsers(c echo.Context, status int, notice string, isError bool) error {
	users, err := s.Store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	page := usersPage{adminBase: s.adminBase(c, "Users"), Users: users}
	page.show(notice, isError)
	return s.render(c, status, "admin_users.html", page)
}

// handleUsersPost answers POST /admin/users (form: email, password, role).
func (s *Server) handleUsersPost(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderUsers)
	}
	u, err := s.Accounts.Create(c.Request().Context(), s.actor(c), c.FormValue("email"), c.FormValue("password"), c.FormValue("role"))
	if err != nil {
		return s.adminFormError(c, err, s.renderUsers)
	}
	return s.redirectDone(c, "/admin/users", account.Flash{Notice: "Added " + u.Email + " as " + u.Role + "."})
}

// handleUserPost answers POST /admin/users/{id} (form: role, disabled, password).
func (s *Server) handleUserPost(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderUsers)
	}
	var ch account.Change
	if role := c.FormValue("role"); role != "" {
		ch.Role = &role
	}
	disabled := c.FormValue("disabled") == "true"
	ch.Disabled = &disabled
	if pw := c.FormValue("password"); pw != "" {
		ch.Password = &pw
	}
	u, err := s.Accounts.Update(c.Request().Context(), s.actor(c), c.Param("id"), ch)
	if err != nil {
		return s.adminFormError(c, err, s.renderUsers)
	}
	return s.redirectDone(c, "/admin/users", account.Flash{Notice: "Saved " + u.Email + "."})
}

// formAgain answers a form that cannot be done: sent before (back to its
// page, saying so) or without its form token (the page again, asking for a
// reload).
func (s *Server) formAgain(c echo.Context, err error, render func(echo.Context, int, string, bool) error) error {
	if err != nil {
		return s.adminFormError(c, err, render)
	}
	return s.alreadySent(c)
}

// adminFormError shows a page again with what went wrong at the top.
func (s *Server) adminFormError(c echo.Context, err error, render func(echo.Context, int, string, bool) error) error {
	if code := survey.ErrorCode(err); code == survey.EINTERNAL || code == survey.EUNAVAILABLE {
		return err
	}
	status, body := s.describe(err, c)
	msg := body.Error
	for field, problem := range body.Fields {
		msg += " — " + field + ": " + problem
	}
	return render(c, status, msg, true)
}

type keysPage struct {
	adminBase
	Keys []account.Key
	All  bool
}

// handleKeysPage answers GET /admin/keys.
func (s *Server) handleKeysPage(c echo.Context) error {
	return s.renderKeys(c, http.StatusOK, "", false)
}

func (s *Server) renderKeys(c echo.Context, status int, notice string, isError bool) error {
	p := principalOf(c)
	keys, err := s.visibleKeys(c, true)
	if err != nil {
		return err
	}
	page := keysPage{adminBase: s.adminBase(c, "API keys"), Keys: keys, All: p.User.Role == account.RolePI}
	page.show(notice, isError)
	return s.render(c, status, "admin_keys.html", page)
}

// handleKeysPost answers POST /admin/keys (form: name). The key travels to
// the next page sealed in the session's flash, shown once, never in a URL.
func (s *Server) handleKeysPost(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderKeys)
	}
	_, full, err := s.Accounts.CreateKey(c.Request().Context(), s.actor(c), c.FormValue("name"))
	if err != nil {
		return s.adminFormError(c, err, s.renderKeys)
	}
	return s.redirectDone(c, "/admin/keys", account.Flash{Notice: "Copy the key now: it is not shown again.", Secret: full})
}

// handleKeyRevokePost answers POST /admin/keys/{id}/revoke.
func (s *Server) handleKeyRevokePost(c echo.Context) error {
	if again, err := s.sentBefore(c); again || err != nil {
		return s.formAgain(c, err, s.renderKeys)
	}
	if err := s.Accounts.RevokeKey(c.Request().Context(), s.actor(c), c.Param("id")); err != nil {
		return s.adminFormError(c, err, s.renderKeys)
	}
	return s.redirectDone(c, "/admin/keys", account.Flash{Notice: "The key is revoked."})
}

type auditPage struct {
	adminBase
	Entries []account.AuditEntry
}

// handleAuditPage answers GET /admin/audit.
func (s *Server) handleAuditPage(c echo.Context) error {
	entries, err := s.Store.Audit(c.Request().Context(), auditLimit(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_audit.html", auditPage{adminBase: s.adminBase(c, "Audit log"), Entries: entries})
}

// adminError answers a failed admin page: the login form for 401, a page
// naming the problem otherwise.
func (s *Server) adminError(c echo.Context, status int, message string) {
	if status == http.StatusUnauthorized {
		page := loginPage{adminBase: s.adminBase(c, "Log in")}
		page.Notice, page.Error = message, true
		_ = s.render(c, status, "admin_login.html", page)
		return
	}
	page := sectionPage{adminBase: s.adminBase(c, titleFor(status)), Text: message}
	_ = s.render(c, status, "admin_section.html", page)
}

// sameOrigin reports whether a browser request comes from this site's own
// pages: Sec-Fetch-Site where the browser sends it, else the Origin header.
// A request that carries neither (not from a browser) passes.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
