package survey

import "time"

// Case statuses, as the respondent API reports them.
const (
	StatusNew       = "new"       // the link has not been used to answer yet
	StatusStarted   = "started"   // consent given; answers may be saved
	StatusSubmitted = "submitted" // final; the link accepts no changes
	StatusOptedOut  = "opted_out" // the person declined; final
)

// ReviewPage is the Page of a case sent on to the review page, after the last.
const ReviewPage = "review"

// Case is one sampled person: the frame fields, the answers and everything
// that happened to the case, in one document so that every respondent write
// is a single-document update. Its ID is the keyed hash of the personal
// token, so the token itself is never stored and a respondent's request can
// find the case by _id alone.
type Case struct {
	ID     string `bson:"_id"`
	Survey string `bson:"survey"`
	// Rev counts the case's updates; a process that shares the store with
	// others writes only if the case is still at the revision it read.
	Rev     int64          `bson:"rev"`
	Frame   Frame          `bson:"frame"`
	Status  string         `bson:"status"`
	Answers map[string]any `bson:"answers,omitempty"`
	// Page is the id of the page the respondent was sent to by their last
	// save, where the link resumes: a page's id, or ReviewPage.
	Page        string     `bson:"page,omitempty"`
	CreatedAt   time.Time  `bson:"created_at"`
	UpdatedAt   time.Time  `bson:"updated_at"`
	StartedAt   *time.Time `bson:"started_at,omitempty"`
	SubmittedAt *time.Time `bson:"submitted_at,omitempty"`
	// AnsweredAt is when the answers last changed; contacts and staff marks,
	// which also move UpdatedAt, leave it alone.
	AnsweredAt *time.Time `bson:"answered_at,omitempty"`
	OptedOutAt *time.Time `bson:"opted_out_at,omitempty"`
	Paradata   Paradata   `bson:"paradata"`

	// SealedToken is the personal token encrypted under a key from the
	// configuration, so reminder waves can carry the link again; the
	// database alone cannot open it.
	SealedToken string `bson:"sealed_token,omitempty"`
	// ImportID names the frame import that created the case, so a failed
	// import can be removed whole.
	ImportID string `bson:"import_id,omitempty"`
	// Contacts is the contact log: every message of a wave sent, or tried,
	// to the person, what came back later (a late bounce), and every
	// attempt staff logged by phone, letter or otherwise.
	Contacts []Contact `bson:"contacts,omitempty"`
	// Mark is what staff recorded that only they can know (bounced,
	// ineligible, refused, unavailable, other); nil when nothing is recorded.
	Mark *Mark `bson:"mark,omitempty"`
	// DoNotContact puts the person on the survey's do-not-contact list:
	// no wave mails them again while it is set.
	DoNotContact *Flag `bson:"do_not_contact,omitempty"`
	// History lists staff marks, do-not-contact changes and resolutions,
	// oldest first.
	History []Event `bson:"history,omitempty"`
}

// Contact is one entry of the contact log: a message of a wave (mode
// email), or an attempt staff logged (phone, letter, other) with its
// outcome as its status.
type Contact struct {
	Wave string `bson:"wave" json:"wave"`
	Kind string `bson:"kind" json:"kind"` // invitation or reminder; empty for a logged attempt
	// Mode is email for a wave's messages (empty in documents written
	// before modes existed), or phone, letter or other.
	Mode   string    `bson:"mode,omitempty" json:"mode"`
	Status string    `bson:"status" json:"status"` // a message's Contact* status, or an attempt's Outcome*
	At     time.Time `bson:"at" json:"at"`
	Error  string    `bson:"error,omitempty" json:"error,omitempty"`
	Note   string    `bson:"note,omitempty" json:"note,omitempty"`
	By     string    `bson:"by,omitempty" json:"by,omitempty"` // who logged or resolved it
}

// Contact statuses of a wave's messages.
const (
	ContactSent    = "sent"
	ContactBounced = "bounced" // refused for good, by the mail server or later by a delivery-status notification
	ContactFailed  = "failed"  // gave up after retries on temporary failures
	// ContactUncertain is a message the service stopped while handing it
	// to the mail server: it may have gone out. The case gets no other
	// message until staff resolve it as sent or failed.
	ContactUncertain = "uncertain"
	// ContactDelayed is a delivery-status notification saying that
	// delivery is delayed (4.x.x): recorded, not a bounce.
	ContactDelayed = "delayed"
)

// Modes of contact.
const (
	ModeEmail  = "email"
	ModePhone  = "phone"
	ModeLetter = "letter"
	ModeOther  = "other"
)

