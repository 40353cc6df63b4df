// Package metrics is the service's Prometheus instrumentation: one registry
// of its own (not the global default, which libraries may fill), the
// collectors the HTTP layer, the mailer, the nightly run and the store
// record into, and the store's command monitor. It knows nothing of HTTP
// routing: the server serves Handler at /metrics. Every label value comes
// from a small fixed set — a route template, never a path, so no
// respondent's token — so a scrape holds no secret and its size is bounded.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.mongodb.org/mongo-driver/v2/event"
)

// Metrics holds the service's collectors.
type Metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.HistogramVec
	saves       *prometheus.CounterVec
	submissions *prometheus.CounterVec
	mail        *prometheus.CounterVec
	nightlyTook prometheus.Histogram
	nightlyRuns *prometheus.CounterVec
	store       *prometheus.HistogramVec
}

// New registers the service's collectors, with the Go runtime's and the
// process's, on a new registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "canvass_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route template, method and status class.",
		}, []string{"route", "method", "status"}),
		saves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "canvass_respondent_saves_total",
			Help: "Respondents' saves of answers, by outcome: ok or the error code.",
		}, []string{"outcome"}),
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "canvass_respondent_submissions_total",
			Help: "Respondents' submissions, by outcome: ok or the error code.",
		}, []string{"outcome"}),
		mail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "canvass_mail_messages_total",
			Help: "Wave messages handed to the mail server, by outcome: sent, bounced, retry, lost, uncertain or refused.",
		}, []string{"outcome"}),
		nightlyTook: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "canvass_nightly_run_duration_seconds",
			Help: "Time a run of the nightly analysis took in this process.",
			// One second to an hour: the demo's run takes seconds, a large
			// survey's minutes.
			Buckets: prometheus.ExponentialBuckets(1, 2, 13),
		}),
		nightlyRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "canvass_nightly_runs_total",
			Help: "Runs of the nightly analysis this process ended, by status: ok, insufficient_data, failed or interrupted.",
		}, []string{"status"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "canvass_store_command_duration_seconds",
			Help: "Time the store took to answer a command, by command name and outcome (ok or failed).",
			// Half a millisecond to four seconds: a lookup by _id takes
			// about a millisecond, a flushed write of the embedded store
			// a few.
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"command", "outcome"}),
	}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.saves, m.submissions, m.mail, m.nightlyTook, m.nightlyRuns, m.store)
	return m
}

// Handler serves the registry in Prometheus's exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Request records one answered request. route must be the router's
// template ("/s/:token"), never the request's path.
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	m.requests.WithLabelValues(route, knownMethod(method), strconv.Itoa(status/100)+"xx").Observe(took.Seconds())
}

// knownMethod bounds the method label: any client may send any method.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// Respondent records how a respondent's save or submission ended: action
// is "save" or "submit", code is "" on success, else the domain error's
// code (a fixed set).
func (m *Metrics) Respondent(action, code string) {
	if code == "" {
		code = "ok"
	}
	c := m.saves
	if action == "submit" {
		c = m.submissions
	}
	c.WithLabelValues(code).Inc()
}

// Mail records what came of handing one message to the mail server.
func (m *Metrics) Mail(outcome string) { m.mail.WithLabelValues(outcome).Inc() }

// Nightly records the end of a run of the nightly analysis.
func (m *Metrics) Nightly(status string, took time.Duration) {
	m.nightlyTook.Observe(took.Seconds())
	m.nightlyRuns.WithLabelValues(status).Inc()
}

// StoreMonitor is the driver's command monitor that times every store
// command. The driver measures each command's duration itself, so nothing
// is kept between a command's start and its end.
func (m *Metrics) StoreMonitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			m.store.WithLabelValues(e.CommandName, "ok").Observe(e.Duration.Seconds())
		},
		Failed: func(_ context.Context, e *event.CommandFailedEvent) {
			m.store.WithLabelValues(e.CommandName, "failed").Observe(e.Duration.Seconds())
		},
	}
}
