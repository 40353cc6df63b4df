// Package mailer sends the waves: the outbox worker and its SMTP sender.
// It knows nothing of HTTP; what it needs of the store is its Store.
package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"slices"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
	mailsmtp "github.com/wneessen/go-mail/smtp"
	"golang.org/x/time/rate"

	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/fieldperiod"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/outbox"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/token"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Mailer sends the waves: it starts each wave when its time comes, fills
// its outbox, and works the outbox through SMTP at a bounded rate, one
// message at a time. It is the only writer of outbox entries. Every
// instance of the service runs one, and each does nothing unless it holds
// the "mailer" lease, so that only one works the outbox of a database.
//
// Delivery is at most once. An entry is marked sending before it is handed
// to the mail server and sent, bounced or failed after the server answers;
// the case's contact history is written before the entry, so after a crash
// an entry found sending is settled from the case when the case shows the
// answer, and otherwise marked uncertain and never sent again by itself:
// it may have gone out. Its Message-ID, derived from the entry's id, lets
// staff look it up in the mail server's log.
//
// What it knows of the outbox it keeps in a book (book.go), read from the
// store once when it takes the outbox over, so that each message costs
// writes by _id alone; it keeps each wave's counts on the wave, where the
// views of the waves read them.
type Mailer struct {
	Store      Store
	Instrument *instrument.Instrument
	// Period gives the close in force, which messages quote.
	Period  *fieldperiod.Keeper
	Sealer  token.Sealer
	BaseURL string
	From    string
	// VERP, when set, makes each message's envelope sender name its outbox
	// entry (waves.ReturnPath), for the bounce mailbox.
	VERP   string
	Logger *slog.Logger
	// Lease says which instance works the outbox.
	Lease *store.Lease
	// Observe, if set, learns what came of each message handed to the mail
	// server (an outcome's name: sent, bounced, ...), for the metrics.
	Observe func(outcome string)

	// Now and Sleep are the clock of schedules, back-off and the rate
	// limit; tests replace them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Poll is how often Run looks for due work.
	Poll time.Duration
	// MaxAttempts is how many times an entry is tried when the server
	// refuses it for a while (4xx) or the connection breaks before the
	// message is complete; then it fails.
	MaxAttempts int
	// Backoff is the wait after the first such try; it doubles with each
	// further one.
	Backoff time.Duration
	// PauseFor is how long a wave waits when the mail server cannot be reached.
	PauseFor time.Duration

	client  *mail.Client
	conn    *mailsmtp.Client // open while there is work
	limiter *rate.Limiter
	domain  string     // of From, for Message-IDs
	book    *book      // nil until the outbox is read, and after a failed write
	writing chan error // the writes recording the last message's outcome, while they run (later)
}

// checkEvery is how often a wave that sends is read again, to stop when
// staff cancel it, and its counts recorded on it: a cancel stops the wave
// within that time, and the views of the waves are at most that much
// behind the outbox. Reading it before every message, as it once did, cost
// a store read for each.
const checkEvery = 250 * time.Millisecond

// Store is what the mailer needs of the store: cases, waves and the outbox,
// each written by _id.
type Store interface {
	Case(ctx context.Context, id string) (*survey.Case, error)
	Cases(ctx context.Context, surveyID string) ([]survey.Case, error)
	UpdateCase(ctx context.Context, id string, decide func(*survey.Case) (*survey.Change, error)) (*survey.Case, error)
	Wave(ctx context.Context, id string) (*waves.Wave, error)
	Waves(ctx context.Context, surveyID string) ([]waves.Wave, error)
	UpdateWave(ctx context.Context, id string, change func(*waves.Wave) error) (*waves.Wave, error)
	FillOutbox(ctx context.Context, entries []waves.Entry) (int, error)
	Outbox(ctx context.Context) ([]waves.Entry, error)
	PutEntry(ctx context.Context, e *waves.Entry) error
}

