// Package server is Canvass's HTTP face: routes, handlers, rendering and
// the mapping of domain errors to statuses. Handlers are methods on Server,
// whose fields are their dependencies; every route is listed in routes.go.
package server

import (
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/server/metrics"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldperiod"
	"github.com/canvass-survey/canvass/survey/fieldwork"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/respond"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/token"
)

// maxBody bounds every request body; a questionnaire's answers are far smaller.
const maxBody = 1 << 20

// Server holds what the handlers need.
type Server struct {
	Store      *store.Store
	Instrument *instrument.Instrument
	Respond    *respond.Service
	Accounts   *account.Service
	Fieldwork  *fieldwork.Service
	Results    *results.Service // the nightly analysis; Close stops its runs
	Logger     *slog.Logger
	Now        func() time.Time
	BaseURL    string

	echo            *echo.Echo
	pages           *template.Template
	reportStyle     reportStyle
	secrets         account.Secrets
	sealer          token.Sealer
	limits          limits
	sessionIdle     time.Duration
	sessionLifetime time.Duration
	progressCache   progressCache
	progressRefresh time.Duration // how often an open Progress page updates its figures
	metrics         *metrics.Metrics
	metricsToken    string // a scraper's bearer token for /metrics; empty: PIs only
	bounceMailbox   string
	// wall is the real clock of sessions, keys, rate limits and the audit
	// log; Now is the survey's — the field period and every timestamp on a
	// case — which tests move separately.
	wall func() time.Time
}

// Options are New's inputs.
type Options struct {
	Store      *store.Store
	Instrument *instrument.Instrument
	Secret     []byte
	Logger     *slog.Logger
	Now        func() time.Time // nil: time.Now; the survey's clock (field period)
	BaseURL    string
	// SessionIdle and SessionLifetime bound a login session; zero: 30 minutes and 12 hours.
	SessionIdle, SessionLifetime time.Duration
	// MailServer names the configured mail server ("host:port"); empty: none,
	// and waves are refused, since nothing would send them.
	MailServer string
	// MailDomain is the domain of the waves' sender, which Message-IDs end in.
	MailDomain string
	// BounceMailbox names the bounce mailbox read over IMAP; empty: none.
	BounceMailbox string
	// TrustedProxies are the networks whose X-Forwarded-For is believed for
	// the client's address; none: the connection's address.
	TrustedProxies []*net.IPNet
	// StoreSlots is how many respondents' writes may be at the store at
	// once; more wait up to respond.RetryAfter, then get 503. Zero: what
	// the store takes best (Store.Slots).
	StoreSlots int
	// Version is the code's version, stamped on every analysis result.
	Version string
	// Metrics are what /metrics serves; nil: new ones, without the store's
	// commands (those need Metrics.StoreMonitor when the store is opened).
	Metrics *metrics.Metrics
	// MetricsToken lets a scraper read /metrics; empty: PIs only.
	MetricsToken string
}

