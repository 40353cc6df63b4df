package server

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/account"
)

func TestExports(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	_, imported := env.importFrame(staff.key, syntheticCSV(t, 3, 11))
	tok := imported.Cases[1].URL[strings.LastIndex(imported.Cases[1].URL, "/")+1:]
	env.answer(tok, true, true)

	res, body := env.doAs(staff.key, "GET", "/api/v1/responses.csv", "", "")
	wantStatus(t, res, body, 200)
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(records) != 4 {
		t.Fatalf("%d records, %v", len(records), err)
	}
	res, body = env.doAs(staff.key, "GET", "/api/v1/codebook.json", "", "")
	wantStatus(t, res, body, 200)
	var cb struct{ Variables []struct{ Name string } }
	_ = json.Unmarshal([]byte(body), &cb)
	if len(cb.Variables) != len(records[0]) {
		t.Fatalf("codebook has %d variables, the CSV %d columns", len(cb.Variables), len(records[0]))
	}
	for i, v := range cb.Variables {
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
	res, body = env.doAs(staff.key, "GET", "/admin/codebook", "", "")
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, "provide_city_depts") || !strings.Contains(body, "4 = Daily") {
		t.Error("the codebook page lacks the data-sharing items")
	}
}
