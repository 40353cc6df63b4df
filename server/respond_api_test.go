package server

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/token"
)

func TestRespondGet(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("a@example.org")
	t.Run("OK", func(t *testing.T) {
		res, body := env.get("/api/v1/respond/" + tok)
		wantStatus(t, res, body, 200)
		var got respondState
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != survey.StatusNew || got.Survey.ID != "tech_local_gov" || len(got.Survey.Pages) == 0 || !got.Open {
			t.Fatalf("got status %q survey %q with %d pages, open %v", got.Status, got.Survey.ID, len(got.Survey.Pages), got.Open)
		}
		// Each matrix row is its own question, with the shared scale.
		var row *apiQuestion
		for _, p := range got.Survey.Pages {
			for i, q := range p.Questions {
				if q.ID == "provide_city_depts" {
					row = &p.Questions[i]
				}
			}
		}
		if row == nil || row.Group != "provide_data" || len(row.Options) != 5 || row.Options[4].Value != 4 || row.Options[4].Label != "Daily" {
			t.Fatalf("provide_city_depts: got %+v", row)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		// Unknown, malformed and operator-looking tokens all get the same answer.
		var bodies []string
		for _, bad := range []string{token.New(), "short", url32("$where"), strings.Repeat("a", 300)} {
			res, body := env.get("/api/v1/respond/" + bad)
			wantStatus(t, res, body, 404)
			bodies = append(bodies, body)
		}
		for _, b := range bodies[1:] {
			if b != bodies[0] {
				t.Errorf("bodies differ: %s vs %s", b, bodies[0])
			}
		}
	})
}

func url32(prefix string) string { return prefix + strings.Repeat("A", 32-len(prefix)) }

func TestRespondAnswers(t *testing.T) {
	env := newTestEnv(t)
	t.Run("OK", func(t *testing.T) {
		tok := env.newCase("ok@example.org")
		res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers",
			`{"answers": {"years_in_position": 7, "social_media_use": [1, 2], "provide_city_depts": 4, "job_title": "Deputy chief", "tech_capacity_1": "dont_know"}}`)
		wantStatus(t, res, body, 200)
		if body != `{"saved":5}`+"\n" {
			t.Errorf("body %q", body)
		}
		c := env.storedCase(tok)
		if c.Status != survey.StatusStarted {
			t.Errorf("status %q, want started", c.Status)
		}
		got := env.srv.Instrument.Normalize(c.Answers)
		want := map[string]any{"years_in_position": 7.0, "social_media_use": []int{1, 2}, "provide_city_depts": 4,
			"job_title": "Deputy chief", "tech_capacity_1": "dont_know"}
		if !reflect.DeepEqual(map[string]any(got), want) {
			t.Errorf("stored %#v, want %#v", got, want)
		}
		// null clears.
		res, body = env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": {"job_title": null}}`)
		wantStatus(t, res, body, 200)
		if _, ok := env.storedCase(tok).Answers["job_title"]; ok {
			t.Error("job_title not cleared")
		}
	})
	t.Run("HiddenAnswersCleared", func(t *testing.T) {
		tok := env.newCase("hidden@example.org")
		put := func(answers string) {
			res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": `+answers+`}`)
			wantStatus(t, res, body, 200)
		}
		put(`{"social_media_use": [1, 6], "social_media_frequency": 3, "social_media_other": "Mastodon"}`)
		if got := env.storedCase(tok).Answers; got["social_media_other"] == nil || got["social_media_frequency"] == nil {
			t.Fatalf("follow-ups not saved: %v", got)
		}
		put(`{"social_media_use": [0]}`) // "None of these" hides the follow-up page
		got := env.storedCase(tok).Answers
		for _, id := range []string{"social_media_other", "social_media_frequency"} {
			if _, ok := got[id]; ok {
				t.Errorf("%s kept after it was hidden: %v", id, got)
			}
		}
	})
}

