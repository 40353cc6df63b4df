package mailer

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/waves"
)

// The mailer's store work on its own, without a mail server: starting a
// wave and settling messages a stop interrupted. Sending over SMTP is
// tested end to end with a real SMTP server in the server package.

var (
	now    = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
	secret = []byte("a-test-secret-of-at-least-32-characters")
)

func newMailer(t *testing.T) (*Mailer, *store.Store) {
	t.Helper()
	st := storetest.MustOpen(t)
	m, err := New(st, instrument.Default(), secret, "https://survey.example",
		config.SMTP{Host: "127.0.0.1", Port: 2525, From: "Survey Team <survey@canvass.example>", TLS: "none", Rate: 100}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	m.Now = func() time.Time { return now }
	return m, st
}

func addCase(t *testing.T, st *store.Store, id, status string, contacts ...survey.Contact) {
	t.Helper()
	c := &survey.Case{ID: id, Survey: instrument.Default().ID, Status: status, Contacts: contacts,
		Frame: survey.Frame{Email: id + "@city.example", Name: "Pat " + id}, CreatedAt: now, UpdatedAt: now}
	if err := st.InsertCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func addWave(t *testing.T, st *store.Store, id, status string) *waves.Wave {
	t.Helper()
	w := &waves.Wave{ID: id, Survey: instrument.Default().ID, Kind: waves.KindInvitation, Status: status, ScheduledAt: now, CreatedAt: now}
	if err := st.InsertWave(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

// Starting a wave queues one message per case it selects, once: starting
// it again after a crash adds none; a wave cancelled meanwhile stays so.
func TestStartWave(t *testing.T) {
	ctx := context.Background()
	m, st := newMailer(t)
	addCase(t, st, "a", survey.StatusNew)
	addCase(t, st, "b", survey.StatusStarted)
	addCase(t, st, "done", survey.StatusSubmitted)
	w := addWave(t, st, "w1", waves.StatusScheduled)

	started, err := m.StartWave(ctx, w)
	if err != nil || started.Status != waves.StatusSending || started.StartedAt == nil {
		t.Fatalf("started %+v, %v", started, err)
	}
	if got := inStatus(t, st, "w1", waves.EntryPending); len(got) != 2 || started.Tally.Queued != 2 || started.Tally.Pending != 2 {
		t.Fatalf("%d pending entries, counts %+v; want 2 (not the submitted case)", len(got), started.Tally)
	}
	// Started again after a crash, as the wave was left scheduled: no entry
	// is added twice, nor counted twice.
	if _, err := st.UpdateWave(ctx, "w1", func(w *waves.Wave) error { w.Status = waves.StatusScheduled; return nil }); err != nil {
		t.Fatal(err)
	}
	addCase(t, st, "c", survey.StatusNew) // new since the first try
	again, err := m.StartWave(ctx, w)
	if got := inStatus(t, st, "w1", waves.EntryPending); err != nil || len(got) != 3 || again.Tally.Queued != 3 || again.Tally.Pending != 3 {
		t.Errorf("after starting again: %d pending entries, counts %+v, %v; want 3", len(got), again.Tally, err)
	}

	cancelled := addWave(t, st, "w2", waves.StatusCancelled)
	if got, err := m.StartWave(ctx, cancelled); err != nil || got.Status != waves.StatusCancelled {
		t.Errorf("a cancelled wave: %+v, %v", got, err)
	}
}

// A message found "sending" after a stop is settled from the case's
// contact history where it shows the answer, and otherwise counted
// uncertain with its Message-ID, never sent again by itself.
func TestRecover(t *testing.T) {
	ctx := context.Background()
	m, st := newMailer(t)
	addCase(t, st, "sent", survey.StatusNew, survey.Contact{Wave: "w1", Kind: waves.KindInvitation, Status: survey.ContactSent, At: now})
	addCase(t, st, "unknown", survey.StatusNew)
	addWave(t, st, "w1", waves.StatusSending)
	var entries []waves.Entry
	for _, c := range []string{"sent", "unknown"} {
		entries = append(entries, waves.Entry{ID: waves.OutboxID("w1", c), Wave: "w1", Case: c, Status: waves.EntrySending, UpdatedAt: now})
	}
	if _, err := st.FillOutbox(ctx, entries); err != nil {
		t.Fatal(err)
	}
	// The wave's counts are what a stop left: the two entries still pending.
	if _, err := st.UpdateWave(ctx, "w1", func(w *waves.Wave) error {
		w.Tally = waves.Counts{Queued: 2, Pending: 2}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := m.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	sent, uncertain := inStatus(t, st, "w1", waves.EntrySent), inStatus(t, st, "w1", waves.EntryUncertain)
	if len(sent) != 1 || sent[0].Case != "sent" || sent[0].SentAt == nil {
		t.Errorf("settled as sent: %+v", sent)
	}
	if len(uncertain) != 1 || uncertain[0].Case != "unknown" || !strings.Contains(uncertain[0].LastError, "Message-ID <"+waves.MessageID(uncertain[0].ID, "canvass.example")+">") {
		t.Errorf("uncertain: %+v", uncertain)
	}
	if stuck := inStatus(t, st, "w1", waves.EntrySending); len(stuck) != 0 {
		t.Errorf("%d still sending", len(stuck))
	}
	if w, _ := st.Wave(ctx, "w1"); !w.Tally.Same(waves.Counts{Queued: 2, Sent: 1, Uncertain: 1, FirstSentAt: &now}) {
		t.Errorf("counts %+v: want them recounted from the entries", w.Tally)
	}
}

// inStatus lists a wave's outbox entries in a status.
func inStatus(t *testing.T, st *store.Store, waveID, status string) []waves.Entry {
	t.Helper()
	all, err := st.Outbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(e waves.Entry) bool { return e.Wave != waveID || e.Status != status })
}

func TestNewRefusesBadSender(t *testing.T) {
	_, err := New(storetest.MustOpen(t), instrument.Default(), secret, "https://survey.example",
		config.SMTP{Host: "127.0.0.1", Port: 2525, From: "not an address", TLS: "none", Rate: 1}, quiet)
	if err == nil || !strings.Contains(err.Error(), "CANVASS_SMTP_FROM") {
		t.Errorf("got %v, want the sender named", err)
	}
}

// Without a mail server nothing runs, and stopping is harmless.
func TestStartWithoutMailServer(t *testing.T) {
	m, stop, err := Start(storetest.MustOpen(t), instrument.Default(), config.Config{}, "https://survey.example", quiet, nil)
	if err != nil || m != nil {
		t.Fatal(m, err)
	}
	stop()
}
