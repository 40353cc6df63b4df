package aapor

import (
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

func TestCaseOf(t *testing.T) {
	in := instrument.Default()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { x := t0.Add(time.Duration(h) * time.Hour); return &x }
	// All of the default instrument's required items: more than half of
	// what is applicable when social media is "None of these".
	full := map[string]any{}
	for _, it := range in.Items() {
		switch it.Type {
		case instrument.Single, instrument.Dropdown, instrument.Matrix:
			full[it.ID] = it.Options[0].Value
		case instrument.Multi:
			full[it.ID] = []any{it.Options[len(it.Options)-1].Value} // the exclusive "None of these"
		case instrument.Number:
			full[it.ID] = *it.Min
		default:
			full[it.ID] = "text"
		}
	}
	for _, tc := range []struct {
		name  string
		c     survey.Case
		code  Code
		at    *time.Time
		steps int
	}{
		{"untouched", survey.Case{Status: survey.StatusNew}, UO, nil, 0},
		{"bounced", survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{{Status: survey.ContactBounced, At: *at(1)}}}, UO, nil, 0},
		{"started, nothing answered", survey.Case{Status: survey.StatusStarted, StartedAt: at(2)}, R, at(2), 0},
		{"opted out", survey.Case{Status: survey.StatusOptedOut, StartedAt: at(2), OptedOutAt: at(3)}, R, at(3), 0},
		{"complete", survey.Case{Status: survey.StatusSubmitted, StartedAt: at(2), SubmittedAt: at(5), Answers: full}, I, at(5), 1},
		{"partial, still going", survey.Case{Status: survey.StatusStarted, StartedAt: at(2), AnsweredAt: at(4), UpdatedAt: *at(9), Answers: full}, P, at(4), 1},
		{"ineligible beats a complete", survey.Case{Status: survey.StatusSubmitted, SubmittedAt: at(5), Answers: full,
			Mark: &survey.Mark{Code: "ineligible", At: *at(6)}}, NE, at(6), 0},
		{"unavailable", survey.Case{Status: survey.StatusNew, Mark: &survey.Mark{Code: "unavailable", At: *at(7)}}, NC, at(7), 0},
		{"other", survey.Case{Status: survey.StatusNew, Mark: &survey.Mark{Code: "other", At: *at(8)}}, O, at(8), 0},
		{"refused", survey.Case{Status: survey.StatusNew, Mark: &survey.Mark{Code: "refused", At: *at(8)}}, R, at(8), 0},
		{"reached by phone", survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{
			{Mode: survey.ModePhone, Status: survey.OutcomeNoAnswer, At: *at(3)},
			{Mode: survey.ModePhone, Status: survey.OutcomeReached, At: *at(4)}}}, R, at(4), 0},
		{"a letter sent reaches nobody yet", survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{
			{Mode: survey.ModeLetter, Status: survey.OutcomeSent, At: *at(3)}}}, UO, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CaseOf(&tc.c, in, DefaultThresholds)
			if got.Code != tc.code {
				t.Errorf("code %s, want %s (facts %+v)", got.Code, tc.code, FactsOf(&tc.c, in))
			}
			if (tc.at == nil) != got.At.IsZero() || (tc.at != nil && !got.At.Equal(*tc.at)) {
				t.Errorf("at %v, want %v", got.At, tc.at)
			}
			if len(got.Earlier) != tc.steps {
				t.Errorf("earlier steps %v, want %d", got.Earlier, tc.steps)
			}
		})
	}
}

// A case's completeness counts "don't know" but, unless the questionnaire
// says any_answer, not "prefer not to say", AAPOR's item refusal.
func TestCompleteness(t *testing.T) {
	in, err := instrument.LoadFile("../instrument/testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	anyAnswer := *in
	anyAnswer.AAPOR.Completeness = instrument.AnyAnswer
	// Blue hides the second page: five items apply, 80% is four.
	refused := map[string]any{"color": 2, "channels": instrument.PreferNotToSay, "size": 10, "years": 3}
	unknown := map[string]any{"color": instrument.DontKnow, "channels": []any{1}, "size": 10, "years": 3}
	for _, tc := range []struct {
		name    string
		in      *instrument.Instrument
		answers map[string]any
		want    Code
	}{
		{"prefer not to say is no answer", in, refused, P},
		{"prefer not to say counts under any_answer", &anyAnswer, refused, I},
		{"don't know counts", in, unknown, I},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := survey.Case{Status: survey.StatusSubmitted, Answers: tc.answers}
			if got := DefaultThresholds.Code(FactsOf(&c, tc.in)); got != tc.want {
				t.Errorf("code %s, want %s (facts %+v)", got, tc.want, FactsOf(&c, tc.in))
			}
		})
	}
}

// A phone call that reached the person counts the case as contacted in
// the contact rates; one that did not changes nothing.
func TestLoggedContactCountsAsContacted(t *testing.T) {
	in := instrument.Default()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	call := func(outcome string) survey.Case {
		return survey.Case{Status: survey.StatusNew, Contacts: []survey.Contact{{Mode: survey.ModePhone, Status: outcome, At: at}}}
	}
	con1 := func(cases ...survey.Case) float64 {
		pcs := make([]Case, len(cases))
		for i := range cases {
			pcs[i] = CaseOf(&cases[i], in, DefaultThresholds)
		}
		return *BuildProgress(pcs, nil, at, time.UTC).Rates.CON1
	}
	if got := con1(call(survey.OutcomeNoAnswer), call(survey.OutcomeLeftMessage)); got != 0 {
		t.Errorf("nobody reached: CON1 %v, want 0", got)
	}
	if got := con1(call(survey.OutcomeReached), call(survey.OutcomeNoAnswer)); got != 0.5 {
		t.Errorf("one of two reached: CON1 %v, want 0.5", got)
	}
}