// Bad answers are refused, named, and change nothing.
func TestRespondAnswersRefused(t *testing.T) {
	env := newTestEnv(t)
	t.Run("ErrInvalid", func(t *testing.T) {
		tok := env.newCase("bad@example.org")
		for _, tc := range []struct {
			name, body string
			status     int
			field      string // a key that fields must name
		}{
			{"malformed", `{"answers": {"years_in_position": 7`, 422, ""},
			{"empty", ``, 422, ""},
			{"not an object", `[1,2]`, 422, ""},
			{"no answers", `{}`, 422, "answers"},
			{"unknown top-level field", `{"answers": {}, "$set": {"status": "submitted"}}`, 422, ""},
			{"trailing data", `{"answers": {}} {"answers": {}}`, 422, ""},
			{"unknown question", `{"answers": {"no_such_question": 1}}`, 422, "no_such_question"},
			{"dollar key", `{"answers": {"$set": {"status": "submitted"}}}`, 422, "$set"},
			{"dotted key", `{"answers": {"answers.years_in_position": 3}}`, 422, "answers.years_in_position"},
			{"operator value", `{"answers": {"years_in_position": {"$gt": 1}}}`, 422, "years_in_position"},
			{"wrong type", `{"answers": {"years_in_position": "seven"}}`, 422, "years_in_position"},
			{"out of range", `{"answers": {"years_in_position": 61}}`, 422, "years_in_position"},
			{"not an integer", `{"answers": {"years_in_position": 2.5}}`, 422, "years_in_position"},
			{"not an option", `{"answers": {"provide_city_depts": 5}}`, 422, "provide_city_depts"},
			{"exclusive with others", `{"answers": {"social_media_use": [0, 1]}}`, 422, "social_media_use"},
			{"text too long", `{"answers": {"job_title": "` + strings.Repeat("x", 121) + `"}}`, 422, "job_title"},
			{"special not allowed", `{"answers": {"job_title": "dont_know", "years_in_position": "dont_know"}}`, 422, "years_in_position"},
			{"one bad among good", `{"answers": {"years_in_position": 3, "provide_city_depts": 9}}`, 422, "provide_city_depts"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", tc.body)
				wantStatus(t, res, body, tc.status)
				var got errorBody
				if err := json.Unmarshal([]byte(body), &got); err != nil || got.Error == "" {
					t.Fatalf("error body %q: %v", body, err)
				}
				if tc.field != "" && got.Fields[tc.field] == "" {
					t.Errorf("fields %v do not name %q", got.Fields, tc.field)
				}
			})
		}
		// Nothing of any of those requests was saved.
		if c := env.storedCase(tok); len(c.Answers) != 0 || c.Status != survey.StatusNew {
			t.Errorf("after bad requests: status %q, answers %v", c.Status, c.Answers)
		}
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		tok := env.newCase("large@example.org")
		big := `{"answers": {"comments": "` + strings.Repeat("x", 2<<20) + `"}}`
		res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", big)
		wantStatus(t, res, body, 413)
		if !strings.Contains(body, "1 MiB") {
			t.Errorf("body %q does not say the limit", body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		res, body := env.json("PUT", "/api/v1/respond/"+token.New()+"/answers", `{"answers": {"years_in_position": 3}}`)
		wantStatus(t, res, body, 404)
	})
	t.Run("ErrClosed", func(t *testing.T) {
		tok := env.newCase("closed@example.org")
		defer func(at time.Time) { env.now = at }(env.now)
		env.now = time.Date(2028, 1, 5, 0, 0, 0, 0, time.UTC)
		res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": {"years_in_position": 3}}`)
		wantStatus(t, res, body, 403)
		if len(env.storedCase(tok).Answers) != 0 {
			t.Error("saved outside the field period")
		}
	})
}

// Two clients saving different answers to one case at once lose nothing.
func TestRespondConcurrentSaves(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("both@example.org")
	items := []string{"provide_city_depts", "provide_other_govs", "provide_private", "receive_city_depts", "receive_other_govs", "receive_private"}
	var wg sync.WaitGroup
	for i, id := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", fmt.Sprintf(`{"answers": {%q: %d}}`, id, i%5))
			if res.StatusCode != 200 {
				t.Errorf("%s: %d %s", id, res.StatusCode, body)
			}
		}()
	}
	wg.Wait()
	got := env.storedCase(tok).Answers
	for _, id := range items {
		if _, ok := got[id]; !ok {
			t.Errorf("%s lost; stored %v", id, got)
		}
	}
}

