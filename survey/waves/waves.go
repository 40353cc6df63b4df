// Package waves holds invitation and reminder waves by email: what a wave
// is, which cases it selects, and the messages it sends, rendered from
// templates with merge fields. It does no I/O; the store keeps waves and
// their outbox, and the server's mailer sends.
package waves

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/survey"
)

// Kinds of wave.
const (
	KindInvitation = "invitation"
	KindReminder   = "reminder"
)

// Wave statuses. A wave is scheduled until its time comes; then its outbox
// is filled and it is sending until no entry is left to work, when it is
// done. It is paused while the mail server cannot be reached, and resumes
// by itself. Staff may cancel it before it is done.
const (
	StatusScheduled = "scheduled"
	StatusSending   = "sending"
	StatusPaused    = "paused"
	StatusDone      = "done"
	StatusCancelled = "cancelled"
)

// Wave is one mailing to a selection of cases.
type Wave struct {
	ID     string `bson:"_id" json:"id"`
	Survey string `bson:"survey" json:"survey"`
	// Rev counts the wave's updates, for writes from several instances.
	Rev         int64     `bson:"rev" json:"-"`
	Kind        string    `bson:"kind" json:"kind"`
	Subject     string    `bson:"subject" json:"subject"`
	Text        string    `bson:"text" json:"text"`
	HTML        string    `bson:"html" json:"html"`
	ScheduledAt time.Time `bson:"scheduled_at" json:"scheduled_at"`
	Status      string    `bson:"status" json:"status"`
	CreatedAt   time.Time `bson:"created_at" json:"created_at"`
	CreatedBy   string    `bson:"created_by" json:"created_by"`
	// Selected is how many cases the wave selected when it was created;
	// the outbox is filled from the cases as they are when it starts.
	Selected   int        `bson:"selected" json:"selected"`
	StartedAt  *time.Time `bson:"started_at,omitempty" json:"started_at,omitempty"`
	FinishedAt *time.Time `bson:"finished_at,omitempty" json:"finished_at,omitempty"`
	// PausedUntil is when a paused wave tries the mail server again.
	PausedUntil *time.Time `bson:"paused_until,omitempty" json:"paused_until,omitempty"`
	// LastError says why the wave is paused.
	LastError string `bson:"last_error,omitempty" json:"last_error,omitempty"`
	// Rules narrow a reminder's selection.
	Rules Rules `bson:"rules,omitempty" json:"rules"`
	// Tally counts the wave's outbox, as its sender last recorded it.
	Tally Counts `bson:"tally" json:"-"`
	// Unresolved lists the cases whose message may have gone out (an
	// uncertain entry) until staff resolve it, and Retrying those whose
	// message waits to be tried again after a temporary refusal, so that
	// the views of waves and cases read those cases by id rather than
	// searching the outbox.
	Unresolved []string `bson:"unresolved,omitempty" json:"-"`
	Retrying   []string `bson:"retrying,omitempty" json:"-"`
}

