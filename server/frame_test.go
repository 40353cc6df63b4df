package server

import (
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

func TestFrameImport(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	res, got := env.importFrame(staff.key, syntheticCSV(t, 2500, 1))
	if res.StatusCode != 200 || got.Imported != 2500 || len(got.Cases) != 2500 {
		t.Fatalf("status %d, imported %d: %s", res.StatusCode, got.Imported, got.Error)
	}
	// Each link opens its own case.
	for _, ic := range []importedCase{got.Cases[0], got.Cases[1234], got.Cases[2499]} {
		path := strings.TrimPrefix(ic.URL, env.srv.BaseURL)
		res, body := env.get("/api/v1/respond" + strings.TrimPrefix(path, "/s"))
		wantStatus(t, res, body, 200)
		c := env.storedCase(path[len("/s/"):])
		if c.ID != ic.ID || c.Frame.Email != ic.Email || c.SealedToken == "" {
			t.Errorf("link of %s opens case %s (%s)", ic.Email, c.ID, c.Frame.Email)
		}
		if tok, err := env.srv.sealer.Open(c.SealedToken); err != nil || !strings.HasSuffix(ic.URL, tok) {
			t.Errorf("sealed token does not open to the link's: %v", err)
		}
	}
	// The same people again: every row is already in the sample.
	res, again := env.importFrame(staff.key, syntheticCSV(t, 3, 1))
	if res.StatusCode != 422 || len(again.Rows) != 3 || !strings.Contains(again.Rows[0].Message, "already in the sample") || again.Rows[2].Line != 4 {
		t.Errorf("re-import: %d %+v", res.StatusCode, again.Rows)
	}
	// New people with one already in the sample, last: none is imported,
	// and the error names the line of the one.
	known := strings.SplitN(syntheticCSV(t, 1, 1), "\n", 2)[1]
	res, mixed := env.importFrame(staff.key, strings.Replace(syntheticCSV(t, 2, 77), "@", "+mixed@", -1)+known)
	if res.StatusCode != 422 || len(mixed.Rows) != 1 || mixed.Rows[0].Line != 4 || mixed.Rows[0].Field != "email" {
		t.Errorf("mixed import: %d %+v", res.StatusCode, mixed.Rows)
	}
	if all, _ := env.store.Cases(t.Context(), env.srv.Instrument.ID); len(all) != 2500 {
		t.Errorf("%d cases after a refused import, want 2500", len(all))
	}
	// Links as CSV for mail merge.
	res, body := env.doWith(http.Header{"Authorization": {"Bearer " + staff.key}, "Content-Type": {"text/csv"}, "Accept": {"text/csv"}},
		"POST", "/api/v1/frame", strings.Replace(syntheticCSV(t, 2, 99), "@", "+csv@", -1))
	wantStatus(t, res, body, 200)
	if lines := strings.Split(strings.TrimSpace(body), "\n"); len(lines) != 3 || lines[0] != "id,email,url" {
		t.Errorf("links CSV:\n%s", body)
	}
	entries, _ := env.store.Audit(t.Context(), 10)
	if len(entries) == 0 || entries[0].Action != "frame.import" || entries[0].Actor != "staff@example.org" {
		t.Errorf("audit: %+v", entries)
	}
}

func TestFrameImportBadFiles(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	head := "email,name,title,department,city,state,population,form_of_government\n"
	good := "a@example.org,A,Chief,police,Mesa,az,504258,Council-Manager\n"
	for _, tc := range []struct {
		name, csv string
		line      int
		field     string
	}{
		{"empty file", "", 1, ""},
		{"header only", head, 2, ""},
		{"unbalanced quote", head + good + `"b@example.org,B` + "\n", 3, ""},
		{"wrong number of columns", head + good + "b@example.org,B\n", 3, ""},
		{"latin-1 bytes", head + good + "c@example.org,Jos\xe9,,Police,Mesa,AZ,5000,commission\n", 3, "name"},
		{"bad email", head + good + "not-an-email,B,,Police,Mesa,AZ,50000,commission\n", 3, "email"},
		{"unknown department", head + good + "b@example.org,B,,Fire,Mesa,AZ,50000,commission\n", 3, "department"},
		{"bad state", head + good + "b@example.org,B,,Police,Mesa,Arizona,50000,commission\n", 3, "state"},
		{"bad population", head + good + "b@example.org,B,,Police,Mesa,AZ,-5,commission\n", 3, "population"},
		{"unknown form of government", head + good + "b@example.org,B,,Police,Mesa,AZ,50000,monarchy\n", 3, "form_of_government"},
		{"duplicate in file", head + good + "A@example.org,B,,Police,Mesa,AZ,50000,commission\n", 3, "email"},
		{"operator in a column name", strings.TrimSuffix(head, "\n") + ",$where\n" + strings.TrimSuffix(good, "\n") + ",x\n", 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, got := env.importFrame(staff.key, tc.csv)
			if res.StatusCode != 422 || len(got.Rows) == 0 {
				t.Fatalf("status %d, rows %+v", res.StatusCode, got.Rows)
			}
			if got.Rows[0].Line != tc.line || (tc.field != "" && got.Rows[0].Field != tc.field) {
				t.Errorf("first problem %+v, want line %d field %q", got.Rows[0], tc.line, tc.field)
			}
		})
	}
	// A byte-order mark and CRLF line ends import cleanly.
	res, got := env.importFrame(staff.key, "\ufeff"+strings.ReplaceAll(head+good, "\n", "\r\n"))
	if res.StatusCode != 200 || got.Imported != 1 {
		t.Fatalf("BOM+CRLF: %d %+v", res.StatusCode, got)
	}
	all, _ := env.store.Cases(t.Context(), env.srv.Instrument.ID)
	if len(all) != 1 || all[0].Frame.Department != "Police" || all[0].Frame.State != "AZ" || all[0].Frame.FormOfGovernment != "council-manager" {
		t.Errorf("after the bad files, the store holds %+v", all)
	}
}

