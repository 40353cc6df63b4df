package server

import (
	"strings"
	"testing"
)

func TestWellFormedRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"7f2c1a9be0d34c5f8a6b0e1d2c3f4a5b":     true,
		"123e4567-e89b-12d3-a456-426614174000": true,
		"a.b_c-D":                              true,
		strings.Repeat("x", maxRequestID):      true,
		strings.Repeat("x", maxRequestID+1):    false,
		"":                                     false,
		"two words":                            false,
		"line\nbreak":                          false,
		`"quote`:                               false,
		"/s/abc":                               false,
		"é":                                    false,
	} {
		if got := wellFormedRequestID(id); got != want {
			t.Errorf("wellFormedRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}

// FuzzRequestID: whatever a client sends as X-Request-Id, the id used is
// well formed, and it is what was sent exactly when that was well formed.
func FuzzRequestID(f *testing.F) {
	for _, seed := range []string{"", "7f2c1a9be0d34c5f8a6b0e1d2c3f4a5b", "a b", "x\r\nSet-Cookie: y", strings.Repeat("z", 65), "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := requestID(header)
		if !wellFormedRequestID(got) || len(got) > maxRequestID {
			t.Fatalf("requestID(%q) = %q, not well formed", header, got)
		}
		if (got == header) != wellFormedRequestID(header) {
			t.Fatalf("requestID(%q) = %q", header, got)
		}
	})
}
