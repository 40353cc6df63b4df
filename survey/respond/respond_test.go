package respond

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/token"
)

var inField = time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC)

// newService serves the default questionnaire on a fresh store, its clock
// at *now.
func newService(t *testing.T, now *time.Time) *Service {
	t.Helper()
	return &Service{Store: storetest.MustOpen(t), Instrument: instrument.Default(),
		Hasher: token.NewHasher([]byte("a-test-secret-of-at-least-32-characters")), Now: func() time.Time { return *now }}
}

// newCase stores a case in the given status and returns its token.
func (s *Service) newCase(t *testing.T, status string) string {
	t.Helper()
	tok := token.New()
	c := &survey.Case{ID: s.Hasher.CaseID(tok), Survey: s.Instrument.ID, Status: status, Frame: survey.Frame{Email: tok[:8] + "@example.org"}}
	if err := s.Store.InsertCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestOpenUnknownToken(t *testing.T) {
	now := inField
	s := newService(t, &now)
	_, malformed := s.Open(context.Background(), "not a token")
	_, unknown := s.Open(context.Background(), token.New())
	if survey.ErrorCode(malformed) != survey.ENOTFOUND || survey.ErrorCode(unknown) != survey.ENOTFOUND || malformed.Error() != unknown.Error() {
		t.Errorf("malformed %v, unknown %v: want the same not-found", malformed, unknown)
	}
}

// A save starts a new case, and answers that the new answers hide are
// cleared in the same write.
func TestSaveStartsAndClearsHidden(t *testing.T) {
	ctx := context.Background()
	now := inField
	s := newService(t, &now)
	tok := s.newCase(t, survey.StatusNew)
	v, err := s.Save(ctx, tok, Save{Set: instrument.Answers{"social_media_use": []int{1, 2}, "social_media_frequency": 3}, Page: "social_media"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Case.Status != survey.StatusStarted || v.Case.Page != "social_media" || v.Answers["social_media_frequency"] == nil {
		t.Fatalf("after the first save: status %q, page %q, answers %v", v.Case.Status, v.Case.Page, v.Answers)
	}
	v, err = s.Save(ctx, tok, Save{Set: instrument.Answers{"social_media_use": []int{0}}})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.Store.Case(ctx, s.Hasher.CaseID(tok))
	if err != nil {
		t.Fatal(err)
	}
	if _, kept := stored.Answers["social_media_frequency"]; kept || v.Visible["social_media_frequency"] {
		t.Errorf("a follow-up of a medium no longer used is kept: %v", stored.Answers)
	}
	// Given in the same save as the answer that hides it, it is reported.
	v, err = s.Save(ctx, tok, Save{Set: instrument.Answers{"social_media_use": []int{0}, "social_media_frequency": 2}})
	if err != nil || !slices.Equal(v.NotKept, []string{"social_media_frequency"}) {
		t.Errorf("not kept %v, %v", v.NotKept, err)
	}
}

func TestSubmitNeedsRequired(t *testing.T) {
	ctx := context.Background()
	now := inField
	s := newService(t, &now)
	tok := s.newCase(t, survey.StatusStarted)
	_, err := s.Submit(ctx, tok)
	var e *survey.Error
	if survey.ErrorCode(err) != survey.EINVALID || !errors.As(err, &e) || e.Fields["years_in_position"] == "" {
		t.Fatalf("got %v, want the required questions named", err)
	}
	if c, _ := s.Store.Case(ctx, s.Hasher.CaseID(tok)); c.Status != survey.StatusStarted {
		t.Errorf("status %q after a refused submit", c.Status)
	}
}

// Once submitted or opted out, a case takes no answers; opting out twice is
// harmless, after submitting a conflict.
func TestWritesAfterSubmitOrOptOut(t *testing.T) {
	ctx := context.Background()
	now := inField
	s := newService(t, &now)
	submitted, optedOut := s.newCase(t, survey.StatusSubmitted), s.newCase(t, survey.StatusOptedOut)
	save := Save{Set: instrument.Answers{"years_in_position": 3}}
	for _, tc := range []struct {
		name string
		do   func() error
		want string
	}{
		{"save after submit", func() error { _, err := s.Save(ctx, submitted, save); return err }, survey.ECONFLICT},
		{"opt out after submit", func() error { _, err := s.OptOut(ctx, submitted); return err }, survey.ECONFLICT},
		{"save after opting out", func() error { _, err := s.Save(ctx, optedOut, save); return err }, survey.ECONFLICT},
		{"opt out again", func() error { _, err := s.OptOut(ctx, optedOut); return err }, ""},
	} {
		if got := survey.ErrorCode(tc.do()); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestClosedFieldPeriod(t *testing.T) {
	ctx := context.Background()
	now := inField
	s := newService(t, &now)
	tok := s.newCase(t, survey.StatusNew)
	now = s.Instrument.FieldPeriod.Closes.Add(time.Minute)
	if _, err := s.Save(ctx, tok, Save{Set: instrument.Answers{"years_in_position": 3}}); survey.ErrorCode(err) != survey.ECLOSED {
		t.Errorf("save after the close: got %v", err)
	}
	v, err := s.Open(ctx, tok)
	if err != nil || v.Open || len(v.Case.Answers) != 0 || v.Case.Status != survey.StatusNew {
		t.Errorf("open after the close: %+v, %v", v, err)
	}
}
