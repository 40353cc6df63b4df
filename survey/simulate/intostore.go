package simulate

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/sync/errgroup"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldwork"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/outbox"
	"github.com/canvass-survey/canvass/survey/respond"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/token"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Target is the store a field period is simulated into.
type Target struct {
	Store *store.Store
	// Secret is the service's: the cases' ids are the keyed hashes of
	// their tokens, and their links are sealed under it.
	Secret []byte
	// Token, when not nil, is case i's personal token; nil: the import
	// makes random ones, as for any frame.
	Token  func(i int) string
	Logger *slog.Logger
}

// writers is how many cases the simulation writes at once: with one, the
// embedded store would wait on each write's flush while its CPU idles.
const writers = 4

// importRows is how many rows one simulated frame import carries.
const importRows = 10_000

// IntoStore simulates the field period into the store through the code
// paths staff and respondents use, with the survey's clock moved through
// it: staff import the frame (fieldwork.ImportFrame) and create the waves
// (fieldwork.CreateWave), whose outbox is kept as the mailer keeps it
// (package outbox) with no mail sent; respondents consent, save page after
// page, submit and opt out through respond.Service; staff mark bounces,
// ineligibles, absences and refusals through fieldwork.Mark, log their
// phone calls after the last reminder through fieldwork.LogContact, and
// put those who ask on the do-not-contact list through
// fieldwork.DoNotContact. A zero o.Start is the four weeks up to now.
func IntoStore(ctx context.Context, o Options, t Target) (*Summary, error) {
	o = o.Live(time.Now())
	if err := o.Check(); err != nil {
		return nil, err
	}
	r := &player{plan: newPlan(o), t: t, hasher: token.NewHasher(t.Secret), sealer: token.NewSealer(t.Secret),
		by: account.Actor{Email: Staff, Role: account.RoleStaff, IP: "simulation"}, gate: respond.NewGate(t.Store.Slots(), time.Minute)}
	total := 0
	if err := r.each(func(s *story) error { total += 1 + len(s.Contacts) + len(s.Events); return nil }); err != nil {
		return nil, err
	}
	r.bar = newBar(o, total, "simulating the field period into the store")
	defer r.bar.Finish()
	if err := r.importFrame(ctx); err != nil {
		return nil, err
	}
	from := o.Start
	for k, w := range r.waves {
		if err := r.events(ctx, from, w.At); err != nil {
			return nil, err
		}
		if err := r.wave(ctx, k); err != nil {
			return nil, fmt.Errorf("the %s of %s: %w", w.Kind, w.At.Format("2006-01-02"), err)
		}
		from = w.At
	}
	if err := r.events(ctx, from, o.End()); err != nil {
		return nil, err
	}
	return r.summary(ctx)
}

// player carries a plan out on the store.
type player struct {
	*plan
	t      Target
	hasher token.Hasher
	sealer token.Sealer
	by     account.Actor
	ids    []string // case index → id
	tokens []string // case index → personal token
	bar    *progressbar.ProgressBar
	// gate lets as many respondents' writes at the store at once as it
	// serves best, as the service's own does: the embedded store's SQLite
	// puts a second writer to sleep, so the writers overlap their reads
	// and queue for their writes.
	gate *respond.Gate
}

// fieldwork is staff's service with the survey's clock at at.
func (r *player) fieldwork(at time.Time) *fieldwork.Service {
	clock := func() time.Time { return at }
	return &fieldwork.Service{Store: r.t.Store, Instrument: r.in, Hasher: r.hasher, Sealer: r.sealer,
		MailServer: "none: a simulated field period", Now: clock, Wall: clock, Logger: r.t.Logger}
}

// importFrame imports the frame as staff do, importRows rows a file.
func (r *player) importFrame(ctx context.Context) error {
	fw := r.fieldwork(r.o.Start)
	if r.t.Token != nil {
		next := 0
		fw.NewToken = func() string {
			next++
			return r.t.Token(next - 1)
		}
	}
	var buf bytes.Buffer
	w, rows := (*frame.Writer)(nil), 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		if err := w.Flush(); err != nil {
			return err
		}
		imported, err := fw.ImportFrame(ctx, r.by, &buf)
		if err != nil {
			return fmt.Errorf("importing the frame: %w", err)
		}
		for _, im := range imported {
			r.ids, r.tokens = append(r.ids, im.ID), append(r.tokens, im.Token)
		}
		_ = r.bar.Add(rows)
		buf.Reset()
		rows = 0
		return nil
	}
	err := r.each(func(s *story) error {
		if rows == 0 {
			var err error
			if w, err = frame.NewWriter(&buf, nil); err != nil {
				return err
			}
		}
		rows++
		if err := w.Write(s.Frame); err != nil || rows < importRows {
			return err
		}
		return flush()
	})
	if err != nil {
		return err
	}
	return flush()
}

