package respond

import (
	"testing"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

func TestNeighbour(t *testing.T) {
	s := &Service{Instrument: instrument.Default()}
	in := s.Instrument
	social, followup := s.Instrument.PageIndex("social_media"), s.Instrument.PageIndex("social_media_followup")
	if social < 0 || followup != social+1 {
		t.Fatalf("the default questionnaire changed: social_media at %d, its follow-up at %d", social, followup)
	}
	last := len(in.Pages) - 1
	uses := instrument.Answers{"social_media_use": []int{1}}
	none := instrument.Answers{"social_media_use": []int{0}}
	for _, tc := range []struct {
		name    string
		answers instrument.Answers
		page    int
		action  string
		want    string
	}{
		{"next shows the follow-up of a medium used", uses, social, "next", "social_media_followup"},
		{"next skips the follow-up without a medium", none, social, "next", in.Pages[followup+1].ID},
		{"back skips the hidden follow-up", none, followup + 1, "back", "social_media"},
		{"back from the first page stays", nil, 0, "back", in.Pages[0].ID},
		{"next from the last page reviews", nil, last, "next", Review},
		{"save stays", uses, social, "save", "social_media"},
	} {
		if got := s.Neighbour(tc.answers, tc.page, tc.action); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestResumePage(t *testing.T) {
	s := &Service{Instrument: instrument.Default()}
	view := func(page string, a instrument.Answers) *View {
		return &View{Case: &survey.Case{Page: page}, Answers: a, Visible: s.Instrument.Visible(a)}
	}
	for _, tc := range []struct {
		name string
		v    *View
		want string
	}{
		{"the page saved last", view("social_media", nil), "social_media"},
		{"a page the answers now hide: the first", view("social_media_followup", instrument.Answers{"social_media_use": []int{0}}), s.Instrument.Pages[0].ID},
		{"an unknown page: the first", view("nonesuch", nil), s.Instrument.Pages[0].ID},
		{"review", view(Review, nil), Review},
	} {
		if got := s.ResumePage(tc.v); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The social-media follow-up appears only with its condition, so before it
// the page count is "about"; after the last conditional page it is exact.
func TestPagesMayChange(t *testing.T) {
	s := &Service{Instrument: instrument.Default()}
	if !s.PagesMayChange(-1) || !s.PagesMayChange(s.Instrument.PageIndex("social_media")) {
		t.Error("the pages before a conditional page are counted as final")
	}
	if s.PagesMayChange(len(s.Instrument.Pages) - 1) {
		t.Error("on the last page more pages may still come")
	}
	if n := len(s.VisiblePages(s.Instrument.Visible(instrument.Answers{"social_media_use": []int{0}}))); n != len(s.Instrument.Pages)-1 {
		t.Errorf("%d pages shown without a medium, want all but the follow-up", n)
	}
}

func TestMergedLeavesItsInputAlone(t *testing.T) {
	a := instrument.Answers{"x": 1, "y": 2}
	got := Merged(a, instrument.Answers{"z": 3}, []string{"x"})
	if len(a) != 2 || a["x"] != 1 || got["x"] != nil || got["z"] != 3 || got["y"] != 2 {
		t.Errorf("input %v, merged %v", a, got)
	}
	if Merged(nil, nil, nil) == nil {
		t.Error("merging into nothing gives nil")
	}
}
