package bounces

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/canvass-survey/canvass/server/bounces/dovecottest"
	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/fieldwork"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/token"
	"github.com/canvass-survey/canvass/survey/waves"
)

// folder lists a folder's messages by subject, with their flags.
func folder(t *testing.T, d *dovecottest.Server, name string) map[string][]imap.Flag {
	t.Helper()
	c := d.Client(t)
	mbox, err := c.Select(name, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]imap.Flag{}
	if mbox.NumMessages == 0 {
		return out
	}
	var all imap.SeqSet
	all.AddRange(1, mbox.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		out[m.Envelope.Subject] = m.Flags
	}
	return out
}

// field is a store with cases, each sent a message of a wave, and the
// fieldwork service that records what the bounce mailbox finds.
type field struct {
	st  *store.Store
	fw  *fieldwork.Service
	ids []string
}

var fieldTime = time.Date(2026, 9, 8, 16, 0, 0, 0, time.UTC)

func newField(t *testing.T, n int) *field {
	t.Helper()
	ctx := context.Background()
	st := storetest.MustOpen(t)
	in := instrument.Default()
	secret := []byte("a-test-secret-of-at-least-32-characters")
	clock := func() time.Time { return fieldTime.Add(time.Hour) }
	f := &field{st: st, fw: &fieldwork.Service{Store: st, Instrument: in, Hasher: token.NewHasher(secret), Sealer: token.NewSealer(secret),
		Now: clock, Wall: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	if err := st.InsertWave(ctx, &waves.Wave{ID: "w1", Survey: in.ID, Kind: waves.KindInvitation, Status: waves.StatusDone}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		c := &survey.Case{ID: fmt.Sprintf("case%d", i), Survey: in.ID, Status: survey.StatusNew,
			Frame:    survey.Frame{Email: fmt.Sprintf("p%d@city.example", i), Name: "P"},
			Contacts: []survey.Contact{{Wave: "w1", Kind: waves.KindInvitation, Mode: survey.ModeEmail, Status: survey.ContactSent, At: fieldTime}}}
		if err := st.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		sentAt := fieldTime
		e := waves.Entry{ID: waves.OutboxID("w1", c.ID), Wave: "w1", Case: c.ID, Status: waves.EntrySent, SentAt: &sentAt}
		if _, err := st.FillOutbox(ctx, []waves.Entry{e}); err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, c.ID)
	}
	return f
}

func (f *field) reader(cfg config.Bounces) *Reader {
	return &Reader{Config: cfg, VERP: "bounces@canvass.example", Store: f.st, Recorder: f.fw,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return fieldTime.Add(2 * time.Hour) }}
}

func messageID(caseID string) string {
	return waves.MessageID(waves.OutboxID("w1", caseID), "canvass.example")
}