func TestRespondSubmit(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("submit@example.org")
	res, body := env.json("POST", "/api/v1/respond/"+tok+"/submit", "")
	wantStatus(t, res, body, 422)
	var missing errorBody
	_ = json.Unmarshal([]byte(body), &missing)
	for _, id := range env.srv.Instrument.Missing(nil) {
		if missing.Fields[id] == "" {
			t.Errorf("fields do not name required %s: %v", id, missing.Fields)
		}
	}
	// Answer the required questions; answers may reveal more of them.
	in := env.srv.Instrument
	for round := 0; ; round++ {
		missing := in.Missing(in.Normalize(env.storedCase(tok).Answers))
		if len(missing) == 0 {
			break
		}
		if round == 5 {
			t.Fatalf("still missing %v", missing)
		}
		answers := map[string]any{}
		for _, id := range missing {
			it, _ := in.Item(id)
			answers[id] = validAnswer(it)
		}
		b, _ := json.Marshal(map[string]any{"answers": answers})
		res, body = env.json("PUT", "/api/v1/respond/"+tok+"/answers", string(b))
		wantStatus(t, res, body, 200)
	}
	res, body = env.json("POST", "/api/v1/respond/"+tok+"/submit", "")
	wantStatus(t, res, body, 200)
	if body != `{"status":"submitted"}`+"\n" {
		t.Errorf("body %q", body)
	}
	c := env.storedCase(tok)
	if c.Status != survey.StatusSubmitted || c.SubmittedAt == nil {
		t.Errorf("stored status %q submitted_at %v", c.Status, c.SubmittedAt)
	}
	res, body = env.json("POST", "/api/v1/respond/"+tok+"/submit", "")
	wantStatus(t, res, body, 409)
	res, body = env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": {"years_in_position": 3}}`)
	wantStatus(t, res, body, 409)
	res, body = env.json("POST", "/api/v1/respond/"+tok+"/optout", "")
	wantStatus(t, res, body, 409)
	res, body = env.get("/api/v1/respond/" + tok)
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `"status":"submitted"`) {
		t.Errorf("GET after submit: %s", body)
	}
}

func TestRespondOptOut(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("optout@example.org")
	for range 2 { // opting out twice is harmless
		res, body := env.json("POST", "/api/v1/respond/"+tok+"/optout", "")
		wantStatus(t, res, body, 200)
	}
	if c := env.storedCase(tok); c.Status != survey.StatusOptedOut || c.OptedOutAt == nil {
		t.Errorf("stored status %q", c.Status)
	}
	res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": {"years_in_position": 3}}`)
	wantStatus(t, res, body, 409)
}

// Every question carries the fields the respondent API promises, null or
// empty where they do not apply.
func TestRespondGetFields(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("fields@example.org")
	res, body := env.get("/api/v1/respond/" + tok)
	wantStatus(t, res, body, 200)
	var got struct {
		Survey struct {
			Pages []struct {
				Questions []map[string]json.RawMessage
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	for _, p := range got.Survey.Pages {
		for _, q := range p.Questions {
			for _, field := range []string{"id", "type", "text", "required", "options", "min", "max", "show_if"} {
				if _, ok := q[field]; !ok {
					t.Errorf("question %s lacks %q", q["id"], field)
				}
			}
		}
	}
}

// An answer the other answers in the same save make not apply is not kept,
// and the answer says which and why.
func TestRespondAnswersNotKept(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("notkept@example.org")
	res, body := env.json("PUT", "/api/v1/respond/"+tok+"/answers", `{"answers": {"social_media_use": [0], "social_media_frequency": 3}}`)
	wantStatus(t, res, body, 200)
	var got struct {
		Saved   int               `json:"saved"`
		NotKept map[string]string `json:"not_kept"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Saved != 1 || !strings.Contains(got.NotKept["social_media_frequency"], "not kept: this question applies only if") {
		t.Errorf("got %s", body)
	}
	if _, kept := env.storedCase(tok).Answers["social_media_frequency"]; kept {
		t.Error("the answer that does not apply was stored")
	}
}
