package server

import (
	"maps"
	"slices"

	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/respond"
)

// merged returns a copy of a with set applied and clear removed.
func merged(a, set instrument.Answers, clear []string) instrument.Answers {
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

// shownOnPage reports whether the page should show item it: it is visible,
// or its condition reads an item of the same page, whose answer the person
// may be about to give (an answer to it that does not apply once the page
// is posted is not kept, and the page says so).
func shownOnPage(it instrument.Item, visible map[string]bool, in *instrument.Instrument) bool {
	return visible[it.ID] || readsOwnPage(it, in)
}

// readsOwnPage reports whether item it's condition reads an item of its
// own page.
func readsOwnPage(it instrument.Item, in *instrument.Instrument) bool {
	for _, ref := range it.Refs {
		if r, ok := in.Item(ref); ok && r.Page == it.Page {
			return true
		}
	}
	return false
}

// visiblePages lists the indexes of the pages that show at least one item.
func (s *Server) visiblePages(a instrument.Answers, visible map[string]bool) []int {
	var pages []int
	for _, it := range s.Instrument.Items() {
		if shownOnPage(it, visible, s.Instrument) && !slices.Contains(pages, it.Page) {
			pages = append(pages, it.Page)
		}
	}
	return pages
}

// neighbour is where an action on page leads: the next shown page (or the
// review after the last), the previous one (or the first), or page itself.
func (s *Server) neighbour(a instrument.Answers, page int, action string) string {
	pages := s.visiblePages(a, s.Instrument.Visible(a))
	switch action {
	case "next":
		for _, p := range pages {
			if p > page {
				return s.Instrument.Pages[p].ID
			}
		}
		return "review"
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

// resumePage is where the link takes a started case: the page it saved
// last, if the answers still show it, else the first page.
func (s *Server) resumePage(v *respond.View) string {
	pages := s.visiblePages(v.Answers, v.Visible)
	if v.Case.Page == "review" {
		return "review"
	}
	if i := s.pageIndex(v.Case.Page); i >= 0 && slices.Contains(pages, i) {
		return v.Case.Page
	}
	if len(pages) == 0 {
		return "review"
	}
	return s.Instrument.Pages[pages[0]].ID
}

// pagesMayChange reports whether a page after page may still appear or
// disappear with the answers (every item on it has a condition), so that a
// page count can say "about" instead of a number that later jumps.
func (s *Server) pagesMayChange(page int) bool {
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
