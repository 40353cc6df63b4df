package store

import (
	"context"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/waves"
)

// openShared starts the store as `canvass store` does and opens two
// clients of it, as two instances of the service would.
func openShared(t *testing.T) (a, b *Store) {
	t.Helper()
	ctx := context.Background()
	srv, err := StartServer(ctx, ServeConfig{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Database: "t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	open := func() *Store {
		s, err := Open(ctx, Config{URI: srv.URI, Database: "t"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(ctx) })
		if s.cas != casClaim {
			t.Fatalf("a shared FerretDB is written with %s", s.cas)
		}
		return s
	}
	return open(), open()
}

// Two processes on one store: one reads a case, the other submits it, then
// the first writes. Without the compare-and-set the answer would land after
// the submission; with it the first decides again on the submitted case.
func TestUpdateCaseSharedStore(t *testing.T) {
	ctx := context.Background()
	a, b := openShared(t)
	if err := a.InsertCase(ctx, &survey.Case{ID: "c1", Survey: "s", Status: survey.StatusStarted, Frame: survey.Frame{Email: "a@example.org"}}); err != nil {
		t.Fatal(err)
	}
	decisions := 0
	_, err := b.UpdateCase(ctx, "c1", func(c *survey.Case) (*survey.Change, error) {
		decisions++
		if decisions == 1 { // meanwhile, the other instance submits
			if _, err := a.UpdateCase(ctx, "c1", func(*survey.Case) (*survey.Change, error) {
				return &survey.Change{Status: survey.StatusSubmitted, At: time.Now()}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if c.Status == survey.StatusSubmitted {
			return nil, survey.Errorf(survey.ECONFLICT, "already submitted")
		}
		return &survey.Change{SetAnswers: map[string]any{"q1": 3}, At: time.Now()}, nil
	})
	if survey.ErrorCode(err) != survey.ECONFLICT || decisions != 2 {
		t.Fatalf("got %v after %d decisions, want a conflict on the second", err, decisions)
	}
	c, err := a.Case(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != survey.StatusSubmitted || len(c.Answers) != 0 || c.Rev != 1 {
		t.Errorf("case %+v", c)
	}
}

// A cancel from one instance is not undone by another instance's update of
// the same wave that read it before.
func TestUpdateWaveSharedStore(t *testing.T) {
	ctx := context.Background()
	a, b := openShared(t)
	if err := a.InsertWave(ctx, &waves.Wave{ID: "w1", Survey: "s", Kind: waves.KindInvitation, Status: waves.StatusPaused}); err != nil {
		t.Fatal(err)
	}
	changes := 0
	_, err := b.UpdateWave(ctx, "w1", func(w *waves.Wave) error {
		changes++
		if changes == 1 { // meanwhile, staff cancel it on the other instance
			if _, err := a.UpdateWave(ctx, "w1", func(w *waves.Wave) error { w.Status = waves.StatusCancelled; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if w.Status != waves.StatusPaused {
			return survey.Errorf(survey.ECONFLICT, "no longer paused")
		}
		w.Status = waves.StatusSending
		return nil
	})
	if survey.ErrorCode(err) != survey.ECONFLICT || changes != 2 {
		t.Fatalf("got %v after %d changes", err, changes)
	}
	if w, _ := a.Wave(ctx, "w1"); w.Status != waves.StatusCancelled {
		t.Errorf("status %q, want cancelled", w.Status)
	}
}