// 100,000 rows with one bad row at the end: a line-numbered error and
// nothing imported.
func TestFrameImportLargeRejectedWhole(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	csv := syntheticCSV(t, 100_000, 7) + "bad,row\n"
	res, got := env.importFrame(staff.key, csv)
	if res.StatusCode != 422 || got.Rows[0].Line != 100_002 {
		t.Fatalf("status %d, rows %+v", res.StatusCode, got.Rows)
	}
	if all, _ := env.store.Cases(t.Context(), env.srv.Instrument.ID); len(all) != 0 {
		t.Errorf("%d cases imported from a rejected file", len(all))
	}
}

// BenchmarkFrameImport2500 imports the survey's 2,500-row frame through
// the API into a fresh embedded store.
func BenchmarkFrameImport2500(b *testing.B) {
	csv := syntheticCSV(b, 2500, 1)
	for b.Loop() {
		b.StopTimer()
		st := storetest.MustOpen(b)
		srv, err := New(Options{Store: st, Instrument: instrument.Default(), Secret: testSecret,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "http://example.test"})
		if err != nil {
			b.Fatal(err)
		}
		u, _ := account.NewUser("staff@example.org", goodPassword, account.RoleStaff)
		_ = st.InsertUser(b.Context(), u)
		id, secret, full := account.NewKeySecret()
		_ = st.InsertKey(b.Context(), &account.Key{ID: id, UserID: u.ID, Name: "b", Hash: srv.secrets.Hash(secret)})
		req := httptest.NewRequest("POST", "/api/v1/frame", strings.NewReader(csv))
		req.Header.Set("Authorization", "Bearer "+full)
		req.Header.Set("Content-Type", "text/csv")
		rec := httptest.NewRecorder()
		b.StartTimer()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %.300s", rec.Code, rec.Body.String())
		}
	}
}

// chunked hides a body's length, so the server learns its size by reading.
type chunked struct{ io.Reader }

// Bodies over the limit are 413 whether or not they announce their length,
// and a frame upload is read no further than its limit.
func TestBodyLimits(t *testing.T) {
	env := newTestEnv(t)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	tok := env.newCase("limits@example.org")
	send := func(key, method, path, contentType string, body io.Reader) (*http.Response, string) {
		req, _ := http.NewRequest(method, env.http.URL+path, body)
		req.Header.Set("Content-Type", contentType)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	big := `{"answers": {"comments": "` + strings.Repeat("x", 2<<20) + `"}}`
	res, body := send("", "PUT", "/api/v1/respond/"+tok+"/answers", "application/json", chunked{strings.NewReader(big)})
	wantStatus(t, res, body, 413)
	res, body = send("", "POST", "/s/"+tok+"/page/about_you", "application/x-www-form-urlencoded", chunked{strings.NewReader("job_title=" + strings.Repeat("x", 2<<20))})
	wantStatus(t, res, body, 413)
	huge := syntheticCSV(t, 2, 1) + strings.Repeat("y", 33<<20)
	res, body = send(staff.key, "POST", "/api/v1/frame", "text/csv", chunked{strings.NewReader(huge)})
	wantStatus(t, res, body, 413)
	if !strings.Contains(body, "32 MiB") {
		t.Errorf("413 body %q", body)
	}

	// On a session, the upload form's size is checked before its CSRF token.
	env.addUser("pi@example.org", account.RolePI)
	cookie, csrf := env.loginPage("pi@example.org")
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		_ = mw.WriteField("csrf", csrf)
		fw, _ := mw.CreateFormFile("frame", "frame.csv")
		_, _ = io.Copy(fw, strings.NewReader(huge))
		_ = mw.Close()
		_ = pw.Close()
	}()
	req, _ := http.NewRequest("POST", env.http.URL+"/admin/cases/import", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(cookie)
	res, err := env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("a 33 MiB upload form: status %d, want 413", res.StatusCode)
	}
	if all, _ := env.store.Cases(t.Context(), env.srv.Instrument.ID); len(all) != 1 {
		t.Errorf("%d cases after the refused uploads", len(all))
	}
}

// BenchmarkFrameImport100Into20000 adds 100 rows to a sample of 20,000
// cases: the check against the sample must not read the cases already there.
func BenchmarkFrameImport100Into20000(b *testing.B) {
	env := newTestEnv(b)
	env.newCases(20_000)
	staff := env.addUser("staff@example.org", account.RoleStaff)
	batch := 0
	for b.Loop() {
		b.StopTimer()
		batch++
		csv := strings.ReplaceAll(syntheticCSV(b, 100, 2), "@", fmt.Sprintf("+b%d@", batch))
		b.StartTimer()
		if res, body := env.doAs(staff.key, "POST", "/api/v1/frame", "text/csv", csv); res.StatusCode != 200 {
			b.Fatalf("status %d: %.300s", res.StatusCode, body)
		}
	}
}
