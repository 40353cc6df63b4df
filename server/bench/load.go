package bench

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
)

// importedCase is a case the frame import made, with its personal link.
type importedCase struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// respondentLoad sends one virtual respondent to each case at once, all
// starting together, and waits until every one has submitted or failed.
func respondentLoad(ctx context.Context, svc *service, in *instrument.Instrument, cases []importedCase, think time.Duration) ([]*respondent, time.Duration) {
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: len(cases), MaxIdleConnsPerHost: len(cases), IdleConnTimeout: time.Minute},
		// Each redirect is its own timed request, as in a browser's network panel.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       2 * time.Minute,
	}
	defer client.CloseIdleConnections()
	rs := make([]*respondent, len(cases))
	for i, c := range cases {
		u, _ := url.Parse(c.URL)
		rs[i] = &respondent{base: svc.base, link: u.Path, caseID: c.ID, client: client, in: in, think: think,
			rng: rand.New(rand.NewPCG(uint64(i), 13))}
	}
	var wg sync.WaitGroup
	start := time.Now()
	for _, r := range rs {
		wg.Go(func() { r.err = r.complete(ctx) })
	}
	wg.Wait()
	return rs, time.Since(start)
}

// loadLines are the figures of a respondent load: rates against the
// store's own, latencies against the save gate's wait, and the errors.
func loadLines(rs []*respondent, took time.Duration, floor storeRates, think time.Duration) []Line {
	name := fmt.Sprintf("respondents: %s at once", number(float64(len(rs))))
	var all latencies
	saves, refused, completed, completedSaves, failures := 0, 0, 0, 0, 0
	firstError := ""
	for _, r := range rs {
		all = append(all, r.took...)
		saves += r.saves
		refused += r.refused
		if r.err == nil {
			completed++
			completedSaves += r.saves
		} else if failures++; firstError == "" {
			firstError = r.err.Error()
		}
	}
	perCompletion := float64(completedSaves) / float64(max(1, completed))
	secs := took.Seconds()
	gate := float64(maxWait / time.Millisecond)
	lines := []Line{
		against(name+", completions", float64(completed)/secs, "/s", floor.UpdatesPerSec/perCompletion, "limit"),
		against(name+", page saves", float64(saves)/secs, "/s", floor.UpdatesPerSec, "limit"),
		against(name+", page latency p50", all.percentile(.50), "ms", gate, "max"),
		against(name+", page latency p95", all.percentile(.95), "ms", gate, "max"),
		against(name+", page latency p99", all.percentile(.99), "ms", gate, "max"),
		against(name+", saves refused as busy, sent again", float64(refused), "", 0, "max"),
		against(name+", respondents failed", float64(failures), "", 0, "max"),
	}
	lines[0].Note = fmt.Sprintf("%.0f s a page each on average (%d page saves/s offered together); %.1f saves and %.1f requests a completion; ceiling: the store's updateOne/s per save",
		think.Seconds(), offeredSaves, perCompletion, float64(len(all))/float64(len(rs)))
	lines[1].Note = "ceiling: the driver's own updateOne({_id}) on a fresh store just before"
	lines[2].Note = fmt.Sprintf("%s requests in %.0f s; ceiling: how long a save waits for the store before it is refused", number(float64(len(all))), secs)
	lines[5].Note = fmt.Sprintf("503, nothing saved, the page asks to try again: sent again after Retry-After, up to %d times", maxRefusals)
	lines[6].Errors, lines[6].Note = failures, firstError
	return lines
}

// maxWait is how long a save waits for the store's write slot before the
// service refuses it (respond.RetryAfter): beyond it a person sees "not
// saved, try again".
const maxWait = 2 * time.Second

// checkAnswers opens the stopped service's store and compares every
// acknowledged page with the case: each answer posted is there, as the
// questionnaire decodes it, and a respondent who finished is submitted.
func checkAnswers(ctx context.Context, dir string, in *instrument.Instrument, rs []*respondent) Line {
	const name = "respondents: acknowledged answers found in the store"
	st, err := openStore(ctx, dir)
	if err != nil {
		return failed(name, err)
	}
	defer st.Close(context.WithoutCancel(ctx))
	checked, wrong, first := 0, 0, ""
	for _, r := range rs {
		c, err := st.Case(ctx, r.caseID)
		if err != nil {
			return failed(name, err)
		}
		got := in.Normalize(c.Answers)
		want := r.acknowledged(in)
		if r.err == nil && c.Status != survey.StatusSubmitted {
			want["(status)"], got["(status)"] = survey.StatusSubmitted, c.Status
		}
		for id, v := range want {
			checked++
			if !reflect.DeepEqual(got[id], v) {
				if wrong++; first == "" {
					first = fmt.Sprintf("case %s, %s: stored %v, acknowledged %v", r.caseID, id, got[id], v)
				}
			}
		}
	}
	l := measured(name, float64(checked), "answers")
	l.Errors, l.Note = wrong, first
	return l
}

// acknowledged is what the forms the service acknowledged amount to, as
// the questionnaire decodes them, answers that later ones hide left out.
func (r *respondent) acknowledged(in *instrument.Instrument) instrument.Answers {
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