// New returns a Mailer for the SMTP settings, with production defaults for
// the rest.
func New(st *store.Store, in *instrument.Instrument, secret []byte, baseURL string, cfg config.SMTP, logger *slog.Logger) (*Mailer, error) {
	opts := []mail.Option{mail.WithPort(cfg.Port), mail.WithTimeout(30 * time.Second)}
	switch cfg.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	client, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: CANVASS_SMTP_FROM: %w", err)
	}
	return &Mailer{
		Store: st, Instrument: in, Period: &fieldperiod.Keeper{Store: st, Instrument: in}, Sealer: token.NewSealer(secret), BaseURL: strings.TrimRight(baseURL, "/"),
		From: from.String(), VERP: cfg.VERP, Logger: logger, Lease: store.NewLease(st, "mailer", time.Minute),
		Now: time.Now, Sleep: sleep, Poll: 15 * time.Second, MaxAttempts: 5, Backoff: time.Minute, PauseFor: time.Minute,
		client:  client,
		limiter: rate.NewLimiter(rate.Limit(cfg.Rate), 1),
		domain:  from.Address[strings.LastIndexByte(from.Address, '@')+1:],
	}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run works due waves until ctx ends, then releases the lease so that
// another instance may take over at once. The message in flight when ctx
// ends is finished and recorded.
func (m *Mailer) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := m.Work(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Error("mail: working the outbox", "err", err)
		}
		_ = m.Sleep(ctx, m.Poll)
	}
	if err := m.Lease.Release(context.WithoutCancel(ctx)); err != nil {
		m.Logger.Warn("mail: releasing the lease; another instance takes over when it runs out", "err", err)
	}
}

// keepLease reports whether this mailer may work the outbox now. It
// renews the lease once a third of it has run, so that it does not run
// out while the mailer works; when it claims the lease afresh, it forgets
// its book: another instance may have worked the outbox meanwhile, and
// Work reads it again before sending.
func (m *Mailer) keepLease(ctx context.Context) (bool, error) {
	now := m.Now()
	left := m.Lease.Until().Sub(now)
	if left > m.Lease.TTL*2/3 {
		return true, nil
	}
	if left > 0 {
		return m.Lease.Renew(ctx, now)
	}
	if held, err := m.Lease.Acquire(ctx, now); !held || err != nil {
		return false, err
	}
	m.Logger.Info("mail: this instance works the outbox", "holder", m.Lease.Holder)
	m.book = nil
	return true, nil
}

// Recover reads the outbox, once, when the mailer takes it over: it
// settles the entries a stopped process left sending — from the case's
// contact history when it shows the server's answer, else as uncertain;
// none is sent again — records each wave's counts as its entries have them
// (a stop may have left them behind), and books each active wave's entries
// to send. The mailer does it whenever it claims the lease, when no other
// instance works the outbox, and after a write it could not make.
func (m *Mailer) Recover(ctx context.Context) error {
	ws, err := m.Store.Waves(ctx, m.Instrument.ID)
	if err != nil {
		return err
	}
	entries, err := m.Store.Outbox(ctx)
	if err != nil {
		return err
	}
	counts, pending := map[string]*waves.Counts{}, map[string][]waves.Entry{}
	unresolved, retrying := map[string][]string{}, map[string][]string{}
	stuck, uncertain := 0, 0
	for i := range entries {
		e := &entries[i]
		if e.Status == waves.EntrySending {
			stuck++
			if err := m.settleStopped(ctx, e); err != nil {
				return err
			}
			if e.Status == waves.EntryUncertain {
				uncertain++
			}
		}
		if counts[e.Wave] == nil {
			counts[e.Wave] = &waves.Counts{}
		}
		counts[e.Wave].Add(e)
		switch e.Status {
		case waves.EntryPending:
			pending[e.Wave] = append(pending[e.Wave], *e)
			if e.Attempts > 0 {
				retrying[e.Wave] = append(retrying[e.Wave], e.Case)
			}
		case waves.EntryUncertain:
			unresolved[e.Wave] = append(unresolved[e.Wave], e.Case)
		}
	}
	if stuck > 0 {
		m.Logger.Warn("mail: settled messages interrupted by a stop", "settled", stuck-uncertain, "uncertain", uncertain)
	}
	b := newBook()
	for _, w := range ws {
		var c waves.Counts
		if counts[w.ID] != nil {
			c = *counts[w.ID]
		}
		if !c.Same(w.Tally) || !slices.Equal(unresolved[w.ID], w.Unresolved) || !slices.Equal(retrying[w.ID], w.Retrying) {
			if _, err := m.Store.UpdateWave(ctx, w.ID, func(w *waves.Wave) error {
				w.Tally, w.Unresolved, w.Retrying = c, unresolved[w.ID], retrying[w.ID]
				return nil
			}); err != nil {
				return err
			}
		}
		if w.Active() {
			b.queue(w.ID, pending[w.ID])
		}
	}
	m.book = b
	return nil
}

