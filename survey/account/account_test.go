package account

import (
	"strings"
	"testing"
	"time"
)

func TestPassword(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !CheckPassword(h, "correct horse battery") {
		t.Error("the right password fails")
	}
	for _, wrong := range []string{"", "correct horse batterY", "correct horse battery "} {
		if CheckPassword(h, wrong) {
			t.Errorf("%q passes", wrong)
		}
	}
	if HashPassword("same") == HashPassword("same") {
		t.Error("hashes are not salted")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$$", "$bcrypt$x", strings.Replace(h, "m=19456", "m=99999999", 1)} {
		if CheckPassword(bad, "correct horse battery") {
			t.Errorf("hash %q passes", bad)
		}
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{{"short", false}, {"twelve chars", true}, {strings.Repeat("x", 257), false}, {"ééééééééééé", false}, {"éééééééééééé", true}} {
		if got := CheckPasswordPolicy(tc.pw) == nil; got != tc.ok {
			t.Errorf("CheckPasswordPolicy(%q) ok = %v, want %v", tc.pw, got, tc.ok)
		}
	}
}

func TestUserValidate(t *testing.T) {
	for _, tc := range []struct {
		u  User
		ok bool
	}{
		{User{Email: "pi@example.org", Role: RolePI}, true},
		{User{Email: "staff@example.org", Role: RoleStaff}, true},
		{User{Email: "not an email", Role: RolePI}, false},
		{User{Email: "pi@example.org", Role: "admin"}, false},
		{User{Role: RolePI}, false},
	} {
		if got := tc.u.Validate() == nil; got != tc.ok {
			t.Errorf("%+v: ok = %v, want %v", tc.u, got, tc.ok)
		}
	}
}

func TestKeys(t *testing.T) {
	id, secret, full := NewKeySecret()
	gotID, gotSecret, ok := ParseKey(full)
	if !ok || gotID != id || gotSecret != secret {
		t.Fatalf("ParseKey(%q) = %q, %q, %v", full, gotID, gotSecret, ok)
	}
	for _, bad := range []string{"", "cvk_", full[:len(full)-1], strings.Replace(full, "cvk_", "xyz_", 1), full + "x", strings.Replace(full, ".", "_", 1)} {
		if _, _, ok := ParseKey(bad); ok {
			t.Errorf("ParseKey(%q) ok", bad)
		}
	}
}

func TestParseBearer(t *testing.T) {
	for _, tc := range []struct {
		header, want string
		ok           bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"Bearer  abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer a b", "", false},
		{"", "", false},
	} {
		got, ok := ParseBearer(tc.header)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseBearer(%q) = %q, %v; want %q, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSessionLive(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	s := Session{CreatedAt: t0, LastSeen: t0.Add(7 * time.Hour)}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{t0.Add(7*time.Hour + 29*time.Minute), true},
		{t0.Add(7*time.Hour + 31*time.Minute), false}, // idle
		{t0.Add(12 * time.Hour), false},               // absolute lifetime
	} {
		if got := s.Live(tc.at, 30*time.Minute, 12*time.Hour); got != tc.want {
			t.Errorf("Live(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func FuzzParseSessionCookie(f *testing.F) {
	f.Add(NewToken())
	f.Add("")
	f.Add(strings.Repeat("$", 43))
	f.Fuzz(func(t *testing.T, v string) {
		if got, ok := ParseSessionCookie(v); ok && (got != v || len(v) != tokenLen || !urlSafe(v)) {
			t.Fatalf("accepted %q", v)
		}
	})
}

func FuzzParseAuthorization(f *testing.F) {
	_, _, key := NewKeySecret()
	f.Add("Bearer " + key)
	f.Add("bearer x")
	f.Add("Basic dXNlcjpwYXNz")
	f.Fuzz(func(t *testing.T, header string) {
		cred, ok := ParseBearer(header)
		if !ok {
			return
		}
		if cred == "" || strings.ContainsAny(cred, " \t") {
			t.Fatalf("ParseBearer(%q) = %q", header, cred)
		}
		if id, secret, ok := ParseKey(cred); ok && cred != keyPrefix+id+"."+secret {
			t.Fatalf("ParseKey(%q) does not round-trip", cred)
		}
	})
}
