package server

import (
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

var fieldName = regexp.MustCompile(`<(?:input|select|textarea)[^>]* name="([a-z][a-z0-9_]*)"`)

// postedFields lists the question ids a page's form posts.
func postedFields(body string) []string {
	var ids []string
	for _, m := range fieldName.FindAllStringSubmatch(body, -1) {
		if m[1] != "shown" && m[1] != "action" && !slices.Contains(ids, m[1]) {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// The whole questionnaire without JavaScript: consent, every page with
// valid answers, a resume from the link, back, the review, submit, and the
// link refusing changes afterwards.
func TestPagesFlow(t *testing.T) {
	env := newTestEnv(t)
	in := env.srv.Instrument
	tok := env.newCase("flow@example.org")
	link := "/s/" + tok

	res, body := env.get(link)
	wantStatus(t, res, body, 200)
	for _, want := range []string{"Your consent", "about 15 minutes", link + "/start", link + "/optout"} {
		if !strings.Contains(body, want) {
			t.Errorf("welcome page lacks %q", want)
		}
	}
	// Pages before consent lead back to the welcome page.
	res, body = env.get(link + "/page/" + in.Pages[0].ID)
	if got := location(t, res, body); got != link {
		t.Errorf("page before consent redirects to %q", got)
	}
	res, body = env.postForm(link+"/start", nil)
	next := location(t, res, body)
	if next != link+"/page/"+in.Pages[0].ID {
		t.Fatalf("start leads to %q", next)
	}

	visited, posted, lastForm := walkPages(t, env, link, next)
	// Every page of the default instrument is reached when the social-media
	// answers show the follow-up page.
	if len(visited) != len(in.Pages) {
		t.Errorf("visited %v, want all %d pages", visited, len(in.Pages))
	}

	// Back from the last page keeps what it holds.
	last := visited[len(visited)-1]
	lastForm.Set("action", "back")
	lastForm.Set("comments", "Kept on back")
	res, body = env.postForm(link+"/page/"+last, lastForm)
	if got := location(t, res, body); got != link+"/page/"+visited[len(visited)-2] {
		t.Errorf("back leads to %q", got)
	}
	if got := env.storedCase(tok).Answers["comments"]; got != "Kept on back" {
		t.Errorf("comments after back = %v", got)
	}

	res, body = env.get(link + "/review")
	wantStatus(t, res, body, 200)
	for _, want := range []string{"Check your answers", "Kept on back", link + "/submit", "Daily"} {
		if !strings.Contains(body, want) {
			t.Errorf("review lacks %q", want)
		}
	}
	res, body = env.postForm(link+"/submit", nil)
	if got := location(t, res, body); got != link {
		t.Errorf("submit leads to %q", got)
	}
	res, body = env.get(link)
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, "submitted") || strings.Contains(body, "/optout") {
		t.Errorf("after submit the link shows %.500s", body)
	}

	checkStored(t, env, tok, posted)

	// After submission the link accepts no changes.
	res, body = env.postForm(link+"/page/"+visited[0], url.Values{"action": {"next"}, "years_in_position": {"9"}})
	wantStatus(t, res, body, 409)
	res, body = env.postForm(link+"/submit", nil)
	wantStatus(t, res, body, 409)
	if v := in.Normalize(env.storedCase(tok).Answers)["years_in_position"]; v == 9.0 {
		t.Error("an answer changed after submission")
	}
}

// walkPages answers every page from next on as a person would, saving and
// resuming once on the second, until the review; it returns the pages
// visited, every answer posted and the last page's form.
func walkPages(t *testing.T, env *testEnv, link, next string) (visited []string, posted map[string][]string, lastForm url.Values) {
	t.Helper()
	in := env.srv.Instrument
	posted = map[string][]string{}
	for step := 0; !strings.HasSuffix(next, "/review"); step++ {
		if step > len(in.Pages) {
			t.Fatalf("no review after %d pages: %v", step, visited)
		}
		res, body := env.get(next)
		wantStatus(t, res, body, 200)
		pageID := next[strings.LastIndex(next, "/")+1:]
		visited = append(visited, pageID)
		if !strings.Contains(body, "Page "+strconv.Itoa(len(visited))+" of ") {
			t.Errorf("page %s lacks its progress indicator", pageID)
		}
		form := url.Values{"action": {"next"}}
		for _, id := range postedFields(body) {
			it, ok := in.Item(id)
			if !ok {
				t.Fatalf("page %s posts unknown field %q", pageID, id)
			}
			// A follow-up that the page's own answers do not reveal is left
			// empty, as a person would (an answer there would not be kept).
			if controller, values, ok := in.RevealedBy(id, nil); ok && !slices.Contains(values, form.Get(controller)) {
				continue
			}
			form[id] = formAnswer(it)
			posted[id] = form[id]
		}
		if step == 1 { // resume: the link goes back to the page saved last
			res, body = env.postForm(next, url.Values{"action": {"save"}})
			wantStatus(t, res, body, 200)
			if !strings.Contains(body, "Your answers are saved") {
				t.Errorf("save and continue later: %.300s", body)
			}
			res, body = env.get(link)
			if got := location(t, res, body); got != next {
				t.Errorf("resume goes to %q, want %q", got, next)
			}
		}
		res, body = env.postForm(next, form)
		next = location(t, res, body)
		lastForm = form
	}
	return visited, posted, lastForm
}

// checkStored checks a submitted case holds every posted answer that
// applies and none that does not.
func checkStored(t *testing.T, env *testEnv, tok string, posted map[string][]string) {
	t.Helper()
	in := env.srv.Instrument
	c := env.storedCase(tok)
	if c.Status != survey.StatusSubmitted {
		t.Fatalf("status %q", c.Status)
	}
	got := in.Normalize(c.Answers)
	visible := in.Visible(got)
	for id := range posted {
		_, stored := got[id]
		switch {
		case visible[id] && !stored:
			t.Errorf("answer to %s missing from the store", id)
		case !visible[id] && stored:
			t.Errorf("answer to hidden %s kept in the store", id)
		}
	}
	if answered, applicable := in.Completion(got); answered != applicable {
		t.Errorf("completion %d of %d", answered, applicable)
	}

}

// A page with a wrong answer comes back with the error summary, the message
// beside the field, and what was typed; nothing of it is saved.
func TestPagesValidation(t *testing.T) {
	env := newTestEnv(t)
	in := env.srv.Instrument
	tok := env.startedCase("errors@example.org")
	link := "/s/" + tok
	first := link + "/page/" + in.Pages[0].ID

	res, body := env.postForm(first, url.Values{"action": {"next"}, "years_in_position": {"seventy"}, "job_title": {"Clerk"}})
	wantStatus(t, res, body, 422)
	for _, want := range []string{`class="error-summary"`, `href="#years_in_position"`, `id="years_in_position-error"`,
		`aria-describedby="years_in_position-hint years_in_position-error"`, `value="seventy"`, `value="Clerk"`, "<title>Error: "} {
		if !strings.Contains(body, want) {
			t.Errorf("error page lacks %q", want)
		}
	}
	if c := env.storedCase(tok); len(c.Answers) != 0 {
		t.Errorf("saved %v from a page with an error", c.Answers)
	}

	// A required question left empty on Next: the valid answers are kept.
	res, body = env.postForm(first, url.Values{"action": {"next"}, "job_title": {"Clerk"}})
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, `id="years_in_position-error"`) {
		t.Error("missing required answer not flagged")
	}
	if got := env.storedCase(tok).Answers["job_title"]; got != "Clerk" {
		t.Errorf("job_title = %v", got)
	}
	// The review refuses to submit while required answers are missing.
	res, body = env.postForm(link+"/submit", nil)
	wantStatus(t, res, body, 422)
	// Review links the missing question on its own page, which returns to
	// Review once saved.
	for _, want := range []string{`href="` + first + `?return=review#years_in_position"`,
		"Enter an answer for &#39;How many years have you worked in your current position?&#39;"} {
		if !strings.Contains(body, want) {
			t.Errorf("review errors lack %q", want)
		}
	}
}

// When the store does not answer, the page comes back with the answers
// still filled in and says so.
func TestPagesStoreDown(t *testing.T) {
	env := newTestEnv(t)
	in := env.srv.Instrument
	tok := env.startedCase("down@example.org")
	link := "/s/" + tok
	if err := env.store.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, body := env.postForm(link+"/page/"+in.Pages[0].ID, url.Values{"action": {"next"}, "years_in_position": {"12"}})
	wantStatus(t, res, body, 503)
	for _, want := range []string{`value="12"`, "We could not save your answers"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q: %.3000s", want, body)
		}
	}
}

func TestPagesOptOut(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("optout-page@example.org")
	link := "/s/" + tok
	res, body := env.get(link + "/optout")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, "Yes, opt me out") {
		t.Error("no confirmation")
	}
	if c := env.storedCase(tok); c.Status != survey.StatusNew {
		t.Fatal("GET opted out")
	}
	res, body = env.postForm(link+"/optout", nil)
	if got := location(t, res, body); got != link {
		t.Errorf("opt out leads to %q", got)
	}
	res, body = env.get(link)
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, "opted out") {
		t.Errorf("link after opt-out: %.300s", body)
	}
}