// settleStopped settles an entry a stopped process left sending, from its
// case's contact when the case has one for the wave, else as uncertain. A
// case it cannot read leaves the entry sending, for the next Recover: read
// as no contact, it would make a message recorded as sent uncertain.
func (m *Mailer) settleStopped(ctx context.Context, e *waves.Entry) error {
	e.Status, e.LastError = waves.EntryUncertain, "the service stopped while handing this message to the mail server; it may have gone out (Message-ID <"+waves.MessageID(e.ID, m.domain)+">)"
	c, err := m.Store.Case(ctx, e.Case)
	if err != nil && survey.ErrorCode(err) != survey.ENOTFOUND {
		return err
	}
	if c != nil {
		for _, ct := range c.Contacts {
			if ct.Wave == e.Wave {
				e.Status, e.LastError = ct.Status, ct.Error
				if ct.Status == survey.ContactSent {
					at := ct.At
					e.SentAt = &at
				}
			}
		}
	}
	e.UpdatedAt = m.Now()
	if e.Status == waves.EntryUncertain {
		return outbox.Uncertain(ctx, m.Store, e, e.LastError, e.UpdatedAt) // on the case too, which keeps it out of later waves
	}
	return m.Store.PutEntry(ctx, e)
}

// Work starts the waves whose time has come and sends every due message
// of the waves that are sending, or paused and due to try again. It
// returns when nothing is due, ctx ends, or the mailer does not hold the
// lease.
func (m *Mailer) Work(ctx context.Context) (err error) {
	if held, err := m.keepLease(ctx); !held || err != nil {
		return err
	}
	defer func() {
		if err != nil {
			m.book = nil // a write that failed may have left it wrong: read the outbox again
		}
	}()
	if m.book == nil {
		if err := m.Recover(ctx); err != nil {
			_ = m.Lease.Release(context.WithoutCancel(ctx)) // so that the next claim reads it again, here or elsewhere
			return fmt.Errorf("reading the outbox: %w", err)
		}
	}
	defer m.hangUp()
	ws, err := m.Store.Waves(ctx, m.Instrument.ID)
	if err != nil {
		return err
	}
	for i := range ws {
		w := &ws[i]
		now := m.Now()
		if w.Status == waves.StatusScheduled && !now.Before(w.ScheduledAt) {
			if w, err = m.StartWave(ctx, w); err != nil {
				return err
			}
		}
		due := w.Status == waves.StatusSending || (w.Status == waves.StatusPaused && (w.PausedUntil == nil || !now.Before(*w.PausedUntil)))
		if !due {
			continue
		}
		if err := m.send(ctx, w); err != nil || ctx.Err() != nil {
			return err
		}
	}
	return nil
}

// StartWave fills a wave's outbox from the cases it selects now, then marks
// it sending. A crash in between leaves it scheduled, and filling again
// adds no entry twice.
func (m *Mailer) StartWave(ctx context.Context, w *waves.Wave) (*waves.Wave, error) {
	started, queued, err := outbox.Start(ctx, m.Store, w, m.Now())
	if err != nil {
		return nil, err
	}
	if m.book != nil { // else the mailer reads the outbox before it sends
		m.book.queue(w.ID, queued)
	}
	if started.Status == waves.StatusSending {
		m.Logger.Info("mail: wave started", "wave", w.ID, "kind", w.Kind, "queued", len(queued))
	}
	return started, nil
}

var errNotActive = outbox.ErrNotActive

