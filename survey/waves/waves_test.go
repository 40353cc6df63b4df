package waves

import (
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

var phoenix = mustZone("America/Phoenix")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func TestSelects(t *testing.T) {
	sent := []survey.Contact{{Kind: KindInvitation, Status: survey.ContactSent}}
	failed := []survey.Contact{{Kind: KindInvitation, Status: survey.ContactFailed}}
	bounced := []survey.Contact{{Kind: KindInvitation, Status: survey.ContactBounced}}
	uncertain := []survey.Contact{{Wave: "w1", Kind: KindInvitation, Status: survey.ContactUncertain}}
	for _, tc := range []struct {
		name                 string
		c                    survey.Case
		invitation, reminder bool
	}{
		{"new", survey.Case{Status: survey.StatusNew}, true, true},
		{"invited", survey.Case{Status: survey.StatusNew, Contacts: sent}, false, true},
		{"failed is not invited", survey.Case{Status: survey.StatusNew, Contacts: failed}, true, true},
		{"bounced", survey.Case{Status: survey.StatusNew, Contacts: bounced}, false, false},
		{"started", survey.Case{Status: survey.StatusStarted, Contacts: sent}, false, true},
		{"submitted", survey.Case{Status: survey.StatusSubmitted, Contacts: sent}, false, false},
		{"opted out", survey.Case{Status: survey.StatusOptedOut, Contacts: sent}, false, false},
		{"marked bounced", survey.Case{Status: survey.StatusNew, Contacts: sent, Mark: &survey.Mark{Code: "bounced"}}, false, false},
		{"ineligible", survey.Case{Status: survey.StatusNew, Contacts: sent, Mark: &survey.Mark{Code: "ineligible"}}, false, false},
		// Every staff mark is a final disposition: no more messages.
		{"unavailable", survey.Case{Status: survey.StatusNew, Contacts: sent, Mark: &survey.Mark{Code: "unavailable"}}, false, false},
		{"refused", survey.Case{Status: survey.StatusStarted, Contacts: sent, Mark: &survey.Mark{Code: "refused"}}, false, false},
		{"other", survey.Case{Status: survey.StatusNew, Contacts: sent, Mark: &survey.Mark{Code: "other"}}, false, false},
		{"do not contact", survey.Case{Status: survey.StatusNew, DoNotContact: &survey.Flag{By: "staff@example.org"}}, false, false},
		{"uncertain, never resolved", survey.Case{Status: survey.StatusNew, Contacts: uncertain}, false, false},
		{"uncertain, resolved delivered", survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{{Kind: KindInvitation, Status: survey.ContactSent, Note: "resolved"}}}, false, true},
		{"a letter is not an invitation", survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{{Mode: survey.ModeLetter, Status: survey.OutcomeSent}}}, true, true},
		// The frame import hands out links for mail merge: a case may have
		// answered, opted out or been marked without any message from Canvass.
		{"started, never invited", survey.Case{Status: survey.StatusStarted}, true, true},
		{"submitted, never invited", survey.Case{Status: survey.StatusSubmitted}, false, false},
		{"opted out, never invited", survey.Case{Status: survey.StatusOptedOut}, false, false},
		{"marked bounced, never invited", survey.Case{Status: survey.StatusNew, Mark: &survey.Mark{Code: "bounced"}}, false, false},
		{"ineligible, never invited", survey.Case{Status: survey.StatusNew, Mark: &survey.Mark{Code: "ineligible"}}, false, false},
		{"failed, then opted out", survey.Case{Status: survey.StatusOptedOut, Contacts: failed}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Selects(KindInvitation, &tc.c); got != tc.invitation {
				t.Errorf("invitation: got %v, want %v", got, tc.invitation)
			}
			if got := Selects(KindReminder, &tc.c); got != tc.reminder {
				t.Errorf("reminder: got %v, want %v", got, tc.reminder)
			}
		})
	}
	if Selects("postcard", &survey.Case{}) {
		t.Error("an unknown kind selects a case")
	}
}

