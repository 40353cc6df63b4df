// Package virtual plays the service's users against processes of the
// binary under test: respondents as browsers without scripts, and the
// research team's scripts with an API key. `canvass bench` measures what
// they get and `canvass drill` what survives faults; like them, it is a
// client of the service and imports nothing of package server.
package virtual

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store"
)

// Case is a case the frame import made, with its personal link.
type Case struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// Load sends one virtual respondent to each case at once, all starting
// together, through the service at base, and waits until every one has
// submitted or failed. Each pauses think on a page on average and has
// the patience given (Respondent.Patience).
func Load(ctx context.Context, base string, in *instrument.Instrument, cases []Case, think, patience time.Duration) ([]*Respondent, time.Duration) {
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: len(cases), MaxIdleConnsPerHost: len(cases), IdleConnTimeout: time.Minute},
		// Each redirect is its own timed request, as in a browser's network panel.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       2 * time.Minute,
	}
	defer client.CloseIdleConnections()
	rs := make([]*Respondent, len(cases))
	for i, c := range cases {
		u, _ := url.Parse(c.URL)
		rs[i] = &Respondent{Base: base, Link: u.Path, CaseID: c.ID, Client: client, In: in, Think: think, Patience: patience,
			Rng: rand.New(rand.NewPCG(uint64(i), 13))}
	}
	var wg sync.WaitGroup
	start := time.Now()
	for _, r := range rs {
		wg.Go(func() { r.Err = r.Complete(ctx) })
	}
	wg.Wait()
	return rs, time.Since(start)
}

// Mismatches is what CheckAnswers found: how many acknowledged answers it
// compared, how many the store does not hold as acknowledged, and the
// first of those.
type Mismatches struct {
	Checked, Wrong int
	First          string
}

// CheckAnswers compares every page the service acknowledged with the case
// in st: each answer posted is there, as the questionnaire decodes it, and
// a respondent who finished is submitted.
func CheckAnswers(ctx context.Context, st *store.Store, in *instrument.Instrument, rs []*Respondent) (Mismatches, error) {
	var m Mismatches
	for _, r := range rs {
		c, err := st.Case(ctx, r.CaseID)
		if err != nil {
			return m, err
		}
		got := in.Normalize(c.Answers)
		want := r.Acknowledged(in)
		if r.Err == nil && c.Status != survey.StatusSubmitted {
			want["(status)"], got["(status)"] = survey.StatusSubmitted, c.Status
		}
		for id, v := range want {
			m.Checked++
			if !reflect.DeepEqual(got[id], v) {
				if m.Wrong++; m.First == "" {
					m.First = fmt.Sprintf("case %s, %s: stored %v, acknowledged %v", r.CaseID, id, got[id], v)
				}
			}
		}
	}
	return m, nil
}

// Acknowledged is what the forms the service acknowledged amount to, as
// the questionnaire decodes them, answers that later ones hide left out.
func (r *Respondent) Acknowledged(in *instrument.Instrument) instrument.Answers {
	a := instrument.Answers{}
	for page, form := range r.pages {
		i := slices.IndexFunc(in.Pages, func(p instrument.Page) bool { return p.ID == page })
		res, err := in.DecodeForm(i, form)
		if err != nil {
			a["(page "+page+")"] = strings.TrimSpace(err.Error())
			continue
		}
		for id, v := range res.Set {
			a[id] = v
		}
	}
	in.Clean(a)
	return a
}

// Latencies keeps request times for percentiles.
type Latencies []time.Duration

// Percentile is the p-quantile (nearest rank) in milliseconds; it sorts.
func (l Latencies) Percentile(p float64) float64 {
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	return float64(l[min(len(l)-1, int(p*float64(len(l))))]) / float64(time.Millisecond)
}
