// Package token makes respondents' personal tokens and the keyed hashes
// that stand for them in the store, so that the database alone does not let
// anyone answer as a respondent.
package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Len is the length of a token: 24 random bytes (192 bits), base64url.
const Len = 32

// New returns a fresh random token, URL-safe.
func New() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// WellFormed reports whether s could be a token: the right length and
// alphabet. It lets handlers refuse garbage before touching the store.
func WellFormed(s string) bool {
	if len(s) != Len {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Hasher turns tokens into case ids with a key from the configuration.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher keyed by a key derived from secret for this
// purpose alone.
func NewHasher(secret []byte) Hasher {
	return Hasher{key: Derive(secret, "case-id")}
}

// CaseID is the case's _id for token: HMAC-SHA256, truncated to 128 bits.
func (h Hasher) CaseID(token string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Derive returns a key for one purpose from the service secret, so that no
// two uses share a key.
func Derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("canvass/" + purpose))
	return m.Sum(nil)
}
