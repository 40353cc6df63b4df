package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

// Sweep removes the sessions that can no longer be used and the old
// once-claims, and nothing else.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, sess := range []account.Session{
		{ID: "fresh", UserID: "u", CreatedAt: now.Add(-time.Hour), LastSeen: now.Add(-time.Minute)},
		{ID: "idle", UserID: "u", CreatedAt: now.Add(-time.Hour), LastSeen: now.Add(-40 * time.Minute)},
		{ID: "old", UserID: "u", CreatedAt: now.Add(-13 * time.Hour), LastSeen: now.Add(-time.Minute)},
	} {
		if err := s.InsertSession(ctx, &sess); err != nil {
			t.Fatal(err)
		}
	}
	for key, at := range map[string]time.Time{"recent": now.Add(-time.Hour), "stale": now.Add(-13 * time.Hour)} {
		if err := s.ClaimOnce(ctx, key, at); err != nil {
			t.Fatal(err)
		}
	}
	swept, err := s.Sweep(ctx, now.Add(-30*time.Minute), now.Add(-12*time.Hour), now.Add(-12*time.Hour))
	if err != nil || swept.Sessions != 2 || swept.Once != 1 {
		t.Fatalf("swept %+v, %v", swept, err)
	}
	if _, err := s.Session(ctx, "fresh"); err != nil {
		t.Errorf("a live session was swept: %v", err)
	}
	for _, id := range []string{"idle", "old"} {
		if _, err := s.Session(ctx, id); survey.ErrorCode(err) != survey.ENOTFOUND {
			t.Errorf("session %s: %v", id, err)
		}
	}
	if err := s.ClaimOnce(ctx, "stale", now); err != nil {
		t.Errorf("a stale claim is still there: %v", err)
	}
	if err := s.ClaimOnce(ctx, "recent", now); survey.ErrorCode(err) != survey.ECONFLICT {
		t.Errorf("a recent claim was swept: %v", err)
	}
}

// A key's use recorded at the moment it is revoked does not undo the
// revocation: the embedded store rewrites a document whole on update.
func TestRevokeKeyWhileInUse(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for round := range 20 {
		id := fmt.Sprintf("k%d", round)
		if err := s.InsertKey(ctx, &account.Key{ID: id, UserID: "u", Name: "script"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 5 {
				if err := s.TouchKey(ctx, id, now); err != nil {
					t.Error(err)
				}
			}
		})
		if err := s.RevokeKey(ctx, id, now); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if k, err := s.Key(ctx, id); err != nil || k.RevokedAt == nil {
			t.Fatalf("round %d: the revocation was lost: %+v %v", round, k, err)
		}
	}
}
