package server

import (
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/account"
)

// Who may use each route.
const (
	public     = "public"     // anyone
	respondent = "respondent" // anyone holding the token in the path
	login      = "login"      // anyone, but only with a right password
	staffRole  = "staff"      // staff and PIs
	piRole     = "pi"         // PIs only
)

// access has a row for every route the router registers; a new route
// without one fails TestAccessEveryRoute.
var access = map[string]string{
	"GET /healthz":                           public,
	"GET /readyz":                            public,
	"GET /static/*":                          public,
	"GET /privacy":                           public,
	"GET /metrics":                           piRole, // or the scrape token: TestMetricsAccess
	"GET /s/:token":                          respondent,
	"POST /s/:token/start":                   respondent,
	"GET /s/:token/page/:page":               respondent,
	"POST /s/:token/page/:page":              respondent,
	"GET /s/:token/review":                   respondent,
	"POST /s/:token/submit":                  respondent,
	"GET /s/:token/optout":                   respondent,
	"POST /s/:token/optout":                  respondent,
	"GET /api/v1/respond/:token":             respondent,
	"PUT /api/v1/respond/:token/answers":     respondent,
	"POST /api/v1/respond/:token/submit":     respondent,
	"POST /api/v1/respond/:token/optout":     respondent,
	"POST /api/v1/session":                   login,
	"DELETE /api/v1/session":                 staffRole,
	"POST /api/v1/users":                     piRole,
	"GET /api/v1/users":                      piRole,
	"PATCH /api/v1/users/:id":                piRole,
	"POST /api/v1/keys":                      staffRole,
	"GET /api/v1/keys":                       staffRole,
	"DELETE /api/v1/keys/:id":                staffRole,
	"GET /api/v1/audit":                      piRole,
	"POST /api/v1/frame":                     staffRole,
	"GET /api/v1/progress":                   staffRole,
	"GET /api/v1/nonrespondents.csv":         staffRole,
	"GET /api/v1/cases/:id":                  staffRole,
	"POST /api/v1/cases/:id/disposition":     staffRole,
	"DELETE /api/v1/cases/:id/disposition":   staffRole,
	"POST /api/v1/cases/:id/contacts":        staffRole,
	"POST /api/v1/cases/:id/resolve":         staffRole,
	"POST /api/v1/donotcontact":              staffRole,
	"DELETE /api/v1/donotcontact/:who":       staffRole,
	"GET /admin/cases/:id":                   staffRole,
	"POST /admin/cases/:id/contacts":         staffRole,
	"POST /admin/cases/:id/resolve":          staffRole,
	"POST /admin/donotcontact":               staffRole,
	"POST /api/v1/waves/test":                staffRole,
	"POST /api/v1/waves/:id/test":            staffRole,
	"POST /admin/waves/:id/test":             staffRole,
	"GET /api/v1/responses.csv":              staffRole,
	"GET /api/v1/codebook.json":              staffRole,
	"GET /api/v1/syntax/r":                   staffRole,
	"GET /api/v1/syntax/stata":               staffRole,
	"GET /api/v1/syntax/spss":                staffRole,
	"GET /admin/codebook":                    staffRole,
	"GET /admin/login":                       public,
	"POST /admin/login":                      login,
	"POST /admin/logout":                     staffRole,
	"GET /admin":                             staffRole,
	"GET /admin/progress":                    staffRole,
	"GET /admin/cases":                       staffRole,
	"POST /admin/cases/import":               staffRole,
	"POST /admin/cases/:id/disposition":      staffRole,
	"GET /admin/waves":                       staffRole,
	"POST /admin/waves":                      staffRole,
	"POST /admin/waves/:id/cancel":           staffRole,
	"POST /api/v1/waves":                     staffRole,
	"GET /api/v1/waves":                      staffRole,
	"POST /api/v1/waves/preview":             staffRole,
	"POST /api/v1/waves/:id/cancel":          staffRole,
	"GET /api/v1/fieldperiod":                staffRole,
	"POST /api/v1/fieldperiod":               piRole,
	"GET /admin/fieldperiod":                 staffRole,
	"POST /admin/fieldperiod":                piRole,
	"POST /api/v1/results/run":               piRole,
	"GET /api/v1/results":                    staffRole,
	"GET /api/v1/results/latest":             piRole,
	"GET /api/v1/results/:id":                piRole,
	"GET /api/v1/results/latest/report.html": piRole,
	"GET /api/v1/results/:id/report.html":    piRole,
	"GET /admin/results":                     staffRole,
	"POST /admin/results/run":                piRole,
	"GET /admin/users":                       piRole,
	"POST /admin/users":                      piRole,
	"POST /admin/users/:id":                  piRole,
	"GET /admin/keys":                        staffRole,
	"POST /admin/keys":                       staffRole,
	"POST /admin/keys/:id/revoke":            staffRole,
	"GET /admin/audit":                       piRole,
}

// Every route, with no credentials, a staff key and a PI key, gets exactly
// what its access level says: 401 without credentials and 403 with the
// wrong role for the team's routes; never either for public and respondent
// routes; and never a 5xx.
func TestAccessEveryRoute(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	pi := env.addUser("pi@example.org", account.RolePI)
	spare := env.addUser("spare@example.org", account.RoleStaff) // a target for id routes
	sparekeyID, _, _ := account.ParseKey(spare.key)
	tok := env.newCase("access@example.org")
	fill := strings.NewReplacer(":token", tok, ":page", env.srv.Instrument.Pages[0].ID, "*", "canvass.css")

	for _, route := range env.srv.Routes() {
		want, ok := access[route]
		if !ok {
			t.Errorf("route %q has no row in the access table", route)
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		path = fill.Replace(path)
		if strings.HasPrefix(path, "/api/v1/users/") || strings.HasPrefix(path, "/admin/users/") {
			path = strings.Replace(path, ":id", spare.user.ID, 1)
		}
		path = strings.Replace(path, ":id", sparekeyID, 1)
		for _, who := range []struct {
			name, key, role string
		}{{"nobody", "", ""}, {"staff", staff.key, account.RoleStaff}, {"pi", pi.key, account.RolePI}} {
			contentType := "application/json"
			if strings.HasPrefix(path, "/admin") || strings.HasPrefix(path, "/s/") {
				contentType = "application/x-www-form-urlencoded"
			}
			res, body := env.doAs(who.key, method, path, contentType, "")
			got := res.StatusCode
			var bad bool
			switch want {
			case public, respondent:
				bad = got == 401 || got == 403
			case login:
				bad = got != 401 && got != 422
			case staffRole:
				bad = (who.role == "" && got != 401) || (who.role != "" && (got == 401 || got == 403))
			case piRole:
				bad = (who.role == "" && got != 401) || (who.role == account.RoleStaff && got != 403) ||
					(who.role == account.RolePI && (got == 401 || got == 403))
			}
			if bad || got >= 500 {
				t.Errorf("%s as %s: status %d (route is %s): %.300s", route, who.name, got, want, body)
			}
		}
	}
	for route := range access {
		found := false
		for _, r := range env.srv.Routes() {
			found = found || r == route
		}
		if !found {
			t.Errorf("the access table names %q, which is not a route", route)
		}
	}
}
