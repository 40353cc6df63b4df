// Package bounces reads the bounce mailbox over IMAP. Mail relays accept
// every message and send a delivery-status notification later when one
// cannot be delivered; each unread notification is matched to the message
// it reports on — by the VERP return address it was sent to, or by the
// original Message-ID it quotes — and recorded through the fieldwork
// service, as the system: a bounce marks the case bounced, a delay is only
// noted. Then the message is marked read (and moved, if configured), so it
// is read once; what cannot be matched is marked read and flagged for a
// person, and nothing is changed. It knows nothing of HTTP; the scheduler
// runs Poll under a lease, so one instance of several reads the mailbox.
package bounces

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/canvass-survey/canvass/server/bounces/dsn"
	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldwork"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Job names the poll: its state in the store and its job's lease.
const Job = "bounces"

// System is who the audit log and the contact log name for what the bounce
// mailbox records.
var System = account.Actor{Email: "system (bounce mailbox)", Role: "system"}

// Store is what the reader needs of the store: the outbox, to find a
// message by its Message-ID, and the poll's state.
type Store interface {
	EntriesInStatus(ctx context.Context, status string) ([]waves.Entry, error)
	Poll(ctx context.Context, id string) (*store.Poll, error)
	PutPoll(ctx context.Context, p *store.Poll) error
}

// Recorder records what a notification says: the fieldwork service.
type Recorder interface {
	RecordNotice(ctx context.Context, by account.Actor, n fieldwork.Notice) (bool, error)
}

// Reader reads the bounce mailbox.
type Reader struct {
	Config   config.Bounces
	VERP     string // the mailer's VERP address, "" when off
	Store    Store
	Recorder Recorder
	Logger   *slog.Logger
	Now      func() time.Time
}

// pollTimeout bounds one poll, so that a server that stops answering
// cannot hold the job's lease.
const pollTimeout = 2 * time.Minute

// Poll reads every unread message of the folder once, and keeps in the
// store when it did and what went wrong, for the Waves page. A poll that
// fails part-way leaves the messages it did not finish unread: the next
// poll reads them again, and recording one twice changes nothing.
func (r *Reader) Poll(ctx context.Context) error {
	counts := map[string]int{}
	err := r.read(ctx, counts)
	if err != nil {
		r.Logger.Warn("bounces: reading the mailbox", "err", err)
	}
	ctx = context.WithoutCancel(ctx)
	p, perr := r.Store.Poll(ctx, Job)
	if survey.ErrorCode(perr) == survey.ENOTFOUND {
		p, perr = &store.Poll{ID: Job}, nil
	}
	if perr != nil {
		return perr
	}
	p.LastPoll, p.LastError = r.Now().UTC(), ""
	if err == nil {
		p.LastOK = p.LastPoll
	} else {
		p.LastError = err.Error()
	}
	if p.Counts == nil {
		p.Counts = map[string]int{}
	}
	for k, n := range counts {
		p.Counts[k] += n
	}
	if perr := r.Store.PutPoll(ctx, p); perr != nil {
		return perr
	}
	return err
}

func (r *Reader) read(ctx context.Context, counts map[string]int) error {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	c, err := r.dial()
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", r.addr(), err)
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { _ = c.Close() })() // a server that stops answering
	if err := c.Login(r.Config.User, r.Config.Password).Wait(); err != nil {
		return fmt.Errorf("logging in to %s as %s: %w", r.addr(), r.Config.User, err)
	}
	if _, err := c.Select(r.Config.Folder, nil).Wait(); err != nil {
		return fmt.Errorf("opening the folder %s: %w", r.Config.Folder, err)
	}
	if r.Config.MoveTo != "" {
		_ = c.Create(r.Config.MoveTo, nil).Wait() // made if missing; one that exists answers an error
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("searching for unread messages: %w", err)
	}
	m := &matcher{r: r}
	for _, uid := range found.AllUIDs() {
		if err := r.one(ctx, c, m, uid, counts); err != nil {
			return err
		}
	}
	return c.Logout().Wait()
}

func (r *Reader) addr() string { return net.JoinHostPort(r.Config.Host, strconv.Itoa(r.Config.Port)) }

func (r *Reader) dial() (*imapclient.Client, error) {
	opts := &imapclient.Options{Dialer: &net.Dialer{Timeout: 30 * time.Second}}
	switch r.Config.TLS {
	case "tls":
		return imapclient.DialTLS(r.addr(), opts)
	case "starttls":
		return imapclient.DialStartTLS(r.addr(), opts)
	}
	return imapclient.DialInsecure(r.addr(), opts)
}

