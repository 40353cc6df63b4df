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
	"net/http"
	netmail "net/mail"
	"regexp"
	"slices"
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
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/outbox"
	"github.com/canvass-survey/canvass/survey/store"
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

// A lease that runs out while the holder sends (a mail server slow for
// longer than the lease lasts) is claimed again by the same holder, which
// then reads the outbox again before it sends on: nothing twice, nothing
// lost, in this wave or the next.
func TestMailerLeaseLapses(t *testing.T) {
	env := newMailEnv(t)
	env.cases(3)
	inv := env.createWave(`{"kind":"invitation"}`)
	rem := env.createWave(`{"kind":"reminder","scheduled_at":"2026-06-01T08:01"}`) // due once the lease lapsed
	env.sink.OnMessage(func(n int) {
		if n == 2 {
			env.clock.Advance(2 * time.Minute)
		}
	})
	m := env.mailer(1000)
	env.work(m)
	env.work(m)
	seen := map[string]int{}
	for _, r := range env.sink.Received() {
		seen[r.To]++
	}
	for to, n := range seen {
		if n != 2 {
			t.Errorf("%s received %d messages, want an invitation and a reminder", to, n)
		}
	}
	for _, id := range []string{inv.ID, rem.ID} {
		if s := env.summary(id); s.Status != waves.StatusDone || s.Sent != 3 || s.Queued != 3 {
			t.Errorf("wave %s: %s %+v", s.Kind, s.Status, s.Counts)
		}
	}
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
	// A mailer that cannot read the cases settles nothing: taken for no
	// contact, the message the case shows sent would be recorded uncertain
	// beside it (the drill saw it on a store that timed out).
	blind := env.mailer(1000)
	blind.Store = &watchedStore{Store: env.store, down: true}
	if err := blind.Work(ctx); err == nil {
		t.Fatal("a mailer that could not read the cases reported no error")
	}
	for id, want := range map[string]int{recorded: 1, lost: 0} {
		if c, _ := env.store.Case(ctx, id); len(c.Contacts) != want {
			t.Errorf("after a mailer that could not read the cases, %s has contacts %+v, want %d", id, c.Contacts, want)
		}
	}
	env.work(env.mailer(1000)) // the blind mailer let the lease go
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

// watchedStore is the store as a mailer sees it: it counts the calls that
// read many documents, and fails writes of outbox entries and reads of
// cases once told to, as a store that went away.
type watchedStore struct {
	*store.Store
	mu    sync.Mutex
	calls map[string]int
	down  bool
}

func (s *watchedStore) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[name]++
}

func (s *watchedStore) Outbox(ctx context.Context) ([]waves.Entry, error) {
	s.count("Outbox")
	return s.Store.Outbox(ctx)
}

func (s *watchedStore) Cases(ctx context.Context, surveyID string) ([]survey.Case, error) {
	s.count("Cases")
	return s.Store.Cases(ctx, surveyID)
}

func (s *watchedStore) PutEntry(ctx context.Context, e *waves.Entry) error {
	if err := s.gone(); err != nil {
		return err
	}
	return s.Store.PutEntry(ctx, e)
}

func (s *watchedStore) Case(ctx context.Context, id string) (*survey.Case, error) {
	if err := s.gone(); err != nil {
		return nil, err
	}
	return s.Store.Case(ctx, id)
}

// gone is the error of a store told to go away, nil before.
func (s *watchedStore) gone() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return survey.Errorf(survey.EUNAVAILABLE, "the store went away")
	}
	return nil
}

