package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/canvass-survey/canvass/templates"
)

// routes registers every route of the service; this is the one list. The
// access test in access_test.go has a row for each and fails on a new route
// without one.
func (s *Server) routes() {
	e := s.echo
	e.Use(middleware.Recover())
	e.Use(s.logRequests)
	e.Use(s.securityHeaders)
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "1M",
		Skipper: frameUpload}))

	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServerFS(templates.Static()))))
	e.GET("/privacy", s.handlePrivacy)
	// Outside the team's group: a scraper's token is not an API key.
	e.GET("/metrics", echo.WrapHandler(s.metrics.Handler()), s.metricsAccess)

	// The respondent's pages, complete without JavaScript.
	r := e.Group("", s.limitRespondent)
	r.GET("/s/:token", s.handleWelcome)
	r.POST("/s/:token/start", s.handleStart)
	r.GET("/s/:token/page/:page", s.handlePage)
	r.POST("/s/:token/page/:page", s.handlePagePost)
	r.GET("/s/:token/review", s.handleReview)
	r.POST("/s/:token/submit", s.handleSubmitPost)
	r.GET("/s/:token/optout", s.handleOptOut)
	r.POST("/s/:token/optout", s.handleOptOutPost)

	// The respondent JSON API, same rules and storage as the pages.
	r.GET("/api/v1/respond/:token", s.handleRespondGet)
	r.PUT("/api/v1/respond/:token/answers", s.handleRespondAnswers)
	r.POST("/api/v1/respond/:token/submit", s.handleRespondSubmit)
	r.POST("/api/v1/respond/:token/optout", s.handleRespondOptOut)

	// The team: a session cookie (with CSRF tokens on changes) or an API key.
	a := e.Group("", s.authenticate)
	staff, pi := s.staffOrPI(), s.piOnly()
	frameLimit := middleware.BodyLimit(strconv.Itoa(maxFrame>>20) + "M")
	a.POST("/api/v1/session", s.handleSessionCreate)
	a.DELETE("/api/v1/session", s.handleSessionDelete, staff)
	a.POST("/api/v1/users", s.handleUserCreate, pi)
	a.GET("/api/v1/users", s.handleUserList, pi)
	a.PATCH("/api/v1/users/:id", s.handleUserUpdate, pi)
	a.POST("/api/v1/keys", s.handleKeyCreate, staff)
	a.GET("/api/v1/keys", s.handleKeyList, staff)
	a.DELETE("/api/v1/keys/:id", s.handleKeyDelete, staff)
	a.GET("/api/v1/audit", s.handleAudit, pi)
	a.POST("/api/v1/frame", s.handleFrameImport, frameLimit, staff) // the limit first: the CSRF check may read the body
	a.GET("/api/v1/progress", s.handleProgress, staff)
	a.GET("/api/v1/nonrespondents.csv", s.handleNonrespondentsCSV, staff)
	a.GET("/api/v1/cases/:id", s.handleCase, staff)
	a.POST("/api/v1/cases/:id/disposition", s.handleDispositionSet, staff)
	a.DELETE("/api/v1/cases/:id/disposition", s.handleDispositionDelete, staff)
	a.POST("/api/v1/cases/:id/contacts", s.handleContactCreate, staff)
	a.POST("/api/v1/cases/:id/resolve", s.handleResolve, staff)
	a.POST("/api/v1/donotcontact", s.handleDoNotContactAdd, staff)
	a.DELETE("/api/v1/donotcontact/:who", s.handleDoNotContactRemove, staff)
	a.GET("/api/v1/responses.csv", s.handleResponsesCSV, staff)
	a.GET("/api/v1/codebook.json", s.handleCodebookJSON, staff)
	a.GET("/api/v1/syntax/r", s.handleSyntax, staff)
	a.GET("/api/v1/syntax/stata", s.handleSyntax, staff)
	a.GET("/api/v1/syntax/spss", s.handleSyntax, staff)
	a.POST("/api/v1/waves", s.handleWaveCreate, staff)
	a.GET("/api/v1/waves", s.handleWaveList, staff)
	a.POST("/api/v1/waves/preview", s.handleWavePreview, staff)
	a.POST("/api/v1/waves/:id/cancel", s.handleWaveCancel, staff)
	a.POST("/api/v1/waves/test", s.handleWaveTest, staff)
	a.POST("/api/v1/waves/:id/test", s.handleWaveTestOf, staff)
	a.GET("/api/v1/fieldperiod", s.handleFieldPeriod, staff)
	a.POST("/api/v1/fieldperiod", s.handleFieldPeriodChange, pi)
	a.POST("/api/v1/results/run", s.handleResultsRun, pi)
	a.GET("/api/v1/results", s.handleResultsList, staff)
	a.GET("/api/v1/results/latest", s.handleResultLatest, pi)
	a.GET("/api/v1/results/latest/report.html", s.handleReportLatest, pi)
	a.GET("/api/v1/results/:id", s.handleResult, pi)
	a.GET("/api/v1/results/:id/report.html", s.handleReport, pi)

	a.GET("/admin/login", s.handleLoginPage)
	a.POST("/admin/login", s.handleLoginPost)
	a.POST("/admin/logout", s.handleLogoutPost, staff)
	a.GET("/admin", s.handleAdminHome, staff)
	a.GET("/admin/progress", s.handleDashboard, staff)
	a.GET("/admin/cases", s.handleCasesPage, staff)
	a.POST("/admin/cases/import", s.handleCasesImport, frameLimit, staff)
	a.GET("/admin/cases/:id", s.handleCasePage, staff)
	a.POST("/admin/cases/:id/disposition", s.handleCaseMarkPost, staff)
	a.POST("/admin/cases/:id/contacts", s.handleContactPost, staff)
	a.POST("/admin/cases/:id/resolve", s.handleResolvePost, staff)
	a.POST("/admin/donotcontact", s.handleDoNotContactPost, staff)
	a.GET("/admin/waves", s.handleWavesPage, staff)
	a.POST("/admin/waves", s.handleWavesPost, staff)
	a.POST("/admin/waves/:id/cancel", s.handleWaveCancelPost, staff)
	a.POST("/admin/waves/:id/test", s.handleWaveTestPost, staff)
	a.GET("/admin/fieldperiod", s.handleFieldPeriodPage, staff)
	a.POST("/admin/fieldperiod", s.handleFieldPeriodPost, pi)
	a.GET("/admin/results", s.adminResults, staff) // staff see the history only
	a.POST("/admin/results/run", s.adminResultsRun, pi)
	a.GET("/admin/users", s.handleUsersPage, pi)
	a.POST("/admin/users", s.handleUsersPost, pi)
	a.POST("/admin/users/:id", s.handleUserPost, pi)
	a.GET("/admin/keys", s.handleKeysPage, staff)
	a.POST("/admin/keys", s.handleKeysPost, staff)
	a.POST("/admin/keys/:id/revoke", s.handleKeyRevokePost, staff)
	a.GET("/admin/audit", s.handleAuditPage, pi)
	a.GET("/admin/codebook", s.handleCodebookPage, staff)
}

// frameUpload reports whether the request uploads a sample frame, whose
// size limit is 32 MiB rather than every other route's 1 MiB.
func frameUpload(c echo.Context) bool {
	return c.Path() == "/api/v1/frame" || c.Path() == "/admin/cases/import"
}