func TestPagesFieldPeriod(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("period@example.org")
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), "not open yet"},
		{time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC), "has closed"},
	} {
		env.now = tc.at
		res, body := env.get("/s/" + tok)
		wantStatus(t, res, body, 200)
		if !strings.Contains(body, tc.want) {
			t.Errorf("at %v: page lacks %q", tc.at, tc.want)
		}
		res, body = env.postForm("/s/"+tok+"/start", nil)
		wantStatus(t, res, body, 403)
	}
}

func TestPagesUnknownLink(t *testing.T) {
	env := newTestEnv(t)
	res, body := env.get("/s/not-a-real-token")
	wantStatus(t, res, body, 404)
	if !strings.Contains(body, "This link is not valid") {
		t.Errorf("body %.300s", body)
	}
}

// A matrix is one fieldset of rows; on a phone each row stacks as its own
// question (the stylesheet lays rows out as a table only on wide screens).
func TestPagesMatrixMarkup(t *testing.T) {
	env := newTestEnv(t)
	in := env.srv.Instrument
	tok := env.startedCase("matrix@example.org")
	var page string
	for _, it := range in.Items() {
		if it.Type == instrument.Matrix {
			page = in.Pages[it.Page].ID
			break
		}
	}
	res, body := env.get("/s/" + tok + "/page/" + page)
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `class="group matrix"`) || strings.Count(body, `class="group row"`) < 4 {
		t.Errorf("matrix markup: %.1000s", body)
	}
}

