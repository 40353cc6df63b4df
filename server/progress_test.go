package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/account"
)

// The progress report against counts made independently here: cases are
// imported, answered, opted out and marked, and each stratum's counts and
// the headline rates must match.
func TestProgress(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	_, imported := env.importFrame(staff.key, syntheticCSV(t, 60, 3))
	if imported.Imported != 60 {
		t.Fatalf("imported %d", imported.Imported)
	}
	res, body := env.doAs(staff.key, "GET", "/api/v1/progress", "", "")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `"representativeness":null`) {
		t.Errorf("representativeness before anyone responded: %.300s", body[strings.Index(body, "representativeness"):])
	}
	want, overall := actOnCases(t, env, staff, imported.Cases)
	env.expireProgress()
	res, body = env.doAs(staff.key, "GET", "/api/v1/progress", "", "")
	wantStatus(t, res, body, 200)
	var got struct {
		Sampled int
		Counts  aapor.Counts
		E       float64
		Rates   map[string]*float64
		By      map[string]map[string]struct {
			Sampled int
			Counts  aapor.Counts
		}
		Daily              []map[string]any
		Waves              []any
		Representativeness *struct {
			RIndicator   float64  `json:"r_indicator"`
			RIndicatorSE *float64 `json:"r_indicator_se"`
			CV           float64
			Eligible     int
			Respondents  int
			Partials     []struct {
				Variable                   string
				Unconditional, Conditional float64
			}
			Daily []any
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Sampled != 60 || got.Counts != *overall {
		t.Errorf("overall: sampled %d counts %+v, want %+v", got.Sampled, got.Counts, *overall)
	}
	for dept, w := range want {
		if g := got.By["department"][dept]; g.Counts != *w || g.Sampled != w.Total() {
			t.Errorf("%s: %+v, want %+v", dept, g.Counts, *w)
		}
	}
	for _, group := range []string{"state", "population_band", "form_of_government"} {
		sum := 0
		for _, st := range got.By[group] {
			sum += st.Sampled
		}
		if sum != 60 {
			t.Errorf("%s strata add up to %d", group, sum)
		}
	}
	// RR1 = I / (I+P+R+NC+O+UH+UO), computed here from the counts made above.
	c := overall
	rr1 := float64(c.I) / float64(c.I+c.P+c.R+c.NC+c.O+c.UH+c.UO)
	if got.Rates["RR1"] == nil || fmt.Sprintf("%.6f", *got.Rates["RR1"]) != fmt.Sprintf("%.6f", rr1) {
		t.Errorf("RR1 %v, want %v", body, rr1)
	}
	if len(got.Daily) == 0 || got.Waves == nil {
		t.Errorf("daily %v waves %v", got.Daily, got.Waves)
	}
	// The propensity model covers the eligible cases; I and P responded.
	r := got.Representativeness
	if r == nil || r.Eligible != 60-c.NE || r.Respondents != c.I+c.P || !(r.RIndicator > 0 && r.RIndicator <= 1) || r.RIndicatorSE == nil ||
		len(r.Partials) != 3 || r.Partials[0].Variable != "department" || len(r.Daily) != len(got.Daily) {
		t.Errorf("representativeness %+v, want %d eligible, %d respondents", r, 60-c.NE, c.I+c.P)
	}

	// e overrides, and must be a share.
	res, body = env.doAs(staff.key, "GET", "/api/v1/progress?e=0.5", "", "")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `"e":0.5`) {
		t.Errorf("e not overridden: %.200s", body)
	}
	for _, bad := range []string{"2", "-0.1", "NaN", "x"} {
		res, body = env.doAs(staff.key, "GET", "/api/v1/progress?e="+bad, "", "")
		wantStatus(t, res, body, 422)
	}
}

// actOnCases gives the cases a mix of outcomes through the API — completes,
// partials, opt-outs, marks, silence — and returns the AAPOR counts they
// should make, by department and overall.
func actOnCases(t *testing.T, env *testEnv, staff teamMember, cases []importedCase) (map[string]*aapor.Counts, *aapor.Counts) {
	t.Helper()
	want := map[string]*aapor.Counts{} // by department
	overall := &aapor.Counts{}
	count := func(dept string, code aapor.Code) {
		if want[dept] == nil {
			want[dept] = &aapor.Counts{}
		}
		want[dept].Add(code, 1)
		overall.Add(code, 1)
	}
	for i, ic := range cases {
		tok := ic.URL[strings.LastIndex(ic.URL, "/")+1:]
		c := env.storedCase(tok)
		dept := c.Frame.Department
		switch i % 8 {
		case 0, 1: // complete: every applicable question answered
			env.answer(tok, true, true)
			count(dept, aapor.I)
		case 2: // a partial: the required questions, over half of those applicable
			env.answer(tok, false, false)
			count(dept, aapor.P)
		case 3: // opted out without answering: a refusal
			res, body := env.json("POST", "/api/v1/respond/"+tok+"/optout", "")
			wantStatus(t, res, body, 200)
			count(dept, aapor.R)
		case 4:
			env.mark(staff.key, ic.ID, "ineligible")
			count(dept, aapor.NE)
		case 5:
			env.mark(staff.key, ic.ID, "unavailable")
			count(dept, aapor.NC)
		case 6:
			env.mark(staff.key, ic.ID, "other")
			count(dept, aapor.O)
		default: // never heard from
			count(dept, aapor.UO)
		}
	}
	return want, overall
}

func TestDispositions(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	_, imported := env.importFrame(staff.key, syntheticCSV(t, 2, 5))
	id := imported.Cases[0].ID
	for _, tc := range []struct {
		body   string
		status int
	}{
		{`{"code": "moved"}`, 422},
		{`{"code": ""}`, 422},
		{`{"code": "ineligible", "note": "` + strings.Repeat("x", 1001) + `"}`, 422},
		{`{"code": {"$ne": 1}}`, 422},
	} {
		res, body := env.doAs(staff.key, "POST", "/api/v1/cases/"+id+"/disposition", "application/json", tc.body)
		wantStatus(t, res, body, tc.status)
	}
	res, body := env.doAs(staff.key, "POST", "/api/v1/cases/nope/disposition", "application/json", `{"code": "other"}`)
	wantStatus(t, res, body, 404)
	res, body = env.doAs(staff.key, "DELETE", "/api/v1/cases/"+id+"/disposition", "", "")
	wantStatus(t, res, body, 409) // nothing to undo yet

	env.mark(staff.key, id, "ineligible")
	res, body = env.doAs(staff.key, "GET", "/api/v1/cases/"+id, "", "")
	if !strings.Contains(body, `"disposition":"NE"`) || !strings.Contains(body, `"note":"by the test"`) || !strings.Contains(body, `"frame":{"email":`) {
		t.Errorf("after marking: %s", body)
	}
	res, body = env.doAs(staff.key, "DELETE", "/api/v1/cases/"+id+"/disposition", "", "")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `"disposition":"UO"`) || !strings.Contains(body, `"what":"unmark"`) || !strings.Contains(body, `"mark":null`) {
		t.Errorf("after undoing: %s", body)
	}
	entries, _ := env.store.Audit(t.Context(), 5)
	if entries[0].Action != "case.unmark" || entries[0].CaseID != id || entries[1].Action != "case.mark" {
		t.Errorf("audit %+v", entries[:2])
	}
}
