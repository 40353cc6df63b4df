package store

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
)

func byID(id string) bson.D { return bson.D{{Key: "_id", Value: id}} }

// InsertUser stores a new user; a taken email is ECONFLICT.
func (s *Store) InsertUser(ctx context.Context, u *account.User) error {
	_, err := s.users.InsertOne(ctx, u)
	return translate(err, "a user with this email")
}

// User returns the user with the given id.
func (s *Store) User(ctx context.Context, id string) (*account.User, error) {
	return findOne[account.User](ctx, s.users, byID(id), "user")
}

// UserByEmail returns the user with the given (normalized) email. The team
// is a handful of people, so the scan FerretDB makes here costs nothing.
func (s *Store) UserByEmail(ctx context.Context, email string) (*account.User, error) {
	return findOne[account.User](ctx, s.users, bson.D{{Key: "email", Value: email}}, "user")
}

// Users lists every user by email.
func (s *Store) Users(ctx context.Context) ([]account.User, error) {
	return findAll[account.User](ctx, s.users, bson.D{}, options.Find().SetSort(bson.D{{Key: "email", Value: 1}}), "users")
}

// CountUsers says how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	n, err := s.users.CountDocuments(ctx, bson.D{})
	return n, translate(err, "users")
}

// SetUser writes the given fields of a user and no others, at the user's
// next revision.
func (s *Store) SetUser(ctx context.Context, id string, f account.UserFields) error {
	unlock := s.locks.lock("user/" + id)
	defer unlock()
	_, err := updateAt(ctx, s, s.users, id, "user", func(u *account.User) (int64, error) {
		u.UpdatedAt = f.UpdatedAt
		if f.Role != nil {
			u.Role = *f.Role
		}
		if f.Disabled != nil {
			u.Disabled = *f.Disabled
		}
		if f.PasswordHash != nil {
			u.PasswordHash = *f.PasswordHash
		}
		u.Rev++
		return u.Rev - 1, nil
	})
	return err
}

func (s *Store) rosterColl() *mongo.Collection { return s.coll(collRoster) }

// LatestRoster returns the roster entry with the highest revision. The
// roster holds one entry per change of a PI's access: a few dozen.
func (s *Store) LatestRoster(ctx context.Context) (*account.RosterEntry, error) {
	var e account.RosterEntry
	err := s.rosterColl().FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&e)
	if err != nil {
		return nil, translate(err, "PI roster")
	}
	return &e, nil
}

// AppendRoster stores a roster entry under its revision; a revision
// already taken, by this process or another, is ECONFLICT.
func (s *Store) AppendRoster(ctx context.Context, e *account.RosterEntry) error {
	_, err := s.rosterColl().InsertOne(ctx, e)
	return translate(err, "this revision of the PI roster")
}

// InsertSession stores a new session.
func (s *Store) InsertSession(ctx context.Context, sess *account.Session) error {
	_, err := s.sessions.InsertOne(ctx, sess)
	return translate(err, "session")
}

// Session returns the session with the given id (the hash of its cookie).
func (s *Store) Session(ctx context.Context, id string) (*account.Session, error) {
	return findOne[account.Session](ctx, s.sessions, byID(id), "session")
}

// TouchSession records activity on a session.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.changeSession(ctx, id, func(sess *account.Session) { sess.LastSeen = at })
}

// SetFlash stores the session's one-time notice, or removes it when f is nil.
func (s *Store) SetFlash(ctx context.Context, id string, f *account.Flash) error {
	return s.changeSession(ctx, id, func(sess *account.Session) { sess.Flash = f })
}

// changeSession changes a session at its next revision, so that a request
// recorded by one instance does not undo a notice stored by another (the
// embedded store rewrites documents whole). A session ended meanwhile is
// left ended.
func (s *Store) changeSession(ctx context.Context, id string, change func(*account.Session)) error {
	unlock := s.locks.lock("session/" + id)
	defer unlock()
	_, err := updateAt(ctx, s, s.sessions, id, "session", func(sess *account.Session) (int64, error) {
		change(sess)
		sess.Rev++
		return sess.Rev - 1, nil
	})
	if survey.ErrorCode(err) == survey.ENOTFOUND {
		return nil
	}
	return err
}

// ReleaseOnce gives back a claim whose action failed.
func (s *Store) ReleaseOnce(ctx context.Context, key string) error {
	_, err := s.coll(collOnce).DeleteOne(ctx, byID(key))
	return translate(err, "once")
}

// ClaimOnce records that key has been used; a key used before, by this
// process or another, is ECONFLICT. The store's unique _id makes exactly
// one claim win, which is what "done once" needs across instances.
func (s *Store) ClaimOnce(ctx context.Context, key string, at time.Time) error {
	_, err := s.coll(collOnce).InsertOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "at", Value: at}})
	return translate(err, "this form")
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.sessions.DeleteOne(ctx, byID(id))
	return translate(err, "session")
}

// DeleteUserSessions ends every session of a user, when the user is
// disabled or the password changes. The embedded store answers the filter
// by scanning the sessions: a staff action, never on a respondent's path.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "user_id", Value: userID}})
	return translate(err, "sessions")
}