// A follow-up on the same page as the answer it depends on: shown with its
// condition in words (for pages without scripts) and marked for the script
// to reveal; an answer to it that the page's answers make not apply is not
// kept, and the page comes back saying so.
func TestPagesConditional(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("conditional@example.org")
	page := "/s/" + tok + "/page/policies"
	env.postForm("/s/"+tok+"/start", nil)

	res, body := env.get(page)
	wantStatus(t, res, body, 200)
	for _, want := range []string{
		`<div class="conditional" id="conditional-open_data_policy_year" data-controller="open_data_policy" data-values="1">`,
		`<p class="condition">If your city has a formal open data policy:</p>`,
		`value="1" data-aria-controls="conditional-open_data_policy_year"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// "No" reveals nothing.
	if strings.Contains(body, `value="0" data-aria-controls`) {
		t.Error(`"No" is marked as revealing the follow-up`)
	}

	t.Run("OK", func(t *testing.T) {
		res, body := env.postForm(page, url.Values{"action": {"next"}, "open_data_policy": {"1"}, "open_data_policy_year": {"2015"}})
		location(t, res, body)
		if got := env.srv.Instrument.Normalize(env.storedCase(tok).Answers)["open_data_policy_year"]; got != 2015.0 {
			t.Errorf("year stored as %v", got)
		}
	})
	t.Run("ErrNotKept", func(t *testing.T) {
		res, body := env.postForm(page, url.Values{"action": {"next"}, "open_data_policy": {"0"}, "open_data_policy_year": {"2016"}, "comments": {"Kept"}})
		wantStatus(t, res, body, 422)
		for _, want := range []string{`href="#open_data_policy_year"`, `Your answer &#34;2016&#34; was not kept: this question applies only if your city has a formal open data policy`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		got := env.srv.Instrument.Normalize(env.storedCase(tok).Answers)
		if _, kept := got["open_data_policy_year"]; kept || got["open_data_policy"] != 0 || got["comments"] != "Kept" {
			t.Errorf("stored %v, want the other answers and no year", got)
		}
		// Posted again without the year, the page goes on.
		res, body = env.postForm(page, url.Values{"action": {"next"}, "open_data_policy": {"0"}, "comments": {"Kept"}})
		if got := location(t, res, body); !strings.HasSuffix(got, "/review") {
			t.Errorf("next leads to %q", got)
		}
	})
}

// The page count says "about" while a later page may still appear or go
// with the answers, and is exact once none can.
func TestPagesCountAbout(t *testing.T) {
	env := newTestEnv(t)
	tok := env.startedCase("about@example.org")
	for page, want := range map[string]string{"about_you": "Page 1 of about ", "policies": "Page 9 of 9<"} {
		res, body := env.get("/s/" + tok + "/page/" + page)
		wantStatus(t, res, body, 200)
		if !strings.Contains(body, want) {
			t.Errorf("page %s lacks %q", page, want)
		}
	}
}

