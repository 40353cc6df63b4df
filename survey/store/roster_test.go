package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
)

// Two instances on one store, each with its own account service: the only
// two active PIs demote each other at the same moment, round after round.
// Exactly one of each pair wins, and a PI always remains — the roster's
// revisions are unique in the store, where a filtered update is not atomic.
func TestLastPIAcrossInstances(t *testing.T) {
	ctx := context.Background()
	a, b := openShared(t)
	svcA, svcB := &account.Service{Store: a}, &account.Service{Store: b}
	by := account.Actor{Email: "test", IP: "local"}
	x, err := svcA.Create(ctx, by, "x@example.org", "a long enough password", account.RolePI)
	if err != nil {
		t.Fatal(err)
	}
	y, err := svcB.Create(ctx, by, "y@example.org", "a long enough password", account.RolePI)
	if err != nil {
		t.Fatal(err)
	}
	staff, pi := account.RoleStaff, account.RolePI
	for round := range 8 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, tc := range []struct {
			svc    *account.Service
			target string
		}{{svcA, y.ID}, {svcB, x.ID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = tc.svc.Update(ctx, by, tc.target, account.Change{Role: &staff})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch survey.ErrorCode(err) {
			case "":
				won++
			case survey.ECONFLICT:
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		users, err := a.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var pis []string
		for _, u := range users {
			if u.Role == account.RolePI && !u.Disabled {
				pis = append(pis, u.Email)
			}
		}
		if won != 1 || len(pis) != 1 {
			t.Fatalf("round %d: %d of 2 demotions won, active PIs %v; want exactly one of each", round, won, pis)
		}
		for _, id := range []string{x.ID, y.ID} { // both PIs again for the next round
			if _, err := svcA.Update(ctx, by, id, account.Change{Role: &pi}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A process that stopped between taking a roster revision and writing the
// user leaves the user behind the roster; the next change brings the user
// up to the roster before deciding.
func TestRosterRollsForward(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: t.TempDir(), Database: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	svc := &account.Service{Store: s}
	by := account.Actor{Email: "test", IP: "local"}
	x, _ := svc.Create(ctx, by, "x@example.org", "a long enough password", account.RolePI)
	y, _ := svc.Create(ctx, by, "y@example.org", "a long enough password", account.RolePI)
	latest, err := s.LatestRoster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// x was demoted on the roster; the process died before writing x.
	if err := s.AppendRoster(ctx, &account.RosterEntry{Rev: latest.Rev + 1, PIs: []string{y.ID}, UserID: x.ID, Role: account.RoleStaff, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	disabled := true
	if _, err := svc.Update(ctx, by, y.ID, account.Change{Disabled: &disabled}); survey.ErrorCode(err) != survey.ECONFLICT {
		t.Fatalf("disabling the roster's last PI: %v, want a conflict", err)
	}
	got, err := s.User(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != account.RoleStaff {
		t.Errorf("x is %s, want staff as the roster says", got.Role)
	}
}
