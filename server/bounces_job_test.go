package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/server/bounces"
	"github.com/canvass-survey/canvass/server/bounces/dovecottest"
	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/server/mailer"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/token"
)

// The bounce mailbox as `canvass serve` wires it: the configuration read
// from CANVASS_BOUNCE_* and CANVASS_SMTP_VERP reaches the poll startJobs
// schedules, which reads real delivery-status notifications from Dovecot
// and marks their cases bounced — one found by the VERP address it came
// back to, one by the Message-ID it quotes — and the wave counts them; the
// Waves page shows when the mailbox was last read. With Dovecot down, the
// page says the mailbox cannot be read, and a notification that arrived
// meanwhile is read once it is back.
func TestBounceMailboxJob(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(3)
	d := dovecottest.Start(t)
	vars := map[string]string{
		"CANVASS_SECRET": string(testSecret), "CANVASS_DATA_DIR": t.TempDir(), "CANVASS_NIGHTLY": "off",
		"CANVASS_SMTP_HOST": "127.0.0.1", "CANVASS_SMTP_PORT": strconv.Itoa(env.sink.Port()), "CANVASS_SMTP_TLS": "none",
		"CANVASS_SMTP_FROM": "Survey Team <survey@canvass.example>", "CANVASS_SMTP_VERP": "bounces@canvass.example", "CANVASS_MAIL_RATE": "1000",
		"CANVASS_BOUNCE_IMAP_HOST": d.Config.Host, "CANVASS_BOUNCE_IMAP_PORT": strconv.Itoa(d.Config.Port), "CANVASS_BOUNCE_IMAP_TLS": "none",
		"CANVASS_BOUNCE_IMAP_USER": d.Config.User, "CANVASS_BOUNCE_IMAP_PASSWORD": d.Config.Password,
		"CANVASS_BOUNCE_IMAP_MOVE_TO": "Processed", "CANVASS_BOUNCE_POLL": "1s",
	}
	cfg, _, err := config.Load(func(name string) string { return vars[name] })
	if err != nil {
		t.Fatal(err)
	}
	env.srv.bounceMailbox = cfg.Bounces.Mailbox() // as Run passes it, Options.BounceMailbox

	// The wave goes out as the service's mailer sends it, with VERP.
	w := env.createWave(`{"kind": "invitation"}`)
	m, err := mailer.New(env.store, env.srv.Instrument, cfg.Secret, env.srv.BaseURL, cfg.SMTP, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m.Now, m.Sleep = env.clock.Now, env.clock.Sleep
	env.work(m)
	sent := map[string]struct{ returnPath, messageID string }{}
	for _, msg := range env.sink.Received() {
		sent[msg.To] = struct{ returnPath, messageID string }{msg.From, strings.Trim(parse(t, msg.Data).Header.Get("Message-ID"), "<>")}
	}
	if s := env.summary(w.ID); s.Sent != 3 || len(sent) != 3 {
		t.Fatalf("sent %+v to %v", s.Counts, sent)
	}
	caseID := func(email string) string { return token.NewHasher(testSecret).CaseID(tokens[email]) }
	byVERP, byMessageID, kept := caseID("person00@city.example"), caseID("person01@city.example"), caseID("person02@city.example")

	stopJobs, err := startJobs(env.store, env.srv.Results, env.srv.Fieldwork, cfg, env.srv.Logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopJobs) // before Dovecot stops and the store closes
	started := time.Now().UTC()

	// A relay's bounce to the VERP address of person00's message: its
	// quoted headers name no message of ours.
	d.Deliver(t, dovecottest.Sample(t, "postfix-bounce.eml", "To: survey@canvass.example", "To: "+sent["person00@city.example"].returnPath))
	waitFor(t, "the bounce through VERP recorded", func() (bool, string) {
		c, err := env.store.Case(context.Background(), byVERP)
		s := env.summary(w.ID)
		return err == nil && c.Bounced() && c.Mark != nil && c.Mark.By == bounces.System.Email && s.Bounced == 1 && s.Sent == 2,
			fmt.Sprintf("case %+v (%v), wave %+v", c, err, s.Counts)
	})
	cookie, _ := env.loginPage(env.staff.user.Email)
	page := func() string {
		res, body := env.withCookie(cookie, "", "GET", "/admin/waves", "", "")
		wantStatus(t, res, body, 200)
		if i := strings.Index(body, `<section aria-labelledby="bounces-title">`); i >= 0 {
			return body[i : i+strings.Index(body[i:], "</section>")]
		}
		t.Fatalf("the Waves page has no bounce mailbox: %s", body)
		return ""
	}
	lastRead := regexp.MustCompile(`Bounce mailbox <strong>` + regexp.QuoteMeta(cfg.Bounces.Mailbox()) + `</strong>: last read at (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\.`)
	section := page()
	if m := lastRead.FindStringSubmatch(section); m == nil {
		t.Errorf("the Waves page does not show the last poll: %s", section)
	} else if at, _ := time.Parse("2006-01-02 15:04", m[1]); at.Before(started.Truncate(time.Minute)) || at.After(time.Now()) {
		t.Errorf("last read at %s, the job started at %s", m[1], started)
	}
	if !strings.Contains(section, "Found so far: 1 bounced,") {
		t.Errorf("the Waves page does not count the bounce: %s", section)
	}

	// Dovecot goes down; a bounce quoting person01's Message-ID arrives
	// in the maildir meanwhile.
	d.Stop(t)
	d.DeliverToMaildir(t, dovecottest.Sample(t, "postfix-bounce.eml", "0f3c5a3b9d8e4f1a2b6c7d8e9f0a1b2c@canvass.example", sent["person01@city.example"].messageID))
	var poll *store.Poll
	waitFor(t, "a poll that found Dovecot down", func() (bool, string) { // not one it cut short as it stopped
		poll, err = env.store.Poll(context.Background(), bounces.Job)
		return err == nil && strings.Contains(poll.LastError, "connecting to "+d.Addr()), fmt.Sprintf("poll %+v (%v)", poll, err)
	})
	section = page()
	for _, want := range []string{"The bounce mailbox " + cfg.Bounces.Mailbox() + " could not be read", "connecting to " + d.Addr(),
		"It is tried again at every poll; nothing in it is lost meanwhile.", "Last read well at " + poll.LastOK.Format("2006-01-02 15:04 MST")} {
		if !strings.Contains(section, want) {
			t.Errorf("the Waves page, with the mailbox down, does not say %q: %s", want, section)
		}
	}
	if c, err := env.store.Case(context.Background(), byMessageID); err != nil || c.Bounced() {
		t.Errorf("bounced while the mailbox was down: %+v (%v)", c, err)
	}

	// Back up: the next poll reads what arrived meanwhile.
	d.Restart(t)
	waitFor(t, "the bounce that arrived while Dovecot was down recorded", func() (bool, string) {
		c, err := env.store.Case(context.Background(), byMessageID)
		s := env.summary(w.ID)
		p, perr := env.store.Poll(context.Background(), bounces.Job)
		return err == nil && perr == nil && c.Bounced() && s.Bounced == 2 && s.Sent == 1 && p.LastError == "",
			fmt.Sprintf("case %+v (%v), wave %+v, poll %+v (%v)", c, err, s.Counts, p, perr)
	})
	if c, err := env.store.Case(context.Background(), kept); err != nil || c.Bounced() || len(c.Contacts) != 1 {
		t.Errorf("a case no notification names: %+v (%v)", c, err)
	}
	section = page()
	if strings.Contains(section, "could not be read") || !lastRead.MatchString(section) || !strings.Contains(section, "Found so far: 2 bounced,") {
		t.Errorf("the Waves page once the mailbox is back: %s", section)
	}
}

// waitFor checks cond every 100ms until it holds, for at most 30 seconds,
// then fails the test with what cond last said.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
	}
	t.Fatalf("waited 30s for %s: %s", what, last)
}
