package account

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"
)

// Session is a logged-in browser or client. Its _id is the hash of the
// cookie's value, so the store alone holds no usable session.
type Session struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	CSRF      string    `bson:"csrf"`
	CreatedAt time.Time `bson:"created_at"`
	LastSeen  time.Time `bson:"last_seen"`
	// Flash is the outcome of the last form, shown once by the page the
	// form redirects to.
	Flash *Flash `bson:"flash,omitempty"`
	// Rev counts the session's changes: two instances may record a request
	// and a notice at once, and neither may undo the other.
	Rev int64 `bson:"rev"`
}

// Flash is a one-time notice. Secret, sealed, is something to show once
// and never put in a URL: a new API key.
type Flash struct {
	Notice string `bson:"notice"`
	Error  bool   `bson:"error,omitempty"`
	Secret string `bson:"secret,omitempty"`
}

// Live reports whether the session is still valid at now: used within the
// idle timeout and younger than the absolute lifetime.
func (s *Session) Live(now time.Time, idle, lifetime time.Duration) bool {
	return now.Sub(s.LastSeen) < idle && now.Sub(s.CreatedAt) < lifetime
}

// Key is an API key for scripts. It acts with its creator's role.
type Key struct {
	ID        string     `bson:"_id" json:"id"`
	UserID    string     `bson:"user_id" json:"user_id"`
	Name      string     `bson:"name" json:"name"`
	Hash      string     `bson:"hash" json:"-"`
	CreatedAt time.Time  `bson:"created_at" json:"created_at"`
	LastUsed  *time.Time `bson:"last_used,omitempty" json:"last_used,omitempty"`
	RevokedAt *time.Time `bson:"revoked_at,omitempty" json:"revoked_at,omitempty"`
	// RevokedWhy says why a key stopped working when its owner did not
	// revoke it: "password reset" or "user disabled".
	RevokedWhy string `bson:"revoked_why,omitempty" json:"revoked_why,omitempty"`
	// Rev counts the key's changes: its use and its revocation may be
	// recorded by two instances at once, and the revocation must not be lost.
	Rev int64 `bson:"rev" json:"-"`
}

// Secrets is the keyed hashing of session and key secrets, with a key from
// the service secret: both are random and long, so one HMAC suffices, and
// the store's copy cannot be replayed.
type Secrets struct{ key []byte }

// NewSecrets derives the hashing key from the service secret.
func NewSecrets(serviceSecret []byte) Secrets {
	m := hmac.New(sha256.New, serviceSecret)
	m.Write([]byte("canvass/credentials"))
	return Secrets{key: m.Sum(nil)}
}

// Hash returns the stored form of a secret.
func (s Secrets) Hash(secret string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// tokenLen is the length of a base64url-encoded 32-byte secret.
const tokenLen = 43

// NewToken returns a random 256-bit secret, URL-safe: a session cookie or
// a CSRF token.
func NewToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// ParseSessionCookie checks a session cookie's value before anything looks
// it up: the right length and alphabet, or nothing.
func ParseSessionCookie(value string) (string, bool) {
	if len(value) != tokenLen || !urlSafe(value) {
		return "", false
	}
	return value, true
}

// keyPrefix marks Canvass API keys, so that a leaked one is recognisable.
const keyPrefix = "cvk_"

// NewKeySecret returns a key's id and the full key to hand to its owner
// once: "cvk_" + id + "." + secret.
func NewKeySecret() (id, secret, full string) {
	id, secret = NewID(), NewToken()
	return id, secret, keyPrefix + id + "." + secret
}

// ParseKey splits a full API key into its id and secret.
func ParseKey(full string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(full, keyPrefix)
	if !found {
		return "", "", false
	}
	id, secret, found = strings.Cut(rest, ".")
	if !found || len(id) != 22 || len(secret) != tokenLen || !urlSafe(id) || !urlSafe(secret) {
		return "", "", false
	}
	return id, secret, true
}

// ParseBearer returns the credential of an "Authorization: Bearer <key>"
// header. The scheme is case-insensitive, as RFC 9110 says.
func ParseBearer(header string) (string, bool) {
	scheme, cred, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	if cred == "" || strings.ContainsAny(cred, " \t") {
		return "", false
	}
	return cred, true
}

func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// AuditEntry is one administrative action: who did what, when, from where,
// and on which case. The store only ever appends them.
type AuditEntry struct {
	At     time.Time         `bson:"at" json:"at"`
	Actor  string            `bson:"actor" json:"actor"` // the user's email
	Role   string            `bson:"role" json:"role"`
	Action string            `bson:"action" json:"action"` // e.g. "user.create"
	Target string            `bson:"target,omitempty" json:"target,omitempty"`
	CaseID string            `bson:"case_id,omitempty" json:"case_id,omitempty"`
	IP     string            `bson:"ip" json:"ip"`
	Detail map[string]string `bson:"detail,omitempty" json:"detail,omitempty"`
}
