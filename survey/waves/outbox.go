package waves

import (
	"time"

	"github.com/canvass-survey/canvass/survey"
)

// Outbox entry statuses. An entry is pending until the mailer takes it; it
// is sending while handed to the mail server; then sent (accepted),
// bounced (refused for good: the case counts as bounced), failed (gave up
// after temporary failures, or no personal link), or skipped (by the time
// of sending the case no longer qualified, e.g. it had been completed).
// Uncertain is an entry found sending after a crash: it may or may not
// have gone out, and it is never sent again automatically.
const (
	EntryPending   = "pending"
	EntrySending   = "sending"
	EntrySent      = "sent"
	EntryBounced   = "bounced"
	EntryFailed    = "failed"
	EntrySkipped   = "skipped"
	EntryUncertain = "uncertain"
)

// Entry is one message of a wave to one case, in the outbox. Its ID is
// OutboxID(wave, case). It holds no link: the message is rendered when it
// is sent, from the case and its sealed token, so the database never holds
// a personal link in the clear.
type Entry struct {
	ID            string     `bson:"_id"`
	Wave          string     `bson:"wave"`
	Case          string     `bson:"case"`
	Status        string     `bson:"status"`
	Attempts      int        `bson:"attempts"`
	NextAttemptAt time.Time  `bson:"next_attempt_at"`
	LastError     string     `bson:"last_error,omitempty"`
	SentAt        *time.Time `bson:"sent_at,omitempty"`
	UpdatedAt     time.Time  `bson:"updated_at"`
}

// Counts sums a wave's outbox by status. The sender keeps them on the wave
// (Wave.Tally) as its entries change, so that a view of the waves reads no
// entry.
type Counts struct {
	Queued    int `json:"queued" bson:"queued"` // every entry
	Pending   int `json:"pending" bson:"pending"`
	Sending   int `json:"sending" bson:"sending"`
	Sent      int `json:"sent" bson:"sent"`
	Failed    int `json:"failed" bson:"failed"`
	Bounced   int `json:"bounced" bson:"bounced"`
	Skipped   int `json:"skipped" bson:"skipped"`
	Uncertain int `json:"uncertain" bson:"uncertain"`
	// FirstSentAt is when the mail server first accepted a message of the wave.
	FirstSentAt *time.Time `json:"first_sent_at,omitempty" bson:"first_sent_at,omitempty"`
}

// of is the count of a status.
func (c *Counts) of(status string) *int {
	switch status {
	case EntryPending:
		return &c.Pending
	case EntrySending:
		return &c.Sending
	case EntrySent:
		return &c.Sent
	case EntryFailed:
		return &c.Failed
	case EntryBounced:
		return &c.Bounced
	case EntrySkipped:
		return &c.Skipped
	case EntryUncertain:
		return &c.Uncertain
	}
	return new(int)
}

// Add counts one entry.
func (c *Counts) Add(e *Entry) {
	c.Queued++
	*c.of(e.Status)++
	c.sentAt(e.SentAt)
}

// Move counts an entry that went from status from to its status now.
func (c *Counts) Move(from string, e *Entry) {
	*c.of(from)--
	*c.of(e.Status)++
	c.sentAt(e.SentAt)
}

// Plus adds the counts, or changes of counts, d.
func (c *Counts) Plus(d Counts) {
	c.Queued += d.Queued
	c.Pending += d.Pending
	c.Sending += d.Sending
	c.Sent += d.Sent
	c.Failed += d.Failed
	c.Bounced += d.Bounced
	c.Skipped += d.Skipped
	c.Uncertain += d.Uncertain
	c.sentAt(d.FirstSentAt)
}

func (c *Counts) sentAt(at *time.Time) {
	if at != nil && (c.FirstSentAt == nil || at.Before(*c.FirstSentAt)) {
		t := *at
		c.FirstSentAt = &t
	}
}

// Same reports whether c and d count alike.
func (c Counts) Same(d Counts) bool {
	a, b := c.FirstSentAt, d.FirstSentAt
	c.FirstSentAt, d.FirstSentAt = nil, nil
	return c == d && (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// Summary is a wave with its counts, as the API lists it.
type Summary struct {
	Wave
	Counts
}

// Progress is what the progress view shows of a wave: when it first went
// out, how many messages the mail server accepted, and how many did not
// reach the person (failed or bounced).
type Progress struct {
	ID     string     `json:"id"`
	Kind   string     `json:"kind"`
	SentAt *time.Time `json:"sent_at"`
	Sent   int        `json:"sent"`
	Failed int        `json:"failed"`
	// Completes counts the completes the wave brought in: each submitted
	// complete counts for the last wave whose message reached the person
	// before the submission.
	Completes int `json:"completes"`
}

// AttributeCompletes counts, on each wave of ps, the cases that complete
// says are complete and that the wave was the last to reach before they
// submitted, and returns how many completes no wave reached (their link
// came otherwise, e.g. by mail merge).
func AttributeCompletes(ps []Progress, cases []survey.Case, complete func(i int) bool) (unattributed int) {
	at := make(map[string]int, len(ps))
	for i := range ps {
		at[ps[i].ID] = i
	}
	for i := range cases {
		c := &cases[i]
		if c.SubmittedAt == nil || !complete(i) {
			continue
		}
		if w, ok := at[c.WaveBefore(*c.SubmittedAt)]; ok {
			ps[w].Completes++
		} else {
			unattributed++
		}
	}
	return unattributed
}
