// Package pull is the client side of the results API: it fetches one
// result — its JSON, every table as CSV and the report — into a folder,
// for R, Stata or Python to read. `canvass results pull` calls it.
package pull

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/survey/results"
)

// Options say what to pull, from where, into where.
type Options struct {
	Server string // the service's base URL, e.g. https://survey.example.org
	Key    string // a PI's API key; sent only in the Authorization header
	Out    string // the folder to write into; made if missing
	ID     string // a result's id; empty: the latest ok result
	// Insecure allows plain http to a host other than this machine, where
	// the key would cross the network readable by anyone on the way.
	Insecure bool
	Client   *http.Client
	// Progress receives one line per file as it arrives.
	Progress io.Writer
}

// Files lists what a pull writes, in order: the JSON, the tables, the report.
func Files() []string {
	out := []string{"result.json"}
	for _, t := range results.Tables {
		out = append(out, t+".csv")
	}
	return append(out, "report.html")
}

// Pull fetches the result into o.Out and returns its id. Files arrive
// under temporary names and are renamed only once all have arrived, so a
// failed pull leaves the folder as it was.
func Pull(ctx context.Context, o Options) (string, error) {
	base, err := url.Parse(strings.TrimRight(o.Server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return "", fmt.Errorf("--server %q: want the service's http(s) address", o.Server)
	}
	if base.Scheme == "http" && !o.Insecure && !loopback(base.Hostname()) {
		return "", fmt.Errorf("--server %q: plain http would send the key in clear over the network; use https (or --insecure on a network you trust)", o.Server)
	}
	if o.Key == "" {
		return "", errors.New("no API key: give --key or set CANVASS_API_KEY")
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Minute}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return "", err
	}
	c := client{Options: o, base: base.String()}
	id, err := c.resultID(ctx)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(o.Out, ".pull-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	files := Files()
	for i, name := range files {
		n, err := c.fetch(ctx, pathFor(id, name), filepath.Join(tmp, name))
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "pull %s: %d/%d %s (%s)\n", id, i+1, len(files), name, size(n))
		}
	}
	for _, name := range files {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(o.Out, name)); err != nil {
			return "", err
		}
	}
	return id, nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pathFor is the API path of one file of result id.
func pathFor(id, name string) string {
	p := "/api/v1/results/" + url.PathEscape(id)
	switch {
	case name == "result.json":
		return p
	case name == "report.html":
		return p + "/report.html"
	}
	return p + "?format=csv&table=" + strings.TrimSuffix(name, ".csv")
}

type client struct {
	Options
	base string
}

// resultID is the id asked for, or the latest ok result's.
func (c client) resultID(ctx context.Context) (string, error) {
	if c.ID != "" {
		return c.ID, nil
	}
	body, err := c.get(ctx, "/api/v1/results/latest")
	if err != nil {
		return "", err
	}
	defer body.Close()
	var r struct{ ID string }
	if err := json.NewDecoder(body).Decode(&r); err != nil || r.ID == "" {
		return "", fmt.Errorf("the latest result did not read as a result: %v", err)
	}
	return r.ID, nil
}

func (c client) fetch(ctx context.Context, path, file string) (int64, error) {
	body, err := c.get(ctx, path)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	f, err := os.Create(file)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// get requests path and returns the body of a 200 answer; any other
// answer is an error with the service's message.
func (c client) get(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Key)
	res, err := c.Client.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == http.StatusOK {
		return res.Body, nil
	}
	defer res.Body.Close()
	var e struct{ Error string }
	_ = json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&e)
	switch res.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, fmt.Errorf("the service refused the key (%d %s): results need a PI's key", res.StatusCode, e.Error)
	case http.StatusNotFound:
		return nil, fmt.Errorf("not found: %s", cmp.Or(e.Error, path))
	}
	return nil, fmt.Errorf("the service answered %s: %s", res.Status, e.Error)
}

// size writes a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
