package store

import (
	"context"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
)

// Two processes on one store: one reads a case, the other submits it, then
// the first writes. Without the compare-and-set the answer would land after
// the submission; with it the first decides again on the submitted case.
func TestUpdateCaseSharedStore(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, Config{DataDir: t.TempDir(), Database: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	b, err := Open(ctx, Config{URI: a.embedded.uri, Database: "t"}) // another instance, as on a shared MongoDB
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	if err := a.InsertCase(ctx, &survey.Case{ID: "c1", Survey: "s", Status: survey.StatusStarted, Frame: survey.Frame{Email: "a@example.org"}}); err != nil {
		t.Fatal(err)
	}
	decisions := 0
	_, err = b.UpdateCase(ctx, "c1", func(c *survey.Case) (*survey.Change, error) {
		decisions++
		if decisions == 1 { // meanwhile, the other instance submits
			if _, err := a.UpdateCase(ctx, "c1", func(*survey.Case) (*survey.Change, error) {
				return &survey.Change{Status: survey.StatusSubmitted, At: time.Now()}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if c.Status == survey.StatusSubmitted {
			return nil, survey.Errorf(survey.ECONFLICT, "already submitted")
		}
		return &survey.Change{SetAnswers: map[string]any{"q1": 3}, At: time.Now()}, nil
	})
	if survey.ErrorCode(err) != survey.ECONFLICT || decisions != 2 {
		t.Fatalf("got %v after %d decisions, want a conflict on the second", err, decisions)
	}
	c, err := a.Case(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != survey.StatusSubmitted || len(c.Answers) != 0 || c.Rev != 1 {
		t.Errorf("case %+v", c)
	}
}