// send works a wave's due entries in order, one message at a time, and
// records the wave's counts when it stops; done, if no entry is left.
func (m *Mailer) send(ctx context.Context, w *waves.Wave) (err error) {
	tpl, terr := waves.Parse(w.Subject, w.Text, w.HTML)
	if terr != nil {
		return fmt.Errorf("wave %s: stored templates do not parse: %w", w.ID, terr)
	}
	b := m.book
	if b == nil {
		return nil // the lease was claimed afresh during an earlier wave: the next Work reads the outbox again
	}
	defer func() {
		if werr := m.written(); err == nil {
			err = werr
		}
		if err == nil && m.book == b {
			err = m.record(context.WithoutCancel(ctx), w.ID)
		}
	}()
	for _, e := range slices.Clone(b.pending[w.ID]) {
		if ctx.Err() != nil {
			return nil // stopping between messages
		}
		if m.Now().Before(e.NextAttemptAt) {
			continue
		}
		// Another instance may have taken the outbox over, or staff
		// cancelled the wave, since the last message.
		if held, err := m.keepLease(ctx); !held || err != nil || m.book != b {
			return err
		}
		if active, err := m.check(ctx, w.ID); !active || err != nil {
			return err
		}
		if err := m.connect(ctx); err != nil {
			return m.pause(ctx, w, err)
		}
		if w.Status == waves.StatusPaused {
			err := m.resume(ctx, w)
			if errors.Is(err, errNotActive) {
				return nil // cancelled while the mailer connected
			}
			if err != nil {
				return err
			}
			w.Status = waves.StatusSending
		}
		if next, err := m.deliver(ctx, w, tpl, e); !next || err != nil {
			return err
		}
	}
	return nil
}

// check reports whether the wave is still active, reading it, with the
// counts booked meanwhile recorded, once checkEvery.
func (m *Mailer) check(ctx context.Context, waveID string) (bool, error) {
	now := m.Now()
	if now.Sub(m.book.checked[waveID]) < checkEvery {
		return true, nil
	}
	var w *waves.Wave
	var err error
	if !m.book.changed(waveID) {
		w, err = m.Store.Wave(ctx, waveID)
	} else {
		w, err = outbox.Count(ctx, m.Store, waveID, m.book.take(waveID), false, now)
	}
	m.book.checked[waveID] = now
	return err == nil && w.Active(), err
}

// record forgets the wave's entries no longer pending and records the
// counts booked meanwhile on the wave, marking it done when none is left.
func (m *Mailer) record(ctx context.Context, waveID string) error {
	m.book.keep(waveID)
	done := len(m.book.pending[waveID]) == 0
	if !done && !m.book.changed(waveID) {
		return nil
	}
	w, err := outbox.Count(ctx, m.Store, waveID, m.book.take(waveID), done, m.Now())
	if err == nil && done && w.Status == waves.StatusDone {
		m.Logger.Info("mail: wave done", "wave", waveID)
	}
	return err
}

// pause holds a wave until PauseFor has passed, saying why.
func (m *Mailer) pause(ctx context.Context, w *waves.Wave, why error) error {
	until := m.Now().Add(m.PauseFor)
	_, err := m.Store.UpdateWave(ctx, w.ID, func(w *waves.Wave) error {
		if !w.Active() {
			return errNotActive
		}
		w.Status, w.PausedUntil, w.LastError = waves.StatusPaused, &until, why.Error()
		return nil
	})
	if errors.Is(err, errNotActive) {
		return nil
	}
	m.Logger.Warn("mail: wave paused: the mail server cannot be reached or refuses the sender", "wave", w.ID, "until", until, "err", why)
	return err
}

// resume sends a paused wave again; errNotActive when it is no longer
// paused, so that a wave staff cancelled meanwhile stays cancelled.
func (m *Mailer) resume(ctx context.Context, w *waves.Wave) error {
	_, err := m.Store.UpdateWave(ctx, w.ID, func(w *waves.Wave) error {
		if w.Status != waves.StatusPaused {
			return errNotActive
		}
		w.Status, w.PausedUntil, w.LastError = waves.StatusSending, nil, ""
		return nil
	})
	if err == nil {
		m.Logger.Info("mail: wave resumed", "wave", w.ID)
	}
	return err
}

// throttle waits for the rate limit on the Mailer's clock.
func (m *Mailer) throttle(ctx context.Context) error {
	now := m.Now()
	return m.Sleep(ctx, m.limiter.ReserveN(now, 1).DelayFrom(now))
}

func (m *Mailer) connect(ctx context.Context) error {
	if m.conn != nil {
		return nil
	}
	c, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return err
	}
	m.conn = c
	return nil
}

// hangUp closes the connection, if open; the next message dials again.
func (m *Mailer) hangUp() {
	if m.conn != nil {
		_ = m.client.CloseWithSMTPClient(m.conn)
		m.conn = nil
	}
}

// outcome is what became of one try to send a message.
type outcome int

const (
	outcomeSent      outcome = iota // the server accepted it
	outcomeBounced                  // the server refused the recipient or the message for good (5xx)
	outcomeRetry                    // the server said try later (4xx)
	outcomeLost                     // the connection failed before the message was complete: not sent, safe to send again
	outcomeUncertain                // the connection failed after the whole message was sent, before the answer
	outcomeRefused                  // the server refused the sender (5xx to MAIL FROM): nothing goes until that is fixed
)