// With is ids with id added, once.
func With(ids []string, id string) []string {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

// Without is ids without id; nil when none is left.
func Without(ids []string, id string) []string {
	ids = slices.DeleteFunc(ids, func(x string) bool { return x == id })
	if len(ids) == 0 {
		return nil
	}
	return ids
}

// Targets of a reminder: whom among the cases still to ask it goes to.
const (
	TargetBoth       = ""            // not started, and started but not submitted
	TargetNotStarted = "not_started" // the link not used to answer yet
	TargetStarted    = "started"     // started, not submitted
)

// Rules narrow a reminder's selection: at most MaxReminders reminders
// per case, at least MinDays days since the case was last contacted (by
// any message that went out, or any attempt staff logged), and only the
// Target cases. A nil rule does not narrow.
type Rules struct {
	MaxReminders *int   `bson:"max_reminders,omitempty" json:"max_reminders,omitempty"`
	MinDays      *int   `bson:"min_days,omitempty" json:"min_days_since_contact,omitempty"`
	Target       string `bson:"target,omitempty" json:"target,omitempty"`
}

// allow reports whether the rules let a message go to the case at now.
func (r Rules) allow(c *survey.Case, now time.Time) bool {
	if r.MaxReminders != nil && c.Reminders() >= *r.MaxReminders {
		return false
	}
	if last := c.LastContact(); r.MinDays != nil && *r.MinDays > 0 && !last.IsZero() && now.Sub(last) < time.Duration(*r.MinDays)*24*time.Hour {
		return false
	}
	switch r.Target {
	case TargetNotStarted:
		return c.Status == survey.StatusNew
	case TargetStarted:
		return c.Status == survey.StatusStarted
	}
	return true
}

// Selects reports whether the wave goes to the case at now: its kind's
// selection, narrowed by its rules.
func (w *Wave) Selects(c *survey.Case, now time.Time) bool {
	return Selects(w.Kind, c) && w.Rules.allow(c, now)
}

// Active reports whether the wave may still send.
func (w Wave) Active() bool {
	return w.Status == StatusScheduled || w.Status == StatusSending || w.Status == StatusPaused
}

// Draft is a wave as staff ask for it; empty templates take the defaults
// of the kind, an empty schedule means now.
type Draft struct {
	Kind        string `json:"kind" form:"kind"`
	Subject     string `json:"subject" form:"subject"`
	Text        string `json:"text" form:"text"`
	HTML        string `json:"html" form:"html"`
	ScheduledAt string `json:"scheduled_at" form:"scheduled_at"`
	// A reminder's rules; an invitation takes none.
	MaxReminders *int   `json:"max_reminders"`
	MinDays      *int   `json:"min_days_since_contact"`
	Target       string `json:"target"`
}

// Check validates a draft and returns the wave it describes, with its
// templates parsed. Every problem is named by its field. A schedule in the
// past is allowed: the wave starts at once.
func (d Draft) Check(surveyID string, now time.Time, loc *time.Location) (*Wave, *Templates, error) {
	fields := map[string]string{}
	if d.Kind != KindInvitation && d.Kind != KindReminder {
		fields["kind"] = `want "invitation" or "reminder"`
	}
	def := Defaults(d.Kind)
	w := &Wave{
		Survey:  surveyID,
		Kind:    d.Kind,
		Subject: orDefault(d.Subject, def.Subject),
		Text:    orDefault(d.Text, def.Text),
		HTML:    orDefault(d.HTML, def.HTML),
		Status:  StatusScheduled,
	}
	t, terr := Parse(w.Subject, w.Text, w.HTML)
	if terr != nil {
		for f, msg := range terr.Fields {
			fields[f] = msg
		}
	}
	at, err := ParseSchedule(d.ScheduledAt, now, loc)
	if err != nil {
		fields["scheduled_at"] = err.Error()
	}
	w.Rules = d.rules(fields)
	if len(fields) > 0 {
		return nil, nil, survey.FieldErrors("The wave is not valid", fields)
	}
	w.ScheduledAt = at
	return w, t, nil
}

// Draft is the wave as a draft to start now: for a preview or a test.
func (w *Wave) Draft() Draft {
	return Draft{Kind: w.Kind, Subject: w.Subject, Text: w.Text, HTML: w.HTML, ScheduledAt: "now",
		MaxReminders: w.Rules.MaxReminders, MinDays: w.Rules.MinDays, Target: w.Rules.Target}
}

// rules checks the draft's reminder rules, naming each problem in fields.
func (d Draft) rules(fields map[string]string) Rules {
	r := Rules{MaxReminders: d.MaxReminders, MinDays: d.MinDays, Target: d.Target}
	for name, n := range map[string]*int{"max_reminders": r.MaxReminders, "min_days_since_contact": r.MinDays} {
		if n != nil && *n < 0 {
			fields[name] = "must be 0 or more"
		}
	}
	if r.Target != TargetBoth && r.Target != TargetNotStarted && r.Target != TargetStarted {
		fields["target"] = `want "not_started", "started" (started, not submitted), or empty for both`
	}
	if d.Kind == KindInvitation && r != (Rules{}) {
		for name, set := range map[string]bool{"max_reminders": r.MaxReminders != nil, "min_days_since_contact": r.MinDays != nil, "target": r.Target != ""} {
			if set {
				fields[name] = "only reminders take rules: an invitation goes to every case not invited yet"
			}
		}
	}
	return r
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// wallClock is the schedule's form without an offset, read in the
// survey's time zone.
const wallClock = "2006-01-02T15:04"

// ParseSchedule reads a wave's start: "now" or empty is now; "YYYY-MM-DDTHH:MM"
// is a wall-clock time in the survey's zone; RFC 3339 carries its own
// offset. A time before the current minute is refused: sending at once is
// said with "now", never by a date that happens to be past (a typo in the
// year would otherwise mail everyone at once). The result is in loc, so it
// shows as the survey's time.
func ParseSchedule(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "now" {
		return now.In(loc), nil
	}
	t, err := time.ParseInLocation(wallClock, s, loc)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return time.Time{}, survey.Errorf(survey.EINVALID, `want "now", or YYYY-MM-DDTHH:MM in the survey's time zone (%s), or RFC 3339`, loc)
		}
	}
	if t.Before(now.Truncate(time.Minute)) {
		return time.Time{}, survey.Errorf(survey.EINVALID, `%s is in the past (it is %s now in %s): give a later time, or "now" to send at once`,
			t.In(loc).Format("2006-01-02 15:04"), now.In(loc).Format("2006-01-02 15:04"), loc)
	}
	return t.In(loc), nil
}