// Every respondent page names who runs the survey and whom to ask, and
// links the privacy notice; the welcome page says it in full.
func TestPagesWhoRunsTheSurvey(t *testing.T) {
	env := newTestEnv(t)
	in := env.srv.Instrument
	who := []string{in.Sponsor.Institution, in.Sponsor.PrincipalInvestigator, `href="mailto:` + in.Contact.Email + `"`, in.Contact.Phone,
		in.Ethics.Reference, `href="/privacy"`, `rel="icon" href="/static/favicon.svg"`}
	check := func(name, body string, extra ...string) {
		t.Helper()
		for _, want := range append(who, extra...) {
			if !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("%s page lacks %q", name, want)
			}
		}
	}
	tok := env.newCase("who@example.org")
	link := "/s/" + tok
	_, body := env.get(link)
	check("welcome", body, "Who runs this survey", "deleted when the study ends")
	env.postForm(link+"/start", nil)
	_, body = env.get(link + "/page/about_you")
	check("question", body)
	_, body = env.get(link + "/review")
	check("review", body)
	_, body = env.get(link + "/optout")
	check("opt-out", body)
	_, body = env.get("/s/not-a-real-token")
	check("unknown-link", body)
	_, body = env.get("/privacy")
	check("privacy", body, "deleted when the study ends")
	env.postForm(link+"/optout", nil)
	_, body = env.get(link)
	check("opted-out", body)
	env.now = time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC)
	_, body = env.get("/s/" + env.newCase("closed@example.org"))
	check("closed", body)

	res, body := env.get("/static/favicon.svg")
	wantStatus(t, res, body, 200)
}

// Required and optional questions say so, as the consent text promises,
// and the error summary names each question in a sentence.
func TestPagesRequiredAndErrorSentences(t *testing.T) {
	env := newTestEnv(t)
	tok := env.newCase("sentences@example.org")
	link := "/s/" + tok
	_, body := env.get(link)
	if !strings.Contains(strings.Join(strings.Fields(body), " "), "not marked as required") {
		t.Error("the consent text no longer matches the marks")
	}
	env.postForm(link+"/start", nil)
	_, body = env.get(link + "/page/about_you")
	for _, want := range []string{`current position? <span class="required">(required)</span>`, `job title? <span class="optional">(optional)</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("about_you lacks %q", want)
		}
	}

	form := url.Values{"action": {"next"}}
	for _, id := range []string{"tech_capacity_1", "tech_capacity_2", "tech_capacity_4", "tech_capacity_5"} {
		form.Set(id, "4")
	}
	res, body := env.postForm(link+"/page/technology", form)
	wantStatus(t, res, body, 422)
	if want := `<a href="#tech_capacity_3">Select an answer for &#39;Our software meets the needs of our work&#39;</a>`; !strings.Contains(body, want) {
		t.Errorf("summary lacks %q", want)
	}
	// A matrix row's own marks would repeat the matrix's on every row.
	if strings.Count(body, "(required)") != 1 {
		t.Errorf("(required) shown %d times on the technology page, want once, on the matrix", strings.Count(body, "(required)"))
	}
}

func TestSummarySentence(t *testing.T) {
	in := instrument.Default()
	item := func(id string) instrument.Item { it, _ := in.Item(id); return it }
	for _, tt := range []struct {
		it       instrument.Item
		msg      string
		sentence string
	}{
		{item("tech_capacity_3"), "Select an answer", "Select an answer for 'Our software meets the needs of our work'"},
		{item("provide_city_depts"), "Select an answer", "Select an answer for 'How often does your department PROVIDE data to other departments in the city?'"},
		{item("job_title"), "Enter at most 120 characters (this has 130)", "Enter at most 120 characters for 'What is your job title?' (this has 130)"},
		{item("open_data_policy_year"), `Your answer "2016" was not kept: this question applies only if X`, `Your answer "2016" was not kept for 'In what year did your city adopt its open data policy?': this question applies only if X`},
	} {
		if got := summarySentence(tt.it, tt.msg); got != tt.sentence {
			t.Errorf("got %q, want %q", got, tt.sentence)
		}
	}
}