// A reminder's rules narrow its selection: how many reminders went out,
// how long since the last contact of any mode, and where the person is.
func TestRules(t *testing.T) {
	now := time.Date(2026, 9, 20, 9, 0, 0, 0, time.UTC)
	days := func(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }
	n := func(i int) *int { return &i }
	inv := survey.Contact{Wave: "w1", Kind: KindInvitation, Status: survey.ContactSent, At: days(14)}
	rem := func(d int) survey.Contact {
		return survey.Contact{Wave: "w2", Kind: KindReminder, Status: survey.ContactSent, At: days(d)}
	}
	call := func(d int) survey.Contact {
		return survey.Contact{Mode: survey.ModePhone, Status: survey.OutcomeNoAnswer, At: days(d)}
	}
	notStarted := survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{inv}}
	started := survey.Case{Status: survey.StatusStarted, Contacts: []survey.Contact{inv}}
	for _, tc := range []struct {
		name  string
		rules Rules
		c     survey.Case
		want  bool
	}{
		{"no rules", Rules{}, notStarted, true},
		{"max 1, none sent", Rules{MaxReminders: n(1)}, notStarted, true},
		{"max 1, one sent", Rules{MaxReminders: n(1)}, survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{inv, rem(8)}}, false},
		{"max 2, one sent", Rules{MaxReminders: n(2)}, survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{inv, rem(8)}}, true},
		{"max 1, the reminder bounced... counts nothing sent", Rules{MaxReminders: n(1)}, survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{inv, {Kind: KindReminder, Status: survey.ContactFailed}}}, true},
		{"7 days, invited 14 days ago", Rules{MinDays: n(7)}, notStarted, true},
		{"7 days, reminded 3 days ago", Rules{MinDays: n(7)}, survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{inv, rem(3)}}, false},
		{"7 days, phoned 2 days ago", Rules{MinDays: n(7)}, survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{inv, call(2)}}, false},
		{"7 days, never contacted", Rules{MinDays: n(7)}, survey.Case{Status: survey.StatusNew}, true},
		{"not started: new", Rules{Target: TargetNotStarted}, notStarted, true},
		{"not started: started", Rules{Target: TargetNotStarted}, started, false},
		{"started: started", Rules{Target: TargetStarted}, started, true},
		{"started: new", Rules{Target: TargetStarted}, notStarted, false},
		{"rules never add a case", Rules{}, survey.Case{Status: survey.StatusSubmitted}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := Wave{Kind: KindReminder, Rules: tc.rules}
			if got := w.Selects(&tc.c, now); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseSchedule(t *testing.T) {
	now := time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", now, true},
		{"2026-06-02T09:30", time.Date(2026, 6, 2, 16, 30, 0, 0, time.UTC), true}, // Phoenix is UTC-7
		{"2026-06-02T09:30:00-04:00", time.Date(2026, 6, 2, 13, 30, 0, 0, time.UTC), true},
		{"now", now, true},
		{"2026-06-01T08:00", now, true},              // this minute (15:00 UTC) is not the past
		{"2020-01-01T00:00", time.Time{}, false},     // the past is refused: "now" says it
		{"2026-06-01T07:59", time.Time{}, false},     // a minute ago
		{"2026-06-01T14:59:00Z", time.Time{}, false}, // also with an offset
		{"tomorrow", time.Time{}, false},
		{"2026-06-02", time.Time{}, false},
		{"2026-13-02T09:30", time.Time{}, false},
	} {
		got, err := ParseSchedule(tc.in, now, phoenix)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSchedule(%q): err %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && (!got.Equal(tc.want) || got.Location() != phoenix) {
			t.Errorf("ParseSchedule(%q) = %v, want %v in the survey's zone", tc.in, got, tc.want)
		}
	}
}

