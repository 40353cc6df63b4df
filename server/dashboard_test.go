package server

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/waves"
)

// Staff import the frame in the page, mark a case, and watch the dashboard.
func TestAdminFieldPeriodPages(t *testing.T) {
	env := newTestEnv(t)
	env.addUser("staff@example.org", account.RoleStaff)
	cookie, csrf := env.loginPage("staff@example.org")

	upload := func(csrf, csv string) (*http.Response, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("csrf", csrf)
		_ = mw.WriteField("form_token", env.formToken(cookie, "/admin/cases"))
		fw, _ := mw.CreateFormFile("frame", "frame.csv")
		fw.Write([]byte(csv))
		mw.Close()
		return env.withCookie(cookie, "", "POST", "/admin/cases/import", mw.FormDataContentType(), buf.String())
	}
	res, body := upload("", syntheticCSV(t, 25, 4))
	wantStatus(t, res, body, 403)
	res, body = upload(csrf, "email,name\nx,y\n")
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, "Problems in the file") {
		t.Error("the page does not list the problems")
	}
	res, body = upload(csrf, syntheticCSV(t, 25, 4))
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `download="personal-links.csv"`) || !strings.Contains(body, "data:text/csv;base64,") {
		t.Error("no download of the links after the import")
	}
	cases, _ := env.store.Cases(t.Context(), env.srv.Instrument.ID)
	if len(cases) != 25 {
		t.Fatalf("%d cases", len(cases))
	}
	res, body = env.withCookie(cookie, "", "POST", "/admin/cases/"+cases[0].ID+"/disposition", "application/x-www-form-urlencoded",
		url.Values{"csrf": {csrf}, "form_token": {env.formToken(cookie, "/admin/cases")}, "code": {"ineligible"}, "note": {"retired"}}.Encode())
	res, body = env.withCookie(cookie, "", "GET", location(t, res, body), "", "")
	if !strings.Contains(body, "is now NE") {
		t.Errorf("after marking: %s", body[strings.Index(body, "<main"):][:600])
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/progress", "", "")
	wantStatus(t, res, body, 200)
	for _, want := range []string{"0 of 25 complete</strong> — AAPOR RR2 <strong>0.0%", `<abbr title="not eligible">NE</abbr></th><td class="num">1</td>`, "RR3", "<svg", "By department", "Nonrespondents (24)", "/api/v1/nonrespondents.csv", `data-refresh="60"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	res, body = env.withCookie(cookie, "", "GET", "/api/v1/nonrespondents.csv", "", "")
	wantStatus(t, res, body, 200)
	if n := strings.Count(strings.TrimSpace(body), "\n"); n != 24 {
		t.Errorf("nonrespondents CSV has %d rows", n)
	}
	res, body = env.withCookie(cookie, "", "GET", "/admin/cases?q="+url.QueryEscape(cases[1].Frame.Email), "", "")
	if !strings.Contains(body, "Showing 1") {
		t.Errorf("search: %.200s", body)
	}
}

func TestDailyChartMarksWaves(t *testing.T) {
	days := []aapor.Day{{Date: "2026-03-01"}, {Date: "2026-03-02", Counts: aapor.Counts{I: 2, P: 1}}, {Date: "2026-03-03", Counts: aapor.Counts{I: 4, P: 1}}}
	sent := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC) // 09:00 in Phoenix
	late := time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC)  // 23:00 on the 3rd in Phoenix
	loc, _ := time.LoadLocation("America/Phoenix")
	ch := dailyChart(days, 10, []waves.Progress{{Kind: "invitation", SentAt: &sent}, {Kind: "reminder", SentAt: &late}, {Kind: "reminder"}}, loc)
	if len(ch.Ticks) != 2 || ch.Ticks[0].X != chartWidth/2 || ch.Ticks[0].Label != "invitation" || ch.Ticks[1].X != chartWidth {
		t.Errorf("ticks %+v", ch.Ticks)
	}
	if ch.Complete != "0.0,200.0 200.0,160.0 400.0,120.0" || ch.Partial != "0.0,200.0 200.0,140.0 400.0,100.0" || len(ch.Points) != 3 {
		t.Errorf("points %q / %q", ch.Complete, ch.Partial)
	}
}