// Outcomes of a contact attempt staff log.
const (
	OutcomeReached       = "reached"       // spoke with or heard from the person: counts as contacted
	OutcomeLeftMessage   = "left_message"  // voicemail or a message with someone else
	OutcomeNoAnswer      = "no_answer"     // nobody answered
	OutcomeSent          = "sent"          // a letter posted, not known to have arrived
	OutcomeUndeliverable = "undeliverable" // wrong number, letter returned
)

// IsEmail reports whether the contact is a wave's message.
func (ct Contact) IsEmail() bool { return ct.Mode == "" || ct.Mode == ModeEmail }

// Mark is a disposition staff recorded.
type Mark struct {
	Code string    `bson:"code" json:"code"` // bounced, ineligible, refused, unavailable or other
	Note string    `bson:"note,omitempty" json:"note,omitempty"`
	At   time.Time `bson:"at" json:"at"`
	By   string    `bson:"by" json:"by"`
}

// Flag is a setting staff put on a case: who, when and why.
type Flag struct {
	At   time.Time `bson:"at" json:"at"`
	By   string    `bson:"by" json:"by"`
	Note string    `bson:"note,omitempty" json:"note,omitempty"`
}

// Event is one entry of a case's history.
type Event struct {
	At time.Time `bson:"at" json:"at"`
	By string    `bson:"by" json:"by"`
	// What is "mark", "unmark", "do_not_contact", "contact_again" or
	// "resolve" (an uncertain message, with Code sent or failed).
	What string `bson:"what" json:"what"`
	Code string `bson:"code,omitempty" json:"code,omitempty"`
	Note string `bson:"note,omitempty" json:"note,omitempty"`
}

// Invited reports whether any invitation or reminder reached the mail server.
func (c *Case) Invited() bool {
	for _, ct := range c.Contacts {
		if ct.IsEmail() && (ct.Status == ContactSent || ct.Status == ContactBounced) {
			return true
		}
	}
	return false
}

// Bounced reports whether a message to the case bounced or staff marked it so.
func (c *Case) Bounced() bool {
	if c.Mark != nil && c.Mark.Code == "bounced" {
		return true
	}
	for _, ct := range c.Contacts {
		if ct.IsEmail() && ct.Status == ContactBounced {
			return true
		}
	}
	return false
}

// Uncertain is the wave of a message that may or may not have gone out and
// that staff have not resolved yet, "" when there is none.
func (c *Case) Uncertain() string {
	for _, ct := range c.Contacts {
		if ct.IsEmail() && ct.Status == ContactUncertain {
			return ct.Wave
		}
	}
	return ""
}

// Messaged reports whether a message of the wave has its outcome on the
// case: sent, bounced, failed or uncertain.
func (c *Case) Messaged(wave string) bool {
	for _, ct := range c.Contacts {
		if ct.IsEmail() && ct.Wave == wave && ct.Status != ContactDelayed {
			return true
		}
	}
	return false
}

// Reached reports whether staff logged an attempt that reached the person.
func (c *Case) Reached() bool {
	for _, ct := range c.Contacts {
		if !ct.IsEmail() && ct.Status == OutcomeReached {
			return true
		}
	}
	return false
}

// LastContact is when the person was last contacted — a message that went
// out (sent, or maybe sent) or any attempt staff logged — zero for never.
// A message that bounced or failed reached nobody.
func (c *Case) LastContact() time.Time {
	var last time.Time
	for _, ct := range c.Contacts {
		out := !ct.IsEmail() || ct.Status == ContactSent || ct.Status == ContactUncertain
		if out && ct.At.After(last) {
			last = ct.At
		}
	}
	return last
}

// Reminders counts the reminders that went out to the person.
func (c *Case) Reminders() int {
	n := 0
	for _, ct := range c.Contacts {
		if ct.IsEmail() && ct.Kind == "reminder" && (ct.Status == ContactSent || ct.Status == ContactUncertain) {
			n++
		}
	}
	return n
}

// WaveBefore is the wave whose message last reached the person before t:
// sent, and neither bounced nor failed afterwards; "" for none (the person
// answered through a link given otherwise).
func (c *Case) WaveBefore(t time.Time) string {
	wave, at := "", time.Time{}
	for _, ct := range c.Contacts {
		if !ct.IsEmail() || ct.Wave == "" {
			continue
		}
		switch {
		case ct.Status == ContactSent && ct.At.Before(t) && !ct.At.Before(at):
			wave, at = ct.Wave, ct.At
		case (ct.Status == ContactBounced || ct.Status == ContactFailed) && ct.Wave == wave:
			wave, at = "", time.Time{} // the late bounce of that message
		}
	}
	return wave
}