func TestDraftCheck(t *testing.T) {
	now := time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)
	minus, two := -1, 2
	t.Run("OK rules", func(t *testing.T) {
		w, _, err := Draft{Kind: KindReminder, MaxReminders: &two, MinDays: &two, Target: TargetStarted}.Check("s", now, phoenix)
		if err != nil || *w.Rules.MaxReminders != 2 || *w.Rules.MinDays != 2 || w.Rules.Target != TargetStarted {
			t.Fatalf("wave %+v, %v", w, err)
		}
	})
	t.Run("OK defaults", func(t *testing.T) {
		w, tpl, err := Draft{Kind: KindReminder}.Check("s", now, phoenix)
		if err != nil {
			t.Fatal(err)
		}
		if w.Subject != defaultReminder.Subject || w.Text != defaultReminder.Text || w.HTML != defaultReminder.HTML {
			t.Error("empty templates did not take the reminder's defaults")
		}
		if !w.ScheduledAt.Equal(now) || w.Status != StatusScheduled || w.Survey != "s" {
			t.Errorf("wave %+v", w)
		}
		if tpl == nil {
			t.Error("no templates")
		}
	})
	for _, tc := range []struct {
		name   string
		d      Draft
		fields []string
	}{
		{"unknown kind", Draft{Kind: "postcard"}, []string{"kind"}},
		{"no kind", Draft{}, []string{"kind"}},
		{"broken subject", Draft{Kind: KindInvitation, Subject: "Hello {{.Name"}, []string{"subject"}},
		{"unknown field", Draft{Kind: KindInvitation, Text: "Dear {{.Nmae}}"}, []string{"text"}},
		{"range", Draft{Kind: KindInvitation, Text: "{{range 1000000000}}x{{end}}"}, []string{"text"}},
		{"function", Draft{Kind: KindInvitation, HTML: `{{printf "%s" .Name}}`}, []string{"html"}},
		{"define", Draft{Kind: KindInvitation, HTML: `{{define "x"}}y{{end}}`}, []string{"html"}},
		{"comment", Draft{Kind: KindInvitation, Text: "Dear {{/* a note */}}{{.Name}}"}, []string{"text"}},
		{"trimmed comment", Draft{Kind: KindInvitation, Subject: "{{- /* x */ -}} Hi"}, []string{"subject"}},
		{"comment in if", Draft{Kind: KindInvitation, HTML: "{{if .Title}}{{/* x */}}{{end}}"}, []string{"html"}},
		{"unfinished html", Draft{Kind: KindInvitation, HTML: `<a href="{{.Link}}`}, []string{"html"}},
		{"schedule", Draft{Kind: KindInvitation, ScheduledAt: "next week"}, []string{"scheduled_at"}},
		{"several", Draft{Kind: "x", Subject: "{{", ScheduledAt: "x"}, []string{"kind", "subject", "scheduled_at"}},
		{"negative count", Draft{Kind: KindReminder, MaxReminders: &minus}, []string{"max_reminders"}},
		{"negative days", Draft{Kind: KindReminder, MinDays: &minus}, []string{"min_days_since_contact"}},
		{"unknown target", Draft{Kind: KindReminder, Target: "everyone"}, []string{"target"}},
		{"rules on an invitation", Draft{Kind: KindInvitation, MaxReminders: &two, Target: TargetStarted}, []string{"max_reminders", "target"}},
	} {
		t.Run("ErrInvalid "+tc.name, func(t *testing.T) {
			_, _, err := tc.d.Check("s", now, phoenix)
			var e *survey.Error
			if err == nil || survey.ErrorCode(err) != survey.EINVALID {
				t.Fatalf("err %v, want invalid", err)
			}
			e = err.(*survey.Error)
			if len(e.Fields) != len(tc.fields) {
				t.Errorf("fields %v, want %v", e.Fields, tc.fields)
			}
			for _, f := range tc.fields {
				if e.Fields[f] == "" {
					t.Errorf("fields %v do not name %q", e.Fields, f)
				}
			}
		})
	}
}

