package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/account"
)

// countLog collects the server's debug log, where each count of the cases
// says "progress counted".
func (env *testEnv) countLog() *syncBuffer {
	b := &syncBuffer{}
	env.srv.Logger = slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return b
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) counts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), "progress counted")
}

// settleProgress waits for a count of the cases that a request started, if
// one is running.
func (env *testEnv) settleProgress() {
	<-env.srv.progressCache.group.DoChan("progress", func() (any, error) { return nil, nil })
}

// expireProgress drops the last count, so that the next request counts
// the cases again and waits for it.
func (env *testEnv) expireProgress() {
	env.settleProgress()
	env.srv.progressCache.mu.Lock()
	env.srv.progressCache.last = nil
	env.srv.progressCache.mu.Unlock()
}

func (env *testEnv) progressJSON(key string) progressJSON {
	env.t.Helper()
	res, body := env.doAs(key, "GET", "/api/v1/progress", "", "")
	wantStatus(env.t, res, body, 200)
	var p progressJSON
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		env.t.Fatal(err)
	}
	return p
}

// Viewers share one count of the cases: many at once start one, later ones
// within the snapshot's age start none, and an older snapshot is answered
// at once while one new count runs for everyone.
func TestProgressSharedCount(t *testing.T) {
	env := newTestEnv(t)
	wall := env.useFakeWall()
	staff := env.addUser("staff@example.org", account.RoleStaff)
	env.newCase("a@example.org")
	log := env.countLog()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); env.progressJSON(staff.key) }()
	}
	wg.Wait()
	if n := log.counts(); n != 1 {
		t.Errorf("eight viewers at once: %d counts, want 1", n)
	}
	for range 5 {
		env.progressJSON(staff.key)
	}
	if n := log.counts(); n != 1 {
		t.Errorf("five more views within %v: %d counts in all, want 1", progressMaxAge, n)
	}
	env.newCase("b@example.org")
	wall.add(progressMaxAge)
	if p := env.progressJSON(staff.key); p.Sampled != 1 {
		t.Errorf("an old snapshot is not answered at once: sampled %d", p.Sampled)
	}
	env.settleProgress()
	if p := env.progressJSON(staff.key); p.Sampled != 2 || log.counts() != 2 {
		t.Errorf("after the refresh: sampled %d, %d counts; want 2 and 2", p.Sampled, log.counts())
	}
}