// Review shows a matrix's stem once with its rows, and "Change" returns to
// Review after the page is saved.
func TestPagesReview(t *testing.T) {
	env := newTestEnv(t)
	tok := env.startedCase("review@example.org")
	link := "/s/" + tok
	_, body := env.get(link + "/review")
	stem := "How much do you agree or disagree with each statement about your department?"
	if n := strings.Count(body, stem); n != 1 {
		t.Errorf("the matrix stem shows %d times, want 1", n)
	}
	for _, want := range []string{"Our software meets the needs of our work.", `href="` + link + `/page/technology?return=review"`} {
		if !strings.Contains(body, want) {
			t.Errorf("review lacks %q", want)
		}
	}
	res, body := env.get(link + "/page/technology?return=review")
	wantStatus(t, res, body, 200)
	for _, want := range []string{`action="` + link + `/page/technology?return=review"`, "Save and return to review"} {
		if !strings.Contains(body, want) {
			t.Errorf("page from Change lacks %q", want)
		}
	}
	res, body = env.postForm(link+"/page/technology?return=review", url.Values{"action": {"next"}, "tech_adoption": {"3"}, "tech_capacity_1": {"1"},
		"tech_capacity_2": {"1"}, "tech_capacity_3": {"1"}, "tech_capacity_4": {"1"}, "tech_capacity_5": {"1"}})
	if got := location(t, res, body); got != link+"/review" {
		t.Errorf("saving a changed page leads to %q, want the review", got)
	}
	// Without "return", Next goes on through the pages.
	res, body = env.postForm(link+"/page/technology", url.Values{"action": {"next"}, "tech_capacity_1": {"1"},
		"tech_capacity_2": {"1"}, "tech_capacity_3": {"1"}, "tech_capacity_4": {"1"}, "tech_capacity_5": {"1"}})
	if got := location(t, res, body); got != link+"/page/social_media" {
		t.Errorf("next leads to %q", got)
	}
}

// The thank-you page says when the answers were submitted, gives a
// reference to quote, what happens next and whom to ask; the opted-out
// page says how to undo it.
func TestPagesThankYouAndOptedOut(t *testing.T) {
	env := newTestEnv(t)
	in := env.srv.Instrument
	tok := env.startedCase("thanks@example.org")
	link := "/s/" + tok
	env.postForm(link+"/page/about_you", url.Values{"action": {"next"}, "years_in_position": {"3"}})
	forms := map[string]url.Values{}
	for _, p := range []string{"technology", "participation", "data_sharing", "culture"} {
		forms[p] = url.Values{"action": {"next"}}
	}
	for _, id := range []string{"tech_capacity_1", "tech_capacity_2", "tech_capacity_3", "tech_capacity_4", "tech_capacity_5",
		"participation_1", "participation_2", "participation_3", "participation_4",
		"provide_city_depts", "provide_other_govs", "provide_private", "receive_city_depts", "receive_other_govs", "receive_private",
		"shared_goals_1", "shared_goals_2", "shared_goals_3", "shared_goals_4", "political_trust_1", "political_trust_2", "political_trust_3"} {
		it, _ := in.Item(id)
		forms[in.Pages[it.Page].ID].Set(id, "dont_know")
	}
	for page, form := range forms {
		res, body := env.postForm(link+"/page/"+page, form)
		location(t, res, body)
	}
	env.postForm(link+"/page/social_media", url.Values{"action": {"next"}, "social_media_use": {"0"}})
	res, body := env.postForm(link+"/submit", nil)
	location(t, res, body)
	_, body = env.get(link)
	ref := env.storedCase(tok).ID[:10]
	for _, want := range []string{"Submitted on Monday, June 1, 2026 at 8:00 AM MST.", "Your reference: <strong class=\"reference\">" + ref + "</strong>",
		"What happens next", "Friday, December 31, 2027", `href="mailto:` + in.Contact.Email + `"`, "quoting your reference"} {
		if !strings.Contains(body, want) {
			t.Errorf("thank-you page lacks %q", want)
		}
	}

	tok = env.newCase("undo@example.org")
	_, body = env.get("/s/" + tok + "/optout")
	if !strings.Contains(body, "If you change your mind later, write to") {
		t.Error("the opt-out confirmation does not say how to undo it")
	}
	env.postForm("/s/"+tok+"/optout", nil)
	_, body = env.get("/s/" + tok)
	for _, want := range []string{"Opted out by mistake, or changed your mind? Write to", `href="mailto:` + in.Contact.Email + `"`, env.storedCase(tok).ID[:10]} {
		if !strings.Contains(body, want) {
			t.Errorf("opted-out page lacks %q", want)
		}
	}
}
