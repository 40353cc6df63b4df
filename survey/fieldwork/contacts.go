package fieldwork

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/outbox"
	"github.com/canvass-survey/canvass/survey/waves"
)

// The contact log: attempts staff log, messages that may have gone out
// and staff resolve, what delivery-status notifications say, and the
// do-not-contact list.

// Attempt is a contact attempt staff log: mode phone, letter or other, its
// outcome (survey.Outcome*), a note, and when — "" for now, RFC 3339, or
// YYYY-MM-DDTHH:MM in the survey's time zone.
type Attempt struct {
	Mode    string `json:"mode"`
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
	At      string `json:"at"`
}

var (
	modes    = []string{survey.ModePhone, survey.ModeLetter, survey.ModeOther}
	outcomes = []string{survey.OutcomeReached, survey.OutcomeLeftMessage, survey.OutcomeNoAnswer, survey.OutcomeSent, survey.OutcomeUndeliverable}
)

// Modes and Outcomes are what staff may log, in the order forms offer them.
func Modes() []string    { return modes }
func Outcomes() []string { return outcomes }

// clockSkew is how far ahead of the service's clock a logged time may be:
// a client's clock a little fast is not logging the future.
const clockSkew = time.Minute

// check validates an attempt at now and returns the contact it logs.
func (a Attempt) check(by account.Actor, now time.Time, loc *time.Location) (*survey.Contact, error) {
	fields := map[string]string{}
	if !oneOf(a.Mode, modes) {
		fields["mode"] = "want " + strings.Join(modes, ", ") + " (a wave's emails are logged by the mailer)"
	}
	if !oneOf(a.Outcome, outcomes) {
		fields["outcome"] = "want " + strings.Join(outcomes, ", ")
	}
	if checkNote(a.Note) != nil {
		fields["note"] = "at most 1,000 characters"
	}
	at := now
	if s := strings.TrimSpace(a.At); s != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
		if err != nil {
			t, err = time.Parse(time.RFC3339, s)
		}
		switch {
		case err != nil:
			fields["at"] = "want YYYY-MM-DDTHH:MM in the survey's time zone (" + loc.String() + "), or RFC 3339; empty for now"
		case t.After(now.Add(clockSkew)):
			fields["at"] = t.In(loc).Format("2006-01-02 15:04") + " is in the future: log an attempt once it is made"
		}
		at = t.UTC()
	}
	if len(fields) > 0 {
		return nil, survey.FieldErrors("The contact attempt is not valid", fields)
	}
	return &survey.Contact{Mode: a.Mode, Status: a.Outcome, Note: a.Note, At: at, By: by.Email}, nil
}

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// LogContact adds an attempt staff made to the case's contact log. One
// that reached the person counts the case as contacted in the AAPOR rates,
// and any attempt counts as a contact for a reminder's "days since the
// last contact".
func (s *Service) LogContact(ctx context.Context, by account.Actor, id string, a Attempt) (*survey.Case, error) {
	now := s.Now().UTC()
	ct, err := a.check(by, now, s.Instrument.FieldPeriod.Location())
	if err != nil {
		return nil, err
	}
	c, err := s.Store.UpdateCase(ctx, id, func(*survey.Case) (*survey.Change, error) {
		return &survey.Change{Contact: ct, At: now}, nil
	})
	if err != nil {
		return nil, err
	}
	s.audit(ctx, by, "case.contact", "", id, map[string]string{"mode": ct.Mode, "outcome": ct.Status})
	return c, nil
}

// Resolve settles the message to the case that may or may not have gone
// out: delivered or not, as staff found in the mail server's log. The case
// may then be mailed again; its outbox entry counts as sent or failed.
func (s *Service) Resolve(ctx context.Context, by account.Actor, id string, delivered bool, note string) (*survey.Case, error) {
	if err := checkNote(note); err != nil {
		return nil, err
	}
	now, status := s.Now().UTC(), survey.ContactFailed
	if delivered {
		status = survey.ContactSent
	}
	var wave string
	var sentAt time.Time
	c, err := s.Store.UpdateCase(ctx, id, func(cur *survey.Case) (*survey.Change, error) {
		if wave = cur.Uncertain(); wave == "" {
			return nil, survey.Errorf(survey.ECONFLICT, "The case has no message to resolve.")
		}
		for _, ct := range cur.Contacts {
			if ct.Wave == wave && ct.Status == survey.ContactUncertain {
				sentAt = ct.At
			}
		}
		return &survey.Change{Resolve: &survey.Contact{Wave: wave, Status: status, Note: note, By: by.Email},
			Event: &survey.Event{At: now, By: by.Email, What: "resolve", Code: status, Note: note}, At: now}, nil
	})
	if err != nil {
		return nil, err
	}
	// The case first: after a failure here the entry still says
	// uncertain, and resolving again only settles the entry.
	if err := s.settleEntry(ctx, waves.OutboxID(wave, id), status, "resolved by "+by.Email, sentAt); err != nil {
		return nil, err
	}
	s.audit(ctx, by, "case.resolve", wave, id, map[string]string{"status": status})
	return c, nil
}

