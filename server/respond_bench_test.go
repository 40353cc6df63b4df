package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/token"
)

// newCases stores n cases of a synthetic frame with one InsertCases and
// returns their tokens.
func (env *testEnv) newCases(n int) []string {
	env.t.Helper()
	hasher := token.NewHasher(testSecret)
	tokens := make([]string, n)
	cases := make([]*survey.Case, n)
	for i, f := range frame.Synthetic(n, 1, instrument.Default()) {
		tokens[i] = token.New()
		cases[i] = &survey.Case{ID: hasher.CaseID(tokens[i]), Survey: env.srv.Instrument.ID, Frame: f,
			Status: survey.StatusNew, CreatedAt: env.now, UpdatedAt: env.now}
	}
	if err := env.store.InsertCases(context.Background(), "bench", cases); err != nil {
		env.t.Fatal(err)
	}
	return tokens
}

// BenchmarkRespondentSaves drives respondent saves — PUT
// /api/v1/respond/{token}/answers over loopback HTTP, each save to another
// case — against the embedded store, with a sample of 500, 2,500 and 20,000
// cases, and reports saves/s, the median and 99th-percentile latency and the
// errors. A save is a read and a write of one case by _id, so its cost must
// not depend on the size of the sample: compare saves/s across sizes, and
// with BenchmarkUpdateByID in survey/store, the driver's own rate.
func BenchmarkRespondentSaves(b *testing.B) {
	for _, tc := range []struct{ cases, clients int }{{500, 8}, {20_000, 8}, {2_500, 64}} {
		b.Run(fmt.Sprintf("cases=%d/clients=%d", tc.cases, tc.clients), func(b *testing.B) {
			env := newTestEnv(b)
			tokens := env.newCases(tc.cases)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: tc.clients}}
			jobs := make(chan int)
			var (
				mu        sync.Mutex
				latencies []time.Duration
				errors    int
				wg        sync.WaitGroup
			)
			for range tc.clients {
				wg.Go(func() {
					for i := range jobs {
						body := fmt.Sprintf(`{"answers": {"years_in_position": %d, "social_media_use": [1, 2], "provide_city_depts": %d}}`, i%40, i%5)
						req, _ := http.NewRequest("PUT", env.http.URL+"/api/v1/respond/"+tokens[i%len(tokens)]+"/answers", bytes.NewBufferString(body))
						req.Header.Set("Content-Type", "application/json")
						start := time.Now()
						res, err := client.Do(req)
						took := time.Since(start)
						ok := err == nil && res.StatusCode == http.StatusOK
						if err == nil {
							res.Body.Close()
						}
						mu.Lock()
						latencies = append(latencies, took)
						if !ok {
							errors++
						}
						mu.Unlock()
					}
				})
			}
			start := time.Now()
			i := 0
			for b.Loop() {
				jobs <- i // blocks while every client is busy: the loop runs at the rate saves finish
				i++
			}
			close(jobs)
			wg.Wait()
			elapsed := time.Since(start)
			slices.Sort(latencies)
			b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "saves/s")
			b.ReportMetric(ms(percentile(latencies, 0.50)), "p50-ms")
			b.ReportMetric(ms(percentile(latencies, 0.99)), "p99-ms")
			b.ReportMetric(float64(errors), "errors")
		})
	}
}

// percentile is the p-quantile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
