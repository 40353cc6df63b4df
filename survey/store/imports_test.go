package store

import (
	"context"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
)

// An import that a crash left half-written is removed by the next import,
// and a recent one in progress is left alone.
func TestUnfinishedImportsRemoved(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: t.TempDir(), Database: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	now := time.Now().UTC()
	crashed := pendingImport{ID: "crashed", StartedAt: now.Add(-time.Hour)}
	running := pendingImport{ID: "running", StartedAt: now}
	for _, imp := range []pendingImport{crashed, running} {
		if _, err := s.imports.InsertOne(ctx, imp); err != nil {
			t.Fatal(err)
		}
		c := &survey.Case{ID: imp.ID + "-case", Survey: "s", ImportID: imp.ID, Frame: survey.Frame{Email: imp.ID + "@example.org"}}
		if err := s.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	fresh := []*survey.Case{{ID: "new-case", Survey: "s", Frame: survey.Frame{Email: "new@example.org"}}}
	if err := s.InsertCases(ctx, "next", fresh); err != nil {
		t.Fatal(err)
	}
	all, err := s.Cases(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range all {
		got[c.ID] = true
	}
	if got["crashed-case"] || !got["running-case"] || !got["new-case"] || len(all) != 2 {
		t.Errorf("cases after the next import: %v", got)
	}
	if n, _ := s.imports.CountDocuments(ctx, byID("next")); n != 0 {
		t.Error("a finished import is still marked pending")
	}
}
