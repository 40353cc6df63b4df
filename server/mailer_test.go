package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/server/mailer"
	"github.com/canvass-survey/canvass/server/mailer/smtpsink"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/token"
	"github.com/canvass-survey/canvass/survey/waves"
)

// newSink starts an SMTP sink on loopback for t, stamping messages with
// now, and stops it when t ends.
func newSink(t testing.TB, now func() time.Time) *smtpsink.Sink {
	t.Helper()
	k, err := smtpsink.Start("127.0.0.1:0", now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Stop)
	return k
}

// fakeClock is the mailer's clock: it moves only when the mailer sleeps
// (the rate limit) or the test says so, so tests of time do not depend on
// how fast the machine is.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// mailEnv is a test server, a sink and a way to make mailers, as many as
// a test restarts.
type mailEnv struct {
	*testEnv
	sink  *smtpsink.Sink
	clock *fakeClock
	staff teamMember
}

func newMailEnv(t *testing.T) *mailEnv {
	env := newTestEnv(t)
	env.srv.BaseURL = env.http.URL // so a message's link can be followed
	clock := &fakeClock{t: env.now}
	return &mailEnv{testEnv: env, sink: newSink(t, clock.Now), clock: clock, staff: env.addUser("staff@example.org", account.RoleStaff)}
}

func (e *mailEnv) mailer(rate float64) *mailer.Mailer {
	e.t.Helper()
	m, err := mailer.New(e.store, e.srv.Instrument, testSecret, e.srv.BaseURL,
		config.SMTP{Host: "127.0.0.1", Port: e.sink.Port(), From: "Survey Team <survey@canvass.example>", TLS: "none", Rate: rate},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		e.t.Fatal(err)
	}
	m.Now, m.Sleep = e.clock.Now, e.clock.Sleep
	return m
}

