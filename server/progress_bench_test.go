package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/account"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

// BenchmarkProgress is GET /api/v1/progress at 100,000 cases on the
// embedded store, as a dashboard asks for it: from the shared snapshot,
// while every progressMaxAge a count of all cases runs beside the requests
// (one count takes seconds here). It reports the median and the slowest
// request besides the mean; run it for longer than the snapshot's age to
// include counts:
//
//	go test ./server -run '^$' -bench Progress -benchtime 20s
func BenchmarkProgress(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	st := storetest.MustOpen(b)
	in := instrument.Default()
	now := time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)
	cases := make([]*survey.Case, n)
	for i, f := range frame.Synthetic(n, 1, in) {
		c := &survey.Case{ID: fmt.Sprintf("bench%07d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i), Survey: in.ID, Status: survey.StatusNew,
			Frame: f, CreatedAt: now, UpdatedAt: now}
		switch i % 10 { // about the field run's mix
		case 0, 1, 2:
			at := now.Add(-time.Duration(i%240) * time.Hour)
			c.Status, c.StartedAt, c.SubmittedAt = survey.StatusSubmitted, &at, &at
			c.Answers = map[string]any{"years_in_position": 7, "provide_city_depts": 4}
		case 3:
			at := now.Add(-time.Duration(i%240) * time.Hour)
			c.Status, c.StartedAt = survey.StatusStarted, &at
			c.Answers = map[string]any{"years_in_position": 3}
		case 4:
			c.Contacts = []survey.Contact{{Wave: "w1", Kind: "invitation", Status: survey.ContactBounced, At: now}}
		case 5:
			c.Mark = &survey.Mark{Code: "ineligible", At: now, By: "staff@example.org"}
		}
		cases[i] = c
	}
	for i := 0; i < n; i += 10_000 {
		if err := st.InsertCases(ctx, fmt.Sprintf("bench%d", i), cases[i:i+10_000]); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := New(Options{Store: st, Instrument: in, Secret: testSecret, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return now }, MailServer: "mail.example.test:587"})
	if err != nil {
		b.Fatal(err)
	}
	u, _ := account.NewUser("staff@example.org", "a long enough password", account.RoleStaff)
	if err := st.InsertUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	id, secret, key := account.NewKeySecret()
	if err := st.InsertKey(ctx, &account.Key{ID: id, UserID: u.ID, Name: "bench", Hash: srv.secrets.Hash(secret), CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	get := func() {
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/progress", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d: %s", res.StatusCode, body)
		}
	}
	first := time.Now()
	get() // the first request after a start waits for the first count
	firstCount := time.Since(first)

	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		get()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms/median")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "ms/max")
	b.ReportMetric(float64(firstCount.Milliseconds()), "ms/first-count")
}
