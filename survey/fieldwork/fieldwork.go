// Package fieldwork is what the research team does during the field period
// — import the sample frame, record dispositions, create, preview and
// cancel waves — each rule once, with its audit entry, on context.Context:
// the JSON API and the admin pages both call it.
package fieldwork

import (
	"context"
	"errors"
	"io"
	"log/slog"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/fieldperiod"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/token"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Store is what the field period's rules need of the store.
type Store interface {
	Case(ctx context.Context, id string) (*survey.Case, error)
	CaseByEmail(ctx context.Context, surveyID, email string) (*survey.Case, error)
	Cases(ctx context.Context, surveyID string) ([]survey.Case, error)
	InsertCases(ctx context.Context, importID string, cases []*survey.Case) error
	UpdateCase(ctx context.Context, id string, decide func(*survey.Case) (*survey.Change, error)) (*survey.Case, error)
	InsertWave(ctx context.Context, w *waves.Wave) error
	Wave(ctx context.Context, id string) (*waves.Wave, error)
	UpdateWave(ctx context.Context, id string, change func(*waves.Wave) error) (*waves.Wave, error)
	Entry(ctx context.Context, id string) (*waves.Entry, error)
	PutEntry(ctx context.Context, e *waves.Entry) error
	AppendAudit(ctx context.Context, e *account.AuditEntry) error
}

// Service applies the rules of the field period.
type Service struct {
	Store      Store
	Instrument *instrument.Instrument
	Hasher     token.Hasher
	Sealer     token.Sealer
	// MailServer names the server that sends waves; empty: none, and
	// creating a wave is refused.
	MailServer string
	// MailDomain is the domain of the waves' sender, which their
	// Message-IDs end in; Sender sends test messages, nil without a mail
	// server.
	MailDomain string
	Sender     Sender
	// Now is the survey's clock, which stamps cases; Wall the real one,
	// which stamps waves and the audit log.
	Now, Wall func() time.Time
	Logger    *slog.Logger
	// NewToken makes each imported case's personal token; nil: token.New.
	// The demo derives its tokens from the secret, so that it can print the
	// same links after a restart.
	NewToken func() string
	// Period is the field period as a PI runs it; nil: the questionnaire's.
	Period *fieldperiod.Keeper
}

func (s *Service) audit(ctx context.Context, by account.Actor, action, target, caseID string, detail map[string]string) {
	e := &account.AuditEntry{At: s.Wall().UTC(), Actor: by.Email, Role: by.Role, Action: action, Target: target,
		CaseID: caseID, IP: by.IP, Detail: detail}
	if err := s.Store.AppendAudit(ctx, e); err != nil {
		s.Logger.ErrorContext(ctx, "audit entry not written", "action", action, "err", err)
	}
}

func (s *Service) newToken() string {
	if s.NewToken != nil {
		return s.NewToken()
	}
	return token.New()
}

// Imported is a new case and its personal token, shown once.
type Imported struct {
	ID, Email, Token string
}

// ImportFrame checks a sample-frame CSV against the survey, then creates a
// case with a fresh token for every row — all of them or, on any problem,
// none. The store's unique index finds the rows already in the sample,
// without reading the sample.
func (s *Service) ImportFrame(ctx context.Context, by account.Actor, body io.Reader) ([]Imported, error) {
	file, err := frame.Parse(body, s.Instrument)
	if err != nil { // a *frame.Errors, or the reader's own failure
		return nil, err
	}
	now := s.Now().UTC()
	importID := account.NewID()
	cases := make([]*survey.Case, len(file.Rows))
	out := make([]Imported, len(file.Rows))
	for i, f := range file.Rows {
		tok := s.newToken()
		f.Email = strings.ToLower(f.Email) // the unique index compares exactly
		cases[i] = &survey.Case{ID: s.Hasher.CaseID(tok), Survey: s.Instrument.ID, Frame: f, Status: survey.StatusNew,
			CreatedAt: now, UpdatedAt: now, SealedToken: s.Sealer.Seal(tok)}
		out[i] = Imported{ID: cases[i].ID, Email: f.Email, Token: tok}
	}
	var inSample *store.DuplicateError
	if err := s.Store.InsertCases(ctx, importID, cases); errors.As(err, &inSample) {
		return nil, file.InSample(inSample.Indexes)
	} else if err != nil {
		return nil, err
	}
	s.audit(ctx, by, "frame.import", importID, "", map[string]string{"cases": strconv.Itoa(len(cases))})
	return out, nil
}

// Mark records a staff disposition on a case (code one of aapor's marks,
// with an optional note), or with code "" undoes the one recorded.
func (s *Service) Mark(ctx context.Context, by account.Actor, id, code, note string) (*survey.Case, error) {
	now := s.Now().UTC()
	var ch *survey.Change
	if code == "" {
		ch = &survey.Change{ClearMark: true, Event: &survey.Event{At: now, By: by.Email, What: "unmark"}, At: now}
	} else {
		var err error
		if ch, err = markChange(by, code, note, now); err != nil {
			return nil, err
		}
	}
	updated, err := s.Store.UpdateCase(ctx, id, func(cur *survey.Case) (*survey.Change, error) {
		if code == "" && cur.Mark == nil {
			return nil, survey.Errorf(survey.ECONFLICT, "The case has no recorded disposition to undo.")
		}
		return ch, nil
	})
	if err != nil {
		return nil, err
	}
	action, detail := "case.mark", map[string]string{"code": code}
	if code == "" {
		action, detail = "case.unmark", nil
	}
	s.audit(ctx, by, action, "", id, detail)
	return updated, nil
}

// markChange is the change that records a staff mark, checked: staff and
// the bounce mailbox mark cases through it.
func markChange(by account.Actor, code, note string, now time.Time) (*survey.Change, error) {
	mark, err := aapor.ParseMark(code)
	if err != nil {
		return nil, err
	}
	if err := checkNote(note); err != nil {
		return nil, err
	}
	m := &survey.Mark{Code: string(mark), Note: note, At: now, By: by.Email}
	return &survey.Change{Mark: m, Event: &survey.Event{At: now, By: by.Email, What: "mark", Code: m.Code, Note: note}, At: now}, nil
}

// checkNote bounds a note staff write on a case.
func checkNote(note string) error {
	if len(note) > 1000 {
		return survey.FieldErrors("The note is too long", map[string]string{"note": "at most 1,000 characters"})
	}
	return nil
}

// selection scans the survey's cases once and returns how many the wave
// selects now, and the first of them (nil when none).
func (s *Service) selection(ctx context.Context, w *waves.Wave) (int, *survey.Case, error) {
	cases, err := s.Store.Cases(ctx, s.Instrument.ID)
	if err != nil {
		return 0, nil, err
	}
	n, first, now := 0, (*survey.Case)(nil), s.Now()
	for i := range cases {
		if w.Selects(&cases[i], now) {
			if n == 0 {
				first = &cases[i]
			}
			n++
		}
	}
	return n, first, nil
}

// ErrNoMailServer refuses a wave that nothing would send: without a mail
// server it would sit "scheduled" past its time, silently.
var ErrNoMailServer = survey.Errorf(survey.ECONFLICT,
	"No mail server is configured (CANVASS_SMTP_HOST), so nothing would be sent: configure one and restart the service, then schedule the wave.")

// CreateWave checks a draft, counts the cases it selects and stores it
// under id; nothing is stored when the draft is not valid. A wave with
// that id already stored is ECONFLICT.
func (s *Service) CreateWave(ctx context.Context, by account.Actor, d waves.Draft, id string) (*waves.Wave, error) {
	w, _, err := d.Check(s.Instrument.ID, s.Now(), s.Instrument.FieldPeriod.Location())
	if err != nil {
		return nil, err
	}
	if s.MailServer == "" {
		return nil, ErrNoMailServer
	}
	if w.Selected, _, err = s.selection(ctx, w); err != nil {
		return nil, err
	}
	w.ID, w.CreatedAt, w.CreatedBy = id, s.Wall().UTC(), by.Email
	if err := s.Store.InsertWave(ctx, w); err != nil {
		return nil, err
	}
	s.audit(ctx, by, "wave.create", w.ID, "", map[string]string{"kind": w.Kind,
		"scheduled_at": w.ScheduledAt.Format(time.RFC3339), "selected": strconv.Itoa(w.Selected)})
	return w, nil
}

// Preview is a draft rendered for one selected case, or for made-up
// fields when the draft selects none. The link is never a real one.
type Preview struct {
	waves.Message
	To string `json:"to"`
	// Recipients is how many cases the wave selects now; it selects again
	// when it starts.
	Recipients int `json:"recipients"`
}

// PreviewWave renders a draft as its first recipient would read it, with
// links under baseURL.
func (s *Service) PreviewWave(ctx context.Context, d waves.Draft, baseURL string) (*Preview, error) {
	w, tpl, err := d.Check(s.Instrument.ID, s.Now(), s.Instrument.FieldPeriod.Location())
	if err != nil {
		return nil, err
	}
	n, first, err := s.selection(ctx, w)
	if err != nil {
		return nil, err
	}
	in, err := s.inForce(ctx)
	if err != nil {
		return nil, err
	}
	sample := waves.SampleFields()
	f := waves.FieldsFor(&survey.Case{Frame: survey.Frame{Name: sample.Name, Title: sample.Title, City: sample.City}},
		baseURL, waves.PreviewToken, in)
	to := netmail.Address{Name: sample.Name, Address: "alex.sample@example.org"}
	if first != nil {
		f = waves.FieldsFor(first, baseURL, waves.PreviewToken, in)
		to = netmail.Address{Name: first.Frame.Name, Address: first.Frame.Email}
	}
	m, err := tpl.Render(f)
	if err != nil {
		return nil, err
	}
	return &Preview{Message: m, To: to.String(), Recipients: n}, nil
}

// Sender sends one message outside every wave.
type Sender interface {
	SendTest(ctx context.Context, to netmail.Address, m waves.Message) error
}

// SendTest sends the draft, rendered as PreviewWave renders it (for its
// first recipient, with a stand-in link), to the member of staff who asks,
// "[Test]" before its subject. Nothing is queued and no case's contact log
// changes: it counts nowhere.
func (s *Service) SendTest(ctx context.Context, by account.Actor, d waves.Draft, baseURL string) (*Preview, error) {
	if s.Sender == nil {
		return nil, ErrNoMailServer
	}
	p, err := s.PreviewWave(ctx, d, baseURL)
	if err != nil {
		return nil, err
	}
	m := p.Message
	m.Subject = "[Test] " + m.Subject
	if err := s.Sender.SendTest(ctx, netmail.Address{Address: by.Email}, m); err != nil {
		return nil, &survey.Error{Code: survey.EUNAVAILABLE, Message: "The mail server did not take the test message; please try again.", Err: err}
	}
	p.To = by.Email
	s.audit(ctx, by, "wave.test", "", "", map[string]string{"kind": d.Kind, "to": by.Email})
	return p, nil
}

// SendTestOf sends a stored wave's test, as SendTest does a draft's.
func (s *Service) SendTestOf(ctx context.Context, by account.Actor, id, baseURL string) (*Preview, error) {
	w, err := s.Store.Wave(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.SendTest(ctx, by, w.Draft(), baseURL)
}

// CancelWave stops a wave that has not finished; what it sent stays sent.
func (s *Service) CancelWave(ctx context.Context, by account.Actor, id string) (*waves.Wave, error) {
	now := s.Wall().UTC()
	w, err := s.Store.UpdateWave(ctx, id, func(w *waves.Wave) error {
		if !w.Active() {
			return survey.Errorf(survey.ECONFLICT, "The wave is %s already.", w.Status)
		}
		w.Status, w.FinishedAt, w.PausedUntil = waves.StatusCancelled, &now, nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.audit(ctx, by, "wave.cancel", w.ID, "", map[string]string{"kind": w.Kind})
	return w, nil
}
