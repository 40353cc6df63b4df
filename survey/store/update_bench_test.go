package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/canvass-survey/canvass/survey"
)

// BenchmarkUpdateByID is the embedded store's own rate for what a
// respondent's save ends in — updateOne({_id}, {$set: ...}) — through the
// driver alone, with no lock, gate or HTTP, at 500 and 20,000 cases and 8
// clients: the ceiling for server's BenchmarkRespondentSaves, which also
// reads the case first.
func BenchmarkUpdateByID(b *testing.B) {
	for _, n := range []int{500, 20_000} {
		b.Run(fmt.Sprintf("cases=%d/clients=8", n), func(b *testing.B) {
			s, err := Open(context.Background(), Config{DataDir: b.TempDir(), Database: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close(context.Background())
			cases := make([]*survey.Case, n)
			now := time.Now()
			for i := range cases {
				cases[i] = &survey.Case{ID: fmt.Sprintf("case%06d-xxxxxxxxxxxxx", i), Survey: "s", Status: survey.StatusNew,
					Frame:     survey.Frame{Email: fmt.Sprintf("person%d@example.org", i), Name: "Some Body", Department: "Police", City: "Mesa", State: "AZ", Population: 100000},
					CreatedAt: now, UpdatedAt: now}
			}
			if err := s.InsertCases(context.Background(), "bench", cases); err != nil {
				b.Fatal(err)
			}
			jobs := make(chan int)
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for i := range jobs {
						set := bson.D{{Key: "$set", Value: bson.D{{Key: "answers.years_in_position", Value: i % 40}, {Key: "updated_at", Value: time.Now()}}}}
						if _, err := s.cases.UpdateOne(context.Background(), byID(cases[i%n].ID), set); err != nil {
							b.Error(err)
						}
					}
				})
			}
			start := time.Now()
			i := 0
			for b.Loop() {
				jobs <- i
				i++
			}
			close(jobs)
			wg.Wait()
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "updates/s")
		})
	}
}
