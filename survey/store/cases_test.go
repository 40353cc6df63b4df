package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

func newCase(id, email string) *survey.Case {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &survey.Case{ID: id, Survey: "s1", Status: survey.StatusNew,
		Frame: survey.Frame{Email: email, Name: "Pat"}, CreatedAt: now, UpdatedAt: now}
}

func TestInsertCase(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		s := storetest.MustOpen(t)
		if err := s.InsertCase(ctx, newCase("c1", "a@example.org")); err != nil {
			t.Fatal(err)
		}
		got, err := s.Case(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Frame.Email != "a@example.org" || got.Status != survey.StatusNew {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := storetest.MustOpen(t)
		if err := s.InsertCase(ctx, newCase("c1", "a@example.org")); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*survey.Case{newCase("c1", "b@example.org"), newCase("c2", "a@example.org")} {
			if got, want := survey.ErrorCode(s.InsertCase(ctx, c)), survey.ECONFLICT; got != want {
				t.Errorf("insert %s/%s: got %q, want %q", c.ID, c.Frame.Email, got, want)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := storetest.MustOpen(t)
		_, err := s.Case(ctx, "nope")
		if got, want := survey.ErrorCode(err), survey.ENOTFOUND; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

// Concurrent saves of different questions on one case must all persist:
// the embedded store rewrites whole documents, so this fails without the
// per-case lock.
func TestUpdateCaseConcurrent(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	if err := s.InsertCase(ctx, newCase("c1", "a@example.org")); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateCase(ctx, "c1", func(*survey.Case) (*survey.Change, error) {
				return &survey.Change{SetAnswers: map[string]any{fmt.Sprintf("q%d", i): i}, At: time.Now()}, nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Case(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Answers) != n {
		t.Errorf("got %d answers, want %d: %v", len(got.Answers), n, got.Answers)
	}
}

func TestUpdateCaseClearsAndReopens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := storetest.MustOpenDir(t, dir)
	if err := s.InsertCase(ctx, newCase("c1", "a@example.org")); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	_, err := s.UpdateCase(ctx, "c1", func(*survey.Case) (*survey.Change, error) {
		return &survey.Change{SetAnswers: map[string]any{"a": 1, "b": "x"}, Status: survey.StatusStarted, Page: "p2",
			PageSeconds: map[string]float64{"p1": 12}, At: at}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateCase(ctx, "c1", func(*survey.Case) (*survey.Change, error) {
		return &survey.Change{ClearAnswers: []string{"b"}, PageSeconds: map[string]float64{"p1": 3}, At: at}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = storetest.MustOpenDir(t, dir)
	got, err := s.Case(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Answers) != 1 || got.Status != survey.StatusStarted || got.Page != "p2" ||
		got.StartedAt == nil || !got.StartedAt.Equal(at) || got.Paradata.PageSeconds["p1"] != 15 {
		t.Errorf("after reopen got %+v", got)
	}
}

func TestUpdateCaseMarksAndContacts(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	if err := s.InsertCase(ctx, newCase("c1", "a@example.org")); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	steps := []*survey.Change{
		{Contact: &survey.Contact{Wave: "w1", Kind: "invitation", Status: survey.ContactSent, At: at}, At: at},
		{Mark: &survey.Mark{Code: "ineligible", Note: "retired", At: at, By: "staff@example.org"},
			Event: &survey.Event{At: at, By: "staff@example.org", What: "mark", Code: "ineligible"}, At: at},
		{ClearMark: true, Event: &survey.Event{At: at, By: "staff@example.org", What: "unmark"}, SetAnswers: map[string]any{"q": 1}, ClearAnswers: []string{"x", "y"}, At: at},
	}
	for _, ch := range steps {
		if _, err := s.UpdateCase(ctx, "c1", func(*survey.Case) (*survey.Change, error) { return ch, nil }); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Case(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Contacts) != 1 || !got.Invited() || got.Mark != nil || len(got.History) != 2 || got.History[1].What != "unmark" || got.Answers["q"] == nil ||
		got.AnsweredAt == nil {
		t.Errorf("got %+v", got)
	}
}

func TestInsertCasesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	if err := s.InsertCase(ctx, newCase("old", "taken@example.org")); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertCase(ctx, newCase("old2", "also-taken@example.org")); err != nil {
		t.Fatal(err)
	}
	batch := []*survey.Case{newCase("n1", "taken@example.org"), newCase("n2", "two@example.org"), newCase("n3", "also-taken@example.org"), newCase("n4", "four@example.org")}
	err := s.InsertCases(ctx, "imp1", batch)
	var dup *store.DuplicateError
	if !errors.As(err, &dup) || !slices.Equal(dup.Indexes, []int{0, 2}) || survey.ErrorCode(err) != survey.ECONFLICT {
		t.Fatalf("got %v, want a conflict naming cases 0 and 2", err)
	}
	all, err := s.Cases(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Errorf("%d cases after a failed import, want the 2 from before", len(all))
	}
	if err := s.InsertCases(ctx, "imp2", []*survey.Case{batch[1], batch[3]}); err != nil {
		t.Fatal(err)
	}
	if all, _ = s.Cases(ctx, "s1"); len(all) != 4 {
		t.Errorf("%d cases, want 4", len(all))
	}
}

// An import larger than one insert names duplicates by their place in the
// whole import, and leaves nothing behind.
func TestInsertCasesChunks(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	if err := s.InsertCase(ctx, newCase("old", "taken@example.org")); err != nil {
		t.Fatal(err)
	}
	batch := make([]*survey.Case, 2100) // more than one insert carries
	for i := range batch {
		batch[i] = newCase(fmt.Sprintf("n%d", i), fmt.Sprintf("p%d@example.org", i))
	}
	batch[2050].Frame.Email = "taken@example.org"
	var dup *store.DuplicateError
	if err := s.InsertCases(ctx, "big", batch); !errors.As(err, &dup) || !slices.Equal(dup.Indexes, []int{2050}) {
		t.Fatalf("got %v, want case 2050 named", err)
	}
	if all, _ := s.Cases(ctx, "s1"); len(all) != 1 {
		t.Errorf("%d cases after a refused import, want 1", len(all))
	}
}

// ScanCases counts the survey's cases, and only them.
func TestScanCases(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	for i := range 3 {
		if err := s.InsertCase(ctx, newCase(fmt.Sprintf("c%d", i), fmt.Sprintf("p%d@example.org", i))); err != nil {
			t.Fatal(err)
		}
	}
	other := newCase("other", "q@example.org")
	other.Survey = "s2"
	if err := s.InsertCase(ctx, other); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ScanCases(ctx, "s1"); err != nil || got != 3 {
		t.Errorf("ScanCases = %d, %v; want 3", got, err)
	}
}
