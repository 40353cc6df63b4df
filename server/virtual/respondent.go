package virtual

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/survey/instrument"
)

// Respondent is one virtual respondent: a browser without scripts that
// follows the personal link, gives consent, answers every question each
// page shows, reviews and submits — the requests a person's browser makes,
// each timed — and keeps the forms the service acknowledged.
type Respondent struct {
	Base, Link string // the service, and /s/{token}
	CaseID     string
	Client     *http.Client
	Rng        *rand.Rand
	In         *instrument.Instrument // the hints a person reads: a number's range
	Think      time.Duration          // mean pause on a page before answering
	// Patience is how long a person keeps sending a request again that the
	// service could not take — no answer, a proxy's 502 or 504, any 503 —
	// reloading after Retry-After or a second, as during an outage. Zero:
	// only a save refused as busy is sent again, up to MaxRefusals times.
	Patience time.Duration

	Took     Latencies
	Saves    int                   // acknowledged writes: consent, pages, submit
	Refused  int                   // saves refused as busy, and sent again
	Failures map[string]int        // requests sent again for want of the service, by what it answered
	Err      error                 // why the walk stopped short
	pages    map[string]url.Values // page id → the last form acknowledged
}

// maxSteps bounds a walk through the questionnaire, so that a service
// sending a respondent in circles is an error, not a hang.
const maxSteps = 50

// Complete walks the questionnaire from the link to the thank-you page.
func (r *Respondent) Complete(ctx context.Context) error {
	r.pages = map[string]url.Values{}
	welcome, err := r.get(ctx, r.Link)
	if err != nil {
		return err
	}
	f, err := parseForm(bytes.NewReader(welcome))
	if err != nil || f.action == "" {
		return fmt.Errorf("GET %s: no consent form", r.Link)
	}
	r.pause(ctx)
	at, err := r.submit(ctx, f.action, url.Values{})
	for step := 0; err == nil && step < maxSteps; step++ {
		var page []byte
		if page, err = r.get(ctx, at); err != nil {
			break
		}
		if f, err = parseForm(bytes.NewReader(page)); err == nil && f.action == "" {
			err = fmt.Errorf("GET %s: no form", at)
		}
		if err != nil {
			break
		}
		r.pause(ctx)
		if strings.HasSuffix(at, "/review") {
			return r.finish(ctx, f.action)
		}
		answers := r.fill(f)
		if at, err = r.submit(ctx, f.action, answers); err == nil {
			r.pages[f.action[strings.LastIndexByte(f.action, '/')+1:]] = answers
		}
	}
	if err == nil {
		err = fmt.Errorf("%s: no review page after %d pages", r.Link, maxSteps)
	}
	return err
}

// finish submits from the review page and opens the link again, which now
// thanks the respondent.
func (r *Respondent) finish(ctx context.Context, action string) error {
	at, err := r.submit(ctx, action, url.Values{})
	if err != nil {
		return err
	}
	if at != r.Link {
		return fmt.Errorf("POST %s: sent to %s, not to the link", action, at)
	}
	_, err = r.get(ctx, at)
	return err
}

// pause is the time a person spends on a page: uniform between half and
// one and a half times the mean, so that the respondents' steps spread
// out while the last one still finishes near the others.
func (r *Respondent) pause(ctx context.Context) {
	if r.Think > 0 {
		r.wait(ctx, r.Think/2+time.Duration(r.Rng.Int64N(int64(r.Think))))
	}
}

func (r *Respondent) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// submit posts a form, with "next" pressed where the page has buttons, and
// returns where the service's redirect points: a write is acknowledged by
// 303 See Other. A save refused because the service is busy (503 with
// Retry-After: nothing was saved, the page asks to try again) is sent
// again after the wait, as a person would, up to MaxRefusals times.
func (r *Respondent) submit(ctx context.Context, action string, answers url.Values) (string, error) {
	body := url.Values{}
	for k, v := range answers {
		body[k] = v
	}
	if strings.Contains(action, "/page/") {
		body.Set("action", "next")
	}
	for refusals := 0; ; refusals++ {
		rep, err := r.request(ctx, "POST", action, body)
		if err != nil {
			return "", err
		}
		if r.Patience == 0 && rep.status == http.StatusServiceUnavailable && rep.retryAfter > 0 && refusals < MaxRefusals {
			r.Refused++
			r.wait(ctx, rep.retryAfter)
			continue
		}
		if rep.status == http.StatusConflict && rep.tries > 1 && strings.HasSuffix(action, "/submit") {
			// A try whose answer was lost submitted the case: the page
			// sent back says so ("Thank you"), though nothing acknowledged it.
			return r.Link, nil
		}
		if err := rep.want(http.StatusSeeOther); err != nil {
			return "", err
		}
		r.Saves++
		return rep.location, nil
	}
}

// MaxRefusals is how often a person sends a refused page again before
// giving up: then the respondent counts as failed.
const MaxRefusals = 10

// reply is what the service answered a request.
type reply struct {
	method, path string
	status       int
	page         []byte
	location     string
	retryAfter   time.Duration
	tries        int
}

