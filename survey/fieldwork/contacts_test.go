package fieldwork

import (
	"context"
	"errors"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/waves"
)

// importN imports n cases and returns their ids.
func importN(t *testing.T, s *Service, n int) []string {
	t.Helper()
	imported, err := s.ImportFrame(context.Background(), staff, strings.NewReader(frameCSV(t, n, 1)))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, c := range imported {
		ids[i] = c.ID
	}
	return ids
}

// sent records a wave's message to each case as the mailer leaves it: the
// entry in the outbox and the contact on the case, with status.
func sent(t *testing.T, s *Service, st *store.Store, waveID, kind, status string, ids ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Wave(ctx, waveID); err != nil {
		if err := st.InsertWave(ctx, &waves.Wave{ID: waveID, Survey: s.Instrument.ID, Kind: kind, Status: waves.StatusDone}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		e := waves.Entry{ID: waves.OutboxID(waveID, id), Wave: waveID, Case: id, Status: status}
		if _, err := st.FillOutbox(ctx, []waves.Entry{e}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UpdateCase(ctx, id, func(*survey.Case) (*survey.Change, error) {
			return &survey.Change{At: inField, Contact: &survey.Contact{Wave: waveID, Kind: kind, Mode: survey.ModeEmail, Status: status, At: inField}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLogContact(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	id := importN(t, s, 1)[0]
	t.Run("OK", func(t *testing.T) {
		c, err := s.LogContact(ctx, staff, id, Attempt{Mode: survey.ModePhone, Outcome: survey.OutcomeReached, Note: "will answer this week", At: "2026-06-01T07:30"})
		if err != nil || len(c.Contacts) != 1 {
			t.Fatalf("%+v %v", c, err)
		}
		got := c.Contacts[0]
		// 07:30 in the default survey's zone (Phoenix, UTC-7) is 14:30 UTC.
		if got.Mode != survey.ModePhone || got.Status != survey.OutcomeReached || got.By != staff.Email || !got.At.Equal(time.Date(2026, 6, 1, 14, 30, 0, 0, time.UTC)) {
			t.Errorf("contact %+v", got)
		}
		if code := aapor.DefaultThresholds.Code(aapor.FactsOf(c, s.Instrument)); code != aapor.R {
			t.Errorf("a reached case is %s, want R (contacted)", code)
		}
		if a := lastAudit(t, st); a.Action != "case.contact" || a.CaseID != id || a.Detail["outcome"] != survey.OutcomeReached {
			t.Errorf("audit %+v", a)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			a     Attempt
			field string
		}{
			{Attempt{Mode: "fax", Outcome: survey.OutcomeSent}, "mode"},
			{Attempt{Mode: survey.ModeEmail, Outcome: survey.OutcomeSent}, "mode"},
			{Attempt{Mode: survey.ModePhone, Outcome: "maybe"}, "outcome"},
			{Attempt{Mode: survey.ModePhone, Outcome: survey.OutcomeNoAnswer, At: inField.Add(2 * time.Minute).Format(time.RFC3339)}, "at"},
			{Attempt{Mode: survey.ModePhone, Outcome: survey.OutcomeNoAnswer, At: "yesterday"}, "at"},
			{Attempt{Mode: survey.ModeLetter, Outcome: survey.OutcomeSent, Note: strings.Repeat("x", 1001)}, "note"},
		} {
			_, err := s.LogContact(ctx, staff, id, tc.a)
			var e *survey.Error
			if !errors.As(err, &e) || e.Code != survey.EINVALID || e.Fields[tc.field] == "" {
				t.Errorf("%+v: got %v, want a 422 naming %s", tc.a, err, tc.field)
			}
		}
		if c, _ := st.Case(ctx, id); len(c.Contacts) != 1 {
			t.Errorf("refused attempts were logged: %+v", c.Contacts)
		}
	})
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	ids := importN(t, s, 3)
	sent(t, s, st, "w1", waves.KindInvitation, survey.ContactUncertain, ids[0], ids[1])
	// Left out of every later wave until resolved: the invitation and the
	// reminder select only the third case.
	for _, kind := range []string{waves.KindInvitation, waves.KindReminder} {
		if n, _, _ := s.selection(ctx, &waves.Wave{Kind: kind}); n != 1 {
			t.Errorf("a %s selects %d cases, want 1", kind, n)
		}
	}
	t.Run("ErrConflict", func(t *testing.T) {
		if _, err := s.Resolve(ctx, staff, ids[2], true, ""); survey.ErrorCode(err) != survey.ECONFLICT {
			t.Errorf("nothing to resolve: %v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		c, err := s.Resolve(ctx, staff, ids[0], true, "in the relay's log")
		if err != nil || c.Uncertain() != "" || c.Contacts[0].Status != survey.ContactSent || c.Contacts[0].By != staff.Email || !c.Invited() {
			t.Fatalf("%+v %v", c, err)
		}
		if e, _ := st.Entry(ctx, waves.OutboxID("w1", ids[0])); e.Status != waves.EntrySent || e.SentAt == nil {
			t.Errorf("entry %+v", e)
		}
		if c, err = s.Resolve(ctx, staff, ids[1], false, ""); err != nil || c.Contacts[0].Status != survey.ContactFailed || c.Invited() {
			t.Fatalf("%+v %v", c, err)
		}
		if e, _ := st.Entry(ctx, waves.OutboxID("w1", ids[1])); e.Status != waves.EntryFailed {
			t.Errorf("entry %+v", e)
		}
		if a := lastAudit(t, st); a.Action != "case.resolve" || a.CaseID != ids[1] || a.Detail["status"] != survey.ContactFailed {
			t.Errorf("audit %+v", a)
		}
		// Resolved: the not-delivered case is invited again, both are reminded.
		if n, _, _ := s.selection(ctx, &waves.Wave{Kind: waves.KindInvitation}); n != 2 {
			t.Errorf("an invitation selects %d, want 2", n)
		}
		if n, _, _ := s.selection(ctx, &waves.Wave{Kind: waves.KindReminder}); n != 3 {
			t.Errorf("a reminder selects %d, want 3", n)
		}
	})
}

func TestDoNotContact(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	ids := importN(t, s, 2)
	first, _ := st.Case(ctx, ids[0])
	t.Run("OK by email", func(t *testing.T) {
		c, err := s.DoNotContact(ctx, staff, strings.ToUpper(first.Frame.Email), true, "asked by phone")
		if err != nil || c.ID != ids[0] || c.DoNotContact == nil || c.DoNotContact.By != staff.Email {
			t.Fatalf("%+v %v", c, err)
		}
		if a := lastAudit(t, st); a.Action != "case.do_not_contact" || a.CaseID != ids[0] {
			t.Errorf("audit %+v", a)
		}
		for _, kind := range []string{waves.KindInvitation, waves.KindReminder} {
			if n, _, _ := s.selection(ctx, &waves.Wave{Kind: kind}); n != 1 {
				t.Errorf("a %s selects %d, want 1", kind, n)
			}
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		if _, err := s.DoNotContact(ctx, staff, ids[0], true, ""); survey.ErrorCode(err) != survey.ECONFLICT {
			t.Errorf("twice: %v", err)
		}
		if _, err := s.DoNotContact(ctx, staff, ids[1], false, ""); survey.ErrorCode(err) != survey.ECONFLICT {
			t.Errorf("not listed: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.DoNotContact(ctx, staff, "nobody@example.org", true, ""); survey.ErrorCode(err) != survey.ENOTFOUND {
			t.Errorf("unknown email: %v", err)
		}
	})
	t.Run("OK off by case", func(t *testing.T) {
		c, err := s.DoNotContact(ctx, staff, ids[0], false, "")
		if err != nil || c.DoNotContact != nil || len(c.History) != 2 {
			t.Fatalf("%+v %v", c, err)
		}
		if a := lastAudit(t, st); a.Action != "case.contact_again" {
			t.Errorf("audit %+v", a)
		}
	})
}

func TestRecordNotice(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	ids := importN(t, s, 3)
	sent(t, s, st, "w1", waves.KindInvitation, survey.ContactSent, ids...)
	system := account.Actor{Email: "system", Role: "system"}
	at := inField.Add(time.Hour)
	if _, err := s.Mark(ctx, staff, ids[2], "unavailable", ""); err != nil {
		t.Fatal(err)
	}
	t.Run("OK bounce", func(t *testing.T) {
		n := Notice{Entry: waves.OutboxID("w1", ids[0]), Status: survey.ContactBounced, Why: "5.1.1 user unknown", At: at}
		if changed, err := s.RecordNotice(ctx, system, n); err != nil || !changed {
			t.Fatalf("%v %v", changed, err)
		}
		c, _ := st.Case(ctx, ids[0])
		if !c.Bounced() || c.Mark == nil || c.Mark.Code != "bounced" || c.Mark.By != "system" || len(c.Contacts) != 2 || c.Contacts[1].Error != n.Why {
			t.Errorf("case %+v", c)
		}
		if e, _ := st.Entry(ctx, n.Entry); e.Status != waves.EntryBounced {
			t.Errorf("entry %+v", e)
		}
		if a := lastAudit(t, st); a.Action != "case.mark" || a.Actor != "system" || a.Detail["code"] != "bounced" {
			t.Errorf("audit %+v", a)
		}
		// Read again: nothing changes.
		if changed, err := s.RecordNotice(ctx, system, n); err != nil || changed {
			t.Errorf("again: %v %v", changed, err)
		}
		if c, _ := st.Case(ctx, ids[0]); len(c.Contacts) != 2 {
			t.Errorf("recorded twice: %+v", c.Contacts)
		}
	})
	t.Run("OK delay", func(t *testing.T) {
		n := Notice{Entry: waves.OutboxID("w1", ids[1]), Status: survey.ContactDelayed, Why: "4.4.1 no answer from host", At: at}
		if changed, err := s.RecordNotice(ctx, system, n); err != nil || !changed {
			t.Fatalf("%v %v", changed, err)
		}
		c, _ := st.Case(ctx, ids[1])
		if c.Bounced() || c.Mark != nil || c.Contacts[1].Status != survey.ContactDelayed {
			t.Errorf("case %+v", c)
		}
		if e, _ := st.Entry(ctx, n.Entry); e.Status != waves.EntrySent {
			t.Errorf("entry %+v", e)
		}
	})
	t.Run("OK a staff mark stays", func(t *testing.T) {
		n := Notice{Entry: waves.OutboxID("w1", ids[2]), Status: survey.ContactBounced, Why: "5.1.1", At: at}
		if _, err := s.RecordNotice(ctx, system, n); err != nil {
			t.Fatal(err)
		}
		if c, _ := st.Case(ctx, ids[2]); c.Mark.Code != "unavailable" || !c.Bounced() {
			t.Errorf("case %+v", c)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.RecordNotice(ctx, system, Notice{Entry: "w9:nobody", Status: survey.ContactBounced, At: at}); survey.ErrorCode(err) != survey.ENOTFOUND {
			t.Errorf("got %v", err)
		}
	})
}

func TestMarkRefused(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	id := importN(t, s, 1)[0]
	c, err := s.Mark(ctx, staff, id, "refused", "said no on the phone")
	if err != nil || aapor.DefaultThresholds.Code(aapor.FactsOf(c, s.Instrument)) != aapor.R {
		t.Fatalf("%+v %v", c, err)
	}
	if n, _, _ := s.selection(ctx, &waves.Wave{Kind: waves.KindReminder}); n != 0 {
		t.Errorf("a refused case is reminded")
	}
}

// sink keeps what a test send hands to the mail server.
type sink struct {
	to  []netmail.Address
	msg []waves.Message
}

func (k *sink) SendTest(_ context.Context, to netmail.Address, m waves.Message) error {
	k.to, k.msg = append(k.to, to), append(k.msg, m)
	return nil
}

func TestSendTest(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	ids := importN(t, s, 2)
	t.Run("ErrNoMailServer", func(t *testing.T) {
		if _, err := s.SendTest(ctx, staff, waves.Draft{Kind: waves.KindInvitation}, "https://survey.example"); err != ErrNoMailServer {
			t.Errorf("got %v", err)
		}
	})
	k := &sink{}
	s.Sender = k
	t.Run("OK draft and stored wave", func(t *testing.T) {
		p, err := s.SendTest(ctx, staff, waves.Draft{Kind: waves.KindInvitation}, "https://survey.example")
		if err != nil || p.To != staff.Email {
			t.Fatalf("%+v %v", p, err)
		}
		if _, err := s.CreateWave(ctx, staff, waves.Draft{Kind: waves.KindReminder, ScheduledAt: "now"}, "w1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SendTestOf(ctx, staff, "w1", "https://survey.example"); err != nil {
			t.Fatal(err)
		}
		if len(k.to) != 2 || k.to[0].Address != staff.Email || !strings.HasPrefix(k.msg[1].Subject, "[Test] ") ||
			!strings.Contains(k.msg[0].Text, "https://survey.example/s/"+waves.PreviewToken) {
			t.Errorf("sent %+v %+v", k.to, k.msg)
		}
		if a := lastAudit(t, st); a.Action != "wave.test" || a.Detail["to"] != staff.Email {
			t.Errorf("audit %+v", a)
		}
		// Counted nowhere: no case has a contact, the wave's outbox is empty.
		for _, id := range ids {
			if c, _ := st.Case(ctx, id); len(c.Contacts) != 0 {
				t.Errorf("case %s has contacts %+v", id, c.Contacts)
			}
		}
		if left, _ := st.Outbox(ctx); len(left) != 0 {
			t.Errorf("outbox %+v", left)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.SendTestOf(ctx, staff, "w9", "https://survey.example"); survey.ErrorCode(err) != survey.ENOTFOUND {
			t.Errorf("got %v", err)
		}
	})
}

func TestReminderRules(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	importN(t, s, 2)
	minus := -1
	_, err := s.CreateWave(ctx, staff, waves.Draft{Kind: waves.KindReminder, MaxReminders: &minus}, "w1")
	var e *survey.Error
	if !errors.As(err, &e) || e.Code != survey.EINVALID || e.Fields["max_reminders"] == "" {
		t.Errorf("a negative count: %v", err)
	}
	zero := 0
	w, err := s.CreateWave(ctx, staff, waves.Draft{Kind: waves.KindReminder, MaxReminders: &zero}, "w2")
	if err != nil || w.Selected != 0 {
		t.Errorf("at most 0 reminders selects %+v, %v", w, err)
	}
}