// After a random mix of saves, submits, marks, unmarks and bounces, the
// figures equal a full recount of the cases.
func TestProgressEqualsRecount(t *testing.T) {
	env := newTestEnv(t)
	wall := env.useFakeWall()
	staff := env.addUser("staff@example.org", account.RoleStaff)
	_, imported := env.importFrame(staff.key, syntheticCSV(t, 80, 7))
	rng := rand.New(rand.NewPCG(10, 1))
	env.progressJSON(staff.key) // a snapshot before the changes
	for _, ic := range imported.Cases {
		tok := ic.URL[strings.LastIndex(ic.URL, "/")+1:]
		id := env.storedCase(tok).ID
		for range rng.IntN(3) {
			switch rng.IntN(6) {
			case 0:
				env.answer(tok, rng.IntN(2) == 0, false)
			case 1:
				env.answer(tok, true, env.storedCase(tok).Status != survey.StatusSubmitted)
			case 2, 3:
				code := []string{"bounced", "ineligible", "unavailable", "other"}[rng.IntN(4)]
				res, body := env.doAs(staff.key, "POST", "/api/v1/cases/"+id+"/disposition", "application/json", `{"code": "`+code+`"}`)
				wantStatus(t, res, body, 200)
			case 4:
				env.doAs(staff.key, "DELETE", "/api/v1/cases/"+id+"/disposition", "", "")
			case 5:
				if _, err := env.store.UpdateCase(t.Context(), id, func(*survey.Case) (*survey.Change, error) {
					return &survey.Change{Contact: &survey.Contact{Wave: "w1", Kind: "invitation", Status: survey.ContactBounced, At: env.now}, At: env.now}, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	wall.add(progressMaxAge)
	env.progressJSON(staff.key)
	env.settleProgress()
	got := env.progressJSON(staff.key)

	cases, err := env.store.Cases(t.Context(), env.srv.Instrument.ID)
	if err != nil {
		t.Fatal(err)
	}
	pcs := make([]aapor.Case, len(cases))
	for i := range cases {
		pcs[i] = aapor.CaseOf(&cases[i], env.srv.Instrument, aapor.DefaultThresholds)
	}
	want := aapor.BuildProgress(pcs, nil, env.now, env.srv.Instrument.FieldPeriod.Location())
	if got.Counts != want.Counts || !reflect.DeepEqual(got.By, want.By) || !reflect.DeepEqual(got.Rates, want.Rates) || !reflect.DeepEqual(got.Daily, want.Daily) {
		t.Errorf("figures differ from a recount:\n got %+v\nwant %+v", got.Counts, want.Counts)
	}
	if got.Counts.I == 0 || got.Counts.NE == 0 || got.Counts.UO == 0 {
		t.Errorf("the mix did not reach every kind of case: %+v", got.Counts)
	}
	// ?e= works the rates out again from the same counts.
	res, body := env.doAs(staff.key, "GET", "/api/v1/progress?e=0.5", "", "")
	wantStatus(t, res, body, 200)
	var withE progressJSON
	_ = json.Unmarshal([]byte(body), &withE)
	e := 0.5
	if want := aapor.BuildProgress(pcs, &e, env.now, env.srv.Instrument.FieldPeriod.Location()); !reflect.DeepEqual(withE.By, want.By) || !reflect.DeepEqual(withE.Rates, want.Rates) {
		t.Errorf("rates with e=0.5 differ from a recount with it")
	}
}

// The page's own refreshes do not count as activity: an open dashboard
// lets the session end.
func TestProgressRefreshLetsSessionIdle(t *testing.T) {
	env := newTestEnv(t)
	wall := env.useFakeWall()
	env.srv.sessionIdle = 5 * time.Second
	env.addUser("staff@example.org", account.RoleStaff)
	env.newCase("a@example.org")
	_, _, cookie, _ := env.loginJSON("staff@example.org", goodPassword)
	refresh := func() (*http.Response, string) {
		return env.doWith(http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}, backgroundHeader: {"refresh"}}, "GET", "/admin/progress?part=live", "")
	}
	wall.add(3 * time.Second)
	res, body := refresh()
	wantStatus(t, res, body, 200)
	if strings.Contains(body, "<html") || !strings.Contains(body, "of 1 complete") {
		t.Errorf("the refresh is not the live part alone:\n%.300s", body)
	}
	wall.add(3 * time.Second)
	res, body = refresh()
	wantStatus(t, res, body, 401)
}

// Strata read in their natural order: population bands by size, the rest
// by name with "unknown" last; counts carry thousands separators.
func TestBarsOrder(t *testing.T) {
	rr := 0.25
	groups := map[string]aapor.Stratum{}
	for _, name := range []string{"250,000 and over", "25,000-49,999", "unknown", "100,000-249,999", "50,000-99,999"} {
		groups[name] = aapor.Stratum{Sampled: 1200, Counts: aapor.Counts{I: 250, P: 50}, Rates: aapor.Rates{RR2: &rr}}
	}
	bands := make([]string, len(aapor.PopulationBands))
	for i, b := range aapor.PopulationBands {
		bands[i] = b.Label
	}
	var got []string
	for _, r := range bars("City population", groups, bands).Rows {
		got = append(got, r.Name)
		if r.Rate != "25.0%" || r.Width != 25 || r.Responded != "300" || r.Sampled != "1,200" {
			t.Errorf("row %+v", r)
		}
	}
	want := []string{"25,000-49,999", "50,000-99,999", "100,000-249,999", "250,000 and over", "unknown"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// Every line and point of the response curve is at least 3:1 against the
// white page (WCAG 1.4.11), as the stylesheet colours them.
func TestChartContrast(t *testing.T) {
	css, err := os.ReadFile("../templates/static/canvass.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z]+): (#[0-9a-f]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	for _, class := range []string{"complete", "partial", "wave"} {
		m := regexp.MustCompile(`\.chart \.` + class + ` \{ stroke: (#[0-9a-f]{6}|var\(--[a-z]+\))`).FindStringSubmatch(string(css))
		if m == nil {
			t.Fatalf("no stroke for .chart .%s", class)
		}
		color := m[1]
		if strings.HasPrefix(color, "var(") {
			color = vars[strings.TrimSuffix(strings.TrimPrefix(color, "var(--"), ")")]
		}
		if r := contrast(color, "#ffffff"); r < 3 {
			t.Errorf(".chart .%s %s: contrast %.2f:1 against white, want at least 3:1", class, color, r)
		}
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}
