package token

import "testing"

func TestNewIsWellFormedAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok := New()
		if !WellFormed(tok) {
			t.Fatalf("New() = %q is not well formed", tok)
		}
		if seen[tok] {
			t.Fatalf("New() repeated %q", tok)
		}
		seen[tok] = true
	}
}

func TestWellFormed(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"abc", false},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},   // 31
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false}, // 33
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_", true},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$.", false},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/+", false},
	} {
		if got := WellFormed(tc.in); got != tc.want {
			t.Errorf("WellFormed(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCaseIDIsKeyed(t *testing.T) {
	a, b := NewHasher([]byte("secret-a")), NewHasher([]byte("secret-b"))
	tok := New()
	if a.CaseID(tok) != a.CaseID(tok) {
		t.Error("CaseID is not deterministic")
	}
	if a.CaseID(tok) == b.CaseID(tok) {
		t.Error("CaseID does not depend on the key")
	}
	if a.CaseID(tok) == a.CaseID(New()) {
		t.Error("two tokens share a case id")
	}
}

func FuzzWellFormed(f *testing.F) {
	f.Add(New())
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if WellFormed(s) && len(s) != Len {
			t.Fatalf("accepted %q", s)
		}
	})
}

func TestSealer(t *testing.T) {
	s := NewSealer([]byte("secret-a"))
	tok := New()
	sealed := s.Seal(tok)
	if sealed == s.Seal(tok) {
		t.Error("sealing is deterministic: the nonce is not random")
	}
	got, err := s.Open(sealed)
	if err != nil || got != tok {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := NewSealer([]byte("secret-b")).Open(sealed); err == nil {
		t.Error("another secret opens the token")
	}
	tampered := []byte(sealed)
	tampered[len(tampered)-2] ^= 1
	for _, bad := range []string{string(tampered), "", "!!!", sealed[:10]} {
		if _, err := s.Open(bad); err == nil {
			t.Errorf("Open(%q) succeeds", bad)
		}
	}
}