// Realistic notifications in a real IMAP server: bounces matched by the
// Message-ID they quote (Postfix, Exchange) and by a VERP address, a delay,
// one that matches nothing and an auto-reply. Each case ends as the
// notification says, the recorded ones are moved out of the folder, the
// others stay flagged for a person, and reading again changes nothing.
func TestPollDovecot(t *testing.T) {
	ctx := context.Background()
	d := dovecottest.Start(t)
	f := newField(t, 5)
	d.Deliver(t, dovecottest.Sample(t, "postfix-bounce.eml", "0f3c5a3b9d8e4f1a2b6c7d8e9f0a1b2c@canvass.example", messageID(f.ids[0])))
	d.Deliver(t, dovecottest.Sample(t, "exchange-bounce.eml", "7e1d2c3b4a5968778695a4b3c2d1e0f9@canvass.example", messageID(f.ids[1])))
	d.Deliver(t, dovecottest.Sample(t, "postfix-delayed.eml", "5d4c3b2a19f8e7d6c5b4a39281706f5e@canvass.example", messageID(f.ids[2])))
	// Through VERP: the headers it quotes were rewritten on the way, but
	// the address it came back to names the message.
	d.Deliver(t, dovecottest.Sample(t, "postfix-bounce.eml", "0f3c5a3b9d8e4f1a2b6c7d8e9f0a1b2c@canvass.example", "rewritten@relay.example.org",
		"To: survey@canvass.example", "To: "+waves.ReturnPath("bounces@canvass.example", waves.OutboxID("w1", f.ids[3])),
		"Subject: Undelivered Mail", "Subject: VERP Undelivered Mail"))
	d.Deliver(t, dovecottest.Sample(t, "unmatched-bounce.eml", "Subject: Undelivered", "Subject: Unmatched Undelivered"))
	d.Deliver(t, dovecottest.Sample(t, "out-of-office.eml"))

	r := f.reader(d.Config)
	if err := r.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		status  string
		bounced bool
	}{{survey.ContactBounced, true}, {survey.ContactBounced, true}, {survey.ContactDelayed, false}, {survey.ContactBounced, true}, {survey.ContactSent, false}} {
		c, err := f.st.Case(ctx, f.ids[i])
		if err != nil {
			t.Fatal(err)
		}
		last := c.Contacts[len(c.Contacts)-1]
		if last.Status != want.status || c.Bounced() != want.bounced || (want.bounced && (c.Mark == nil || c.Mark.By != System.Email)) {
			t.Errorf("case %d: contacts %+v, mark %+v", i, c.Contacts, c.Mark)
		}
	}
	if c, _ := f.st.Case(ctx, f.ids[1]); !strings.Contains(c.Contacts[1].Error, "5.1.10") {
		t.Errorf("the Exchange bounce's reason: %+v", c.Contacts[1])
	}
	inbox, done := folder(t, d, "INBOX"), folder(t, d, "Processed")
	if len(done) != 4 || len(inbox) != 2 {
		t.Errorf("moved %v, left %v", done, inbox)
	}
	for subject, flags := range inbox {
		if !slices.Contains(flags, imap.FlagSeen) || !slices.Contains(flags, imap.FlagFlagged) {
			t.Errorf("%q left with flags %v, want read and flagged", subject, flags)
		}
	}
	for subject, flags := range done {
		if !slices.Contains(flags, imap.FlagSeen) || slices.Contains(flags, imap.FlagFlagged) {
			t.Errorf("%q moved with flags %v, want read", subject, flags)
		}
	}
	p, err := f.st.Poll(ctx, Job)
	if err != nil || p.LastError != "" || p.LastOK.IsZero() || p.Counts[survey.ContactBounced] != 3 || p.Counts[survey.ContactDelayed] != 1 || p.Counts["unmatched"] != 2 {
		t.Errorf("poll state %+v %v", p, err)
	}

	// A bounce read again — the mailbox was not told after the last
	// reading — is recorded once; nothing else is read again.
	d.Deliver(t, dovecottest.Sample(t, "postfix-bounce.eml", "0f3c5a3b9d8e4f1a2b6c7d8e9f0a1b2c@canvass.example", messageID(f.ids[0])))
	if err := r.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.st.Case(ctx, f.ids[0]); len(c.Contacts) != 2 {
		t.Errorf("read twice, recorded twice: %+v", c.Contacts)
	}
	if p, _ := f.st.Poll(ctx, Job); p.Counts["unmatched"] != 2 {
		t.Errorf("poll state after a second poll %+v", p)
	}
}

// A mailbox that cannot be reached fails the poll, says why in the store,
// and changes nothing; the next poll tries again.
func TestPollServerDown(t *testing.T) {
	ctx := context.Background()
	f := newField(t, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := f.reader(config.Bounces{Host: "127.0.0.1", Port: port, TLS: "none", User: "u", Password: "p", Folder: "INBOX"})
	if err := r.Poll(ctx); err == nil {
		t.Fatal("a poll of a closed port succeeded")
	}
	p, err := f.st.Poll(ctx, Job)
	if err != nil || !strings.Contains(p.LastError, "connecting to 127.0.0.1:"+strconv.Itoa(port)) || !p.LastOK.IsZero() || p.LastPoll.IsZero() {
		t.Errorf("poll state %+v %v", p, err)
	}
	if c, _ := f.st.Case(ctx, f.ids[0]); len(c.Contacts) != 1 || c.Bounced() {
		t.Errorf("case %+v", c)
	}
}
