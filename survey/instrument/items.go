package instrument

import (
	"maps"
	"strconv"

	"github.com/expr-lang/expr"
)

// Item is one answerable question: a question as written, or one row of a
// matrix. Answers are keyed by Item.ID.
type Item struct {
	ID        string
	Type      string // one of the question types; a matrix row has Type Matrix
	Text      string
	Help      string
	Required  bool
	Options   []Option // choice types; a matrix row shares its matrix's
	Min, Max  *float64 // number only; nil: unbounded
	Integer   bool     // number only
	MaxLength int      // text and textarea only, in characters
	ShowIf    string   // the effective condition: the page's and the question's, joined by &&
	// ShowIfText is the question's condition in words ("your city has a
	// formal open data policy"), empty if the file gives none.
	ShowIfText string
	DontKnow   bool
	PreferNot  bool
	Group      string // a matrix row: the matrix's id
	GroupText  string // a matrix row: the matrix's text
	Page       int    // index in Instrument.Pages
	Refs       []string
}

// Items returns every answerable item in questionnaire order. The slice is
// shared: callers must not modify it.
func (in *Instrument) Items() []Item { return in.items }

// Item returns the item with the given id.
func (in *Instrument) Item(id string) (Item, bool) {
	i, ok := in.index[id]
	if !ok {
		return Item{}, false
	}
	return in.items[i], true
}

// PageItems returns the items of page (an index into Pages), in order; none
// for a page out of range.
func (in *Instrument) PageItems(page int) []Item {
	var items []Item
	for _, it := range in.items {
		if it.Page == page {
			items = append(items, it)
		}
	}
	return items
}

// hasOption reports whether code is one of the item's option values.
func (it Item) hasOption(code int) bool {
	for _, o := range it.Options {
		if o.Value == code {
			return true
		}
	}
	return false
}

// allows reports whether the item accepts the special answer s.
func (it Item) allows(s string) bool {
	return s == DontKnow && it.DontKnow || s == PreferNotToSay && it.PreferNot
}

// Visible tells for every item whether it is shown, given the answers.
//
// Conditions read only earlier items, so one pass in questionnaire order
// settles them all; an answer to an item already found hidden reads as
// unanswered (nil), so a hidden answer never keeps anything visible. An
// expression that fails at run time — "years > 5" while years is nil or
// "dont_know" — counts as false: the item is hidden.
func (in *Instrument) Visible(a Answers) map[string]bool {
	env := make(map[string]any, len(in.items))
	for _, it := range in.items {
		env[it.ID] = nil
	}
	shown := make(map[string]bool, len(in.items))
	for i, it := range in.items {
		shown[it.ID] = in.conds[i].holds(env)
		if v, ok := a[it.ID]; ok && shown[it.ID] {
			env[it.ID] = v
		}
	}
	return shown
}

func (c condition) holds(env map[string]any) bool {
	for _, p := range c.progs {
		out, err := expr.Run(p, env)
		if b, ok := out.(bool); err != nil || !ok || !b {
			return false
		}
	}
	return true
}

// Clean deletes from a the answers to items that a hides, and returns their
// ids in questionnaire order.
func (in *Instrument) Clean(a Answers) (cleared []string) {
	shown := in.Visible(a)
	for _, it := range in.items {
		if _, ok := a[it.ID]; ok && !shown[it.ID] {
			delete(a, it.ID)
			cleared = append(cleared, it.ID)
		}
	}
	return cleared
}

// Missing returns the required visible items that a leaves unanswered, in
// questionnaire order.
func (in *Instrument) Missing(a Answers) []string {
	shown := in.Visible(a)
	var missing []string
	for _, it := range in.items {
		if _, ok := a[it.ID]; !ok && it.Required && shown[it.ID] {
			missing = append(missing, it.ID)
		}
	}
	return missing
}

// Completion counts the visible items (applicable) and those of them that
// a answers (answered), required or not, as aapor.completeness says: under
// Substantive a "prefer not to say" is not an answer, under AnyAnswer it
// is; "don't know" always is.
func (in *Instrument) Completion(a Answers) (answered, applicable int) {
	for id, shown := range in.Visible(a) {
		if !shown {
			continue
		}
		applicable++
		if v, ok := a[id]; ok && (v != PreferNotToSay || in.AAPOR.Completeness == AnyAnswer) {
			answered++
		}
	}
	return answered, applicable
}

// PageIndex is the index of the page with the given id, -1 for none.
func (in *Instrument) PageIndex(id string) int {
	for i, p := range in.Pages {
		if p.ID == id {
			return i
		}
	}
	return -1
}

// RevealedBy tells, for an item whose condition reads exactly one other
// item of its own page, which answers to that item show it, the other
// answers being those in a: the controlling item's id and the answers as a
// form posts them (option codes, special answers). It is what lets a page
// reveal a follow-up as soon as the answer it depends on is chosen. ok is
// false when the condition reads no item of the page or several, or one
// whose answers cannot be listed (a number, a text, several check boxes).
func (in *Instrument) RevealedBy(id string, a Answers) (controller string, values []string, ok bool) {
	it, found := in.Item(id)
	if !found {
		return "", nil, false
	}
	for _, ref := range it.Refs {
		if r, _ := in.Item(ref); r.Page == it.Page {
			if controller != "" {
				return "", nil, false
			}
			controller = ref
		}
	}
	c, _ := in.Item(controller)
	if controller == "" || (c.Type != Single && c.Type != Dropdown && c.Type != Matrix) {
		return "", nil, false
	}
	try := maps.Clone(a)
	if try == nil {
		try = Answers{}
	}
	reveals := func(v any) bool {
		try[controller] = v
		return in.Visible(try)[id]
	}
	for _, o := range c.Options {
		if reveals(o.Value) {
			values = append(values, strconv.Itoa(o.Value))
		}
	}
	for _, sp := range []string{DontKnow, PreferNotToSay} {
		if c.allows(sp) && reveals(sp) {
			values = append(values, sp)
		}
	}
	return controller, values, true
}