// InsertKey stores a new API key.
func (s *Store) InsertKey(ctx context.Context, k *account.Key) error {
	_, err := s.keys.InsertOne(ctx, k)
	return translate(err, "key")
}

// Key returns the API key with the given id.
func (s *Store) Key(ctx context.Context, id string) (*account.Key, error) {
	return findOne[account.Key](ctx, s.keys, byID(id), "key")
}

// Keys lists the keys of a user, or of everyone when userID is empty: a
// scan of the few keys on the embedded store, for the Keys page only.
func (s *Store) Keys(ctx context.Context, userID string) ([]account.Key, error) {
	filter := bson.D{}
	if userID != "" {
		filter = bson.D{{Key: "user_id", Value: userID}}
	}
	return findAll[account.Key](ctx, s.keys, filter, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}), "keys")
}

// RevokeKey marks a key revoked; it stops working at once. A key revoked
// already stays as it was.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) error {
	return s.changeKey(ctx, id, func(k *account.Key) { k.RevokedAt = &at })
}

// RevokeUserKeys revokes every key of a user not revoked yet, saying why,
// and returns how many it revoked. Re-enabling the user later brings none
// back: the owner makes new ones. The embedded store finds them by
// scanning the keys: a staff action, never on a request's hot path.
func (s *Store) RevokeUserKeys(ctx context.Context, userID string, at time.Time, why string) (int, error) {
	keys, err := s.Keys(ctx, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if k.RevokedAt != nil {
			continue
		}
		revoked := false
		err := s.changeKey(ctx, k.ID, func(k *account.Key) { k.RevokedAt, k.RevokedWhy, revoked = &at, why, true })
		if err != nil {
			return n, err
		}
		if revoked {
			n++
		}
	}
	return n, nil
}

// TouchKey records a key's use.
func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	return s.changeKey(ctx, id, func(k *account.Key) { k.LastUsed = &at })
}

// changeKey changes a key that is not revoked, at its next revision: the
// store rewrites a document whole on update, so without the
// compare-and-set a use recorded by one instance while another revokes the
// key could undo the revocation. A revoked key is left as it is.
func (s *Store) changeKey(ctx context.Context, id string, change func(*account.Key)) error {
	_, err := updateAt(ctx, s, s.keys, id, "key", func(k *account.Key) (int64, error) {
		if k.RevokedAt != nil {
			return 0, errRevoked
		}
		change(k)
		k.Rev++
		return k.Rev - 1, nil
	})
	if errors.Is(err, errRevoked) {
		return nil
	}
	return err
}

// errRevoked stops changeKey at a revoked key.
var errRevoked = errors.New("store: the key is revoked")

// AppendAudit adds an entry to the audit log. There is no way to change or
// delete one: the store offers none.
func (s *Store) AppendAudit(ctx context.Context, e *account.AuditEntry) error {
	_, err := s.audit.InsertOne(ctx, e)
	return translate(err, "audit entry")
}

// Audit returns the newest entries first, at most limit of them. The
// embedded store reads and sorts the whole log for it: the Audit page only.
func (s *Store) Audit(ctx context.Context, limit int64) ([]account.AuditEntry, error) {
	return findAll[account.AuditEntry](ctx, s.audit, bson.D{},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(limit), "audit log")
}

// findOne decodes the one document filter finds; none is ENOTFOUND.
func findOne[T any](ctx context.Context, coll *mongo.Collection, filter bson.D, what string) (*T, error) {
	var v T
	if err := coll.FindOne(ctx, filter).Decode(&v); err != nil {
		return nil, translate(err, what)
	}
	return &v, nil
}

// findAll decodes every document a query returns.
func findAll[T any](ctx context.Context, coll *mongo.Collection, filter bson.D, opts *options.FindOptionsBuilder, what string) ([]T, error) {
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, translate(err, what)
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, translate(err, what)
	}
	return out, nil
}

// Swept counts what Sweep removed.
type Swept struct{ Sessions, Once int64 }

// Sweep removes sessions idle since before idleBefore or opened before
// openedBefore — they can no longer be used — and once-claims made before
// onceBefore, whose forms can no longer be sent, and the revision claims
// older than claimKeep (revision.go). The embedded store scans the
// collections for it: a periodic job, never on a request's path.
func (s *Store) Sweep(ctx context.Context, idleBefore, openedBefore, onceBefore time.Time) (Swept, error) {
	var out Swept
	res, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "last_seen", Value: bson.D{{Key: "$lt", Value: idleBefore}}}},
		bson.D{{Key: "created_at", Value: bson.D{{Key: "$lt", Value: openedBefore}}}},
	}}})
	if err != nil {
		return out, translate(err, "sessions")
	}
	out.Sessions = res.DeletedCount
	if res, err = s.coll(collOnce).DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: onceBefore}}}}); err != nil {
		return out, translate(err, "once")
	}
	out.Once = res.DeletedCount
	return out, nil
}
