package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
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
