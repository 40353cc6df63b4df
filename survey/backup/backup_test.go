package backup_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/backup"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/respond"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/token"
)

var secret = []byte("a-test-secret-of-at-least-32-characters")

const (
	piEmail    = "pi@example.org"
	piPassword = "a long enough password"
)

// caseToken is case i's personal token in the filled store.
func caseToken(i int) string {
	return strings.Repeat("b", 26) + string(rune('A'+i/26%26)) + string(rune('a'+i%26)) + "0000"
}

// filled returns a store with a simulated field period (cases, waves,
// their outbox, the audit log) and a PI, and the file it was backed up to.
func filled(t *testing.T) (*store.Store, string) {
	t.Helper()
	st := storetest.MustOpen(t)
	ctx := context.Background()
	o := simulate.Options{Instrument: instrument.Default(), Cities: 8, Seed: 3, ResponseRate: .5,
		Start: time.Now().AddDate(0, 0, -simulate.FieldDays)}
	if _, err := simulate.IntoStore(ctx, o, simulate.Target{Store: st, Secret: secret, Token: caseToken,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatal(err)
	}
	users := &account.Service{Store: st}
	if _, err := users.Create(ctx, account.Actor{Email: "test", IP: "local"}, piEmail, piPassword, account.RolePI); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "canvass.backup")
	if _, err := backup.WriteFile(ctx, st, path, backup.Header{CodeVersion: "test", Created: time.Now(), Database: storetest.Database}); err != nil {
		t.Fatal(err)
	}
	return st, path
}

// Dump, restore into a fresh store, and the store holds what the backup
// does: the same counts and hashes, cases that open by their links and
// take answers, a user who logs in, and the unique indexes enforced.
func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	src, path := filled(t)
	h, m, err := backup.VerifyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.Format != backup.Format || h.Version != backup.Version || h.CodeVersion != "test" || h.Database != storetest.Database {
		t.Errorf("header %+v", h)
	}
	if len(m.Collections) != len(store.Collections()) {
		t.Errorf("%d collections in the manifest, %d in the schema", len(m.Collections), len(store.Collections()))
	}
	counts := map[string]int64{}
	for _, e := range m.Collections {
		counts[e.Name] = e.Count
	}
	if counts["cases"] != 40 || counts["users"] != 1 || counts["waves"] == 0 || counts["outbox"] == 0 || counts["audit"] == 0 {
		t.Errorf("counts %v", counts)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the backup's mode: %v, %v", fi.Mode(), err)
	}
	if err := backup.Check(ctx, src, m); err != nil {
		t.Errorf("the source itself: %v", err)
	}

	dst := storetest.MustOpen(t)
	_, got, err := backup.Restore(ctx, dst, path, backup.RestoreOptions{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Collections, m.Collections) {
		t.Errorf("restore's manifest %+v, the file's %+v", got, m)
	}
	if err := backup.Check(ctx, dst, m); err != nil {
		t.Error(err)
	}

	resp := &respond.Service{Store: dst, Instrument: instrument.Default(), Hasher: token.NewHasher(secret), Now: time.Now}
	v, err := resp.Open(ctx, caseToken(0))
	if err != nil {
		t.Fatalf("a restored case does not open by its link: %v", err)
	}
	c, err := dst.Case(ctx, v.Case.ID)
	if err != nil || c.Frame.Email == "" {
		t.Errorf("case %s by id: %+v, %v", v.Case.ID, c, err)
	}
	tok, err := token.NewSealer(secret).Open(c.SealedToken)
	if err != nil || tok != caseToken(0) {
		t.Errorf("its sealed link opens to %q, %v", tok, err)
	}
	u, err := dst.UserByEmail(ctx, piEmail)
	if err != nil || !account.CheckPassword(u.PasswordHash, piPassword) || u.Role != account.RolePI {
		t.Errorf("the PI after the restore: %+v, %v", u, err)
	}
	users := &account.Service{Store: dst}
	if _, err := users.Create(ctx, account.Actor{Email: piEmail}, piEmail, piPassword, account.RoleStaff); survey.ErrorCode(err) != survey.ECONFLICT {
		t.Errorf("a second user with the PI's email: %v; want a conflict from the unique index", err)
	}
	if _, err := users.Create(ctx, account.Actor{Email: piEmail}, "staff@example.org", piPassword, account.RoleStaff); err != nil {
		t.Errorf("a new user after the restore: %v", err)
	}

	t.Run("ErrNotEmpty", func(t *testing.T) {
		_, _, err := backup.Restore(ctx, dst, path, backup.RestoreOptions{Secret: secret})
		if err == nil || !strings.Contains(err.Error(), "nothing was written: the database is not empty") {
			t.Errorf("got %v", err)
		}
		if _, err := dst.UserByEmail(ctx, "staff@example.org"); err != nil {
			t.Errorf("the refused restore changed the store: %v", err)
		}
	})
	t.Run("Wipe", func(t *testing.T) {
		if _, _, err := backup.Restore(ctx, dst, path, backup.RestoreOptions{Secret: secret, Wipe: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.UserByEmail(ctx, "staff@example.org"); survey.ErrorCode(err) != survey.ENOTFOUND {
			t.Errorf("a user made after the backup is still there: %v", err)
		}
		if err := backup.Check(ctx, dst, m); err != nil {
			t.Error(err)
		}
	})
	t.Run("ErrOtherSecret", func(t *testing.T) {
		fresh := storetest.MustOpen(t)
		other := []byte(strings.Repeat("o", 40))
		_, _, err := backup.Restore(ctx, fresh, path, backup.RestoreOptions{Secret: other})
		if !errors.Is(err, backup.ErrOtherSecret) || !strings.Contains(err.Error(), "nothing was written") {
			t.Errorf("got %v", err)
		}
		if full, err := fresh.NonEmpty(ctx); full != "" || err != nil {
			t.Errorf("%q holds documents, %v", full, err)
		}
		if _, _, err := backup.Restore(ctx, fresh, path, backup.RestoreOptions{Secret: other, OtherSecret: true}); err != nil {
			t.Errorf("with OtherSecret: %v", err)
		}
	})
	t.Run("ErrDiffers", func(t *testing.T) {
		// A save changes one case, not the count: the hash tells.
		saved := false
		for i := 0; i < 40 && !saved; i++ {
			_, err := resp.Save(ctx, caseToken(i), respond.Save{Set: instrument.Answers{"years_in_position": 41.0}})
			saved = err == nil
		}
		if !saved {
			t.Fatal("no restored case takes an answer")
		}
		if err := backup.Check(ctx, dst, m); err == nil || !strings.Contains(err.Error(), `collection "cases" differs from the backup`) {
			t.Errorf("got %v", err)
		}
	})
}
