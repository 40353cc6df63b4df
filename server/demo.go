package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/token"
)

// demoSeed is the demo's field period: the same for every data directory.
const demoSeed = 1

// demoToken is the personal token of the demo's case i, derived from the
// secret, so that every start with the same data directory finds the same
// cases and prints the same links, and answers given earlier are kept.
func demoToken(secret []byte, i int) string {
	return base64.RawURLEncoding.EncodeToString(token.Derive(secret, fmt.Sprintf("demo-%d", i))[:24])
}

// SimulateDemo gives a store without cases a survey in the field: a frame
// of cities imported, an invitation and two reminders sent, four weeks of
// answers up to now, staff's phone calls after the last reminder with the
// refusals and do-not-contact requests they brought, simulated through the
// services staff and respondents use (simulate.IntoStore), then a nightly
// result computed as the schedule computes it. A store with cases keeps what it has. A
// questionnaire the planted model cannot answer gets one city's cases
// only, so that there are links to try. It says what it does on w, and
// shows progress on progress.
func (s *Server) SimulateDemo(ctx context.Context, secret []byte, cities int, w, progress io.Writer) error {
	errHasCases := errors.New("has cases")
	if err := s.Store.EachCase(ctx, s.Instrument.ID, func(*survey.Case) error { return errHasCases }); errors.Is(err, errHasCases) {
		return nil
	} else if err != nil {
		return err
	}
	o := simulate.Options{Instrument: s.Instrument, Cities: cities, Seed: demoSeed, ResponseRate: simulate.DefaultResponseRate, Progress: progress}
	o = o.Live(s.Now())
	if err := o.Check(); err != nil {
		fmt.Fprintf(w, "demo: no field period simulated (%v); importing one city's cases\n", err)
		return s.importDemoCity(ctx, secret)
	}
	fmt.Fprintf(w, "demo: simulating four weeks of fieldwork with %d cases, once for this data directory...\n", o.Cities*len(s.Instrument.Frame.Departments))
	began := time.Now()
	sum, err := simulate.IntoStore(ctx, o, simulate.Target{Store: s.Store, Secret: secret, Logger: s.Logger,
		Token: func(i int) string { return demoToken(secret, i) }})
	if err != nil {
		return err
	}
	fmt.Fprint(w, sum)
	r, err := s.Results.RunNow(ctx, results.TriggerCommand, "demo")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "demo: nightly result %s: %s, %d cases used; simulated and analysed in %s\n", r.ID, r.Status, r.N, time.Since(began).Round(time.Second))
	return nil
}

// importDemoCity imports one synthetic city's cases with the demo's tokens.
func (s *Server) importDemoCity(ctx context.Context, secret []byte) error {
	var buf bytes.Buffer
	if err := frame.WriteCSV(&buf, frame.Synthetic(len(s.Instrument.Frame.Departments), demoSeed, s.Instrument)); err != nil {
		return err
	}
	fw := *s.Fieldwork
	next := 0
	fw.NewToken = func() string {
		next++
		return demoToken(secret, next-1)
	}
	_, err := fw.ImportFrame(ctx, account.Actor{Email: "demo", IP: "local"}, &buf)
	return err
}

// demoLinks are the links of demo cases that still have the survey to
// answer — new or started, not bounced, marked, opted out or on the
// do-not-contact list — the first of each department among the demo's
// cases.
func (s *Server) demoLinks(ctx context.Context, secret []byte) ([]string, error) {
	var links []string
	seen := map[string]bool{}
	for i := 0; i < demoSearch && len(seen) < len(s.Instrument.Frame.Departments); i++ {
		tok := demoToken(secret, i)
		v, err := s.Respond.Open(ctx, tok)
		if survey.ErrorCode(err) == survey.ENOTFOUND {
			break // past the demo's cases
		} else if err != nil {
			return nil, err
		}
		c := v.Case
		open := c.Status == survey.StatusNew || c.Status == survey.StatusStarted
		if !open || c.Bounced() || c.Mark != nil || c.DoNotContact != nil || seen[c.Frame.Department] {
			continue
		}
		seen[c.Frame.Department] = true
		links = append(links, fmt.Sprintf("%s/s/%s  (%s, %s)", s.BaseURL, tok, c.Frame.Department, c.Frame.City))
	}
	return links, nil
}

// demoSearch bounds how many demo cases demoLinks reads.
const demoSearch = 500

// demoPIEmail is the demo's PI account, made by --demo when the store has
// no user, so that a newcomer can try the admin side too.
const demoPIEmail = "pi@demo.example"

// CreateDemoPI makes sure a PI exists for the demo and returns how to log in.
// When the store has no user, it creates pi@demo.example with a password
// derived from the secret (stable across restarts, like the demo links).
// When other users exist, it makes none and says so.
func (s *Server) CreateDemoPI(ctx context.Context, secret []byte) (string, error) {
	password := base64.RawURLEncoding.EncodeToString(token.Derive(secret, "demo-pi")[:12])
	if _, err := s.Store.UserByEmail(ctx, demoPIEmail); err == nil {
		return fmt.Sprintf("%s/admin  (email %s, password %s)", s.BaseURL, demoPIEmail, password), nil
	}
	n, err := s.Store.CountUsers(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return s.BaseURL + "/admin  (log in with your account)", nil
	}
	if _, err := s.Accounts.Create(ctx, account.Actor{Email: "demo", IP: "local"}, demoPIEmail, password, account.RolePI); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/admin  (email %s, password %s)", s.BaseURL, demoPIEmail, password), nil
}
