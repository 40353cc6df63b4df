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

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/token"
)

// load runs requests on a number of clients at once and keeps what each
// took and whether it failed.
type load struct {
	jobs      chan int
	wg        sync.WaitGroup
	mu        sync.Mutex
	latencies []time.Duration
	errors    int
	start     time.Time
}

func startLoad(clients int, do func(i int) error) *load {
	l := &load{jobs: make(chan int), start: time.Now()}
	for range clients {
		l.wg.Go(func() {
			for i := range l.jobs {
				start := time.Now()
				err := do(i)
				took := time.Since(start)
				l.mu.Lock()
				l.latencies = append(l.latencies, took)
				if err != nil {
					l.errors++
				}
				l.mu.Unlock()
			}
		})
	}
	return l
}

// send hands request i to the next free client, waiting while all are busy,
// so a loop of sends runs at the rate requests finish.
func (l *load) send(i int) { l.jobs <- i }

// stop waits for the requests in flight and returns the rate of requests
// per second since the start, and the latencies, sorted.
func (l *load) stop() (perSecond float64, latencies []time.Duration) {
	close(l.jobs)
	l.wg.Wait()
	slices.Sort(l.latencies)
	return float64(len(l.latencies)) / time.Since(l.start).Seconds(), l.latencies
}

// BenchmarkRespondentSaves drives respondent saves — PUT
// /api/v1/respond/{token}/answers over loopback HTTP, each save to another
// case — against the embedded store holding 500, 20,000 or 2,500 cases, and
// reports saves/s, the median and 99th-percentile latency and the errors.
// Just before, on the same store and with as many clients, it measures the
// driver alone doing what a save ends in, updateOne({_id}, {$set}), and
// reports that rate and the ratio of the two. A save reads the case and
// writes it, both by _id, so its cost must not grow with the sample.
func BenchmarkRespondentSaves(b *testing.B) {
	for _, tc := range []struct{ cases, clients int }{{500, 8}, {20_000, 8}, {2_500, 64}} {
		b.Run(fmt.Sprintf("cases=%d/clients=%d", tc.cases, tc.clients), func(b *testing.B) {
			env := newTestEnv(b)
			tokens := env.newCases(tc.cases)
			raw := driverUpdateRate(b, env, tokens, tc.clients)

			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: tc.clients}}
			l := startLoad(tc.clients, func(i int) error {
				body := fmt.Sprintf(`{"answers": {"years_in_position": %d, "social_media_use": [1, 2], "provide_city_depts": %d}}`, i%40, i%5)
				req, _ := http.NewRequest("PUT", env.http.URL+"/api/v1/respond/"+tokens[i%len(tokens)]+"/answers", bytes.NewBufferString(body))
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					return err
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					return fmt.Errorf("status %d", res.StatusCode)
				}
				return nil
			})
			i := 0
			for b.Loop() {
				l.send(i)
				i++
			}
			saves, latencies := l.stop()
			b.ReportMetric(saves, "saves/s")
			b.ReportMetric(ms(percentile(latencies, 0.50)), "p50-ms")
			b.ReportMetric(ms(percentile(latencies, 0.99)), "p99-ms")
			b.ReportMetric(float64(l.errors), "errors")
			b.ReportMetric(raw, "driver-updates/s")
			b.ReportMetric(saves/raw, "saves/driver")
		})
	}
}

// driverUpdateRate is the rate of updateOne({_id}, {$set}) on the cases of
// env's store, from a driver client of its own on as many clients.
func driverUpdateRate(b *testing.B, env *testEnv, tokens []string, clients int) float64 {
	b.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(env.store.EmbeddedURI()))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	cases := client.Database(storetest.Database).Collection("cases")
	hasher := token.NewHasher(testSecret)
	ids := make([]string, len(tokens))
	for i, tok := range tokens {
		ids[i] = hasher.CaseID(tok)
	}
	l := startLoad(clients, func(i int) error {
		set := bson.D{{Key: "$set", Value: bson.D{{Key: "answers.years_in_position", Value: i % 40}, {Key: "updated_at", Value: time.Now()}}}}
		res, err := cases.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: ids[i%len(ids)]}}, set)
		if err == nil && res.MatchedCount != 1 {
			err = fmt.Errorf("matched %d", res.MatchedCount)
		}
		return err
	})
	for i := range 1000 {
		l.send(i)
	}
	rate, _ := l.stop()
	if l.errors > 0 {
		b.Fatalf("%d of the driver's updates failed", l.errors)
	}
	return rate
}

// percentile is the p-quantile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
