package respond

import (
	"maps"
	"slices"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Navigation: which pages a respondent sees, where an action on a page
// leads, and where a link resumes. The skip logic hides a page whose every
// item is hidden; the pages and the API share these rules.

// Merged returns a copy of a with set applied and clear removed.
func Merged(a, set instrument.Answers, clear []string) instrument.Answers {
	out := maps.Clone(a)
	if out == nil {
		out = instrument.Answers{}
	}
	maps.Copy(out, set)
	for _, id := range clear {
		delete(out, id)
	}
	return out
}

// ShownOnPage reports whether the page should show item it: it is visible,
// or its condition reads an item of the same page, whose answer the person
// may be about to give (an answer to it that does not apply once the page
// is posted is not kept, and the page says so).
func (s *Service) ShownOnPage(it instrument.Item, visible map[string]bool) bool {
	return visible[it.ID] || s.ReadsOwnPage(it)
}

// ReadsOwnPage reports whether item it's condition reads an item of its
// own page.
func (s *Service) ReadsOwnPage(it instrument.Item) bool {
	for _, ref := range it.Refs {
		if r, ok := s.Instrument.Item(ref); ok && r.Page == it.Page {
			return true
		}
	}
	return false
}

// VisiblePages lists the indexes of the pages that show at least one item.
func (s *Service) VisiblePages(visible map[string]bool) []int {
	var pages []int
	for _, it := range s.Instrument.Items() {
		if s.ShownOnPage(it, visible) && !slices.Contains(pages, it.Page) {
			pages = append(pages, it.Page)
		}
	}
	return pages
}

// Review is the page after the last: every answer, and the submit button.
const Review = survey.ReviewPage

// Neighbour is where an action on page leads with answers a: the next shown
// page (or Review after the last), the previous one (or the first), or page
// itself for any other action.
func (s *Service) Neighbour(a instrument.Answers, page int, action string) string {
	pages := s.VisiblePages(s.Instrument.Visible(a))
	switch action {
	case "next":
		for _, p := range pages {
			if p > page {
				return s.Instrument.Pages[p].ID
			}
		}
		return Review
	case "back":
		prev := -1
		for _, p := range pages {
			if p < page {
				prev = p
			}
		}
		if prev >= 0 {
			return s.Instrument.Pages[prev].ID
		}
		if len(pages) > 0 {
			return s.Instrument.Pages[pages[0]].ID
		}
	}
	return s.Instrument.Pages[page].ID
}

// ResumePage is where the link takes a started case: the page it saved
// last, if the answers still show it, else the first page.
func (s *Service) ResumePage(v *View) string {
	pages := s.VisiblePages(v.Visible)
	if v.Case.Page == Review {
		return Review
	}
	if i := s.Instrument.PageIndex(v.Case.Page); i >= 0 && slices.Contains(pages, i) {
		return v.Case.Page
	}
	if len(pages) == 0 {
		return Review
	}
	return s.Instrument.Pages[pages[0]].ID
}

// PagesMayChange reports whether a page after page may still appear or
// disappear with the answers (every item on it has a condition), so that a
// page count can say "about" instead of a number that later jumps.
func (s *Service) PagesMayChange(page int) bool {
	conditional := map[int]bool{}
	for _, it := range s.Instrument.Items() {
		if it.Page <= page {
			continue
		}
		if _, seen := conditional[it.Page]; !seen {
			conditional[it.Page] = true
		}
		conditional[it.Page] = conditional[it.Page] && it.ShowIf != ""
	}
	for _, c := range conditional {
		if c {
			return true
		}
	}
	return false
}