// Frame is what the sample frame says about the sampled person.
type Frame struct {
	Email            string            `bson:"email" json:"email"`
	Name             string            `bson:"name" json:"name"`
	Title            string            `bson:"title,omitempty" json:"title"`
	Department       string            `bson:"department,omitempty" json:"department"`
	City             string            `bson:"city,omitempty" json:"city"`
	State            string            `bson:"state,omitempty" json:"state"`
	Population       int               `bson:"population,omitempty" json:"population"`
	FormOfGovernment string            `bson:"form_of_government,omitempty" json:"form_of_government"`
	Extra            map[string]string `bson:"extra,omitempty" json:"extra,omitempty"` // further frame columns, kept as they came
}

// Paradata describes how the questionnaire was answered, not what.
type Paradata struct {
	// Seconds spent on each page (page id → seconds), summed over visits.
	PageSeconds map[string]float64 `bson:"page_seconds,omitempty"`
	// Device is the class of the last device used: "mobile" or "desktop".
	Device string `bson:"device,omitempty"`
}

// Change is one atomic change to a case, built by the domain and applied by
// the store as a single-document update.
type Change struct {
	SetAnswers   map[string]any // question id → normalized value
	ClearAnswers []string       // question ids whose answers go
	Status       string         // new status, or "" to keep it
	Page         string         // new resume page, or "" to keep it
	PageSeconds  map[string]float64
	Device       string
	Contact      *Contact // a message sent or tried, appended to Contacts
	// Resolve settles the uncertain message of a wave: its contact takes
	// this status (sent or failed), note and author.
	Resolve           *Contact
	Mark              *Mark  // a staff mark to set
	ClearMark         bool   // remove the staff mark
	DoNotContact      *Flag  // put the case on the do-not-contact list
	ClearDoNotContact bool   // take it off
	Event             *Event // appended to History
	At                time.Time
}

// Apply makes ch on the case in memory as the store makes it on the
// document (store.updateDocument), so that the store's callers see the case
// as stored without reading it again, and a simulation can replay a field
// period's changes without a store.
func (c *Case) Apply(ch *Change) {
	c.UpdatedAt = ch.At
	c.Rev++
	if c.Answers == nil {
		c.Answers = map[string]any{}
	}
	for id, v := range ch.SetAnswers {
		c.Answers[id] = v
	}
	for _, id := range ch.ClearAnswers {
		delete(c.Answers, id)
	}
	if ch.ChangesAnswers() {
		at := ch.At
		c.AnsweredAt = &at
	}
	if ch.Status != "" {
		c.Status = ch.Status
		at := ch.At
		switch ch.Status {
		case StatusStarted:
			c.StartedAt = &at
		case StatusSubmitted:
			c.SubmittedAt = &at
		case StatusOptedOut:
			c.OptedOutAt = &at
		}
	}
	if ch.Page != "" {
		c.Page = ch.Page
	}
	if ch.Device != "" {
		c.Paradata.Device = ch.Device
	}
	if ch.Mark != nil {
		c.Mark = ch.Mark
	}
	if ch.ClearMark {
		c.Mark = nil
	}
	if ch.Contact != nil {
		c.Contacts = append(c.Contacts, *ch.Contact)
	}
	if r := ch.Resolve; r != nil {
		for i := range c.Contacts {
			if ct := &c.Contacts[i]; ct.IsEmail() && ct.Wave == r.Wave && ct.Status == ContactUncertain {
				ct.Status, ct.Note, ct.By = r.Status, r.Note, r.By
			}
		}
	}
	if ch.DoNotContact != nil {
		c.DoNotContact = ch.DoNotContact
	}
	if ch.ClearDoNotContact {
		c.DoNotContact = nil
	}
	if ch.Event != nil {
		c.History = append(c.History, *ch.Event)
	}
	for page, sec := range ch.PageSeconds {
		if c.Paradata.PageSeconds == nil {
			c.Paradata.PageSeconds = map[string]float64{}
		}
		c.Paradata.PageSeconds[page] += sec
	}
}

// ChangesAnswers reports whether the change sets or clears an answer, which
// moves AnsweredAt.
func (ch *Change) ChangesAnswers() bool { return len(ch.SetAnswers)+len(ch.ClearAnswers) > 0 }
