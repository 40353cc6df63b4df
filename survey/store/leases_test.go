package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey/store/storetest"
)

func TestLease(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	t0 := time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// Each claim or renewal runs for 60 s.
	claim := func(holder string, now int) bool {
		t.Helper()
		ok, err := s.ClaimLease(ctx, "job", holder, at(now), at(now+60))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	renew := func(holder string, now int) bool {
		t.Helper()
		ok, err := s.RenewLease(ctx, "job", holder, at(now+60))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	release := func(holder string) {
		t.Helper()
		if err := s.ReleaseLease(ctx, "job", holder); err != nil {
			t.Fatal(err)
		}
	}
	step := func(what string, got, want bool) {
		t.Helper()
		if got != want {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	step("a claims the lease on first use", claim("a", 0), true)
	step("b claims it while a holds it", claim("b", 30), false)
	step("a claims it again", claim("a", 30), true) // until 90
	step("b renews what it does not hold", renew("b", 40), false)
	step("a renews it", renew("a", 40), true) // until 100
	step("b claims it before it runs out", claim("b", 99), false)
	step("b claims it once it ran out", claim("b", 101), true)
	step("a renews it after b took it", renew("a", 102), false)
	release("a") // not a's: b keeps it
	step("a claims it after releasing what it did not hold", claim("a", 103), false)
	release("b")
	step("a claims it once b released it", claim("a", 104), true)
}

// Claims racing for a lease, whether they create its document or take it
// over once it ran out: one wins, and the others are told they lost, not
// given an error.
func TestLeaseRace(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	now := time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)
	race := func(what string) {
		t.Helper()
		var wg sync.WaitGroup
		var won atomic.Int32
		for i := range 8 {
			wg.Go(func() {
				ok, err := s.ClaimLease(ctx, "job", fmt.Sprint(what, i), now, now.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if n := won.Load(); n != 1 {
			t.Errorf("%s: %d holders, want 1", what, n)
		}
	}
	race("first use")
	now = now.Add(2 * time.Minute)
	race("run out")
}
