package bench

import (
	"bytes"
	"context"
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

// respondent is one virtual respondent: a browser without scripts that
// follows the personal link, gives consent, answers every question each
// page shows, reviews and submits — the requests a person's browser makes,
// each timed — and keeps the forms the service acknowledged.
type respondent struct {
	base, link string // the service, and /s/{token}
	caseID     string
	client     *http.Client
	rng        *rand.Rand
	in         *instrument.Instrument // the hints a person reads: a number's range
	think      time.Duration          // mean pause on a page before answering

	took    latencies
	saves   int                   // acknowledged writes: consent, pages, submit
	refused int                   // saves refused as busy, and sent again
	pages   map[string]url.Values // page id → the last form acknowledged
	err     error                 // why the walk stopped short
}

// maxSteps bounds a walk through the questionnaire, so that a service
// sending a respondent in circles is an error, not a hang.
const maxSteps = 50

// complete walks the questionnaire from the link to the thank-you page.
func (r *respondent) complete(ctx context.Context) error {
	r.pages = map[string]url.Values{}
	welcome, err := r.get(ctx, r.link)
	if err != nil {
		return err
	}
	f, err := parseForm(bytes.NewReader(welcome))
	if err != nil || f.action == "" {
		return fmt.Errorf("GET %s: no consent form", r.link)
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
		err = fmt.Errorf("%s: no review page after %d pages", r.link, maxSteps)
	}
	return err
}

// finish submits from the review page and opens the link again, which now
// thanks the respondent.
func (r *respondent) finish(ctx context.Context, action string) error {
	at, err := r.submit(ctx, action, url.Values{})
	if err != nil {
		return err
	}
	if at != r.link {
		return fmt.Errorf("POST %s: sent to %s, not to the link", action, at)
	}
	_, err = r.get(ctx, at)
	return err
}

// pause is the time a person spends on a page: uniform between half and
// one and a half times the mean, so that the respondents' steps spread
// out while the last one still finishes near the others.
func (r *respondent) pause(ctx context.Context) {
	if r.think > 0 {
		r.wait(ctx, r.think/2+time.Duration(r.rng.Int64N(int64(r.think))))
	}
}

func (r *respondent) wait(ctx context.Context, d time.Duration) {
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
// again after the wait, as a person would, up to maxRefusals times.
func (r *respondent) submit(ctx context.Context, action string, answers url.Values) (string, error) {
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
		if rep.status == http.StatusServiceUnavailable && rep.retryAfter > 0 && refusals < maxRefusals {
			r.refused++
			r.wait(ctx, rep.retryAfter)
			continue
		}
		if err := rep.want(http.StatusSeeOther); err != nil {
			return "", err
		}
		r.saves++
		return rep.location, nil
	}
}

// maxRefusals is how often a person sends a refused page again before
// giving up: then the respondent counts as failed.
const maxRefusals = 10

// reply is what the service answered a request.
type reply struct {
	method, path string
	status       int
	page         []byte
	location     string
	retryAfter   time.Duration
}

// want checks the status.
func (rep reply) want(status int) error {
	if rep.status != status {
		return fmt.Errorf("%s %s: %d %s, want %d", rep.method, rep.path, rep.status, http.StatusText(rep.status), status)
	}
	return nil
}

// get opens a page, which must answer 200.
func (r *respondent) get(ctx context.Context, path string) ([]byte, error) {
	rep, err := r.request(ctx, "GET", path, nil)
	if err == nil {
		err = rep.want(http.StatusOK)
	}
	return rep.page, err
}

// request sends one request as the browser would and times it.
func (r *respondent) request(ctx context.Context, method, path string, form url.Values) (reply, error) {
	rep := reply{method: method, path: path}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, body)
	if err != nil {
		return rep, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	res, err := r.client.Do(req)
	if err != nil {
		return rep, err
	}
	rep.page, err = io.ReadAll(res.Body)
	res.Body.Close()
	r.took = append(r.took, time.Since(start))
	rep.status, rep.location = res.StatusCode, res.Header.Get("Location")
	if secs, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil {
		rep.retryAfter = time.Duration(secs) * time.Second
	}
	return rep, err
}

// fill answers a form as a person would: every question the page shows,
// now and then "don't know" or "prefer not to say", follow-ups only when
// the answer they follow reveals them; hidden fields as the page set them.
func (r *respondent) fill(f *form) url.Values {
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
func (r *respondent) answer(fd *formField) []string {
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
	case len(special) > 0 && r.rng.Float64() < specialShare:
		return []string{special[r.rng.IntN(len(special))]}
	case fd.text != "":
		return []string{r.typed(fd)}
	case fd.multiple && len(exclusive) > 0 && r.rng.Float64() < 0.1:
		return []string{exclusive[r.rng.IntN(len(exclusive))]}
	case fd.multiple:
		var picked []string
		for _, p := range plain {
			if r.rng.IntN(2) == 0 {
				picked = append(picked, p)
			}
		}
		if len(picked) == 0 {
			picked = plain[:1]
		}
		return picked
	}
	if all := append(plain, exclusive...); len(all) > 0 {
		return []string{all[r.rng.IntN(len(all))]}
	}
	return special[:min(1, len(special))]
}

// typed is what a person types into a text box: a whole number inside the
// question's range, or a few words.
func (r *respondent) typed(fd *formField) string {
	if fd.text != "number" {
		return fmt.Sprintf("Answer %d of a virtual respondent", r.rng.IntN(1000))
	}
	lo, hi := 0.0, 100.0
	if it, ok := r.in.Item(fd.name); ok {
		if it.Min != nil {
			lo = *it.Min
		}
		if it.Max != nil {
			hi = *it.Max
		}
	}
	return strconv.Itoa(int(lo) + r.rng.IntN(int(hi-lo)+1))
}