func TestRender(t *testing.T) {
	c := &survey.Case{Frame: survey.Frame{Name: "Dana <Q> Lee", Title: "Finance Director", City: "Tempe"}}
	in := *instrument.Default()
	in.FieldPeriod.Closes = time.Date(2026, 7, 1, 0, 0, 0, 0, phoenix)
	f := FieldsFor(c, "https://survey.example/", "TOKEN123", &in)
	if f.Link != "https://survey.example/s/TOKEN123" || f.OptOutLink != "https://survey.example/s/TOKEN123/optout" {
		t.Errorf("links %q %q", f.Link, f.OptOutLink)
	}
	if f.ClosingDate != "Tuesday, June 30, 2026" {
		t.Errorf("closing date %q: a period ending at midnight closes the day before", f.ClosingDate)
	}
	for _, kind := range []string{KindInvitation, KindReminder} {
		d := Defaults(kind)
		tpl, err := Parse(d.Subject, d.Text, d.HTML)
		if err != nil {
			t.Fatalf("%s defaults: %v", kind, err)
		}
		m, rerr := tpl.Render(f)
		if rerr != nil {
			t.Fatal(rerr)
		}
		// Signed by who runs the survey, with whom to ask.
		for _, want := range []string{"Dear Dana <Q> Lee,", f.Link + "\n", f.OptOutLink + "\n", "Tuesday, June 30, 2026", "Tempe",
			"Center for Science, Technology and Environmental Policy Studies, Arizona State University", in.Sponsor.PrincipalInvestigator + ", principal investigator", in.Contact.Email} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s text lacks %q:\n%s", kind, want, m.Text)
			}
		}
		for _, want := range []string{"Dear Dana &lt;Q&gt; Lee,", `href="` + f.Link + `"`, `href="` + f.OptOutLink + `"`, `href="mailto:` + in.Contact.Email + `"`} {
			if !strings.Contains(m.HTML, want) {
				t.Errorf("%s HTML lacks %q:\n%s", kind, want, m.HTML)
			}
		}
	}
	tpl, err := Parse("Hi {{.Name}}{{if .Title}}, {{.Title}}{{else}}!{{end}}", "", "")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tpl.Render(Fields{Name: "Kim\r\nBcc: x@evil.example"})
	if m.Subject != "Hi Kim Bcc: x@evil.example!" {
		t.Errorf("subject %q: want one line", m.Subject)
	}
}

func TestMessageID(t *testing.T) {
	a, b := MessageID("w1:case", "example.org"), MessageID("w1:case", "example.org")
	if a != b || MessageID("w2:case", "example.org") == a {
		t.Error("Message-ID is not a function of the outbox id")
	}
	if strings.Contains(a, "case") || !strings.HasSuffix(a, "@example.org") {
		t.Errorf("Message-ID %q", a)
	}
	if id := NewID(); strings.Contains(id, ":") || id == NewID() {
		t.Errorf("NewID %q", id)
	}
}

func TestReturnPath(t *testing.T) {
	id := OutboxID("wabcdefgh", "Xy-_09AbCdEfGhIjKlMnOp")
	rp := ReturnPath("bounces@canvass.example", id)
	if rp != "bounces+wabcdefgh=Xy-_09AbCdEfGhIjKlMnOp@canvass.example" {
		t.Errorf("return path %q", rp)
	}
	if _, err := netmail.ParseAddress(rp); err != nil {
		t.Errorf("%q is not an address: %v", rp, err)
	}
	for addr, want := range map[string]string{
		rp:                                     id,
		"bounces+wabcdefgh=Xy@CANVASS.example": "wabcdefgh:Xy",
		"bounces@canvass.example":              "",
		"bounces+@canvass.example":             "",
		"other+wabc=x@canvass.example":         "",
		"bounces+wabc=x@elsewhere.example":     "",
		"no at sign":                           "",
	} {
		if got := EntryOfReturnPath("bounces@canvass.example", addr); got != want {
			t.Errorf("%q: got %q, want %q", addr, got, want)
		}
	}
}