// outcomeNames are the outcomes as the metrics label them.
var outcomeNames = [...]string{outcomeSent: "sent", outcomeBounced: "bounced", outcomeRetry: "retry",
	outcomeLost: "lost", outcomeUncertain: "uncertain", outcomeRefused: "refused"}

// classify reads go-mail's error for one message.
func classify(err error, msg *mail.Msg) outcome {
	if err == nil || msg.IsDelivered() { // a failed RSET after the server accepted it
		return outcomeSent
	}
	var se *mail.SendError
	if !errors.As(err, &se) {
		return outcomeLost
	}
	code := se.ErrorCode()
	switch {
	case code >= 400 && code < 500:
		return outcomeRetry
	case code >= 500 && se.Reason == mail.ErrSMTPMailFrom:
		return outcomeRefused
	case code >= 500 && (se.Reason == mail.ErrSMTPRcptTo || se.Reason == mail.ErrSMTPData || se.Reason == mail.ErrSMTPDataClose):
		return outcomeBounced
	case se.Reason == mail.ErrSMTPDataClose:
		return outcomeUncertain
	}
	return outcomeLost
}

// deliver tries one entry and records what happened: on the case first
// (its contact history), then on the entry. It says whether the wave may go
// on to the next entry: not when ctx ended or the server refused the sender.
// Once the entry is marked sending, the message is finished and recorded
// even if ctx ends: that is what a graceful stop waits for.
func (m *Mailer) deliver(ctx context.Context, w *waves.Wave, tpl *waves.Templates, e *waves.Entry) (next bool, err error) {
	b := m.book
	c, err := m.Store.Case(ctx, e.Case)
	switch {
	case survey.ErrorCode(err) == survey.ENOTFOUND:
		return true, m.settle(ctx, b, w, e, waves.EntrySkipped, "the case no longer exists", m.Now())
	case err != nil:
		return false, err
	case !w.Selects(c, m.Now()):
		// Completed, opted out, bounced, marked, invited or contacted
		// since the wave started, or put on the do-not-contact list.
		return true, m.settle(ctx, b, w, e, waves.EntrySkipped, "the case no longer qualifies for this wave", m.Now())
	}
	in, err := m.Period.InForce(ctx)
	if err != nil {
		return false, err
	}
	msg, err := m.message(in, tpl, e, c)
	if err != nil {
		return true, m.settle(ctx, b, w, e, waves.EntryFailed, err.Error(), m.Now())
	}
	if err := m.throttle(ctx); err != nil {
		return false, nil // stopping; the entry is still pending
	}
	// At a low rate the throttle may have waited for longer than the lease
	// lasts, and another instance worked the outbox meanwhile.
	if held, err := m.keepLease(ctx); !held || err != nil || m.book != b {
		return false, err
	}
	if err := m.written(); err != nil {
		return false, err
	}
	ctx = context.WithoutCancel(ctx)
	e.Status, e.UpdatedAt = waves.EntrySending, m.Now()
	if err := m.put(ctx, b, e, waves.EntryPending); err != nil {
		return false, err
	}
	sendErr := m.client.SendWithSMTPClient(m.conn, msg)
	why, now := "", m.Now()
	if sendErr != nil {
		why = sendErr.Error()
	}
	next = true
	out := classify(sendErr, msg)
	if m.Observe != nil {
		m.Observe(outcomeNames[out])
	}
	switch out {
	case outcomeSent:
		m.later(func() error { return m.settle(ctx, b, w, e, waves.EntrySent, "", now) })
		return true, nil
	case outcomeBounced:
		m.later(func() error { return m.settle(ctx, b, w, e, waves.EntryBounced, why, now) })
		return true, nil
	case outcomeRetry, outcomeLost:
		if out == outcomeLost {
			m.hangUp() // the next message dials again
		}
		// Not sent. A lost connection counts as a try like a 4xx, so that
		// a message whose sending always breaks cannot keep its wave open.
		e.Attempts++
		if e.Attempts >= m.MaxAttempts {
			m.later(func() error { return m.settle(ctx, b, w, e, waves.EntryFailed, why, now) })
			return true, nil
		}
		e.NextAttemptAt = now.Add(m.Backoff << (e.Attempts - 1))
		e.Status = waves.EntryPending
	case outcomeUncertain:
		m.hangUp()
		// On the case too, which keeps it out of later waves.
		m.later(func() error { return m.settle(ctx, b, w, e, waves.EntryUncertain, why, now) })
		return true, nil
	case outcomeRefused:
		m.hangUp()
		e.Status, next = waves.EntryPending, false
		if err := m.pause(ctx, w, sendErr); err != nil {
			return false, err
		}
	}
	e.LastError, e.UpdatedAt = why, now
	m.later(func() error { return m.put(ctx, b, e, waves.EntrySending) })
	return next, nil
}

