package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// service is a `canvass serve` process of the binary under test, on an
// embedded store in a data directory of its own, and a staff API key made
// through its API, as the research team would.
type service struct {
	cmd    *exec.Cmd
	dir    string
	base   string // http://127.0.0.1:port
	key    string
	client *http.Client
	done   chan error
}

const (
	benchEmail    = "bench@canvass.example"
	benchDatabase = "canvass"
)

// ownStore are the settings that make a command of the binary under test
// use the default questionnaire on the embedded store in dir, whatever
// the environment configures.
func ownStore(dir string) []string {
	return []string{"CANVASS_DATA_DIR=" + dir, "CANVASS_DATABASE=" + benchDatabase, "MONGODB_URI=", "MONGODB_URI_FILE=", "CANVASS_INSTRUMENT="}
}

// startService starts exe serve on dir with env added to the settings the
// benchmark needs, waits until it serves, and logs in.
func startService(ctx context.Context, exe, dir string, env ...string) (*service, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	password := rand.Text()
	logFile, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "serve")
	cmd.Env = append(append(os.Environ(), ownStore(dir)...), "CANVASS_ADDR=127.0.0.1:0", "CANVASS_BASE_URL=", "CANVASS_SECRET="+rand.Text()+rand.Text(),
		"CANVASS_ADMIN_EMAIL="+benchEmail, "CANVASS_ADMIN_PASSWORD="+password, "CANVASS_NIGHTLY=off")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = logFile // request logs included: they are part of what serving costs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &service{cmd: cmd, dir: dir, client: &http.Client{Timeout: 5 * time.Minute}, done: make(chan error, 1)}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if _, url, ok := strings.Cut(lines.Text(), " on http://"); ok && strings.HasPrefix(lines.Text(), "canvass: serving") {
			s.base = "http://" + url
			break
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		s.done <- cmd.Wait()
		logFile.Close()
	}()
	if s.base == "" {
		<-s.done
		return nil, fmt.Errorf("canvass serve did not start: %s", s.logTail())
	}
	if err := s.login(ctx, password); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// logTail is the end of the service's log, for an error message.
func (s *service) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "serve.log"))
	return lastLines(string(b), 3)
}

// stop ends the service as SIGINT does in production: requests in flight
// finish and the store closes cleanly, so its files can be opened after.
func (s *service) stop() error {
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		return err
	}
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("canvass serve: %w: %s", err, s.logTail())
		}
		return nil
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		return errors.New("canvass serve did not stop within a minute of SIGINT")
	}
}

// login opens a session as the first PI and makes an API key with it.
func (s *service) login(ctx context.Context, password string) error {
	body, _ := json.Marshal(map[string]string{"email": benchEmail, "password": password})
	res, out, err := s.send(ctx, http.Header{"Content-Type": {"application/json"}}, "POST", "/api/v1/session", body)
	if err != nil {
		return err
	}
	var session struct{ CSRF string }
	if err := json.Unmarshal(out, &session); err != nil || len(res.Cookies()) == 0 {
		return fmt.Errorf("login: %s", out)
	}
	cookie := res.Cookies()[0]
	h := http.Header{"Content-Type": {"application/json"}, "Cookie": {cookie.Name + "=" + cookie.Value}, "X-Csrf-Token": {session.CSRF}}
	if _, out, err = s.send(ctx, h, "POST", "/api/v1/keys", []byte(`{"name": "bench"}`)); err != nil {
		return err
	}
	var key struct{ Key string }
	if err := json.Unmarshal(out, &key); err != nil || key.Key == "" {
		return fmt.Errorf("making an API key: %s", out)
	}
	s.key = key.Key
	return nil
}

// api sends a request with the API key and returns the body of a 2xx answer.
func (s *service) api(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	_, out, err := s.send(ctx, http.Header{"Content-Type": {contentType}, "Authorization": {"Bearer " + s.key}}, method, path, body)
	return out, err
}

// send sends a request and reads the answer; a status other than 2xx is
// an error naming it.
func (s *service) send(ctx context.Context, h http.Header, method, path string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range h {
		if v[0] != "" {
			req.Header[http.CanonicalHeaderKey(k)] = v
		}
	}
	res, err := s.client.Do(req)
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
