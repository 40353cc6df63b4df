package aapor

import (
	"errors"
	"fmt"
	"testing"

	"github.com/canvass-survey/canvass/survey"
)

func TestCode(t *testing.T) {
	const (
		newS      = survey.StatusNew
		started   = survey.StatusStarted
		submitted = survey.StatusSubmitted
		optedOut  = survey.StatusOptedOut
	)
	// What the respondent did, with no mark, over every status and the
	// completion levels either side of both thresholds (out of 10 items).
	unmarked := []struct {
		status   string
		answered int
		want     Code
	}{
		{newS, 0, UO},
		{newS, 4, UO},
		{newS, 5, P}, // cannot happen (answers mean started) but answers decide
		{newS, 8, P},
		{started, 0, R}, // consent, then nothing: a break-off
		{started, 4, R},
		{started, 5, P},
		{started, 8, P}, // not submitted: never a complete
		{started, 10, P},
		{submitted, 0, R}, // a break-off that pressed submit
		{submitted, 4, R},
		{submitted, 5, P},
		{submitted, 7, P},
		{submitted, 8, I},
		{submitted, 10, I},
		{optedOut, 0, R},
		{optedOut, 4, R},
		{optedOut, 5, P}, // answers given before opting out make a partial
		{optedOut, 10, P},
	}
	for _, tc := range unmarked {
		f := Facts{Status: tc.status, Answered: tc.answered, Applicable: 10}
		t.Run(fmt.Sprintf("%s/%d", tc.status, tc.answered), func(t *testing.T) {
			if got := DefaultThresholds.Code(f); got != tc.want {
				t.Errorf("unmarked: got %s, want %s", got, tc.want)
			}
			// Staff marks: ineligible beats everything; the others only
			// apply where the respondent did nothing that decides.
			ifUntouched := func(c Code) Code {
				if tc.want == UO {
					return c
				}
				return tc.want
			}
			marked := []struct {
				mark Mark
				want Code
			}{
				{Ineligible, NE},
				{Bounced, tc.want},
				{Refused, ifUntouched(R)},
				{Unavailable, ifUntouched(NC)},
				{Other, ifUntouched(O)},
			}
			for _, m := range marked {
				f.Mark = m.mark
				if got := DefaultThresholds.Code(f); got != m.want {
					t.Errorf("marked %s: got %s, want %s", m.mark, got, m.want)
				}
			}
			// A logged attempt that reached the person makes an untouched
			// case contacted (R), below what respondents and marks decide;
			// a bounced mark does not undo it: the person was reached.
			reached := map[Mark]Code{"": ifUntouched(R), Bounced: ifUntouched(R), Ineligible: NE, Unavailable: ifUntouched(NC), Other: ifUntouched(O)}
			for mark, want := range reached {
				f.Mark, f.Reached = mark, true
				if got := DefaultThresholds.Code(f); got != want {
					t.Errorf("reached, marked %q: got %s, want %s", mark, got, want)
				}
			}
		})
	}
}

func TestCodeThresholds(t *testing.T) {
	tests := []struct {
		name string
		t    Thresholds
		f    Facts
		want Code
	}{
		{"no applicable items submitted", DefaultThresholds, Facts{Status: survey.StatusSubmitted}, R},
		{"just under complete", DefaultThresholds, Facts{Status: survey.StatusSubmitted, Answered: 79, Applicable: 100}, P},
		{"just under partial", DefaultThresholds, Facts{Status: survey.StatusStarted, Answered: 49, Applicable: 100}, R},
		{"stricter complete", Thresholds{Complete: 0.9, Partial: 0.3}, Facts{Status: survey.StatusSubmitted, Answered: 8, Applicable: 10}, P},
		{"laxer partial", Thresholds{Complete: 0.9, Partial: 0.3}, Facts{Status: survey.StatusStarted, Answered: 3, Applicable: 10}, P},
		{"unknown status counts as untouched", DefaultThresholds, Facts{Status: "archived", Mark: Unavailable}, NC},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.t.Code(tc.f); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseMark(t *testing.T) {
	for _, s := range []string{"bounced", "ineligible", "refused", "unavailable", "other"} {
		if got, err := ParseMark(s); err != nil || string(got) != s {
			t.Errorf("ParseMark(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "Refused", "Bounced", "NE"} {
		_, err := ParseMark(s)
		var e *survey.Error
		if !errors.As(err, &e) || e.Code != survey.EINVALID {
			t.Errorf("ParseMark(%q): got %v, want an EINVALID error", s, err)
		}
	}
}
