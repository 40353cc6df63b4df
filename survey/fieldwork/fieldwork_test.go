package fieldwork

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/token"
	"github.com/canvass-survey/canvass/survey/waves"
)

var (
	inField = time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)
	staff   = account.Actor{Email: "staff@example.org", Role: account.RoleStaff, IP: "192.0.2.7"}
	secret  = []byte("a-test-secret-of-at-least-32-characters")
)

func newService(t *testing.T) (*Service, *store.Store) {
	t.Helper()
	st := storetest.MustOpen(t)
	surveyClock := func() time.Time { return inField }
	var ticks time.Duration
	wall := func() time.Time { ticks += time.Second; return inField.Add(ticks) } // audit entries in order
	return &Service{Store: st, Instrument: instrument.Default(), Hasher: token.NewHasher(secret), Sealer: token.NewSealer(secret),
		MailServer: "mail.example.org:587", Now: surveyClock, Wall: wall, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, st
}

func frameCSV(t *testing.T, n int, seed int64) string {
	t.Helper()
	var buf bytes.Buffer
	if err := frame.WriteCSV(&buf, frame.Synthetic(n, seed, instrument.Default())); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// lastAudit is the newest audit entry.
func lastAudit(t *testing.T, st *store.Store) account.AuditEntry {
	t.Helper()
	entries, err := st.Audit(context.Background(), 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %v %v", entries, err)
	}
	return entries[0]
}

func TestImportFrame(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	imported, err := s.ImportFrame(ctx, staff, strings.NewReader(frameCSV(t, 5, 1)))
	if err != nil || len(imported) != 5 {
		t.Fatalf("got %d, %v", len(imported), err)
	}
	c, err := st.Case(ctx, s.Hasher.CaseID(imported[2].Token))
	if err != nil || c.ID != imported[2].ID || c.Frame.Email != imported[2].Email || c.SealedToken == "" {
		t.Fatalf("the token does not open its case: %+v %v", c, err)
	}
	if a := lastAudit(t, st); a.Action != "frame.import" || a.Actor != staff.Email || a.IP != staff.IP || a.Detail["cases"] != "5" {
		t.Errorf("audit %+v", a)
	}
	// The same people again, after a new one: refused whole, by line.
	again := strings.Replace(frameCSV(t, 1, 9), "@", "+new@", 1) + strings.SplitN(frameCSV(t, 2, 1), "\n", 2)[1]
	_, err = s.ImportFrame(ctx, staff, strings.NewReader(again))
	var rows *frame.Errors
	if !errors.As(err, &rows) || len(rows.Rows) != 2 || rows.Rows[0].Line != 3 || rows.Rows[1].Line != 4 {
		t.Fatalf("got %v, want lines 3 and 4 already in the sample", err)
	}
	if all, _ := st.Cases(ctx, s.Instrument.ID); len(all) != 5 {
		t.Errorf("%d cases after a refused import, want 5", len(all))
	}
}

func TestMark(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	imported, err := s.ImportFrame(ctx, staff, strings.NewReader(frameCSV(t, 1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	id := imported[0].ID
	t.Run("ErrInvalid", func(t *testing.T) {
		if _, err := s.Mark(ctx, staff, id, "lost", ""); survey.ErrorCode(err) != survey.EINVALID {
			t.Errorf("an unknown code: %v", err)
		}
		if _, err := s.Mark(ctx, staff, id, "other", strings.Repeat("x", 1001)); survey.ErrorCode(err) != survey.EINVALID {
			t.Errorf("a long note: %v", err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		if _, err := s.Mark(ctx, staff, id, "", ""); survey.ErrorCode(err) != survey.ECONFLICT {
			t.Errorf("undoing no mark: %v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		c, err := s.Mark(ctx, staff, id, "ineligible", "left the position")
		if err != nil || c.Mark == nil || c.Mark.Code != "ineligible" || c.Mark.By != staff.Email || len(c.History) != 1 {
			t.Fatalf("mark: %+v %v", c, err)
		}
		if a := lastAudit(t, st); a.Action != "case.mark" || a.CaseID != id || a.Detail["code"] != "ineligible" {
			t.Errorf("audit %+v", a)
		}
		if c, err = s.Mark(ctx, staff, id, "", ""); err != nil || c.Mark != nil || len(c.History) != 2 {
			t.Errorf("unmark: %+v %v", c, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.Mark(ctx, staff, "nonesuch", "other", ""); survey.ErrorCode(err) != survey.ENOTFOUND {
			t.Errorf("an unknown case: %v", err)
		}
	})
}

func TestWaves(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	if _, err := s.ImportFrame(ctx, staff, strings.NewReader(frameCSV(t, 3, 1))); err != nil {
		t.Fatal(err)
	}
	draft := waves.Draft{Kind: waves.KindInvitation, ScheduledAt: "now"}
	t.Run("ErrNoMailServer", func(t *testing.T) {
		s.MailServer = ""
		defer func() { s.MailServer = "mail.example.org:587" }()
		if _, err := s.CreateWave(ctx, staff, draft, "w0"); err != ErrNoMailServer {
			t.Errorf("got %v", err)
		}
		if _, err := st.Wave(ctx, "w0"); survey.ErrorCode(err) != survey.ENOTFOUND {
			t.Errorf("a refused wave was stored: %v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		p, err := s.PreviewWave(ctx, draft, "https://survey.example")
		if err != nil || p.Recipients != 3 || !strings.Contains(p.Text, "https://survey.example/s/") {
			t.Fatalf("preview %+v %v", p, err)
		}
		w, err := s.CreateWave(ctx, staff, draft, "w1")
		if err != nil || w.Selected != 3 || w.CreatedBy != staff.Email {
			t.Fatalf("create %+v %v", w, err)
		}
		if _, err := s.CreateWave(ctx, staff, draft, "w1"); survey.ErrorCode(err) != survey.ECONFLICT {
			t.Errorf("the same id again: %v", err)
		}
		if w, err = s.CancelWave(ctx, staff, "w1"); err != nil || w.Status != waves.StatusCancelled {
			t.Fatalf("cancel %+v %v", w, err)
		}
		if a := lastAudit(t, st); a.Action != "wave.cancel" || a.Target != "w1" {
			t.Errorf("audit %+v", a)
		}
		if _, err := s.CancelWave(ctx, staff, "w1"); survey.ErrorCode(err) != survey.ECONFLICT {
			t.Errorf("cancelled twice: %v", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		if _, err := s.CreateWave(ctx, staff, waves.Draft{Kind: "postcard"}, "w2"); survey.ErrorCode(err) != survey.EINVALID {
			t.Errorf("an unknown kind: %v", err)
		}
	})
}