// sealedCase stores a case as a frame import does, with its sealed token,
// and returns the token.
func (e *mailEnv) sealedCase(email, name, title, city string) string {
	e.t.Helper()
	tok := token.New()
	c := &survey.Case{ID: token.NewHasher(testSecret).CaseID(tok), Survey: e.srv.Instrument.ID, Status: survey.StatusNew,
		SealedToken: token.NewSealer(testSecret).Seal(tok),
		Frame:       survey.Frame{Email: email, Name: name, Title: title, City: city, Department: "Police"}, CreatedAt: e.now, UpdatedAt: e.now}
	if err := e.store.InsertCase(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *mailEnv) cases(n int) map[string]string {
	tokens := map[string]string{}
	for i := range n {
		email := fmt.Sprintf("person%02d@city.example", i)
		tokens[email] = e.sealedCase(email, fmt.Sprintf("Person %02d", i), "Director", "Tempe")
	}
	return tokens
}

// createWave posts a wave as staff and returns it.
func (e *mailEnv) createWave(body string) waves.Wave {
	e.t.Helper()
	res, out := e.doAs(e.staff.key, "POST", "/api/v1/waves", "application/json", body)
	wantStatus(e.t, res, out, 201)
	var w waves.Wave
	if err := json.Unmarshal([]byte(out), &w); err != nil {
		e.t.Fatal(err)
	}
	return w
}

func (e *mailEnv) work(m *mailer.Mailer) {
	e.t.Helper()
	if err := m.Work(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *mailEnv) summary(id string) waves.Summary {
	e.t.Helper()
	sums, err := e.store.WaveSummaries(context.Background(), e.srv.Instrument.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range sums {
		if s.ID == id {
			return s
		}
	}
	e.t.Fatalf("no wave %s", id)
	return waves.Summary{}
}

// onceEach checks that every address received exactly one message, and
// nobody else any.
func onceEach(t *testing.T, got []smtpsink.Message, want map[string]string) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range got {
		seen[r.To]++
	}
	for to := range want {
		if seen[to] != 1 {
			t.Errorf("%s received %d messages, want 1", to, seen[to])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d messages, want %d", len(got), len(want))
	}
}

// recipients lists to whom the messages went, in order.
func recipients(got []smtpsink.Message) []string {
	to := make([]string, len(got))
	for i, r := range got {
		to[i] = r.To
	}
	return to
}

// parsed is a received message taken apart.
type parsed struct {
	Header     netmail.Header
	Text, HTML string
}

func parse(t *testing.T, data string) parsed {
	t.Helper()
	m, err := netmail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{Header: m.Header}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		switch ct := part.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			p.Text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			p.HTML = string(b)
		}
	}
	return p
}

// linkRE finds a personal link. Not with \b after the token: a token may
// end in '-', which is no word character.
var linkRE = regexp.MustCompile(`/s/([A-Za-z0-9_-]{32})(?:[^A-Za-z0-9_-]|$)`)

func TestMailerSendsWave(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(4)
	tokens["untitled@city.example"] = env.sealedCase("untitled@city.example", "Robin Roe", "", "Bend")
	w := env.createWave(`{"kind":"invitation"}`)
	if w.Selected != 5 || w.Status != waves.StatusScheduled {
		t.Fatalf("wave %+v: want 5 selected, scheduled", w)
	}
	env.work(env.mailer(100))

	got := env.sink.Received()
	onceEach(t, got, tokens)
	for _, r := range got {
		m := parse(t, r.Data)
		c := env.storedCase(tokens[r.To])
		if m.Header.Get("Subject") != waves.Defaults(waves.KindInvitation).Subject {
			t.Errorf("subject %q", m.Header.Get("Subject"))
		}
		if id := m.Header.Get("Message-Id"); id != "<"+waves.MessageID(waves.OutboxID(w.ID, c.ID), "canvass.example")+">" {
			t.Errorf("Message-ID %q is not derived from the outbox entry", id)
		}
		if to, _ := netmail.ParseAddress(m.Header.Get("To")); to == nil || to.Name != c.Frame.Name || to.Address != r.To {
			t.Errorf("To %q", m.Header.Get("To"))
		}
		for _, want := range []string{"Dear " + c.Frame.Name + ",", "in " + c.Frame.City, "Friday, December 31, 2027",
			env.http.URL + "/s/" + tokens[r.To] + "\n", env.http.URL + "/s/" + tokens[r.To] + "/optout\n"} {
			if !strings.Contains(strings.ReplaceAll(m.Text, "\r\n", "\n"), want) {
				t.Errorf("%s: text lacks %q:\n%s", r.To, want, m.Text)
			}
		}
		if (c.Frame.Title == "") == strings.Contains(m.Text, "chosen as ") {
			t.Errorf("%s: the title clause does not follow the title %q:\n%s", r.To, c.Frame.Title, m.Text)
		}
		if !strings.Contains(m.HTML, `href="`+env.http.URL+"/s/"+tokens[r.To]+`"`) {
			t.Errorf("%s: HTML lacks the link:\n%s", r.To, m.HTML)
		}
		// The link opens this person's case.
		found := linkRE.FindStringSubmatch(m.Text)
		if found == nil || token.NewHasher(testSecret).CaseID(found[1]) != c.ID {
			t.Errorf("%s: the link %v does not open the case", r.To, found)
			continue
		}
		res, body := env.get("/s/" + found[1])
		wantStatus(t, res, body, 200)
		if len(c.Contacts) != 1 || c.Contacts[0].Status != survey.ContactSent || c.Contacts[0].Wave != w.ID || c.Contacts[0].Kind != waves.KindInvitation {
			t.Errorf("%s: contacts %+v", r.To, c.Contacts)
		}
	}
	s := env.summary(w.ID)
	if s.Status != waves.StatusDone || s.Queued != 5 || s.Sent != 5 || s.FirstSentAt == nil {
		t.Errorf("wave after sending: %+v", s)
	}
	// Everyone is invited now: a second invitation selects nobody.
	if again := env.createWave(`{"kind":"invitation"}`); again.Selected != 0 {
		t.Errorf("a second invitation selects %d", again.Selected)
	}
}

// The rate limit spaces messages by 1/rate on the mailer's clock.
func TestMailerThrottle(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(12)
	env.createWave(`{"kind":"invitation"}`)
	const perSecond = 4
	env.work(env.mailer(perSecond))
	got := env.sink.Received()
	onceEach(t, got, tokens)
	for i := 1; i < len(got); i++ {
		if gap := got[i].At.Sub(got[i-1].At); gap < time.Second/perSecond {
			t.Errorf("messages %d and %d %v apart, want at least %v", i-1, i, gap, time.Second/perSecond)
		}
	}
	if span := got[len(got)-1].At.Sub(got[0].At); span < time.Duration(len(got)-1)*time.Second/perSecond {
		t.Errorf("%d messages in %v", len(got), span)
	}
}

// A mailer stopped after k messages, and a new one started as after a
// restart, send every message once: the stop releases the lease, so the
// new one takes over at once.
func TestMailerResumesAfterStop(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(10)
	w := env.createWave(`{"kind":"reminder"}`)
	ctx, stop := context.WithCancel(context.Background())
	env.sink.OnMessage(func(n int) {
		if n == 4 {
			stop() // while the fourth is in flight
		}
	})
	env.mailer(1000).Run(ctx)
	if n := len(env.sink.Received()); n != 4 {
		t.Fatalf("%d messages before the stop, want 4", n)
	}
	s := env.summary(w.ID)
	if s.Sent != 4 || s.Pending != 6 || s.Sending != 0 || s.Status != waves.StatusSending {
		t.Errorf("after the stop: %+v; want the fourth recorded as sent", s.Counts)
	}
	env.sink.OnMessage(nil)
	env.work(env.mailer(1000))
	onceEach(t, env.sink.Received(), tokens)
	if s := env.summary(w.ID); s.Sent != 10 || s.Status != waves.StatusDone {
		t.Errorf("after the restart: %+v", s)
	}
}

// Two instances on one database: only the one holding the lease sends.
// When it stops without releasing it, as when killed, the other takes over
// once the lease has run out. Every message goes out once.
func TestMailerLease(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(6)
	w := env.createWave(`{"kind":"invitation"}`)
	a, b := env.mailer(1000), env.mailer(1000)
	ctx, kill := context.WithCancel(context.Background())
	env.sink.OnMessage(func(n int) {
		if n == 3 {
			kill()
		}
	})
	var wg sync.WaitGroup
	for _, m := range []*mailer.Mailer{a, b} {
		wg.Go(func() {
			if err := m.Work(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	env.sink.OnMessage(nil)
	if n := len(env.sink.Received()); n != 3 {
		t.Fatalf("%d messages before the holder stopped, want 3", n)
	}
	holder, other := a, b
	if a.Lease.Until().IsZero() {
		holder, other = b, a
	}
	if holder.Lease.Until().IsZero() || !other.Lease.Until().IsZero() {
		t.Fatalf("leases until %v and %v: want one holder", a.Lease.Until(), b.Lease.Until())
	}

	env.clock.Advance(holder.Lease.Until().Sub(env.clock.Now()) - time.Second)
	env.work(other)
	if n := len(env.sink.Received()); n != 3 {
		t.Errorf("the other instance sent %d messages before the lease ran out", n-3)
	}
	env.clock.Advance(2 * time.Second)
	env.work(other)
	env.work(holder) // it lost the lease: it sends nothing more
	onceEach(t, env.sink.Received(), tokens)
	if s := env.summary(w.ID); s.Status != waves.StatusDone || s.Sent != 6 {
		t.Errorf("wave %s, counts %+v", s.Status, s.Counts)
	}
}

// The holder renews the lease as it works, so that another instance does
// not take a wave over midway when the mail server is slow: here each
// message takes 25 s to be accepted.
func TestMailerLeaseRenewed(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(6)
	env.createWave(`{"kind":"invitation"}`)
	holder, other := env.mailer(1000), env.mailer(1000)
	var took atomic.Bool
	env.sink.OnMessage(func(n int) {
		env.clock.Advance(25 * time.Second)
		if n == 3 { // 75 s after the holder claimed the lease
			if err := other.Work(context.Background()); err != nil {
				t.Error(err)
			}
			took.Store(!other.Lease.Until().IsZero())
		}
	})
	env.work(holder)
	if took.Load() {
		t.Error("another instance took the lease from a holder that was working")
	}
	onceEach(t, env.sink.Received(), tokens)
}

// Entries a crash left sending are settled, when a mailer claims the
// lease, from the case when it shows the answer, else marked uncertain;
// neither is sent again.
func TestMailerRecoverAfterCrash(t *testing.T) {
	env := newMailEnv(t)
	ctx := context.Background()
	tokens := env.cases(3)
	w := env.createWave(`{"kind":"invitation"}`)
	m := env.mailer(1000)
	if _, err := m.StartWave(ctx, &w); err != nil {
		t.Fatal(err)
	}
	hasher := token.NewHasher(testSecret)
	recorded, lost := hasher.CaseID(tokens["person00@city.example"]), hasher.CaseID(tokens["person01@city.example"])
	// The crash came after the case was told, before the entry was.
	if _, err := env.store.UpdateCase(ctx, recorded, func(*survey.Case) (*survey.Change, error) {
		return &survey.Change{At: env.now, Contact: &survey.Contact{Wave: w.ID, Kind: w.Kind, Status: survey.ContactSent, At: env.now}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{recorded, lost} {
		e := waves.Entry{ID: waves.OutboxID(w.ID, id), Wave: w.ID, Case: id, Status: waves.EntrySending, UpdatedAt: env.now}
		if err := env.store.PutEntry(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	env.work(env.mailer(1000))
	got := env.sink.Received()
	if len(got) != 1 || got[0].To != "person02@city.example" {
		t.Fatalf("sent %v, want only the message never tried", got)
	}
	s := env.summary(w.ID)
	if s.Sent != 2 || s.Uncertain != 1 || s.Status != waves.StatusDone {
		t.Errorf("counts %+v, want 2 sent (one settled from the case) and 1 uncertain", s.Counts)
	}
	if c, _ := env.store.Case(ctx, lost); c.Invited() {
		t.Errorf("the uncertain case has contacts %+v", c.Contacts)
	}
}

// 5xx bounces the case; 4xx retries with back-off and gives up after
// MaxAttempts.
func TestMailerRefusals(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(2)
	tokens["gone@city.example"] = env.sealedCase("gone@city.example", "Gone", "", "")
	tokens["busy@city.example"] = env.sealedCase("busy@city.example", "Busy", "", "")
	tokens["full@city.example"] = env.sealedCase("full@city.example", "Full", "", "")
	env.sink.Refuse("gone@city.example", 0)
	env.sink.Refuse("busy@city.example", 2)
	env.sink.Refuse("full@city.example", 99)
	w := env.createWave(`{"kind":"invitation"}`)
	m := env.mailer(1000)
	m.MaxAttempts = 3
	outcomes := map[string]int{}
	m.Observe = func(outcome string) { outcomes[outcome]++ }
	env.work(m)

	gone := env.storedCase(tokens["gone@city.example"])
	if !gone.Bounced() || len(gone.Contacts) != 1 || gone.Contacts[0].Status != survey.ContactBounced || !strings.Contains(gone.Contacts[0].Error, "550") {
		t.Errorf("the refused case: bounced %v, contacts %+v", gone.Bounced(), gone.Contacts)
	}
	if s := env.summary(w.ID); s.Sent != 2 || s.Bounced != 1 || s.Pending != 2 || s.Status != waves.StatusSending {
		t.Fatalf("after the first pass: %+v", s.Counts)
	}
	env.work(m) // nothing is due before the back-off
	if n := len(env.sink.Received()); n != 2 {
		t.Errorf("%d messages before the back-off passed", n)
	}
	env.clock.Advance(m.Backoff)
	env.work(m)                  // busy: second refusal; full: second refusal
	env.clock.Advance(m.Backoff) // the back-off doubled: not due yet
	env.work(m)
	if n := len(env.sink.Received()); n != 2 {
		t.Errorf("%d messages before the doubled back-off passed", n)
	}
	env.clock.Advance(m.Backoff)
	env.work(m) // busy goes through; full fails for good on its third try
	s := env.summary(w.ID)
	if s.Sent != 3 || s.Bounced != 1 || s.Failed != 1 || s.Pending != 0 || s.Status != waves.StatusDone {
		t.Errorf("at the end: %+v %s", s.Counts, s.Status)
	}
	full := env.storedCase(tokens["full@city.example"])
	if len(full.Contacts) != 1 || full.Contacts[0].Status != survey.ContactFailed || full.Bounced() {
		t.Errorf("the case that kept refusing: %+v", full.Contacts)
	}
	if busy := env.storedCase(tokens["busy@city.example"]); !busy.Invited() {
		t.Errorf("busy: %+v", busy.Contacts)
	}
	// Each try is observed: busy's two refusals and full's three are retries.
	if want := map[string]int{"sent": 3, "bounced": 1, "retry": 5}; !maps.Equal(outcomes, want) {
		t.Errorf("outcomes observed %v, want %v", outcomes, want)
	}
}

// A message whose connection keeps dropping before it is complete is
// tried again with the back-off of a temporary refusal, and failed after
// MaxAttempts, so that the wave ends.
func TestMailerLostConnections(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(2)
	env.sealedCase("flaky@city.example", "Flaky", "", "")
	env.sink.Cut("flaky@city.example")
	w := env.createWave(`{"kind":"invitation"}`)
	m := env.mailer(1000)
	m.MaxAttempts = 3
	env.work(m)
	env.work(m) // not due again before the back-off
	if n := env.sink.Cuts(); n != 1 {
		t.Fatalf("%d tries before the back-off passed, want 1", n)
	}
	env.clock.Advance(m.Backoff)
	env.work(m)
	env.clock.Advance(2 * m.Backoff)
	env.work(m) // the third try is the last
	env.clock.Advance(time.Hour)
	env.work(m)
	if n := env.sink.Cuts(); n != 3 {
		t.Errorf("%d tries, want MaxAttempts = 3", n)
	}
	onceEach(t, env.sink.Received(), tokens)
	if s := env.summary(w.ID); s.Sent != 2 || s.Failed != 1 || s.Pending != 0 || s.Status != waves.StatusDone {
		t.Errorf("wave %s, counts %+v: want done with 2 sent and 1 failed", s.Status, s.Counts)
	}
}

// A mail server that goes away mid-wave pauses the wave; when it is back
// and the pause is over, the rest goes out, each message once.
func TestMailerServerGoesAway(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(8)
	w := env.createWave(`{"kind":"invitation"}`)
	env.sink.GoAwayAfter(3)
	m := env.mailer(1000)
	env.work(m)
	s := env.summary(w.ID)
	if s.Status != waves.StatusPaused || s.PausedUntil == nil || s.LastError == "" {
		t.Fatalf("wave %+v: want paused with a reason", s.Wave)
	}
	if s.Sent != 3 || s.Pending != 5 || s.Uncertain != 0 {
		t.Fatalf("counts %+v: want 3 sent and 5 pending", s.Counts)
	}
	if err := env.sink.Restart(); err != nil { // back, but the pause is not over
		t.Fatal(err)
	}
	env.work(m)
	if n := len(env.sink.Received()); n != 3 {
		t.Errorf("%d messages during the pause", n)
	}
	env.clock.Advance(m.PauseFor)
	env.work(m)
	onceEach(t, env.sink.Received(), tokens)
	if s := env.summary(w.ID); s.Status != waves.StatusDone || s.Sent != 8 || s.LastError != "" {
		t.Errorf("after the server came back: %+v", s)
	}
}

// A paused wave that staff cancel while the mailer reconnects stays
// cancelled: the mailer does not resume it.
func TestMailerCancelledWhilePaused(t *testing.T) {
	env := newMailEnv(t)
	env.cases(2)
	w := env.createWave(`{"kind":"invitation"}`)
	env.sink.Stop()
	m := env.mailer(1000)
	env.work(m)
	if s := env.summary(w.ID); s.Status != waves.StatusPaused {
		t.Fatalf("wave %s, want paused while the server is away", s.Status)
	}
	if err := env.sink.Restart(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	env.sink.OnConnect(func() {
		once.Do(func() {
			if res, body := env.doAs(env.staff.key, "POST", "/api/v1/waves/"+w.ID+"/cancel", "application/json", ""); res.StatusCode != 200 {
				t.Errorf("cancel: %d %s", res.StatusCode, body)
			}
		})
	})
	env.clock.Advance(m.PauseFor)
	env.work(m)
	if n := len(env.sink.Received()); n != 0 {
		t.Errorf("the cancelled wave sent %d messages", n)
	}
	if s := env.summary(w.ID); s.Status != waves.StatusCancelled || s.Pending != 2 {
		t.Errorf("wave %s, counts %+v: want cancelled with 2 pending", s.Status, s.Counts)
	}
}

// A wave scheduled in the survey's time zone starts at that time, not before.
func TestMailerSchedule(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(2)
	// inField is 15:00 UTC, 08:00 in Phoenix: schedule for 09:30 there.
	w := env.createWave(`{"kind":"invitation","scheduled_at":"2026-06-01T09:30"}`)
	if want := inField.Add(90 * time.Minute); !w.ScheduledAt.Equal(want) {
		t.Fatalf("scheduled at %v, want %v", w.ScheduledAt, want)
	}
	m := env.mailer(1000)
	env.clock.Advance(89 * time.Minute)
	env.work(m)
	if n := len(env.sink.Received()); n != 0 || env.summary(w.ID).Status != waves.StatusScheduled {
		t.Fatalf("%d messages a minute early", n)
	}
	env.clock.Advance(time.Minute)
	env.work(m)
	onceEach(t, env.sink.Received(), tokens)
}

// A reminder skips a case completed after the wave started; a cancelled
// wave sends nothing more.
func TestMailerSkipsAndCancels(t *testing.T) {
	env := newMailEnv(t)
	ctx := context.Background()
	tokens := env.cases(3)
	w := env.createWave(`{"kind":"reminder"}`)
	m := env.mailer(1000)
	if _, err := m.StartWave(ctx, &w); err != nil {
		t.Fatal(err)
	}
	done := token.NewHasher(testSecret).CaseID(tokens["person00@city.example"])
	if _, err := env.store.UpdateCase(ctx, done, func(*survey.Case) (*survey.Change, error) {
		return &survey.Change{At: env.now, Status: survey.StatusSubmitted}, nil
	}); err != nil {
		t.Fatal(err)
	}
	env.work(m)
	if got := env.sink.Received(); len(got) != 2 {
		t.Errorf("%d reminders, want 2: not to the case that completed", len(got))
	}
	if s := env.summary(w.ID); s.Skipped != 1 || s.Sent != 2 {
		t.Errorf("counts %+v", s.Counts)
	}

	c := env.createWave(`{"kind":"reminder"}`)
	res, body := env.doAs(env.staff.key, "POST", "/api/v1/waves/"+c.ID+"/cancel", "application/json", "")
	wantStatus(t, res, body, 200)
	env.work(m)
	if got := env.sink.Received(); len(got) != 2 {
		t.Errorf("a cancelled wave sent %d", len(got)-2)
	}
	res, body = env.doAs(env.staff.key, "POST", "/api/v1/waves/"+c.ID+"/cancel", "application/json", "")
	wantStatus(t, res, body, 409)
	entries, err := env.store.Audit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
	}
	if actions["wave.create"] != 2 || actions["wave.cancel"] != 1 {
		t.Errorf("audit actions %v", actions)
	}
}

// Links go out by mail merge too, so a case may answer or opt out before
// Canvass ever writes to it: an invitation leaves it out when the wave is
// created and filled, and skips it when it opts out after that.
func TestMailerInvitationSkipsAnswered(t *testing.T) {
	env := newMailEnv(t)
	ctx := context.Background()
	tokens := env.cases(4)
	submitted := token.NewHasher(testSecret).CaseID(tokens["person00@city.example"])
	if _, err := env.store.UpdateCase(ctx, submitted, func(*survey.Case) (*survey.Change, error) {
		return &survey.Change{At: env.now, Status: survey.StatusSubmitted}, nil
	}); err != nil {
		t.Fatal(err)
	}
	optOut := func(email string) {
		t.Helper()
		res, body := env.json("POST", "/api/v1/respond/"+tokens[email]+"/optout", "")
		wantStatus(t, res, body, 200)
	}
	optOut("person01@city.example")
	w := env.createWave(`{"kind":"invitation"}`)
	if w.Selected != 2 {
		t.Errorf("the invitation selects %d, want 2: not the cases that submitted or opted out", w.Selected)
	}
	m := env.mailer(1000)
	if _, err := m.StartWave(ctx, &w); err != nil {
		t.Fatal(err)
	}
	optOut("person02@city.example") // after the outbox was filled
	env.work(m)
	if got := env.sink.Received(); len(got) != 1 || got[0].To != "person03@city.example" {
		t.Errorf("sent to %v, want only person03", recipients(got))
	}
	if s := env.summary(w.ID); s.Queued != 2 || s.Sent != 1 || s.Skipped != 1 || s.Status != waves.StatusDone {
		t.Errorf("wave %s, counts %+v: want 2 queued, 1 sent, 1 skipped", s.Status, s.Counts)
	}
}

// BenchmarkMailer measures a wave end to end on the embedded store and a
// loopback SMTP server, on the real clock: unthrottled (what the pipeline
// can do) and at 20 messages a second (what the limit lets through).
func BenchmarkMailer(b *testing.B) {
	for _, rate := range []float64{1e9, 20} {
		b.Run(fmt.Sprintf("rate=%g", rate), func(b *testing.B) {
			ctx := context.Background()
			st := storetest.MustOpen(b)
			in := instrument.Default()
			k := newSink(b, time.Now)
			sealer, hasher := token.NewSealer(testSecret), token.NewHasher(testSecret)
			cases := make([]*survey.Case, b.N)
			for i := range cases {
				tok := token.New()
				cases[i] = &survey.Case{ID: hasher.CaseID(tok), Survey: in.ID, Status: survey.StatusNew, SealedToken: sealer.Seal(tok),
					Frame: survey.Frame{Email: fmt.Sprintf("p%d@city.example", i), Name: "P"}}
			}
			if err := st.InsertCases(ctx, "bench", cases); err != nil {
				b.Fatal(err)
			}
			d := waves.Defaults(waves.KindInvitation)
			if err := st.InsertWave(ctx, &waves.Wave{ID: "w1", Survey: in.ID, Kind: waves.KindInvitation, Subject: d.Subject, Text: d.Text, HTML: d.HTML, Status: waves.StatusScheduled}); err != nil {
				b.Fatal(err)
			}
			m, err := mailer.New(st, in, testSecret, "https://survey.example", config.SMTP{Host: "127.0.0.1", Port: k.Port(), From: "s@canvass.example", TLS: "none", Rate: rate},
				slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			if err := m.Work(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			if got := len(k.Received()); got != b.N {
				b.Fatalf("%d messages, want %d", got, b.N)
			}
		})
	}
}
