package account_test

import (
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

func TestServiceRules(t *testing.T) {
	ctx := t.Context()
	st := storetest.MustOpen(t)
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	svc := &account.Service{Store: st, Now: func() time.Time { return at }}
	by := account.Actor{Email: "pi@example.org", Role: account.RolePI, IP: "192.0.2.1"}

	if _, err := svc.Create(ctx, by, "x@example.org", "short", account.RoleStaff); survey.ErrorCode(err) != survey.EINVALID {
		t.Errorf("a short password: %v, want EINVALID", err)
	}
	pi, err := svc.Create(ctx, by, "pi@example.org", "a long enough password", account.RolePI)
	if err != nil {
		t.Fatal(err)
	}
	staff, err := svc.Create(ctx, by, "Staff@Example.org", "a long enough password", account.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InsertSession(ctx, &account.Session{ID: "s1", UserID: staff.ID}); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertKey(ctx, &account.Key{ID: "k1", UserID: staff.ID, Name: "script"}); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrConflict last PI", func(t *testing.T) {
		staffRole, yes := account.RoleStaff, true
		for _, ch := range []account.Change{{Role: &staffRole}, {Disabled: &yes}} {
			if _, err := svc.Update(ctx, by, pi.ID, ch); survey.ErrorCode(err) != survey.ECONFLICT {
				t.Errorf("%+v on the only PI: %v, want ECONFLICT", ch, err)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		short, bad := "short", "admin"
		for _, ch := range []account.Change{{Password: &short}, {Role: &bad}, {}} {
			if _, err := svc.Update(ctx, by, staff.ID, ch); survey.ErrorCode(err) != survey.EINVALID {
				t.Errorf("%+v: %v, want EINVALID", ch, err)
			}
		}
	})
	t.Run("OK password reset", func(t *testing.T) {
		pw := "another long password"
		if _, err := svc.UpdateByEmail(ctx, by, "STAFF@example.org", account.Change{Password: &pw}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Session(ctx, "s1"); survey.ErrorCode(err) != survey.ENOTFOUND {
			t.Errorf("the session outlived the reset: %v", err)
		}
		k, err := st.Key(ctx, "k1")
		if err != nil {
			t.Fatal(err)
		}
		if k.RevokedAt == nil || k.RevokedWhy != "password reset" {
			t.Errorf("key after the reset: %+v", k)
		}
		u, _ := st.User(ctx, staff.ID)
		if !account.CheckPassword(u.PasswordHash, pw) {
			t.Error("the new password does not work")
		}
	})
	t.Run("OK audit", func(t *testing.T) {
		entries, err := st.Audit(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]account.AuditEntry{}
		for _, e := range entries {
			got[e.Action+" "+e.Target] = e
		}
		e, ok := got["user.update staff@example.org"]
		if !ok || e.Actor != by.Email || e.IP != by.IP || e.Detail["password"] != "reset" || e.Detail["keys_revoked"] != "1" {
			t.Errorf("audit of the reset: %+v in %+v", e, entries)
		}
		if _, ok := got["user.create pi@example.org"]; !ok {
			t.Errorf("no audit of the creation: %+v", entries)
		}
	})
}

// A former PI disabled later stays disabled when the roster next changes:
// the roster repairs only a change a stopped process left half-written.
func TestRosterDoesNotReviveDisabledUser(t *testing.T) {
	ctx := t.Context()
	st := storetest.MustOpen(t)
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	svc := &account.Service{Store: st, Now: func() time.Time { at = at.Add(time.Second); return at }}
	by := account.Actor{Email: "pi@example.org", Role: account.RolePI, IP: "192.0.2.1"}
	if _, err := svc.Create(ctx, by, "pi@example.org", "a long enough password", account.RolePI); err != nil {
		t.Fatal(err)
	}
	x, err := svc.Create(ctx, by, "x@example.org", "a long enough password", account.RolePI)
	if err != nil {
		t.Fatal(err)
	}
	staffRole, yes := account.RoleStaff, true
	if _, err := svc.Update(ctx, by, x.ID, account.Change{Role: &staffRole}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, by, x.ID, account.Change{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, by, "y@example.org", "a long enough password", account.RolePI); err != nil {
		t.Fatal(err)
	}
	got, err := st.User(ctx, x.ID)
	if err != nil || !got.Disabled || got.Role != account.RoleStaff {
		t.Errorf("x after a later roster change: %+v, %v", got, err)
	}
}