// New builds the server and parses its templates, so that a broken template
// fails the start rather than a respondent's page.
func New(o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionIdle == 0 {
		o.SessionIdle = 30 * time.Minute
	}
	if o.SessionLifetime == 0 {
		o.SessionLifetime = 12 * time.Hour
	}
	if o.StoreSlots == 0 {
		o.StoreSlots = o.Store.Slots()
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	// Every line logged with a request's context, here or in a service,
	// carries the request's id.
	o.Logger = slog.New(requestIDHandler{o.Logger.Handler()})
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	style, err := loadReportStyle()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Store:           o.Store,
		Instrument:      o.Instrument,
		Logger:          o.Logger,
		Now:             o.Now,
		BaseURL:         strings.TrimRight(o.BaseURL, "/"),
		pages:           pages,
		reportStyle:     style,
		secrets:         account.NewSecrets(o.Secret),
		sealer:          token.NewSealer(o.Secret),
		limits:          defaultLimits(),
		sessionIdle:     o.SessionIdle,
		sessionLifetime: o.SessionLifetime,
		progressRefresh: time.Minute,
		bounceMailbox:   o.BounceMailbox,
		wall:            time.Now,
		metrics:         o.Metrics,
		metricsToken:    o.MetricsToken,
		Respond: &respond.Service{Store: o.Store, Instrument: o.Instrument, Period: &fieldperiod.Keeper{Store: o.Store, Instrument: o.Instrument},
			Hasher: token.NewHasher(o.Secret), Now: o.Now, Gate: respond.NewGate(o.StoreSlots, respond.RetryAfter),
			Observe: o.Metrics.Respondent},
		Accounts: &account.Service{Store: o.Store, Secrets: account.NewSecrets(o.Secret), Logger: o.Logger},
	}
	s.Accounts.Now = func() time.Time { return s.wall() } // tests move the wall clock after New
	s.Results = newResults(o.Store, o.Instrument, o.Version, o.Logger)
	s.Results.Observe = o.Metrics.Nightly
	s.Fieldwork = &fieldwork.Service{Store: o.Store, Instrument: o.Instrument, Hasher: s.Respond.Hasher, Sealer: s.sealer,
		MailServer: o.MailServer, MailDomain: o.MailDomain, Now: o.Now, Wall: func() time.Time { return s.wall() }, Logger: o.Logger, Period: s.Respond.Period}
	s.echo = echo.New()
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.IPExtractor = echo.ExtractIPDirect()
	if len(o.TrustedProxies) > 0 {
		var trust []echo.TrustOption
		for _, n := range o.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(n))
		}
		s.echo.IPExtractor = echo.ExtractIPFromXFFHeader(append(trust, echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))...)
	}
	s.routes()
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Routes lists the registered routes as "METHOD path".
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.echo.Routes() {
		if r.Method != echo.RouteNotFound { // a group's catch-all, not a route
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// statusOf maps domain error codes to HTTP statuses, in this one place.
func statusOf(code string) int {
	switch code {
	case survey.EINVALID:
		return http.StatusUnprocessableEntity
	case survey.ENOTFOUND:
		return http.StatusNotFound
	case survey.ECONFLICT:
		return http.StatusConflict
	case survey.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case survey.EFORBIDDEN, survey.ECLOSED:
		return http.StatusForbidden
	case survey.EUNAVAILABLE, survey.EBUSY:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// handleError answers every error a handler returns: JSON under /api/, a
// page elsewhere. Only internal errors are logged, without the request path
// (it may hold a respondent's token).
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := s.describe(err, c)
	path := c.Request().URL.Path
	if strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics" {
		_ = c.JSON(status, body)
		return
	}
	if strings.HasPrefix(path, "/admin") {
		s.adminError(c, status, body.Error)
		return
	}
	_ = s.render(c, status, "message.html", messagePage{Base: s.plainBase(titleFor(status)), Title: titleFor(status), Message: body.Error})
}

func (s *Server) describe(err error, c echo.Context) (int, errorBody) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			msg = "The request body is larger than 1 MiB."
			if frameUpload(c) {
				msg = "The sample frame is larger than 32 MiB."
			}
		case http.StatusNotFound:
			msg = "There is no page at this address."
		}
		return he.Code, errorBody{Error: msg}
	}
	code := survey.ErrorCode(err)
	status := statusOf(code)
	var e *survey.Error
	switch {
	case code == survey.EINTERNAL || code == survey.EUNAVAILABLE || !errors.As(err, &e):
		s.Logger.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "method", c.Request().Method, "err", err)
	case e.Err != nil: // the caller's fault, but the cause (an address, a driver message) is for the log only
		s.Logger.WarnContext(c.Request().Context(), "request refused", "route", c.Path(), "method", c.Request().Method, "err", err)
	}
	if !errors.As(err, &e) || code == survey.EINTERNAL {
		return status, errorBody{Error: "Something went wrong on our side. Your saved answers are safe; please try again."}
	}
	return status, errorBody{Error: e.Message, Fields: e.Fields}
}

func titleFor(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusConflict:
		return "Already done"
	case http.StatusServiceUnavailable:
		return "Please try again"
	}
	return http.StatusText(status)
}
