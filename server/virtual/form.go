package virtual

import (
	"io"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// form is a page's form as a browser without scripts sees it: where it
// posts, its hidden fields, and its questions in page order.
type form struct {
	action string
	hidden [][2]string
	fields []*formField
}

// formField is one name the form posts: a text box (number or words), a
// set of radio buttons or check boxes, or a menu — or a text box with a
// check box of the same name ("prefer not to say").
type formField struct {
	name     string
	text     string // "number", "text" or "textarea"; empty: choices only
	choices  []choice
	multiple bool // check boxes
	// Shown only when the controller's answer is one of values: a
	// follow-up the page reveals. A follow-up whose condition the page
	// does not spell out is left alone, as a person would skip it.
	controller string
	values     []string
	followUp   bool
}

type choice struct {
	value     string
	exclusive bool // "none of these", "don't know": the only one ticked
}

// parseForm reads the first POST form of a page.
func parseForm(page io.Reader) (*form, error) {
	doc, err := html.Parse(page)
	if err != nil {
		return nil, err
	}
	f := &form{}
	var walk func(n *html.Node, in bool, cond *formField)
	walk = func(n *html.Node, in bool, cond *formField) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "form" && attr(n, "method") == "post" && f.action == "":
				f.action, in = attr(n, "action"), true
			case n.Data == "div" && hasClass(n, "conditional"):
				cond = &formField{followUp: true, controller: attr(n, "data-controller"), values: strings.Fields(attr(n, "data-values"))}
			case in:
				f.add(n, cond)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in, cond)
		}
	}
	walk(doc, false, nil)
	return f, nil
}

// add records an input, menu or text area of the form; the buttons are
// the respondent's to press.
func (f *form) add(n *html.Node, cond *formField) {
	name := attr(n, "name")
	if name == "" {
		return
	}
	kind := n.Data
	if n.Data == "input" {
		kind = attr(n, "type")
		if attr(n, "inputmode") == "decimal" {
			kind = "number"
		}
	}
	switch kind {
	case "hidden":
		f.hidden = append(f.hidden, [2]string{name, attr(n, "value")})
	case "number", "text", "textarea":
		f.field(name, cond).text = kind
	case "radio", "checkbox":
		fd := f.field(name, cond)
		fd.multiple = kind == "checkbox"
		_, exclusive := attrOK(n, "data-exclusive")
		fd.choices = append(fd.choices, choice{value: attr(n, "value"), exclusive: exclusive})
	case "select":
		fd := f.field(name, cond)
		for o := n.FirstChild; o != nil; o = o.NextSibling {
			if o.Type == html.ElementNode && o.Data == "option" && attr(o, "value") != "" {
				fd.choices = append(fd.choices, choice{value: attr(o, "value")})
			}
		}
	}
}

// field is the form's field of that name, added on first sight.
func (f *form) field(name string, cond *formField) *formField {
	i := slices.IndexFunc(f.fields, func(fd *formField) bool { return fd.name == name })
	if i >= 0 {
		return f.fields[i]
	}
	fd := &formField{name: name}
	if cond != nil {
		fd.followUp, fd.controller, fd.values = true, cond.controller, cond.values
	}
	f.fields = append(f.fields, fd)
	return fd
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}
