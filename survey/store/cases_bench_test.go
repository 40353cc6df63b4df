package store_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/store/pgserver"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

// BenchmarkInsertCases2500 is the store's floor under a frame import: 2,500
// cases written with one InsertMany into a fresh embedded store.
func BenchmarkInsertCases2500(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s := storetest.MustOpen(b)
		cases := make([]*survey.Case, 2500)
		now := time.Now()
		for i := range cases {
			cases[i] = &survey.Case{ID: fmt.Sprintf("case%06d-xxxxxxxxxxxxx", i), Survey: "tech_local_gov", Status: "new",
				Frame:     survey.Frame{Email: fmt.Sprintf("person%d@example.org", i), Name: "Some Body", Title: "Director", Department: "Police", City: "Mesa", State: "AZ", Population: 100000, FormOfGovernment: "council-manager"},
				CreatedAt: now, UpdatedAt: now, SealedToken: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
		}
		b.StartTimer()
		if err := s.InsertCases(b.Context(), "imp", cases); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateCase is a respondent's save as the store does it — read
// the case, decide, write it at the next revision — on 2,500 cases from 8
// clients at once, each save to another case: on the embedded store of this
// process (its locks decide a revision), and on `canvass store` shared over
// SQLite and over PostgreSQL (a unique claim decides: one more insert per
// save).
func BenchmarkUpdateCase(b *testing.B) {
	const n, clients = 2500, 8
	open := map[string]func(b *testing.B) *store.Store{
		"embedded": func(b *testing.B) *store.Store { return storetest.MustOpen(b) },
		"shared-sqlite": func(b *testing.B) *store.Store {
			return openServed(b, store.ServeConfig{Addr: "127.0.0.1:0", DataDir: b.TempDir(), Database: storetest.Database})
		},
		"shared-postgresql": func(b *testing.B) *store.Store {
			pg, err := pgserver.Start(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(pg.Stop)
			return openServed(b, store.ServeConfig{Addr: "127.0.0.1:0", PostgreSQLURL: pg.URL, Database: storetest.Database})
		},
	}
	for _, name := range []string{"embedded", "shared-sqlite", "shared-postgresql"} {
		b.Run(name, func(b *testing.B) {
			s := open[name](b)
			cases := make([]*survey.Case, n)
			for i := range cases {
				cases[i] = &survey.Case{ID: fmt.Sprintf("case%06d", i), Survey: "s", Frame: survey.Frame{Email: fmt.Sprintf("p%d@example.org", i)}}
			}
			if err := s.InsertCases(b.Context(), "imp", cases); err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			b.SetParallelism(clients / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					_, err := s.UpdateCase(b.Context(), cases[i%n].ID, func(*survey.Case) (*survey.Change, error) {
						return &survey.Change{At: time.Now(), SetAnswers: map[string]any{"q": i}}, nil
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
		})
	}
}

// openServed starts the store as `canvass store` does, and a client of it.
func openServed(b *testing.B, cfg store.ServeConfig) *store.Store {
	srv, err := store.StartServer(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	s, err := store.Open(b.Context(), store.Config{URI: srv.URI, Database: cfg.Database})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}