// later runs the writes that record a message's outcome while the mailer
// prepares the next message — reads its case, renders it, waits for the
// rate limit — so that they do not lengthen the time between messages,
// each of which must wait 1/rate after the one before. One message's
// writes at most are under way: the next message is marked sending only
// once they are done (written), so that a crash still finds at most one
// entry sending, as when they ran in line.
func (m *Mailer) later(write func() error) {
	done := make(chan error, 1)
	go func() { done <- write() }()
	m.writing = done
}

// written waits for the writes later started, and returns their error.
func (m *Mailer) written() error {
	if m.writing == nil {
		return nil
	}
	err := <-m.writing
	m.writing = nil
	return err
}

// put writes an entry and books its change from status from; an entry
// back to pending after a try is written as outbox.Retry does, which lists
// its case among the wave's retrying.
func (m *Mailer) put(ctx context.Context, b *book, e *waves.Entry, from string) error {
	write := m.Store.PutEntry
	if from == waves.EntrySending && e.Status == waves.EntryPending && e.Attempts > 0 {
		write = func(ctx context.Context, e *waves.Entry) error { return outbox.Retry(ctx, m.Store, e) }
	}
	if err := write(ctx, e); err != nil {
		return err
	}
	b.moved(from, e)
	return nil
}

// settle records an entry's final status at now, with the case's contact
// when a message was sent or given up on, and books it.
func (m *Mailer) settle(ctx context.Context, b *book, w *waves.Wave, e *waves.Entry, status, why string, now time.Time) error {
	from := e.Status
	if err := outbox.Settle(ctx, m.Store, w, e, status, why, now); err != nil {
		return err
	}
	b.moved(from, e)
	return nil
}

// message renders the entry's email. The personal link exists only here,
// in memory, on its way to the mail server.
func (m *Mailer) message(in *instrument.Instrument, tpl *waves.Templates, e *waves.Entry, c *survey.Case) (*mail.Msg, error) {
	if c.SealedToken == "" {
		return nil, errors.New("the case has no personal link to send (it was not created by a frame import)")
	}
	tok, err := m.Sealer.Open(c.SealedToken)
	if err != nil {
		return nil, errors.New("the case's personal link cannot be opened with this service's secret")
	}
	content, err := tpl.Render(waves.FieldsFor(c, m.BaseURL, tok, in))
	if err != nil {
		return nil, fmt.Errorf("rendering the message: %w", err)
	}
	msg, err := m.compose(netmail.Address{Name: c.Frame.Name, Address: c.Frame.Email}, content)
	if err != nil {
		return nil, fmt.Errorf("the address %q: %w", c.Frame.Email, err)
	}
	msg.SetMessageIDWithValue(waves.MessageID(e.ID, m.domain))
	if m.VERP != "" {
		if err := msg.EnvelopeFrom(waves.ReturnPath(m.VERP, e.ID)); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// Start runs a Mailer in the background when a mail server is configured,
// and returns it, for test sends (nil without a mail server), and what
// stops it: that waits for the message in flight to be finished and
// recorded. observe, if not nil, becomes the Mailer's Observe.
func Start(st *store.Store, in *instrument.Instrument, cfg config.Config, baseURL string, logger *slog.Logger, observe func(outcome string)) (m *Mailer, stop func(), err error) {
	if cfg.SMTP.Host == "" {
		logger.Warn("mail: no CANVASS_SMTP_HOST: waves are kept but not sent")
		return nil, func() {}, nil
	}
	if m, err = New(st, in, cfg.Secret, baseURL, cfg.SMTP, logger); err != nil {
		return nil, nil, err
	}
	m.Observe = observe
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	return m, func() {
		cancel()
		<-done
	}, nil
}
