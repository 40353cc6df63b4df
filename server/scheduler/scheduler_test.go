package scheduler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Two instances on one store: while one runs a job, the other does not
// start it; once it is done, the other may.
func TestRunOnceOneAtATime(t *testing.T) {
	ctx := context.Background()
	a := storetest.MustOpen(t)
	b, err := store.Open(ctx, store.Config{URI: a.EmbeddedURI(), Database: storetest.Database, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	sa, sb := New(a, time.UTC, quiet), New(b, time.UTC, quiet)

	started, release := make(chan struct{}), make(chan struct{})
	slow := Job{Name: "nightly", Run: func(context.Context) error { close(started); <-release; return nil }}
	done := make(chan bool)
	go func() {
		ran, err := sa.RunOnce(ctx, slow)
		if err != nil {
			t.Error(err)
		}
		done <- ran
	}()
	<-started
	runs := 0
	quick := Job{Name: "nightly", Run: func(context.Context) error { runs++; return nil }}
	if ran, err := sb.RunOnce(ctx, quick); ran || err != nil || runs != 0 {
		t.Errorf("the other instance ran the job meanwhile: %v, %v", ran, err)
	}
	close(release)
	if !<-done {
		t.Error("the first instance did not run the job")
	}
	if ran, err := sb.RunOnce(ctx, quick); !ran || err != nil || runs != 1 {
		t.Errorf("after the first run ended, the other could not run it: %v, %v", ran, err)
	}
}

func TestRunOnceReturnsTheJobsError(t *testing.T) {
	s := New(storetest.MustOpen(t), time.UTC, quiet)
	boom := errors.New("boom")
	if ran, err := s.RunOnce(context.Background(), Job{Name: "x", Run: func(context.Context) error { return boom }}); !ran || !errors.Is(err, boom) {
		t.Errorf("got %v, %v", ran, err)
	}
}

func TestScheduleRunsAndStops(t *testing.T) {
	s := New(storetest.MustOpen(t), time.UTC, quiet)
	ran := make(chan struct{}, 10)
	if err := s.Add(Job{Name: "tick", Spec: "@every 1s", Run: func(context.Context) error { ran <- struct{}{}; return nil }}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not run on its schedule")
	}
	s.Stop()
}

func TestAddBadSpec(t *testing.T) {
	s := New(storetest.MustOpen(t), time.UTC, quiet)
	err := s.Add(Job{Name: "nightly", Spec: "at two", Run: func(context.Context) error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "nightly") {
		t.Errorf("got %v, want an error naming the job", err)
	}
}
