package server

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/waves"
)

// Bad drafts are 422 naming the field, and nothing is stored.
func TestWaveCreateBadInput(t *testing.T) {
	env := newMailEnv(t)
	for _, tc := range []struct{ body, field string }{
		{`{"kind":"postcard"}`, "kind"},
		{`{"kind":"invitation","text":"Dear {{.Name"}`, "text"},
		{`{"kind":"invitation","html":"{{.Nmae}}"}`, "html"},
		{`{"kind":"invitation","subject":"{{range 9}}x{{end}}"}`, "subject"},
		{`{"kind":"reminder","scheduled_at":"next Tuesday"}`, "scheduled_at"},
	} {
		for _, path := range []string{"/api/v1/waves", "/api/v1/waves/preview"} {
			res, body := env.doAs(env.staff.key, "POST", path, "application/json", tc.body)
			wantStatus(t, res, body, 422)
			var e errorBody
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Fields[tc.field] == "" {
				t.Errorf("%s %s: %s; want the field %q named", path, tc.body, body, tc.field)
			}
		}
	}
	res, body := env.doAs(env.staff.key, "POST", "/api/v1/waves", "application/json", `{"kind":"invitation","extra":1}`)
	wantStatus(t, res, body, 422)
	res, body = env.doAs(env.staff.key, "GET", "/api/v1/waves", "", "")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `"waves":[]`) {
		t.Errorf("a bad draft was stored: %s", body)
	}
}

// A past schedule is refused, naming the field; "now" starts the wave at once.
func TestWaveCreatePastSchedule(t *testing.T) {
	env := newMailEnv(t)
	tokens := env.cases(1)
	res, body := env.doAs(env.staff.key, "POST", "/api/v1/waves", "application/json", `{"kind":"invitation","scheduled_at":"2020-01-01T00:00:00Z"}`)
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, `"scheduled_at"`) || !strings.Contains(body, "in the past") {
		t.Errorf("the refusal does not name the field and the reason: %s", body)
	}
	env.createWave(`{"kind":"invitation","scheduled_at":"now"}`)
	env.work(env.mailer(1000))
	onceEach(t, env.sink.Received(), tokens)
}

func TestWavePreview(t *testing.T) {
	env := newMailEnv(t)
	t.Run("OK sample", func(t *testing.T) {
		res, body := env.doAs(env.staff.key, "POST", "/api/v1/waves/preview", "application/json", `{"kind":"reminder"}`)
		wantStatus(t, res, body, 200)
		var p struct{ Subject, Text, HTML, To string }
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		if p.Subject != waves.Defaults(waves.KindReminder).Subject || !strings.Contains(p.Text, "Dear Alex Sample") || !strings.Contains(p.To, "alex.sample@example.org") {
			t.Errorf("preview with no case: %+v", p)
		}
	})
	t.Run("OK case", func(t *testing.T) {
		tok := env.sealedCase("dana@city.example", "Dana Lee", "Police Chief", "Ames")
		res, body := env.doAs(env.staff.key, "POST", "/api/v1/waves/preview", "application/json",
			`{"kind":"invitation","subject":"For {{.Name}} of {{.City}}","html":"<a href=\"{{.Link}}\">go</a>"}`)
		wantStatus(t, res, body, 200)
		var p struct{ Subject, Text, HTML, To string }
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		if p.Subject != "For Dana Lee of Ames" || p.To != `"Dana Lee" <dana@city.example>` || !strings.Contains(p.Text, "as Police Chief in Ames") {
			t.Errorf("preview: %+v", p)
		}
		if strings.Contains(body, tok) || !strings.Contains(p.HTML, "/s/"+waves.PreviewToken) {
			t.Errorf("a preview must show a stand-in link, never the person's: %s", p.HTML)
		}
		if n := len(env.sink.Received()); n != 0 {
			t.Errorf("a preview sent %d messages", n)
		}
	})
}

func TestWavesAdminPage(t *testing.T) {
	env := newMailEnv(t)
	env.cases(2)
	form := url.Values{"kind": {"reminder"}, "subject": {"Hello {{.Name}}"}, "action": {"preview"}}
	res, body := env.doAs(env.staff.key, "POST", "/admin/waves", "application/x-www-form-urlencoded", form.Encode())
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, "Hello Person 00") || !strings.Contains(body, `value="Hello {{.Name}}"`) {
		t.Errorf("the preview or the draft is missing:\n%s", body)
	}
	form.Set("action", "create")
	res, body = env.doAs(env.staff.key, "POST", "/admin/waves", "application/x-www-form-urlencoded", form.Encode())
	if got := location(t, res, body); got != "/admin/waves" {
		t.Errorf("scheduling leads to %q", got)
	}
	form.Set("text", "{{.Nope}}")
	res, body = env.doAs(env.staff.key, "POST", "/admin/waves", "application/x-www-form-urlencoded", form.Encode())
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, "text: {{.Nope}} is not a merge field") || !strings.Contains(body, "{{.Nope}}</textarea>") {
		t.Errorf("the error or the draft is missing:\n%s", body)
	}
	res, body = env.doAs(env.staff.key, "GET", "/admin/waves", "", "")
	wantStatus(t, res, body, 200)
	if strings.Count(body, "<td>reminder") != 1 || !strings.Contains(body, `/cancel"`) {
		t.Errorf("the list:\n%s", body)
	}
}
