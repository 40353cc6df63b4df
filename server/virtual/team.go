package virtual

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Team is the research team's script: requests to the API with a key.
type Team struct {
	Base, Key string
	Client    *http.Client
}

// Login opens a session at base as the user with email and password and
// makes an API key with it, as the team does before its scripts run.
func Login(ctx context.Context, base, email, password string) (*Team, error) {
	t := &Team{Base: base, Client: &http.Client{Timeout: 5 * time.Minute}}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, out, err := t.send(ctx, http.Header{"Content-Type": {"application/json"}}, "POST", "/api/v1/session", body)
	if err != nil {
		return nil, err
	}
	var session struct{ CSRF string }
	if err := json.Unmarshal(out, &session); err != nil || len(res.Cookies()) == 0 {
		return nil, fmt.Errorf("login: %s", out)
	}
	cookie := res.Cookies()[0]
	h := http.Header{"Content-Type": {"application/json"}, "Cookie": {cookie.Name + "=" + cookie.Value}, "X-Csrf-Token": {session.CSRF}}
	if _, out, err = t.send(ctx, h, "POST", "/api/v1/keys", []byte(`{"name": "virtual team"}`)); err != nil {
		return nil, err
	}
	var key struct{ Key string }
	if err := json.Unmarshal(out, &key); err != nil || key.Key == "" {
		return nil, fmt.Errorf("making an API key: %s", out)
	}
	t.Key = key.Key
	return t, nil
}

// API sends a request with the API key and returns the body of a 2xx answer.
func (t *Team) API(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	_, out, err := t.send(ctx, http.Header{"Content-Type": {contentType}, "Authorization": {"Bearer " + t.Key}}, method, path, body)
	return out, err
}

// ImportFrame posts a synthetic frame of n rows to POST /api/v1/frame and
// returns the cases it made, with their personal links, and the size of
// the CSV sent.
func (t *Team) ImportFrame(ctx context.Context, in *instrument.Instrument, n int) ([]Case, int, error) {
	var csv bytes.Buffer
	if err := frame.WriteCSV(&csv, frame.Synthetic(n, 1, in)); err != nil {
		return nil, 0, err
	}
	out, err := t.API(ctx, "POST", "/api/v1/frame", "text/csv", csv.Bytes())
	if err != nil {
		return nil, csv.Len(), err
	}
	var got struct {
		Imported int
		Cases    []Case
	}
	if err := json.Unmarshal(out, &got); err != nil || got.Imported != n {
		return nil, csv.Len(), fmt.Errorf("imported %d of %d: %.200s", got.Imported, n, out)
	}
	return got.Cases, csv.Len(), nil
}

// send sends a request and reads the answer; a status other than 2xx is
// an error naming it.
func (t *Team) send(ctx context.Context, h http.Header, method, path string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, t.Base+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range h {
		if v[0] != "" {
			req.Header[http.CanonicalHeaderKey(k)] = v
		}
	}
	res, err := t.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode/100 != 2 {
		err = fmt.Errorf("%s %s: %s: %.300s", method, path, res.Status, out)
	}
	return res, out, err
}