// The mailer reads the outbox once, when it takes it over, and the cases
// once for each wave it starts; every message is read and written by _id
// (the embedded store answers any other filter by reading the whole
// collection). Its counts are on the wave.
func TestMailerReadsOutboxOnce(t *testing.T) {
	env := newMailEnv(t)
	env.cases(6)
	w := env.createWave(`{"kind":"invitation"}`)
	st := &watchedStore{Store: env.store}
	m := env.mailer(1000)
	m.Store = st
	env.work(m)
	env.work(m)
	env.createWave(`{"kind":"reminder"}`)
	env.work(m)
	if got := len(env.sink.Received()); got != 12 {
		t.Errorf("%d messages, want 6 invitations and 6 reminders", got)
	}
	if st.calls["Outbox"] != 1 || st.calls["Cases"] != 2 {
		t.Errorf("calls %v: want the outbox read once, the cases once a wave", st.calls)
	}
	if s := env.summary(w.ID); s.Status != waves.StatusDone || !s.Counts.Same(waves.Counts{Queued: 6, Sent: 6, FirstSentAt: s.FirstSentAt}) || s.FirstSentAt == nil {
		t.Errorf("wave %s, counts %+v", s.Status, s.Counts)
	}
}

// While a wave sends, its counts on the wave — what the views show — are
// at most a quarter of a second behind: here 2 messages at 8 a second.
func TestMailerCountsWhileSending(t *testing.T) {
	env := newMailEnv(t)
	env.cases(12)
	w := env.createWave(`{"kind":"invitation"}`)
	var lags []int
	env.sink.OnMessage(func(n int) {
		s := env.summary(w.ID)
		lags = append(lags, n-1-s.Sent) // n-1 are settled while the n-th is in flight
		if s.Queued != 12 || s.Sent+s.Pending+s.Sending != 12 {
			t.Errorf("message %d: counts %+v", n, s.Counts)
		}
	})
	env.work(env.mailer(8))
	if slices.Max(lags) > 2 || slices.Min(lags) < 0 {
		t.Errorf("the counts were behind by %v messages, want 0 to 2", lags)
	}
	if s := env.summary(w.ID); s.Sent != 12 || s.Pending != 0 || s.Status != waves.StatusDone {
		t.Errorf("at the end: %s %+v", s.Status, s.Counts)
	}
}