// Selects reports whether a wave of the kind goes to the case: a reminder
// to cases still to be asked, an invitation to those of them not invited
// yet.
func Selects(kind string, c *survey.Case) bool {
	switch kind {
	case KindInvitation:
		return !c.Invited() && stillToAsk(c)
	case KindReminder:
		return stillToAsk(c)
	}
	return false
}

// stillToAsk reports whether the case is neither submitted, opted out,
// bounced, marked by staff (any mark is a final disposition: bounced,
// ineligible, refused, unavailable or other), on the do-not-contact list,
// nor waiting for staff to resolve a message that may have gone out. Links
// also go out by mail merge, so a case may be any of these without a
// message from Canvass.
func stillToAsk(c *survey.Case) bool {
	return c.Status != survey.StatusSubmitted && c.Status != survey.StatusOptedOut &&
		!c.Bounced() && c.Mark == nil && c.DoNotContact == nil && c.Uncertain() == ""
}

// NewID returns a fresh wave id: 64 random bits, lower-case base32, with
// no ':' so that outbox ids can join it to a case id.
func NewID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return idOf(b)
}

// IDFor is the id of the wave a client asked for with an idempotency key:
// the same owner and key give the same id, so the store's unique _id lets
// one of several requests with that key create the wave, on any instance.
func IDFor(owner, key string) string {
	sum := sha256.Sum256([]byte(owner + "\x00" + key))
	return idOf(sum[:10])
}

func idOf(b []byte) string {
	return "w" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// CheckIdempotencyKey says what is wrong with an Idempotency-Key header.
func CheckIdempotencyKey(key string) error {
	ok := len(key) >= 1 && len(key) <= 255
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if !ok {
		return survey.FieldErrors("The Idempotency-Key header is not valid",
			map[string]string{"Idempotency-Key": "1 to 255 visible ASCII characters, e.g. a UUID"})
	}
	return nil
}

// OutboxID is the id of the one outbox entry of a wave for a case, so
// that no case can be queued twice in a wave.
func OutboxID(waveID, caseID string) string { return waveID + ":" + caseID }

// MessageID is the Message-ID (without angle brackets) of the message of
// an outbox entry: the same every time it is tried, so the mail server's
// log can tell whether a message went out, and free of the case id.
func MessageID(outboxID, domain string) string {
	sum := sha256.Sum256([]byte(outboxID))
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// ReturnPath is the envelope sender of an outbox entry's message under a
// VERP address: "bounces@example.org" gives "bounces+<entry>@example.org",
// with the entry id's ':' as '=' (a ':' needs quoting in an address), so
// that a bounce to it names its message.
func ReturnPath(verp, entryID string) string {
	local, domain, _ := strings.Cut(verp, "@")
	return local + "+" + strings.ReplaceAll(entryID, ":", "=") + "@" + domain
}

// EntryOfReturnPath is the outbox entry a return address made by
// ReturnPath names, "" when it is not one.
func EntryOfReturnPath(verp, addr string) string {
	local, domain, _ := strings.Cut(verp, "@")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !strings.EqualFold(addr[at+1:], domain) {
		return ""
	}
	id, ok := strings.CutPrefix(addr[:at], local+"+")
	if !ok || id == "" {
		return ""
	}
	return strings.Replace(id, "=", ":", 1)
}
