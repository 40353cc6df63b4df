package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/server/pull"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/simulate"
)

// fillPlanted stores n simulated cases, half of them answered.
func (env *testEnv) fillPlanted(n int) {
	env.t.Helper()
	if err := env.store.InsertCases(context.Background(), "import-planted", simulate.Cases(env.srv.Instrument, n, .5, 1)); err != nil {
		env.t.Fatal(err)
	}
}

// waitResult polls a result until its run ends.
func (env *testEnv) waitResult(key, id string) results.Result {
	env.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		res, body := env.doAs(key, "GET", "/api/v1/results/"+id, "", "")
		wantStatus(env.t, res, body, http.StatusOK)
		var r results.Result
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			env.t.Fatal(err)
		}
		if r.Status != results.StatusRunning || time.Now().After(deadline) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A PI starts a run through the API and pulls its JSON and tables; staff
// see the history only.
func TestResultsAPI(t *testing.T) {
	env := newTestEnv(t)
	env.fillPlanted(400)
	pi, staff := env.addUser("pi@example.org", account.RolePI), env.addUser("staff@example.org", account.RoleStaff)

	res, body := env.doAs(pi.key, "GET", "/api/v1/results/latest", "", "")
	wantStatus(t, res, body, http.StatusNotFound)
	res, body = env.doAs(pi.key, "POST", "/api/v1/results/run", "", "")
	wantStatus(t, res, body, http.StatusAccepted)
	var started struct{ ID string }
	if err := json.Unmarshal([]byte(body), &started); err != nil || started.ID == "" || res.Header.Get("Location") != "/api/v1/results/"+started.ID {
		t.Fatalf("body %s, location %q", body, res.Header.Get("Location"))
	}
	r := env.waitResult(pi.key, started.ID)
	if r.Status != results.StatusOK || r.N < 150 || r.EFA == nil || len(r.Models) != 3 || r.RequestedBy != "pi@example.org" {
		t.Fatalf("result: status %s, n %d, error %q", r.Status, r.N, r.Error)
	}

	_, latest := env.doAs(pi.key, "GET", "/api/v1/results/latest", "", "")
	_, byID := env.doAs(pi.key, "GET", "/api/v1/results/"+started.ID, "", "")
	if latest != byID || !strings.Contains(latest, `"input_hash":"`) {
		t.Error("the latest differs from the result by its id")
	}
	for table, header := range map[string]string{
		"loadings": "item,participation,shared_goals,political_trust,communality,uniqueness", "reliability": "scale,n,raw_alpha",
		"models": "model,type,outcome,kind,term", "descriptives": "variable,kind,n", "scores": "case_id,participation_scale",
	} {
		res, body := env.doAs(pi.key, "GET", "/api/v1/results/latest?format=csv&table="+table, "", "")
		wantStatus(t, res, body, http.StatusOK)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || !strings.HasPrefix(body, header) || len(rows) < 2 {
			t.Errorf("table %s: %v\n%.300s", table, err, body)
		}
		if table == "scores" && len(rows) != r.N+1 {
			t.Errorf("scores: %d rows for n %d", len(rows)-1, r.N)
		}
	}
	res, body = env.doAs(pi.key, "GET", "/api/v1/results/latest?format=csv&table=passwords", "", "")
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `unknown table \"passwords\"`) {
		t.Errorf("unknown table: %s", body)
	}

	res, body = env.doAs(pi.key, "GET", "/api/v1/results/latest/report.html", "", "")
	wantStatus(t, res, body, http.StatusOK)
	// The brief's three figures, and figures 1 and 2 again weighted.
	if n := figures(t, parseHTML(t, body)); n != 5 || strings.Contains(body, "Not drawn") || !strings.Contains(body, started.ID) ||
		!strings.Contains(body, "(weighted)") || !strings.Contains(body, "design effect") {
		t.Errorf("the report of live data: %d figures", n)
	}
	env.pullInto(pi.key, started.ID)

	res, body = env.doAs(staff.key, "GET", "/api/v1/results", "", "")
	wantStatus(t, res, body, http.StatusOK)
	if !strings.Contains(body, started.ID) || strings.Contains(body, `"loadings"`) || strings.Contains(body, `"options"`) ||
		strings.Contains(body, `"input_hash"`) || !strings.Contains(body, `"warnings":[]`) {
		t.Errorf("staff's history: %.500s", body)
	}
	for _, path := range []string{"/api/v1/results/latest", "/api/v1/results/" + started.ID} {
		res, body := env.doAs(staff.key, "GET", path, "", "")
		wantStatus(t, res, body, http.StatusForbidden)
	}
}

// With too few completes the run ends insufficient_data, with its reason,
// and there is still no latest result.
func TestResultsInsufficientData(t *testing.T) {
	env := newTestEnv(t)
	env.fillPlanted(40)
	pi := env.addUser("pi@example.org", account.RolePI)
	res, body := env.doAs(pi.key, "POST", "/api/v1/results/run", "", "")
	wantStatus(t, res, body, http.StatusAccepted)
	var started struct{ ID string }
	_ = json.Unmarshal([]byte(body), &started)
	r := env.waitResult(pi.key, started.ID)
	if r.Status != results.StatusInsufficient || !strings.Contains(r.Reason, "needs at least 50") {
		t.Errorf("status %s, reason %q", r.Status, r.Reason)
	}
	res, body = env.doAs(pi.key, "GET", "/api/v1/results/latest", "", "")
	wantStatus(t, res, body, http.StatusNotFound)
}

// pullInto runs `canvass results pull` against the service and checks the
// folder it fills.
func (env *testEnv) pullInto(key, id string) {
	env.t.Helper()
	dir := env.t.TempDir()
	var progress strings.Builder
	got, err := pull.Pull(context.Background(), pull.Options{Server: env.http.URL, Key: key, Out: dir, Progress: &progress})
	if err != nil || got != id {
		env.t.Fatalf("pull: %q, %v", got, err)
	}
	for _, name := range pull.Files() {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) == 0 {
			env.t.Errorf("pulled %s: %d bytes, %v", name, len(b), err)
		}
	}
	if lines := strings.Count(progress.String(), "\n"); lines != len(pull.Files()) || !strings.Contains(progress.String(), "9/9 report.html") {
		env.t.Errorf("progress:\n%s", progress.String())
	}
	if _, err := pull.Pull(context.Background(), pull.Options{Server: env.http.URL, Key: "cv_bad", Out: dir}); err == nil || !strings.Contains(err.Error(), "refused the key") {
		env.t.Errorf("a bad key: %v", err)
	}
}
