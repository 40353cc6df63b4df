package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/canvass-survey/canvass/templates"
)

// routes registers every route of the service; this is the one list.
func (s *Server) routes() {
	e := s.echo
	e.Use(middleware.Recover())
	e.Use(s.logRequests)
	e.Use(securityHeaders)
	e.Use(middleware.BodyLimit("1M"))

	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServerFS(templates.Static()))))

	// The respondent's pages, complete without JavaScript.
	e.GET("/s/:token", s.handleWelcome)
	e.POST("/s/:token/start", s.handleStart)
	e.GET("/s/:token/page/:page", s.handlePage)
	e.POST("/s/:token/page/:page", s.handlePagePost)
	e.GET("/s/:token/review", s.handleReview)
	e.POST("/s/:token/submit", s.handleSubmitPost)
	e.GET("/s/:token/optout", s.handleOptOut)
	e.POST("/s/:token/optout", s.handleOptOutPost)

	// The respondent JSON API, same rules and storage as the pages.
	e.GET("/api/v1/respond/:token", s.handleRespondGet)
	e.PUT("/api/v1/respond/:token/answers", s.handleRespondAnswers)
	e.POST("/api/v1/respond/:token/submit", s.handleRespondSubmit)
	e.POST("/api/v1/respond/:token/optout", s.handleRespondOptOut)
}