// A mailer that dies between two records of the counts — here its store
// goes away after the mail server accepted the fourth message and the case
// recorded it, before the entry did — leaves them behind; the instance that
// takes over counts again from the entries. Every message goes out once,
// and the counts at the end are exact.
func TestMailerCountsAfterCrash(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(10)
	w := env.createWave(`{"kind":"reminder"}`)
	st := &watchedStore{Store: env.store}
	dying := env.mailer(1000)
	dying.Store = st
	env.sink.OnMessage(func(n int) {
		if n == 4 {
			st.mu.Lock()
			st.down = true
			st.mu.Unlock()
		}
	})
	if err := dying.Work(context.Background()); err == nil {
		t.Fatal("the mailer whose store went away reported no error")
	}
	env.sink.OnMessage(nil)
	if s := env.summary(w.ID); s.Sent >= 4 {
		t.Fatalf("counts %+v: want them behind, as a crash leaves them", s.Counts)
	}
	next := env.mailer(1000)
	env.clock.Advance(dying.Lease.Until().Sub(env.clock.Now()) + time.Second)
	env.work(next)
	onceEach(t, env.sink.Received(), tokens)
	if s := env.summary(w.ID); s.Status != waves.StatusDone || !s.Counts.Same(waves.Counts{Queued: 10, Sent: 10, FirstSentAt: s.FirstSentAt}) {
		t.Errorf("wave %s, counts %+v: want done, 10 queued and 10 sent", s.Status, s.Counts)
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
	// The wave lists the two cases being retried, for the Cases filter.
	retried := []string{env.storedCase(tokens["busy@city.example"]).ID, env.storedCase(tokens["full@city.example"]).ID}
	if got := slices.Sorted(slices.Values(env.summary(w.ID).Retrying)); !slices.Equal(got, slices.Sorted(slices.Values(retried))) {
		t.Errorf("retrying %v, want %v", got, retried)
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
	if s.Sent != 3 || s.Bounced != 1 || s.Failed != 1 || s.Pending != 0 || s.Status != waves.StatusDone || s.Retrying != nil {
		t.Errorf("at the end: %+v %s, retrying %v", s.Counts, s.Status, s.Retrying)
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

// BenchmarkMailer sends a reminder wave of b.N messages end to end, on the
// embedded store, the real clock and a loopback SMTP server, after an
// invitation wave of as many (so the outbox holds 2×b.N entries, as in a
// field period), while a member of staff watches the waves: GET
// /api/v1/waves and the Waves page in turn, 100 ms apart. It reports the
// rate the sink saw from the first message to the last, and the views'
// median and 99th percentile while the wave sent:
//
//	go test ./server -run '^$' -bench Mailer -benchtime 2500x
func BenchmarkMailer(b *testing.B) {
	for _, rate := range []float64{50, 100, 1e9} {
		b.Run(fmt.Sprintf("rate=%g", rate), func(b *testing.B) {
			ctx := context.Background()
			env := newTestEnv(b)
			sealer, hasher := token.NewSealer(testSecret), token.NewHasher(testSecret)
			frames := frame.Synthetic(b.N, 1, env.srv.Instrument)
			cases := make([]*survey.Case, b.N)
			for i := range cases {
				tok := token.New()
				cases[i] = &survey.Case{ID: hasher.CaseID(tok), Survey: env.srv.Instrument.ID, Status: survey.StatusNew, SealedToken: sealer.Seal(tok),
					Frame: frames[i], CreatedAt: env.now, UpdatedAt: env.now}
			}
			if err := env.store.InsertCases(ctx, "bench", cases); err != nil {
				b.Fatal(err)
			}
			staff := env.addUser("staff@example.org", account.RoleStaff)
			cookie, _ := env.loginPage("staff@example.org")
			for i, kind := range []string{waves.KindInvitation, waves.KindReminder} {
				d := waves.Defaults(kind)
				w := &waves.Wave{ID: fmt.Sprintf("w%d", i), Survey: env.srv.Instrument.ID, Kind: kind, Subject: d.Subject, Text: d.Text, HTML: d.HTML,
					Status: waves.StatusScheduled, ScheduledAt: env.now}
				if err := env.store.InsertWave(ctx, w); err != nil {
					b.Fatal(err)
				}
				if kind == waves.KindInvitation { // sent before, all at once
					ds := make([]outbox.Delivery, len(cases))
					for j := range cases {
						ds[j] = outbox.Delivery{Case: cases[j].ID, Status: waves.EntrySent, At: env.now}
					}
					if err := outbox.Record(ctx, env.store, w, ds, env.now, 4); err != nil {
						b.Fatal(err)
					}
				}
			}
			k := newSink(b, time.Now)
			m, err := mailer.New(env.store, env.srv.Instrument, testSecret, "https://survey.example",
				config.SMTP{Host: "127.0.0.1", Port: k.Port(), From: "s@canvass.example", TLS: "none", Rate: rate},
				slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				b.Fatal(err)
			}
			began := time.Now()
			m.Now = func() time.Time { return env.now.Add(time.Since(began)) } // the real clock, inside the field period

			sending, views := make(chan struct{}), make(chan []time.Duration)
			go func() {
				var took []time.Duration
				for i := 0; ; i++ {
					select {
					case <-sending:
						views <- took
						return
					case <-time.After(100 * time.Millisecond):
					}
					start := time.Now()
					var res *http.Response
					var body string
					if i%2 == 0 {
						res, body = env.doAs(staff.key, "GET", "/api/v1/waves", "", "")
					} else {
						res, body = env.withCookie(cookie, "", "GET", "/admin/waves", "", "")
					}
					took = append(took, time.Since(start))
					if res.StatusCode != 200 {
						b.Errorf("view: %d %.300s", res.StatusCode, body)
					}
				}
			}()
			b.ResetTimer()
			if err := m.Work(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			close(sending)
			took := <-views
			got := k.Received()
			if len(got) != b.N {
				b.Fatalf("%d messages, want %d", len(got), b.N)
			}
			if b.N > 1 {
				b.ReportMetric(float64(b.N-1)/got[b.N-1].At.Sub(got[0].At).Seconds(), "msgs/s")
			}
			if len(took) > 0 {
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms/view-p50")
				b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "ms/view-p99")
			}
		})
	}
}