// want checks the status.
func (rep reply) want(status int) error {
	if rep.status != status {
		return fmt.Errorf("%s %s: %d %s, want %d", rep.method, rep.path, rep.status, http.StatusText(rep.status), status)
	}
	return nil
}

// get opens a page, which must answer 200.
func (r *Respondent) get(ctx context.Context, path string) ([]byte, error) {
	rep, err := r.request(ctx, "GET", path, nil)
	if err == nil {
		err = rep.want(http.StatusOK)
	}
	return rep.page, err
}

// request sends a request as the browser would, and sends it again while
// the service cannot take it, for as long as the respondent's patience lasts.
func (r *Respondent) request(ctx context.Context, method, path string, form url.Values) (reply, error) {
	var giveUp time.Time
	for tries := 1; ; tries++ {
		rep, err := r.send(ctx, method, path, form)
		rep.tries = tries
		kind := unavailable(rep, err)
		if kind == "" || r.Patience == 0 || ctx.Err() != nil {
			return rep, err
		}
		if giveUp.IsZero() {
			giveUp = time.Now().Add(r.Patience)
		} else if time.Now().After(giveUp) {
			return rep, err
		}
		if r.Failures == nil {
			r.Failures = map[string]int{}
		}
		r.Failures[kind]++
		r.wait(ctx, cmp.Or(rep.retryAfter, time.Second))
	}
}

// unavailable says how the service failed to take a request — "" when it
// did — as what a person would see: no answer, or a status asking to come
// back later. A 500 is not among them: it is a fault of the service, and
// the walk stops on it.
func unavailable(rep reply, err error) string {
	if err != nil {
		for inner := errors.Unwrap(err); inner != nil; inner = errors.Unwrap(inner) {
			err = inner
		}
		return "no answer: " + err.Error()
	}
	switch rep.status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return fmt.Sprintf("%d %s", rep.status, http.StatusText(rep.status))
	}
	return ""
}

// send sends one request and times it.
func (r *Respondent) send(ctx context.Context, method, path string, form url.Values) (reply, error) {
	rep := reply{method: method, path: path}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, r.Base+path, body)
	if err != nil {
		return rep, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	res, err := r.Client.Do(req)
	if err != nil {
		return rep, err
	}
	rep.page, err = io.ReadAll(res.Body)
	res.Body.Close()
	r.Took = append(r.Took, time.Since(start))
	rep.status, rep.location = res.StatusCode, res.Header.Get("Location")
	if secs, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil {
		rep.retryAfter = time.Duration(secs) * time.Second
	}
	return rep, err
}

// fill answers a form as a person would: every question the page shows,
// now and then "don't know" or "prefer not to say", follow-ups only when
// the answer they follow reveals them; hidden fields as the page set them.
func (r *Respondent) fill(f *form) url.Values {
	v := url.Values{}
	for _, h := range f.hidden {
		v.Add(h[0], h[1])
	}
	for _, fd := range f.fields {
		if fd.followUp && !slices.ContainsFunc(v[fd.controller], func(s string) bool { return slices.Contains(fd.values, s) }) {
			continue
		}
		v[fd.name] = r.answer(fd)
	}
	return v
}

// specialShare is how often a respondent picks "don't know" or "prefer not
// to say" where a question offers it.
const specialShare = 0.03

// answer picks the values posted for one field.
func (r *Respondent) answer(fd *formField) []string {
	var special, plain, exclusive []string
	for _, c := range fd.choices {
		switch _, err := strconv.Atoi(c.value); {
		case err != nil:
			special = append(special, c.value)
		case c.exclusive:
			exclusive = append(exclusive, c.value)
		default:
			plain = append(plain, c.value)
		}
	}
	switch {
	case len(special) > 0 && r.Rng.Float64() < specialShare:
		return []string{special[r.Rng.IntN(len(special))]}
	case fd.text != "":
		return []string{r.typed(fd)}
	case fd.multiple && len(exclusive) > 0 && r.Rng.Float64() < 0.1:
		return []string{exclusive[r.Rng.IntN(len(exclusive))]}
	case fd.multiple:
		var picked []string
		for _, p := range plain {
			if r.Rng.IntN(2) == 0 {
				picked = append(picked, p)
			}
		}
		if len(picked) == 0 {
			picked = plain[:1]
		}
		return picked
	}
	if all := append(plain, exclusive...); len(all) > 0 {
		return []string{all[r.Rng.IntN(len(all))]}
	}
	return special[:min(1, len(special))]
}

// typed is what a person types into a text box: a whole number inside the
// question's range, or a few words.
func (r *Respondent) typed(fd *formField) string {
	if fd.text != "number" {
		return fmt.Sprintf("Answer %d of a virtual respondent", r.Rng.IntN(1000))
	}
	lo, hi := 0.0, 100.0
	if it, ok := r.In.Item(fd.name); ok {
		if it.Min != nil {
			lo = *it.Min
		}
		if it.Max != nil {
			hi = *it.Max
		}
	}
	return strconv.Itoa(int(lo) + r.Rng.IntN(int(hi-lo)+1))
}