// one reads one message, records it if it can, and tells the mailbox: read
// (and moved) when recorded, read and flagged for a person when not. A
// failure to record leaves it unread, for the next poll.
func (r *Reader) one(ctx context.Context, c *imapclient.Client, m *matcher, uid imap.UID, counts map[string]int) error {
	set := imap.UIDSetNum(uid)
	section := &imap.FetchItemBodySection{Peek: true} // Peek: reading does not mark it read
	msgs, err := c.Fetch(set, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return fmt.Errorf("fetching message %d: %w", uid, err)
	}
	if len(msgs) == 0 {
		return nil // removed meanwhile
	}
	n, why := m.notice(ctx, string(msgs[0].FindBodySection(section)))
	recorded := false
	if n != nil {
		_, err := r.Recorder.RecordNotice(ctx, System, *n)
		switch {
		case survey.ErrorCode(err) == survey.ENOTFOUND:
			why = "its message " + n.Entry + " is not in the outbox"
		case err != nil:
			return fmt.Errorf("recording message %d: %w", uid, err)
		default:
			recorded = true
			counts[n.Status]++
		}
	}
	flags := []imap.Flag{imap.FlagSeen}
	if !recorded {
		counts["unmatched"]++
		flags = append(flags, imap.FlagFlagged)
		r.Logger.Warn("bounces: a message was left flagged for a person", "uid", uid, "why", why)
	}
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close(); err != nil {
		return fmt.Errorf("marking message %d read: %w", uid, err)
	}
	if recorded && r.Config.MoveTo != "" {
		if _, err := c.Move(set, r.Config.MoveTo).Wait(); err != nil {
			return fmt.Errorf("moving message %d to %s: %w", uid, r.Config.MoveTo, err)
		}
	}
	return nil
}

// matcher finds the outbox entry a notification reports on.
type matcher struct {
	r *Reader
	// byMessageID maps the local part of each message's Message-ID to its
	// entry. Message-IDs are hashes of entry ids, so finding one means
	// reading the outbox: once per poll, and only for a notification that
	// no VERP address names.
	byMessageID map[string]string
}

// outcomes maps what a report says to the contact it records.
var outcomes = map[dsn.Outcome]string{dsn.Bounced: survey.ContactBounced, dsn.Failed: survey.ContactFailed, dsn.Delayed: survey.ContactDelayed}

// notice is what a raw message reports, ready to record; nil and why not
// when it reports nothing that can be recorded.
func (m *matcher) notice(ctx context.Context, raw string) (*fieldwork.Notice, string) {
	rep, err := dsn.Parse(strings.NewReader(raw))
	if err != nil {
		return nil, err.Error()
	}
	outcome, why := rep.Outcome()
	if outcomes[outcome] == "" {
		return nil, "it reports no failure or delay"
	}
	entry := ""
	if m.r.VERP != "" {
		for _, to := range rep.To {
			if entry = waves.EntryOfReturnPath(m.r.VERP, to); entry != "" {
				break
			}
		}
	}
	if entry == "" && rep.MessageID != "" {
		if err := m.index(ctx); err != nil {
			return nil, "the outbox could not be read: " + err.Error()
		}
		local, _, _ := strings.Cut(rep.MessageID, "@")
		entry = m.byMessageID[local]
	}
	if entry == "" {
		return nil, fmt.Sprintf("it matches no message of a wave (Message-ID <%s>, sent to %v)", rep.MessageID, rep.To)
	}
	at := rep.Date
	if at.IsZero() {
		at = m.r.Now()
	}
	return &fieldwork.Notice{Entry: entry, Status: outcomes[outcome], Why: why, At: at.UTC().Truncate(time.Second)}, ""
}

// index reads the outbox entries a notification can be about — messages
// that went out, or may have — once.
func (m *matcher) index(ctx context.Context) error {
	if m.byMessageID != nil {
		return nil
	}
	idx := map[string]string{}
	for _, status := range []string{waves.EntrySent, waves.EntryBounced, waves.EntryUncertain} {
		entries, err := m.r.Store.EntriesInStatus(ctx, status)
		if err != nil {
			return err
		}
		for _, e := range entries {
			local, _, _ := strings.Cut(waves.MessageID(e.ID, ""), "@")
			idx[local] = e.ID
		}
	}
	m.byMessageID = idx
	return nil
}
