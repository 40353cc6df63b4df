// Package account is who may use the administrative side of Canvass: users
// with a role, their sessions and API keys, and the audit trail of what they
// did. It holds the rules and the secrets' formats; the store keeps them and
// the server enforces them.
package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"golang.org/x/crypto/argon2"

	"github.com/canvass-survey/canvass/survey"
)

// Roles. A PI may do everything; staff run the field period (frame, waves,
// dispositions, progress, exports) but manage no users, no one else's keys
// and no analysis settings.
const (
	RolePI    = "pi"
	RoleStaff = "staff"
)

// User is a member of the research team.
type User struct {
	ID           string    `bson:"_id" json:"id"`
	Email        string    `bson:"email" json:"email" validate:"required,email,max=254"`
	Role         string    `bson:"role" json:"role" validate:"required,oneof=pi staff"`
	PasswordHash string    `bson:"password_hash" json:"-"`
	Disabled     bool      `bson:"disabled" json:"disabled"`
	CreatedAt    time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at" json:"updated_at"`
	// Rev counts the user's changes, so that two made at once on two
	// instances both land (the embedded store rewrites documents whole).
	Rev int64 `bson:"rev" json:"-"`
}

var validate = validator.New(validator.WithRequiredStructEnabled())

// Validate checks the user's email and role and says which is wrong.
func (u *User) Validate() error {
	if err := validate.Struct(u); err != nil {
		fields := map[string]string{}
		if errs, ok := err.(validator.ValidationErrors); ok {
			for _, fe := range errs {
				switch fe.Field() {
				case "Email":
					fields["email"] = "must be an email address"
				case "Role":
					fields["role"] = `must be "pi" or "staff"`
				}
			}
		}
		return survey.FieldErrors("The user is not valid", fields)
	}
	return nil
}

// NormalizeEmail is the form emails are stored and compared in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Password length bounds: long enough to resist guessing, short enough that
// hashing one cannot be used to burn the server's CPU.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// CheckPasswordPolicy says what is wrong with a new password, if anything.
func CheckPasswordPolicy(password string) error {
	if n := len([]rune(password)); n < MinPasswordLen || len(password) > MaxPasswordLen {
		return survey.FieldErrors("The password is not acceptable",
			map[string]string{"password": fmt.Sprintf("must be %d to %d characters long", MinPasswordLen, MaxPasswordLen)})
	}
	return nil
}

// argon2id parameters: OWASP's minimum recommendation (19 MiB, 2 passes),
// about 30 ms here, enough to make offline guessing expensive.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an encoded argon2id hash with a random salt.
func HashPassword(password string) string {
	salt := randomBytes(16)
	return encodeHash(salt, argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen))
}

func encodeHash(salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64(salt), b64(key))
}

// dummyHash is checked when a login names no user, so that a wrong email and
// a wrong password take about the same time: checking it runs argon2id with
// the parameters of every hash, and no password's key is 32 zero bytes.
// Encoded, not hashed, because a package variable is computed when any
// canvass command starts (hashing took a quarter of a second there).
var dummyHash = encodeHash(make([]byte, 16), make([]byte, argonKeyLen))

// CheckPassword reports whether password matches the encoded hash; an empty
// hash (no such user) spends the same time and fails.
func CheckPassword(encoded, password string) bool {
	if encoded == "" {
		CheckPassword(dummyHash, password)
		return false
	}
	var version, memory, time, threads int
	var salt, key string
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil ||
		memory <= 0 || memory > 1<<20 || time <= 0 || time > 10 || threads <= 0 || threads > 16 {
		return false
	}
	salt, key = parts[4], parts[5]
	saltBytes, err1 := base64.RawStdEncoding.DecodeString(salt)
	want, err2 := base64.RawStdEncoding.DecodeString(key)
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), saltBytes, uint32(time), uint32(memory), uint8(threads), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func b64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on supported platforms
	return b
}

// NewID returns a random identifier for a user or a key: 128 bits, URL-safe.
func NewID() string { return base64.RawURLEncoding.EncodeToString(randomBytes(16)) }

// NewUser makes a user with a checked email, role and password.
func NewUser(email, password, role string) (*User, error) {
	now := time.Now().UTC()
	u := &User{ID: NewID(), Email: NormalizeEmail(email), Role: role, CreatedAt: now, UpdatedAt: now}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := CheckPasswordPolicy(password); err != nil {
		return nil, err
	}
	u.PasswordHash = HashPassword(password)
	return u, nil
}
