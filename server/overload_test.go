package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey/respond"
)

// A save refused at a full gate answers 503 with Retry-After, says the
// answers were not saved, and writes nothing; once the gate has room the
// same save goes through.
func TestRespondBusyWritesNothing(t *testing.T) {
	env := newTestEnv(t)
	tok := env.startedCase("busy@example.org")
	before := env.storedCase(tok)
	leave := env.fullGate()

	res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": {"years_in_position": 7}}`)
	wantStatus(t, res, body, 503)
	if res.Header.Get("Retry-After") != "2" || !strings.Contains(body, "nothing was saved") {
		t.Errorf("Retry-After %q, body %s", res.Header.Get("Retry-After"), body)
	}
	page := env.srv.Instrument.Pages[0].ID
	res, body = env.postForm("/s/"+tok+"/page/"+page, url.Values{"action": {"next"}, "years_in_position": {"8"}})
	wantStatus(t, res, body, 503)
	for _, want := range []string{`value="8"`, "We could not save your answers"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q: %.3000s", want, body)
		}
	}
	if res.Header.Get("Retry-After") == "" {
		t.Error("the page's 503 has no Retry-After")
	}
	if c := env.storedCase(tok); len(c.Answers) != 0 || c.Rev != before.Rev {
		t.Fatalf("a refused save wrote: %+v", c)
	}

	leave()
	res, body = env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": {"years_in_position": 7}}`)
	wantStatus(t, res, body, 200)
	if got := env.storedCase(tok).Answers["years_in_position"]; fmt.Sprint(got) != "7" {
		t.Errorf("stored %v after the retry", got)
	}
}

// Far more respondents at once than the gate admits in its wait: every save
// answered 200 is in the store, and every save answered 503 is not. Each
// client writes its own case once, so the store tells which were made.
func TestRespondOverloadIsHonest(t *testing.T) {
	env := newTestEnv(t)
	env.srv.Respond.Gate = respond.NewGate(1, 5*time.Millisecond)
	tokens := env.newCases(120)
	statuses := make([]int, len(tokens))
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", fmt.Sprintf(`{"answers": {"years_in_position": %d}}`, i%40+1))
			statuses[i] = res.StatusCode
			if res.StatusCode == http.StatusServiceUnavailable && !strings.Contains(body, "nothing was saved") {
				t.Errorf("a 503 that does not say the answers were not saved: %s", body)
			}
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for i, tok := range tokens {
		counts[statuses[i]]++
		stored, saved := env.storedCase(tok).Answers["years_in_position"]
		switch statuses[i] {
		case http.StatusOK:
			if !saved || fmt.Sprint(stored) != fmt.Sprint(i%40+1) {
				t.Errorf("case %d: acknowledged, but the store has %v", i, stored)
			}
		case http.StatusServiceUnavailable:
			if saved {
				t.Errorf("case %d: refused, but the store has %v", i, stored)
			}
		default:
			t.Errorf("case %d: status %d", i, statuses[i])
		}
	}
	if counts[http.StatusOK] == 0 || counts[http.StatusServiceUnavailable] == 0 {
		t.Errorf("statuses %v: the test needs both saves and refusals", counts)
	}
}

// A store that fails during a save leaves the outcome unknown: the answer
// says so, and that sending the answers again is safe.
func TestRespondStoreDownUnconfirmed(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("down@example.org")
	if err := env.store.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": {"years_in_position": 7}}`)
	wantStatus(t, res, body, 503)
	if res.Header.Get("Retry-After") == "" || !strings.Contains(body, "could not confirm") || !strings.Contains(body, "again is safe") {
		t.Errorf("Retry-After %q, body %s", res.Header.Get("Retry-After"), body)
	}
}
