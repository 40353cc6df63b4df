package drill

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"sync/atomic"
)

// proxy is the round-robin reverse proxy in front of the instances, as
// nginx's upstream block: each request goes to the next instance, and on
// to the one after when an instance refuses the connection (killed,
// restarting) — the request has not reached it, so sending it elsewhere
// is safe even for a POST. An instance that accepted a request and died
// before answering gets the client a 502, as from nginx.
type proxy struct {
	backends  []string // host:port
	next      atomic.Uint64
	saves     atomic.Int64 // POSTs answered 303 See Other: the load's progress
	transport *http.Transport
}

func newProxy(backends []string) *proxy {
	return &proxy{backends: backends, transport: &http.Transport{MaxIdleConnsPerHost: 256}}
}

// handler is the reverse proxy itself.
func (p *proxy) handler() http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "instances" // RoundTrip picks one
			pr.SetXForwarded()
		},
		Transport: p,
		ModifyResponse: func(res *http.Response) error {
			if res.Request.Method == http.MethodPost && res.StatusCode == http.StatusSeeOther {
				p.saves.Add(1)
			}
			return nil
		},
		ErrorLog: log.New(io.Discard, "", 0), // the respondents count what they get
	}
}

// RoundTrip sends req to the next instance that takes the connection.
func (p *proxy) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	first := p.next.Add(1)
	var err error
	for i := range uint64(len(p.backends)) {
		out := req.Clone(req.Context())
		out.URL.Host = p.backends[(first+i)%uint64(len(p.backends))]
		if req.Body != nil {
			out.Body = io.NopCloser(bytes.NewReader(body))
		}
		var res *http.Response
		if res, err = p.transport.RoundTrip(out); !refused(err) {
			return res, err
		}
	}
	return nil, err
}

// refused reports whether err is a connection that could not be made.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