// settleEntry gives a final outbox entry another final status (a message
// resolved, a late bounce). The mailer never writes a final entry again, so
// nobody else writes it meanwhile. An entry that does not exist (a field
// period recorded without the outbox) is nothing to settle.
func (s *Service) settleEntry(ctx context.Context, id, status, why string, sentAt time.Time) error {
	e, err := s.Store.Entry(ctx, id)
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	from := e.Status
	e.Status, e.LastError, e.UpdatedAt = status, why, s.Wall().UTC()
	if status == waves.EntrySent && e.SentAt == nil {
		e.SentAt = &sentAt
	}
	return outbox.Resettle(ctx, s.Store, e, from)
}

// caseOf finds a case by its id, or by its email when who has an @.
func (s *Service) caseOf(ctx context.Context, who string) (*survey.Case, error) {
	who = strings.TrimSpace(who)
	if strings.Contains(who, "@") {
		c, err := s.Store.CaseByEmail(ctx, s.Instrument.ID, strings.ToLower(who))
		if survey.ErrorCode(err) == survey.ENOTFOUND {
			return nil, survey.Errorf(survey.ENOTFOUND, "No case of this survey has the email %s.", who)
		}
		return c, err
	}
	return s.Store.Case(ctx, who)
}

// DoNotContact puts the case — named by its id or its email — on the
// survey's do-not-contact list (on), or takes it off: while on it, no wave
// mails the person, whatever its kind or rules. It changes no rate.
func (s *Service) DoNotContact(ctx context.Context, by account.Actor, who string, on bool, note string) (*survey.Case, error) {
	if err := checkNote(note); err != nil {
		return nil, err
	}
	found, err := s.caseOf(ctx, who)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	c, err := s.Store.UpdateCase(ctx, found.ID, func(cur *survey.Case) (*survey.Change, error) {
		switch {
		case on && cur.DoNotContact != nil:
			return nil, survey.Errorf(survey.ECONFLICT, "The case is on the do-not-contact list already.")
		case !on && cur.DoNotContact == nil:
			return nil, survey.Errorf(survey.ECONFLICT, "The case is not on the do-not-contact list.")
		case on:
			return &survey.Change{DoNotContact: &survey.Flag{At: now, By: by.Email, Note: note},
				Event: &survey.Event{At: now, By: by.Email, What: "do_not_contact", Note: note}, At: now}, nil
		}
		return &survey.Change{ClearDoNotContact: true, Event: &survey.Event{At: now, By: by.Email, What: "contact_again", Note: note}, At: now}, nil
	})
	if err != nil {
		return nil, err
	}
	action := "case.do_not_contact"
	if !on {
		action = "case.contact_again"
	}
	s.audit(ctx, by, action, "", c.ID, nil)
	return c, nil
}

// Notice is what a delivery-status notification says of one message of a
// wave: its outbox entry, survey.ContactBounced (refused for good),
// ContactFailed (given up after delays) or ContactDelayed, why, and when.
type Notice struct {
	Entry  string
	Status string
	Why    string
	At     time.Time
}

// errRecorded is a notice read before: the case has it already.
var errRecorded = errors.New("the notice is recorded already")

// RecordNotice records a delivery-status notification in the case's contact
// log, and reports whether it changed anything: a notice read again (the
// mailbox could not be told it was read) changes nothing. A bounce also
// marks the case bounced, as staff would, unless staff marked it otherwise,
// and counts its outbox entry as bounced; a delay is only recorded. A
// notice whose entry does not exist is ENOTFOUND.
func (s *Service) RecordNotice(ctx context.Context, by account.Actor, n Notice) (bool, error) {
	e, err := s.Store.Entry(ctx, n.Entry)
	if err != nil {
		return false, err
	}
	w, err := s.Store.Wave(ctx, e.Wave)
	if err != nil {
		return false, err
	}
	now, marked := s.Now().UTC(), false
	_, err = s.Store.UpdateCase(ctx, e.Case, func(cur *survey.Case) (*survey.Change, error) {
		for _, ct := range cur.Contacts {
			if ct.Wave == w.ID && ct.Status == n.Status && ct.At.Equal(n.At) {
				return nil, errRecorded
			}
		}
		ch := &survey.Change{At: now}
		if marked = n.Status == survey.ContactBounced && cur.Mark == nil; marked {
			ch, _ = markChange(by, string(aapor.Bounced), "delivery-status notification: "+n.Why, now)
		}
		ch.Contact = &survey.Contact{Wave: w.ID, Kind: w.Kind, Mode: survey.ModeEmail, Status: n.Status, At: n.At, Error: n.Why, By: by.Email}
		return ch, nil
	})
	if errors.Is(err, errRecorded) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if n.Status == survey.ContactBounced {
		if err := s.settleEntry(ctx, e.ID, waves.EntryBounced, n.Why, n.At); err != nil {
			return true, err
		}
	}
	action, detail := "case.delivery_notice", map[string]string{"status": n.Status, "wave": w.ID}
	if marked {
		action, detail["code"] = "case.mark", string(aapor.Bounced)
	}
	s.audit(ctx, by, action, "", e.Case, detail)
	return true, nil
}
