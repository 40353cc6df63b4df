package drill

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The proxy takes turns between the instances, and sends a request —
// a POST with its body too — on to the next when one refuses the
// connection, as an instance that was killed does.
func TestProxySkipsARefusingInstance(t *testing.T) {
	var backends []string
	for _, name := range []string{"a", "b"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			io.WriteString(w, name+":"+string(body))
		}))
		t.Cleanup(srv.Close)
		backends = append(backends, srv.Listener.Addr().String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	front := httptest.NewServer(newProxy([]string{backends[0], down, backends[1]}).handler())
	t.Cleanup(front.Close)

	var got []string
	for range 6 {
		res, err := http.Post(front.URL+"/s/x", "text/plain", strings.NewReader("hi"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", res.StatusCode, b)
		}
		got = append(got, string(b))
	}
	if a, b := strings.Count(strings.Join(got, " "), "a:hi"), strings.Count(strings.Join(got, " "), "b:hi"); a+b != 6 || a < 2 || b < 2 {
		t.Errorf("answers %v: want every request answered, with its body, by both live instances in turn", got)
	}
}
