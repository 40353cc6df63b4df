package account

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/canvass-survey/canvass/survey"
)

// Store is what the user rules need from the store.
type Store interface {
	InsertUser(ctx context.Context, u *User) error
	User(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	Users(ctx context.Context) ([]User, error)
	// SetUser writes the fields of set that are not nil, and nothing else,
	// so a concurrent change of another field is not undone.
	SetUser(ctx context.Context, id string, set UserFields) error
	DeleteUserSessions(ctx context.Context, userID string) error
	InsertKey(ctx context.Context, k *Key) error
	Key(ctx context.Context, id string) (*Key, error)
	RevokeKey(ctx context.Context, id string, at time.Time) error
	RevokeUserKeys(ctx context.Context, userID string, at time.Time, why string) (int, error)
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// LatestRoster returns the roster entry with the highest revision
	// (ENOTFOUND when there is none); AppendRoster stores a new one, and
	// answers ECONFLICT when its revision is taken: the store enforces that
	// one writer wins each revision, across processes.
	LatestRoster(ctx context.Context) (*RosterEntry, error)
	AppendRoster(ctx context.Context, e *RosterEntry) error
}

// UserFields are the fields of a user that a change may set.
type UserFields struct {
	Role         *string
	Disabled     *bool
	PasswordHash *string
	UpdatedAt    time.Time
}

// RosterEntry is one revision of the list of active PIs, with the change
// that made it. The entries form a log whose revisions the store keeps
// unique, so two changes decided on the same revision cannot both land:
// the loser decides again on the winner's list. That keeps "at least one
// active PI" across processes, where a filtered update cannot (the
// embedded store's updates are read-check-write).
type RosterEntry struct {
	Rev      int64     `bson:"_id"` // the store's unique key: one entry per revision
	PIs      []string  `bson:"pis"` // ids of the active PIs after the change
	UserID   string    `bson:"user_id"`
	Role     string    `bson:"role"`
	Disabled bool      `bson:"disabled"`
	At       time.Time `bson:"at"`
}

// Actor is who makes a change, for the audit log: a user (UserID, Email,
// Role) with the address of the request, or "command line" or
// "configuration" from "local".
type Actor struct {
	UserID, Email, Role, IP string
}

// Change is what may change about a user; nil fields stay.
type Change struct {
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
}

// Service applies the rules about users — the password policy, at least
// one active PI, ending sessions and revoking keys when a password is reset
// or a user disabled — and appends their audit entries. The web pages, the
// API and `canvass user` all call it.
type Service struct {
	Store   Store
	Secrets Secrets          // hashes new API keys
	Now     func() time.Time // nil: time.Now
	// Logger hears of an audit entry that could not be written after its
	// change was made: the change stands, so it is not reported as failed.
	Logger *slog.Logger // nil: slog.Default()
	// mu orders this process's changes, so two of them never write one
	// user at once; the roster orders changes across processes.
	mu sync.Mutex
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

var errLastPI = survey.Errorf(survey.ECONFLICT, "This is the last active PI: add another PI first.")

// Create adds a user with a checked email, role and password.
func (s *Service) Create(ctx context.Context, by Actor, email, password, role string) (*User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := NewUser(email, password, role)
	if err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = s.now(), s.now()
	if err := s.Store.InsertUser(ctx, u); err != nil {
		return nil, err
	}
	// The user exists before the roster counts them: a roster never names
	// a PI who is not there.
	if u.Role == RolePI {
		if err := s.changeRoster(ctx, u, true); err != nil {
			return nil, err
		}
	}
	s.audit(ctx, by, "user.create", u.Email, map[string]string{"role": role})
	return u, nil
}

// Update changes a user's role, disabled flag or password. A password reset
// or a disable ends the user's sessions and revokes the user's keys, which
// enabling the user again does not bring back. A change that would leave
// no active PI is ECONFLICT, also when another change races it.
func (s *Service) Update(ctx context.Context, by Actor, id string, ch Change) (*User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.Store.User(ctx, id)
	if err != nil {
		return nil, err
	}
	wasPI := u.activePI()
	set := UserFields{}
	detail := map[string]string{}
	if ch.Role != nil && *ch.Role != u.Role {
		u.Role, set.Role, detail["role"] = *ch.Role, ch.Role, *ch.Role
	}
	if ch.Disabled != nil && *ch.Disabled != u.Disabled {
		u.Disabled, set.Disabled, detail["disabled"] = *ch.Disabled, ch.Disabled, strconv.FormatBool(*ch.Disabled)
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if ch.Password != nil {
		if err := CheckPasswordPolicy(*ch.Password); err != nil {
			return nil, err
		}
		hash := HashPassword(*ch.Password)
		u.PasswordHash, set.PasswordHash, detail["password"] = hash, &hash, "reset"
	}
	if len(detail) == 0 {
		if ch.Role == nil && ch.Disabled == nil {
			return nil, survey.Errorf(survey.EINVALID, `Nothing to change: send "role", "disabled" or "password".`)
		}
		return u, nil // already so: nothing to do, nothing to record
	}
	if wasPI != u.activePI() {
		if err := s.changeRoster(ctx, u, u.activePI()); err != nil {
			return nil, err
		}
	}
	u.UpdatedAt, set.UpdatedAt = s.now(), s.now()
	if err := s.Store.SetUser(ctx, u.ID, set); err != nil {
		return nil, err
	}
	if why := endsCredentials(set); why != "" {
		if err := s.Store.DeleteUserSessions(ctx, u.ID); err != nil {
			return nil, err
		}
		n, err := s.Store.RevokeUserKeys(ctx, u.ID, u.UpdatedAt, why)
		if err != nil {
			return nil, err
		}
		detail["keys_revoked"] = strconv.Itoa(n)
	}
	s.audit(ctx, by, "user.update", u.Email, detail)
	return u, nil
}

// UpdateByEmail is Update for the command line, which names users by email.
func (s *Service) UpdateByEmail(ctx context.Context, by Actor, email string, ch Change) (*User, error) {
	u, err := s.Store.UserByEmail(ctx, NormalizeEmail(email))
	if err != nil {
		return nil, err
	}
	return s.Update(ctx, by, u.ID, ch)
}

// CreateKey makes an API key for the actor, who acts with it in their own
// role; the full key is returned only here, the store keeps its hash.
func (s *Service) CreateKey(ctx context.Context, by Actor, name string) (*Key, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, "", survey.FieldErrors("The key needs a name", map[string]string{"name": "1 to 100 characters"})
	}
	id, secret, full := NewKeySecret()
	k := &Key{ID: id, UserID: by.UserID, Name: name, Hash: s.Secrets.Hash(secret), CreatedAt: s.now()}
	if err := s.Store.InsertKey(ctx, k); err != nil {
		return nil, "", err
	}
	s.audit(ctx, by, "key.create", k.ID, map[string]string{"name": name})
	return k, full, nil
}

// RevokeKey revokes one of the actor's keys; a PI may revoke anyone's.
// Someone else's key is "not found" to staff, so they learn nothing of it.
func (s *Service) RevokeKey(ctx context.Context, by Actor, id string) error {
	k, err := s.Store.Key(ctx, id)
	if err != nil {
		return err
	}
	if k.UserID != by.UserID && by.Role != RolePI {
		return survey.Errorf(survey.ENOTFOUND, "key not found")
	}
	if k.RevokedAt != nil {
		return nil
	}
	if err := s.Store.RevokeKey(ctx, id, s.now()); err != nil {
		return err
	}
	s.audit(ctx, by, "key.revoke", k.ID, map[string]string{"name": k.Name})
	return nil
}

func (u *User) activePI() bool { return u.Role == RolePI && !u.Disabled }

// endsCredentials says why a change ends the user's sessions and revokes
// their keys, or "" when it does not: someone who lost the password or the
// right to use the service must not keep using it through a script's key.
func endsCredentials(set UserFields) string {
	switch {
	case set.Disabled != nil && *set.Disabled:
		return "user disabled"
	case set.PasswordHash != nil:
		return "password reset"
	}
	return ""
}

// rosterAttempts bounds how often a change decides again after losing a
// revision to another: a handful of PIs change roles rarely.
const rosterAttempts = 20

// changeRoster records that u is (active) or is no longer an active PI, on
// the next revision of the roster, refusing to leave it empty.
func (s *Service) changeRoster(ctx context.Context, u *User, active bool) error {
	for range rosterAttempts {
		latest, err := s.latestRoster(ctx)
		if err != nil {
			return err
		}
		var pis []string
		for _, id := range latest.PIs {
			if id != u.ID {
				pis = append(pis, id)
			}
		}
		if active {
			pis = append(pis, u.ID)
		}
		if len(pis) == 0 {
			return errLastPI
		}
		err = s.Store.AppendRoster(ctx, &RosterEntry{Rev: latest.Rev + 1, PIs: pis, UserID: u.ID, Role: u.Role, Disabled: u.Disabled, At: s.now()})
		if survey.ErrorCode(err) != survey.ECONFLICT {
			return err
		}
	}
	return survey.Errorf(survey.EUNAVAILABLE, "Too many changes to the PIs at once; please try again.")
}

// latestRoster returns the newest roster entry, after making sure its user
// has the role it records: a process that appended it may have stopped
// before writing the user. Only such a user is repaired — one whose being
// an active PI disagrees with the entry and who was not changed since; a
// later change that touched no roster (disabling a former PI, say) stands.
// Before the first entry, the roster is the active PIs among the users, at
// revision 0.
func (s *Service) latestRoster(ctx context.Context) (*RosterEntry, error) {
	latest, err := s.Store.LatestRoster(ctx)
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		users, err := s.Store.Users(ctx)
		if err != nil {
			return nil, err
		}
		first := &RosterEntry{}
		for i := range users {
			if users[i].activePI() {
				first.PIs = append(first.PIs, users[i].ID)
			}
		}
		return first, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.Store.User(ctx, latest.UserID)
	if err != nil {
		return nil, err
	}
	if u.activePI() != slices.Contains(latest.PIs, u.ID) && u.UpdatedAt.Before(latest.At) {
		if err := s.Store.SetUser(ctx, u.ID, UserFields{Role: &latest.Role, Disabled: &latest.Disabled, UpdatedAt: latest.At}); err != nil {
			return nil, err
		}
	}
	return latest, nil
}

// audit appends the entry of a change that has happened.
func (s *Service) audit(ctx context.Context, by Actor, action, target string, detail map[string]string) {
	if err := s.Store.AppendAudit(ctx, &AuditEntry{At: s.now(), Actor: by.Email, Role: by.Role, Action: action,
		Target: target, IP: by.IP, Detail: detail}); err != nil {
		logger := s.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.ErrorContext(ctx, "audit entry not written", "action", action, "target", target, "err", err)
	}
}
