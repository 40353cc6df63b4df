package server

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/account"
)

func TestExports(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	pi := env.addUser("pi@example.org", account.RolePI)
	_, imported := env.importFrame(staff.key, syntheticCSV(t, 3, 11))
	tok := imported.Cases[1].URL[strings.LastIndex(imported.Cases[1].URL, "/")+1:]
	env.answer(tok, true, true)

	res, body := env.doAs(staff.key, "GET", "/api/v1/responses.csv", "", "")
	wantStatus(t, res, body, 200)
	if got := res.Header.Get("Content-Disposition"); got != `attachment; filename="responses.csv"` {
		t.Errorf("Content-Disposition %q: the syntax files read responses.csv", got)
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) != 4 {
		t.Fatalf("%d records, %v", len(records), err)
	}
	type variable struct {
		Name   string
		Counts map[string]int
	}
	var book struct {
		Rows         int
		AAPOR        struct{ Completeness, Rule string }
		Formulas     string
		Variables    []variable
		MissingCodes []struct {
			Code  int
			Cells int
		} `json:"missing_codes"`
	}
	res, body = env.doAs(staff.key, "GET", "/api/v1/codebook.json", "", "")
	wantStatus(t, res, body, 200)
	if err := json.Unmarshal([]byte(body), &book); err != nil {
		t.Fatal(err)
	}
	if len(book.Variables) != len(records[0]) || book.Rows != 3 || book.AAPOR.Completeness != "substantive" || book.Formulas == "" || len(book.MissingCodes) != 5 {
		t.Fatalf("codebook: %d variables for %d columns, %d rows, %+v", len(book.Variables), len(records[0]), book.Rows, book.AAPOR)
	}
	for i, v := range book.Variables {
		if records[0][i] != v.Name {
			t.Fatalf("column %d is %q, the codebook says %q", i, records[0][i], v.Name)
		}
	}
	var complete []string
	for _, r := range records[1:] {
		if r[0] == imported.Cases[1].ID {
			complete = r
		}
	}
	if complete == nil || !strings.Contains(strings.Join(complete, ","), ",I,") {
		t.Errorf("the answered case's row: %v", complete)
	}
	// The two untouched cases are not reached on every question.
	if i := slices.IndexFunc(book.Variables, func(v variable) bool { return v.Name == "provide_city_depts" }); i < 0 || book.Variables[i].Counts["-7"] != 2 {
		t.Errorf("provide_city_depts: %+v", book.Variables)
	}

	// The de-identified file, its codebook and its syntax agree, and lack
	// what identifies; PIs get them as staff do.
	res, body = env.doAs(pi.key, "GET", "/api/v1/responses.csv?deidentified=1", "", "")
	wantStatus(t, res, body, 200)
	de, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(de) != 4 {
		t.Fatalf("%d records, %v", len(de), err)
	}
	for _, gone := range []string{"email", "name", "title", "job_title", "comments"} {
		if slices.Contains(de[0], gone) || !slices.Contains(records[0], gone) {
			t.Errorf("column %s: in the de-identified file %v, in the full one %v", gone, slices.Contains(de[0], gone), slices.Contains(records[0], gone))
		}
	}
	if strings.Contains(body, "@") {
		t.Error("an email address in the de-identified file")
	}
	res, body = env.doAs(pi.key, "GET", "/api/v1/codebook.json?deidentified=1", "", "")
	wantStatus(t, res, body, 200)
	if err := json.Unmarshal([]byte(body), &book); err != nil || len(book.Variables) != len(de[0]) {
		t.Errorf("the de-identified codebook has %d variables, the file %d columns (%v)", len(book.Variables), len(de[0]), err)
	}
	for _, tc := range []struct{ path, file, first string }{
		{"/api/v1/syntax/r", "responses.R", "# R:"},
		{"/api/v1/syntax/stata", "responses.do", "* Stata:"},
		{"/api/v1/syntax/spss", "responses.sps", "* SPSS:"},
	} {
		for _, q := range []string{"", "?deidentified=1"} {
			res, body := env.doAs(staff.key, "GET", tc.path+q, "", "")
			wantStatus(t, res, body, 200)
			if !strings.HasPrefix(body, tc.first) || res.Header.Get("Content-Disposition") != `attachment; filename="`+tc.file+`"` {
				t.Errorf("%s%s: %s %.80q", tc.path, q, res.Header.Get("Content-Disposition"), body)
			}
			if got := strings.Contains(body, "email"); got == (q != "") {
				t.Errorf("%s%s names the email column: %v", tc.path, q, got)
			}
		}
	}
	res, body = env.doAs(staff.key, "GET", "/api/v1/responses.csv?deidentified=yes", "", "")
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, `"deidentified"`) {
		t.Errorf("422 without the field: %s", body)
	}

	// Each download is audited: who, and which identifying columns.
	entries, _ := env.store.Audit(t.Context(), 10)
	var exports []account.AuditEntry
	for _, e := range entries {
		if e.Action == "export.responses" {
			exports = append(exports, e)
		}
	}
	if len(exports) != 2 {
		t.Fatalf("%d export entries, want 2: %+v", len(exports), entries)
	}
	de1, full := exports[0], exports[1] // newest first
	if full.Actor != "staff@example.org" || full.Detail["deidentified"] != "false" || full.Detail["identifying_columns"] != "email,name,title,job_title,social_media_other,comments" ||
		full.Detail["rows"] != "3" {
		t.Errorf("the full export's entry: %+v", full)
	}
	if de1.Actor != "pi@example.org" || de1.Detail["deidentified"] != "true" || de1.Detail["identifying_columns"] != "" {
		t.Errorf("the de-identified export's entry: %+v", de1)
	}

	res, body = env.doAs(staff.key, "GET", "/admin/codebook", "", "")
	wantStatus(t, res, body, 200)
	for _, want := range []string{"provide_city_depts", "4 = Daily (1)", "-7 = not reached (2)", "/api/v1/syntax/stata?deidentified=1", `every answer but &#34;prefer not to say&#34;`} {
		if !strings.Contains(body, want) {
			t.Errorf("the codebook page lacks %q", want)
		}
	}
}

// The export carries each eligible case's response propensity and each
// respondent's weight; the weights add up to the eligible cases, and the
// codebook says how they were made.
func TestExportWeights(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	_, imported := env.importFrame(staff.key, syntheticCSV(t, 120, 3))
	_, counts := actOnCases(t, env, staff, imported.Cases)
	res, body := env.doAs(staff.key, "GET", "/api/v1/responses.csv", "", "")
	wantStatus(t, res, body, 200)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	sum, weighted, propensities := 0.0, 0, 0
	for _, row := range rows[1:] {
		code := row[col["disposition"]]
		if w := row[col["weight"]]; w != "" {
			v, err := strconv.ParseFloat(w, 64)
			if err != nil || (code != "I" && code != "P") {
				t.Errorf("weight %q for a case of disposition %s", w, code)
			}
			sum += v
			weighted++
		}
		if row[col["propensity"]] != "" {
			propensities++
		}
	}
	eligible := 120 - counts.NE
	if weighted != counts.I+counts.P || propensities != eligible || math.Abs(sum-float64(eligible)) > 1e-3 {
		t.Errorf("%d weights adding up to %.4f, %d propensities; want %d weights adding up to %d, %d propensities",
			weighted, sum, propensities, counts.I+counts.P, eligible, eligible)
	}
	res, body = env.doAs(staff.key, "GET", "/api/v1/codebook.json", "", "")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, `"weighting":{"status":"ok"`) || !strings.Contains(body, "Raking weight") {
		t.Errorf("codebook: %.300s", body)
	}
}
