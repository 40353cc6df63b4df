package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/server/bounces"
	"github.com/canvass-survey/canvass/server/config"
	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/token"
	"github.com/canvass-survey/canvass/survey/waves"
)

// caseContacts is GET /api/v1/cases/{id}'s contact log, as a client reads it.
func (env *testEnv) caseContacts(key, id string) []map[string]any {
	env.t.Helper()
	res, body := env.doAs(key, "GET", "/api/v1/cases/"+id, "", "")
	wantStatus(env.t, res, body, 200)
	var got struct{ Contacts []map[string]any }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		env.t.Fatal(err)
	}
	return got.Contacts
}

// wantFields checks a 422 answer names the field.
func wantFields(t *testing.T, res *http.Response, body string, field string) {
	t.Helper()
	wantStatus(t, res, body, 422)
	var got errorBody
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.Fields[field] == "" {
		t.Errorf("422 without the field %q: %s", field, body)
	}
}

// A message the service stopped while handing over is on the case's
// contact log with its Message-ID, on the Waves page and under the Cases
// filter; no later wave mails the case until staff resolve it, and then
// one does.
func TestUncertainMessageWaitsForStaff(t *testing.T) {
	env := newMailEnv(t)
	ctx := context.Background()
	env.srv.Fieldwork.MailDomain = "canvass.example"
	tokens := env.cases(2)
	lost := token.NewHasher(testSecret).CaseID(tokens["person00@city.example"])
	w := env.createWave(`{"kind":"invitation"}`)
	m := env.mailer(1000) // one: a second would wait for the first's lease
	if _, err := m.StartWave(ctx, &w); err != nil {
		t.Fatal(err)
	}
	e := waves.Entry{ID: waves.OutboxID(w.ID, lost), Wave: w.ID, Case: lost, Status: waves.EntrySending, UpdatedAt: env.now}
	if err := env.store.PutEntry(ctx, &e); err != nil {
		t.Fatal(err)
	}
	env.work(m) // recovers the entry as uncertain, sends the other
	msgID := waves.MessageID(e.ID, "canvass.example")
	got := env.caseContacts(env.staff.key, lost)
	if len(got) != 1 || got[0]["status"] != "uncertain" || got[0]["message_id"] != msgID || got[0]["mode"] != "email" || got[0]["wave"] != w.ID {
		t.Fatalf("contacts %v", got)
	}
	for _, key := range []string{"wave", "kind", "mode", "at", "status", "message_id", "note"} {
		if _, ok := got[0][key]; !ok {
			t.Errorf("a contact lacks %q: %v", key, got[0])
		}
	}
	cookie, _ := env.loginPage(env.staff.user.Email)
	res, body := env.withCookie(cookie, "", "GET", "/admin/waves", "", "")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, "/admin/cases/"+lost) || !strings.Contains(body, msgID) {
		t.Error("the Waves page does not show the uncertain message's case and Message-ID")
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/cases?filter=uncertain", "", "")
	if !strings.Contains(body, "Person 00") || strings.Contains(body, "Person 01") || !strings.Contains(body, "Showing 1") {
		t.Errorf("the uncertain filter: %.400s", body[strings.Index(body, "Showing"):])
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/cases/"+lost, "", "")
	if !strings.Contains(body, "A message may have gone out") || !strings.Contains(body, msgID) {
		t.Error("the case page does not show the uncertain message")
	}

	// A catch-up invitation leaves it out.
	again := env.createWave(`{"kind":"invitation"}`)
	if again.Selected != 0 {
		t.Errorf("a later invitation selects %d, want 0", again.Selected)
	}
	env.work(m)
	if n := len(env.sink.Received()); n != 1 {
		t.Errorf("%d messages sent, want only the first wave's one", n)
	}

	res, body = env.doAs(env.staff.key, "POST", "/api/v1/cases/"+lost+"/resolve", "application/json", `{}`)
	wantFields(t, res, body, "delivered")
	res, body = env.doAs(env.staff.key, "POST", "/api/v1/cases/"+lost+"/resolve", "application/json", `{"delivered": false, "note": "not in the relay's log"}`)
	wantStatus(t, res, body, 200)
	if s := env.summary(w.ID); s.Uncertain != 0 || s.Failed != 1 {
		t.Errorf("after resolving: %+v", s.Counts)
	}
	if _, body = env.withCookie(cookie, "", "GET", "/admin/waves", "", ""); strings.Contains(body, msgID) {
		t.Error("the Waves page still lists the message staff resolved")
	}
	res, body = env.doAs(env.staff.key, "POST", "/api/v1/cases/"+lost+"/resolve", "application/json", `{"delivered": true}`)
	wantStatus(t, res, body, 409)
	if got := env.createWave(`{"kind":"invitation"}`); got.Selected != 1 {
		t.Errorf("after resolving as not delivered an invitation selects %d, want 1", got.Selected)
	}
	env.work(m)
	if sent := env.sink.Received(); len(sent) != 2 || sent[1].To != "person00@city.example" {
		t.Errorf("sent %v", recipients(sent))
	}
}

// Staff log phone calls and letters through the API; a bad mode or a time
// to come is refused, naming the field; one that reached the person makes
// the case contacted in the rates.
func TestLogContactAPI(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	id := env.storedCase(env.newCase("pat@city.example")).ID
	post := func(body string) (*http.Response, string) {
		return env.doAs(staff.key, "POST", "/api/v1/cases/"+id+"/contacts", "application/json", body)
	}
	res, body := post(`{"mode": "fax", "outcome": "reached"}`)
	wantFields(t, res, body, "mode")
	res, body = post(`{"mode": "phone", "outcome": "reached", "at": "` + env.now.Add(24*time.Hour).Format(time.RFC3339) + `"}`)
	wantFields(t, res, body, "at")
	res, body = post(`{"mode": "phone", "outcome": "maybe"}`)
	wantFields(t, res, body, "outcome")
	res, body = post(`{"mode": "letter", "outcome": "sent", "note": "paper questionnaire"}`)
	wantStatus(t, res, body, 201)
	res, body = post(`{"mode": "phone", "outcome": "reached", "note": "will answer this week"}`)
	wantStatus(t, res, body, 201)
	got := env.caseContacts(staff.key, id)
	if len(got) != 2 || got[1]["mode"] != "phone" || got[1]["status"] != "reached" || got[1]["note"] != "will answer this week" || got[1]["message_id"] != "" {
		t.Errorf("contacts %v", got)
	}
	res, body = env.doAs(staff.key, "GET", "/api/v1/progress", "", "")
	var p progressJSON
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Counts.R != 1 || p.Rates.CON1 == nil || *p.Rates.CON1 != 1 {
		t.Errorf("a case reached by phone: counts %+v, CON1 %v", p.Counts, p.Rates.CON1)
	}
}

// The case page's forms: a logged attempt, a refusal recorded with what it
// does said beside it, the do-not-contact list; and the list's API.
func TestCasePage(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	c := env.storedCase(env.newCase("pat@city.example"))
	page := "/admin/cases/" + c.ID
	cookie, csrf := env.loginPage(staff.user.Email)
	send := func(action string, form url.Values) (*http.Response, string) {
		form.Set("csrf", csrf)
		form.Set("form_token", env.formToken(cookie, page))
		return env.withCookie(cookie, "", "POST", action, "application/x-www-form-urlencoded", form.Encode())
	}
	res, body := env.withCookie(cookie, "", "GET", page, "", "")
	wantStatus(t, res, body, 200)
	for _, want := range []string{"Contact log", "No contact yet", "Reminders: none. Rates: refusal (R)", "Rates: left out of every rate (NE)", "Log a contact attempt"} {
		if !strings.Contains(body, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	res, body = send(page+"/contacts", url.Values{"mode": {"phone"}, "outcome": {"left_message"}, "at": {env.now.Add(48 * time.Hour).Format("2006-01-02T15:04")}})
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, "at: ") {
		t.Errorf("a time to come: %.300s", body[strings.Index(body, "<main"):])
	}
	res, body = send(page+"/contacts", url.Values{"mode": {"phone"}, "outcome": {"left_message"}, "note": {"voicemail"}})
	if to := location(t, res, body); to != page {
		t.Errorf("redirected to %s", to)
	}
	res, body = env.withCookie(cookie, "", "GET", page, "", "")
	if !strings.Contains(body, "Logged: phone, left message.") || !strings.Contains(body, "left_message") || !strings.Contains(body, "voicemail") {
		t.Error("the logged attempt is not on the page")
	}
	res, body = send(page+"/disposition", url.Values{"code": {"refused"}, "note": {"said no on the phone"}})
	res, body = env.withCookie(cookie, "", "GET", location(t, res, body), "", "")
	if !strings.Contains(body, "is now R") {
		t.Error("the refusal is not recorded")
	}
	res, body = send("/admin/donotcontact", url.Values{"who": {"PAT@city.example"}, "action": {"add"}, "note": {"asked not to be emailed"}})
	if to := location(t, res, body); to != page {
		t.Errorf("redirected to %s", to)
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/cases?filter=do_not_contact", "", "")
	if !strings.Contains(body, "Showing 1") || !strings.Contains(body, "do not contact") {
		t.Error("the do-not-contact filter does not show the case")
	}
	if a, _ := env.store.Audit(t.Context(), 1); a[0].Action != "case.do_not_contact" || a[0].Actor != staff.user.Email {
		t.Errorf("audit %+v", a[0])
	}

	res, body = env.doAs(staff.key, "DELETE", "/api/v1/donotcontact/"+url.PathEscape("pat@city.example"), "", "")
	wantStatus(t, res, body, 200)
	if env.storedCase2(c.ID).DoNotContact != nil {
		t.Error("still on the list")
	}
	res, body = env.doAs(staff.key, "POST", "/api/v1/donotcontact", "application/json", `{"case": "`+c.ID+`", "note": "by phone"}`)
	wantStatus(t, res, body, 200)
	res, body = env.doAs(staff.key, "POST", "/api/v1/donotcontact", "application/json", `{"email": "nobody@city.example"}`)
	wantStatus(t, res, body, 404)
	res, body = env.doAs(staff.key, "POST", "/api/v1/donotcontact", "application/json", `{}`)
	wantFields(t, res, body, "email")
}

func (env *testEnv) storedCase2(id string) *survey.Case {
	env.t.Helper()
	c, err := env.store.Case(context.Background(), id)
	if err != nil {
		env.t.Fatal(err)
	}
	return c
}

// A test send goes to the member of staff only, as the wave would read,
// counted nowhere; a stored wave can be tested too.
func TestWaveTestSend(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(2)
	res, body := env.doAs(env.staff.key, "POST", "/api/v1/waves/test", "application/json", `{"kind": "reminder"}`)
	wantStatus(t, res, body, 409) // no mail server to send it
	env.srv.Fieldwork.Sender = env.mailer(1000)
	res, body = env.doAs(env.staff.key, "POST", "/api/v1/waves/test", "application/json", `{"kind": "reminder", "subject": "Still time, {{.Name}}"}`)
	wantStatus(t, res, body, 200)
	w := env.createWave(`{"kind": "invitation", "scheduled_at": "` + env.now.Add(72*time.Hour).Format(time.RFC3339) + `"}`)
	res, body = env.doAs(env.staff.key, "POST", "/api/v1/waves/"+w.ID+"/test", "application/json", "")
	wantStatus(t, res, body, 200)
	got := env.sink.Received()
	if len(got) != 2 || got[0].To != env.staff.user.Email || got[1].To != env.staff.user.Email {
		t.Fatalf("sent to %v", recipients(got))
	}
	if m := parse(t, got[0].Data); !strings.HasPrefix(m.Header.Get("Subject"), "[Test] Still time, Person 0") || !strings.Contains(m.Text, "/s/"+waves.PreviewToken) {
		t.Errorf("the test: %q\n%s", m.Header.Get("Subject"), m.Text)
	}
	for _, tok := range tokens {
		if c := env.storedCase(tok); len(c.Contacts) != 0 {
			t.Errorf("a test send reached a case's contact log: %+v", c.Contacts)
		}
	}
	if s := env.summary(w.ID); s.Queued != 0 {
		t.Errorf("a test send was queued: %+v", s.Counts)
	}
}

// A reminder's rules are checked (a negative count is 422 naming the
// field, in the API and the form) and narrow the selection.
func TestReminderRules(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(3)
	res, body := env.doAs(env.staff.key, "POST", "/api/v1/waves", "application/json", `{"kind": "reminder", "max_reminders": -1}`)
	wantFields(t, res, body, "max_reminders")
	cookie, csrf := env.loginPage(env.staff.user.Email)
	res, body = env.withCookie(cookie, "", "POST", "/admin/waves", "application/x-www-form-urlencoded",
		url.Values{"csrf": {csrf}, "kind": {"reminder"}, "when": {"now"}, "action": {"preview"}, "min_days_since_contact": {"-2"}}.Encode())
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, "min_days_since_contact: must be 0 or more") {
		t.Error("the form does not name the rule")
	}
	env.createWave(`{"kind": "invitation"}`)
	env.work(env.mailer(1000))
	env.now = env.clock.Now()                                 // the survey's clock after the mailer's sends
	env.answer(tokens["person00@city.example"], false, false) // started, not submitted
	for rules, want := range map[string]int{
		`"target": "started"`:                             1,
		`"target": "not_started"`:                         2,
		`"min_days_since_contact": 7`:                     0,
		`"min_days_since_contact": 0, "max_reminders": 1`: 3,
	} {
		if w := env.createWave(`{"kind": "reminder", ` + rules + `}`); w.Selected != want {
			t.Errorf("%s selects %d, want %d", rules, w.Selected, want)
		}
	}
}

// Each complete counts for the last wave that reached the person before
// the submission; a complete no wave reached counts apart.
func TestCompletesByWave(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(3)
	env.createWave(`{"kind": "invitation"}`)
	env.work(env.mailer(1000))
	walkIn := env.newCase("walk-in@city.example") // a link given by mail merge
	env.now = env.clock.Now().Add(time.Hour)
	env.answer(tokens["person00@city.example"], true, true)
	env.answer(walkIn, true, true)
	res, body := env.doAs(env.staff.key, "GET", "/api/v1/progress", "", "")
	wantStatus(t, res, body, 200)
	var p progressJSON
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Waves) != 1 || p.Waves[0].Completes != 1 || p.CompletesWithoutWave != 1 {
		t.Errorf("waves %+v, without a wave %d", p.Waves, p.CompletesWithoutWave)
	}
}

// A bounce mailbox that cannot be read is reported on the Waves page,
// with when it was tried.
func TestBounceMailboxDown(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := config.Bounces{Host: "127.0.0.1", Port: port, TLS: "none", User: "bounces", Password: "p", Folder: "INBOX"}
	env.srv.bounceMailbox = cfg.Mailbox()
	cookie, _ := env.loginPage(staff.user.Email)
	_, body := env.withCookie(cookie, "", "GET", "/admin/waves", "", "")
	if !strings.Contains(body, "not read yet") {
		t.Error("the Waves page does not say the mailbox was not read yet")
	}
	r := &bounces.Reader{Config: cfg, Store: env.store, Recorder: env.srv.Fieldwork, Logger: env.srv.Logger, Now: func() time.Time { return env.now }}
	if err := r.Poll(t.Context()); err == nil {
		t.Fatal("a closed port was read")
	}
	_, body = env.withCookie(cookie, "", "GET", "/admin/waves", "", "")
	if !strings.Contains(body, "could not be read") || !strings.Contains(body, "connecting to 127.0.0.1:") {
		t.Errorf("the Waves page does not report the failure: %.600s", body[strings.Index(body, "<main"):])
	}
}

// With VERP on, each message's envelope sender names its outbox entry, so
// that a bounce to it finds the message; off, it is the sender.
func TestMailerVERP(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(1)
	id := token.NewHasher(testSecret).CaseID(tokens["person00@city.example"])
	w := env.createWave(`{"kind": "invitation"}`)
	m := env.mailer(1000)
	m.VERP = "bounces@canvass.example"
	env.work(m)
	got := env.sink.Received()
	if len(got) != 1 || got[0].From != "bounces+"+w.ID+"="+id+"@canvass.example" ||
		waves.EntryOfReturnPath(m.VERP, got[0].From) != waves.OutboxID(w.ID, id) {
		t.Fatalf("envelope sender %q", got[0].From)
	}
	if m := parse(t, got[0].Data); !strings.Contains(m.Header.Get("From"), "survey@canvass.example") {
		t.Errorf("the From header changed: %q", m.Header.Get("From"))
	}
}

// A message the mail server refused for a while is on the case's contact
// log as retrying, with the refusal, and under the Cases filter.
func TestRetryingMessage(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(2)
	busy := token.NewHasher(testSecret).CaseID(tokens["person01@city.example"])
	env.sink.Refuse("person01@city.example", 1)
	env.createWave(`{"kind": "invitation"}`)
	env.work(env.mailer(1000))
	got := env.caseContacts(env.staff.key, busy)
	if len(got) != 1 || got[0]["status"] != "retrying" || !strings.Contains(got[0]["error"].(string), "451") {
		t.Fatalf("contacts %v", got)
	}
	cookie, csrf := env.loginPage(env.staff.user.Email)
	_, body := env.withCookie(cookie, "", "GET", "/admin/cases?filter=retrying", "", "")
	if !strings.Contains(body, "Person 01") || strings.Contains(body, "Person 00") {
		t.Errorf("the retrying filter: %.400s", body[strings.Index(body, "Showing"):])
	}
	// The JSON route takes the session's CSRF token like every other.
	res, body := env.withCookie(cookie, "", "POST", "/api/v1/cases/"+busy+"/contacts", "application/json", `{"mode": "phone", "outcome": "no_answer"}`)
	wantStatus(t, res, body, 403)
	res, body = env.withCookie(cookie, csrf, "POST", "/api/v1/cases/"+busy+"/contacts", "application/json", `{"mode": "phone", "outcome": "no_answer"}`)
	wantStatus(t, res, body, 201)
}
