package dsn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parseFile(t *testing.T, name string) (*Report, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Parse(f)
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		file, messageID, recipient string
		outcome                    Outcome
		why, to                    string
	}{
		{"postfix-bounce.eml", "0f3c5a3b9d8e4f1a2b6c7d8e9f0a1b2c@canvass.example", "dana.lee@city.example", Bounced,
			"5.1.1 550 5.1.1 <dana.lee@city.example>: Recipient address rejected: User unknown in virtual mailbox table", "survey@canvass.example"},
		{"exchange-bounce.eml", "7e1d2c3b4a5968778695a4b3c2d1e0f9@canvass.example", "parks.director@gov.example", Bounced,
			"5.1.10 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", "survey@canvass.example"},
		{"postfix-delayed.eml", "5d4c3b2a19f8e7d6c5b4a39281706f5e@canvass.example", "finance@smalltown.example", Delayed,
			"4.4.1 connect to mx.smalltown.example[192.0.2.53]:25: Connection timed out", "survey@canvass.example"},
		{"unmatched-bounce.eml", "CAF=lunch+friday@mail.canvass.example", "someone@elsewhere.example", Bounced,
			"5.7.1 550 5.7.1 Message rejected as spam", "survey@canvass.example"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, err := parseFile(t, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if r.MessageID != tc.messageID {
				t.Errorf("message id %q, want %q", r.MessageID, tc.messageID)
			}
			if len(r.Recipients) != 1 || r.Recipients[0].Address != tc.recipient {
				t.Errorf("recipients %+v", r.Recipients)
			}
			if o, why := r.Outcome(); o != tc.outcome || why != tc.why {
				t.Errorf("outcome %q %q, want %q %q", o, why, tc.outcome, tc.why)
			}
			if len(r.To) == 0 || r.To[0] != tc.to {
				t.Errorf("to %v", r.To)
			}
			if r.Date.IsZero() || r.Date.Year() != 2026 {
				t.Errorf("date %v", r.Date)
			}
		})
	}
	t.Run("ErrNotDSN", func(t *testing.T) {
		if _, err := parseFile(t, "out-of-office.eml"); !errors.Is(err, ErrNotDSN) {
			t.Errorf("an auto-reply: %v", err)
		}
		for _, raw := range []string{"", "not a message", "Content-Type: multipart/report; report-type=disposition-notification; boundary=x\n\n--x--\n",
			"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\nContent-Type: text/plain\n\nhello\n--x--\n"} {
			if _, err := Parse(strings.NewReader(raw)); !errors.Is(err, ErrNotDSN) {
				t.Errorf("%q: %v", raw, err)
			}
		}
	})
}

// The worst recipient decides, and a failure without a permanent status
// gave up without saying the address is wrong.
func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		rs   []Recipient
		want Outcome
	}{
		{[]Recipient{{Action: "delivered", Status: "2.0.0"}}, None},
		{[]Recipient{{Action: "relayed", Status: "2.0.0"}}, None},
		{[]Recipient{{Action: "delayed", Status: "4.4.7"}}, Delayed},
		{[]Recipient{{Action: "failed", Status: "4.4.7"}}, Failed},
		{[]Recipient{{Action: "failed", Status: "5.2.2"}}, Bounced},
		{[]Recipient{{Action: "delayed", Status: "4.4.1"}, {Action: "failed", Status: "5.1.1"}}, Bounced},
	} {
		if got, _ := (&Report{Recipients: tc.rs}).Outcome(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.rs, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"postfix-bounce.eml", "exchange-bounce.eml", "postfix-delayed.eml", "unmatched-bounce.eml", "out-of-office.eml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		start := time.Now()
		r, err := Parse(strings.NewReader(string(b)))
		if err == nil && len(r.Recipients) == 0 {
			t.Error("a report without recipients")
		}
		if err != nil && !errors.Is(err, ErrNotDSN) {
			t.Errorf("an error that is not ErrNotDSN: %v", err)
		}
		if time.Since(start) > 2*time.Second {
			t.Error("parsing took more than 2 s")
		}
	})
}
