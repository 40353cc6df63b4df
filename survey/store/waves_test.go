package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/waves"
)

func entry(wave, caseID, status string, sentAt *time.Time) waves.Entry {
	return waves.Entry{ID: waves.OutboxID(wave, caseID), Wave: wave, Case: caseID, Status: status, SentAt: sentAt}
}

func TestFillOutbox(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	first := []waves.Entry{entry("w1", "a", waves.EntryPending, nil), entry("w1", "b", waves.EntryPending, nil)}
	n, err := s.FillOutbox(ctx, first)
	if err != nil || n != 2 {
		t.Fatalf("first fill: %d, %v", n, err)
	}
	sent := first[0]
	sent.Status = waves.EntrySent
	if err := s.PutEntry(ctx, &sent); err != nil {
		t.Fatal(err)
	}
	// Filling again, as after a crash part-way, adds only the new case and
	// leaves the sent entry sent.
	again := []waves.Entry{entry("w1", "a", waves.EntryPending, nil), entry("w1", "b", waves.EntryPending, nil), entry("w1", "c", waves.EntryPending, nil)}
	n, err = s.FillOutbox(ctx, again)
	if err != nil || n != 1 {
		t.Fatalf("second fill: %d, %v; want 1 new", n, err)
	}
	all, err := s.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range all {
		got = append(got, e.Case+" "+e.Status)
	}
	if want := []string{"a sent", "b pending", "c pending"}; !slices.Equal(got, want) {
		t.Errorf("outbox %q, want %q", got, want)
	}
	if n, err := s.FillOutbox(ctx, nil); n != 0 || err != nil {
		t.Errorf("empty fill: %d, %v", n, err)
	}
}

func TestUpdateWave(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	w := &waves.Wave{ID: "w1", Survey: "s1", Kind: waves.KindInvitation, Status: waves.StatusScheduled}
	if err := s.InsertWave(ctx, w); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		got, err := s.UpdateWave(ctx, "w1", func(w *waves.Wave) error { w.Status = waves.StatusSending; return nil })
		if err != nil || got.Status != waves.StatusSending {
			t.Fatalf("%+v, %v", got, err)
		}
		if stored, _ := s.Wave(ctx, "w1"); stored.Status != waves.StatusSending {
			t.Errorf("stored status %q", stored.Status)
		}
	})
	t.Run("ErrChange", func(t *testing.T) {
		no := errors.New("no")
		if _, err := s.UpdateWave(ctx, "w1", func(w *waves.Wave) error { w.Status = waves.StatusDone; return no }); err != no {
			t.Fatalf("err %v", err)
		}
		if stored, _ := s.Wave(ctx, "w1"); stored.Status != waves.StatusSending {
			t.Errorf("a refused change was stored: %q", stored.Status)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.UpdateWave(ctx, "nope", func(*waves.Wave) error { return nil })
		if survey.ErrorCode(err) != survey.ENOTFOUND {
			t.Errorf("err %v", err)
		}
	})
}

// The views of the waves read the counts the sender keeps on each wave,
// not the outbox.
func TestWaveSummariesAndProgress(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	day := func(d int) *time.Time { t := time.Date(2026, 6, d, 9, 0, 0, 0, time.UTC); return &t }
	inv := waves.Counts{Queued: 4, Sent: 2, Bounced: 1, Failed: 1, FirstSentAt: day(1)}
	rem := waves.Counts{Queued: 4, Sent: 1, Pending: 1, Uncertain: 1, Skipped: 1, FirstSentAt: day(8)}
	for _, w := range []*waves.Wave{
		{ID: "rem", Survey: "s1", Kind: waves.KindReminder, ScheduledAt: *day(8), Tally: rem},
		{ID: "inv", Survey: "s1", Kind: waves.KindInvitation, ScheduledAt: *day(1), Tally: inv},
		{ID: "later", Survey: "s1", Kind: waves.KindReminder, ScheduledAt: *day(20)},
		{ID: "other", Survey: "s2", Kind: waves.KindInvitation, ScheduledAt: *day(1), Tally: inv},
	} {
		if err := s.InsertWave(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	// An entry the counts do not show changes nothing: no view reads the outbox.
	if _, err := s.FillOutbox(ctx, []waves.Entry{entry("later", "a", waves.EntrySent, day(20))}); err != nil {
		t.Fatal(err)
	}
	sums, err := s.WaveSummaries(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 3 || sums[0].ID != "inv" || sums[1].ID != "rem" || sums[2].ID != "later" {
		t.Fatalf("summaries %+v", sums)
	}
	for i, want := range []waves.Counts{inv, rem, {}} {
		if !sums[i].Counts.Same(want) {
			t.Errorf("%s counts %+v, want %+v", sums[i].ID, sums[i].Counts, want)
		}
	}
	progress, err := s.WaveProgress(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := []waves.Progress{{Kind: "invitation", SentAt: day(1), Sent: 2, Failed: 2}, {Kind: "reminder", SentAt: day(8), Sent: 1}}
	if len(progress) != len(want) {
		t.Fatalf("progress %+v, want %+v", progress, want)
	}
	for i := range want {
		if progress[i].Kind != want[i].Kind || !progress[i].SentAt.Equal(*want[i].SentAt) || progress[i].Sent != want[i].Sent || progress[i].Failed != want[i].Failed {
			t.Errorf("progress[%d] = %+v, want %+v", i, progress[i], want[i])
		}
	}
}