// wave sends wave k as staff and the mailer do: staff create it, it
// selects its cases as the mailer's start does, and every message is
// recorded on its case and in the outbox as the mail server answered it,
// at its moment of the sending (outbox.Record). The selection must be the
// one the stories foresaw: else they are wrong.
func (r *player) wave(ctx context.Context, k int) error {
	wv := r.waves[k]
	var ds []outbox.Delivery
	err := r.each(func(s *story) error {
		for _, ct := range s.Contacts {
			if ct.Wave == k {
				status := map[string]string{survey.ContactSent: waves.EntrySent, survey.ContactBounced: waves.EntryBounced}[ct.Status]
				ds = append(ds, outbox.Delivery{Case: r.ids[s.Index], Status: status, Why: ct.Error, At: ct.At})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w, err := r.fieldwork(wv.At).CreateWave(ctx, r.by, waves.Draft{Kind: wv.Kind, ScheduledAt: "now"}, wv.ID)
	if err != nil {
		return err
	}
	selected, err := outbox.Selected(ctx, r.t.Store, w, wv.At)
	if err != nil {
		return err
	}
	if len(selected) != len(ds) {
		return fmt.Errorf("it selected %d cases where the simulation foresaw %d", len(selected), len(ds))
	}
	slices.SortFunc(ds, func(a, b outbox.Delivery) int { return a.At.Compare(b.At) })
	if err := outbox.Record(ctx, r.t.Store, w, ds, wv.At.Add(sendWindow), min(writers, r.t.Store.Slots())); err != nil {
		return err
	}
	_ = r.bar.Add(len(ds))
	return nil
}

// events plays every event in [from, to), writers cases at a time, each
// case's in order: cases do not touch one another between two waves.
func (r *player) events(ctx context.Context, from, to time.Time) error {
	g, ctx := errgroup.WithContext(ctx)
	cases := make(chan *story)
	for range writers {
		g.Go(func() error {
			for s := range cases {
				for i := range s.Events {
					if err := r.play(ctx, s.Index, &s.Events[i]); err != nil {
						return fmt.Errorf("case %d: %s at %s: %w", s.Index, s.Events[i].Kind, s.Events[i].At.Format(time.RFC3339), err)
					}
					_ = r.bar.Add(1)
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(cases)
		return r.each(func(s *story) error {
			s.Events = slices.DeleteFunc(s.Events, func(e event) bool { return e.At.Before(from) || !e.At.Before(to) })
			if len(s.Events) == 0 {
				return nil
			}
			select {
			case cases <- s:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	})
	return g.Wait()
}

// play does one event through the service its actor uses, with the
// survey's clock at the event.
func (r *player) play(ctx context.Context, i int, e *event) error {
	clock := func() time.Time { return e.At }
	resp := &respond.Service{Store: r.t.Store, Instrument: r.in, Hasher: r.hasher, Now: clock, Gate: r.gate}
	tok := r.tokens[i]
	var err error
	switch e.Kind {
	case evStart:
		_, err = resp.Start(ctx, tok, e.Device)
	case evSave:
		_, err = resp.Save(ctx, tok, respond.Save{Set: e.Set, Page: e.Next, PageSeconds: e.pageSeconds(), Device: e.Device})
	case evSubmit:
		_, err = resp.Submit(ctx, tok)
	case evOptOut:
		_, err = resp.OptOut(ctx, tok)
	case evMark:
		_, err = r.fieldwork(e.At).Mark(ctx, r.by, r.ids[i], string(e.Mark), e.Note)
	case evCall:
		_, err = r.fieldwork(e.At).LogContact(ctx, r.by, r.ids[i], fieldwork.Attempt{Mode: survey.ModePhone, Outcome: e.Outcome, Note: e.Note})
	case evDNC:
		_, err = r.fieldwork(e.At).DoNotContact(ctx, r.by, r.ids[i], true, e.Note)
	}
	return err
}

// summary reads the cases back and counts their dispositions.
func (r *player) summary(ctx context.Context) (*Summary, error) {
	sum := newSummary(r.o)
	err := r.t.Store.EachCase(ctx, r.in.ID, func(c *survey.Case) error {
		sum.add(c, r.in)
		return nil
	})
	return sum, err
}
