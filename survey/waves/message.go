package waves

import (
	"bytes"
	"errors"
	"fmt"
	htemplate "html/template"
	"strings"
	ttemplate "text/template"
	"text/template/parse"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// Fields are the merge fields a template may use, as {{.Name}} and so on.
type Fields struct {
	Name        string
	Title       string
	City        string
	Link        string // the personal link
	OptOutLink  string // the personal link's opt-out page
	ClosingDate string // the last day of the field period, in the survey's zone
	// Who runs the survey and whom to ask, from the questionnaire: the
	// signature that tells a reader the link is not phishing.
	Institution  string
	Investigator string
	ContactName  string
	ContactEmail string
	ContactPhone string // may be empty
}

// mergeFields lists the names of Fields, for checking templates and for
// saying what is allowed.
var mergeFields = []string{"Name", "Title", "City", "Link", "OptOutLink", "ClosingDate",
	"Institution", "Investigator", "ContactName", "ContactEmail", "ContactPhone"}

// FieldsFor gives the merge fields of a case, whose personal token is tok,
// in the survey in. The field period's end is excluded, so the closing
// date is the day before when the period ends at midnight.
func FieldsFor(c *survey.Case, baseURL, tok string, in *instrument.Instrument) Fields {
	link := strings.TrimRight(baseURL, "/") + "/s/" + tok
	fp := in.FieldPeriod
	return Fields{
		Name:         c.Frame.Name,
		Title:        c.Frame.Title,
		City:         c.Frame.City,
		Link:         link,
		OptOutLink:   link + "/optout",
		ClosingDate:  fp.Closes.Add(-time.Nanosecond).In(fp.Location()).Format("Monday, January 2, 2006"),
		Institution:  in.Sponsor.Institution,
		Investigator: in.Sponsor.PrincipalInvestigator,
		ContactName:  in.Contact.Name,
		ContactEmail: in.Contact.Email,
		ContactPhone: in.Contact.Phone,
	}
}

// PreviewToken stands for a personal token in previews: staff never see a
// respondent's real link.
const PreviewToken = "PERSONAL-TOKEN"

// Message is one rendered email.
type Message struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// Templates are a wave's subject, text and HTML templates, parsed and
// checked: plain text around merge fields and {{if .Field}}…{{else}}…{{end}},
// nothing else, so that rendering cannot fail or run long once they pass.
type Templates struct {
	subject, text *ttemplate.Template
	html          *htemplate.Template
}

// Parse parses and checks the three templates; a problem is an EINVALID
// error naming the field ("subject", "text" or "html").
func Parse(subject, text, html string) (*Templates, *survey.Error) {
	fields := map[string]string{}
	t := &Templates{}
	var err error
	if err = checkSource(subject); err == nil {
		t.subject, err = ttemplate.New("subject").Parse(subject)
	}
	if err != nil {
		fields["subject"] = err.Error()
	}
	if err = checkSource(text); err == nil {
		t.text, err = ttemplate.New("text").Parse(text)
	}
	if err != nil {
		fields["text"] = err.Error()
	}
	if err = checkSource(html); err == nil {
		t.html, err = htemplate.New("html").Parse(html)
	}
	if err == nil {
		// html/template finds some problems (a merge field where no value
		// can go safely) only when it first runs.
		err = t.html.Execute(&bytes.Buffer{}, sampleFields)
	}
	if err != nil {
		fields["html"] = err.Error()
	}
	if len(fields) > 0 {
		return nil, survey.FieldErrors("A template is not valid", fields)
	}
	return t, nil
}

// sampleFields fill previews when no case is selected, and check that
// templates run.
var sampleFields = Fields{
	Name: "Alex Sample", Title: "Director", City: "Springfield",
	Link: "https://survey.example/s/" + PreviewToken, OptOutLink: "https://survey.example/s/" + PreviewToken + "/optout",
	ClosingDate: "Friday, December 31, 2027", Institution: "Example University", Investigator: "Dr. Sam Example",
	ContactName: "Survey team", ContactEmail: "survey@example.edu", ContactPhone: "+1 480-555-0100",
}

// SampleFields returns made-up merge fields, for a preview with no case.
func SampleFields() Fields { return sampleFields }

// checkSource allows one template (no {{define}}) made of text, merge
// fields and conditions on merge fields. It parses the source itself, with
// comments kept: the template packages drop {{/* … */}} silently, and a
// comment is an action like any other that the README does not allow.
func checkSource(src string) error {
	tree := parse.New("check")
	tree.Mode = parse.ParseComments | parse.SkipFuncCheck
	set := map[string]*parse.Tree{}
	if _, err := tree.Parse(src, "", "", set); err != nil {
		return err
	}
	if len(set) > 1 {
		return errOnly
	}
	if tree.Root == nil {
		return nil
	}
	return checkNode(tree.Root)
}

var errOnly = errors.New("only text, merge fields such as {{.Name}} and {{if .Title}}…{{end}} are allowed; the fields are " + allowedFields())

func allowedFields() string {
	var b strings.Builder
	for i, f := range mergeFields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("{{." + f + "}}")
	}
	return b.String()
}

func checkNode(n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			if err := checkNode(c); err != nil {
				return err
			}
		}
		return nil
	case *parse.TextNode:
		return nil
	case *parse.ActionNode:
		return checkPipe(n.Pipe)
	case *parse.IfNode:
		if err := checkPipe(n.Pipe); err != nil {
			return err
		}
		if err := checkNode(n.List); err != nil {
			return err
		}
		if n.ElseList != nil {
			return checkNode(n.ElseList)
		}
		return nil
	}
	return errOnly
}

// checkPipe allows exactly one merge field, as {{.Name}}.
func checkPipe(p *parse.PipeNode) error {
	if len(p.Decl) == 0 && len(p.Cmds) == 1 && len(p.Cmds[0].Args) == 1 {
		if f, ok := p.Cmds[0].Args[0].(*parse.FieldNode); ok && len(f.Ident) == 1 {
			for _, name := range mergeFields {
				if f.Ident[0] == name {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("{{%s}} is not a merge field; the fields are %s", p, allowedFields())
}

// Render makes the message for one case. The subject is one line whatever
// the merge fields hold, so a name cannot add a header.
func (t *Templates) Render(f Fields) (Message, error) {
	var subject, text, html strings.Builder
	if err := t.subject.Execute(&subject, f); err != nil {
		return Message{}, err
	}
	if err := t.text.Execute(&text, f); err != nil {
		return Message{}, err
	}
	if err := t.html.Execute(&html, f); err != nil {
		return Message{}, err
	}
	return Message{Subject: strings.Join(strings.Fields(subject.String()), " "), Text: text.String(), HTML: html.String()}, nil
}

// Default is a kind's templates when staff give none.
type Default struct{ Subject, Text, HTML string }

// Defaults returns the default templates of a kind (the invitation's for
// an unknown kind, so a draft can still be checked field by field).
func Defaults(kind string) Default {
	if kind == KindReminder {
		return defaultReminder
	}
	return defaultInvitation
}

var defaultInvitation = Default{
	Subject: "Your view of local government: a national survey of city managers",
	Text: `Dear {{.Name}},

We are writing to ask for your help with a national study of how local governments work. You were chosen{{if .Title}} as {{.Title}}{{end}}{{if .City}} in {{.City}}{{end}}, one of a small number of public managers selected to represent cities across the United States, and no one else can answer in your place.

The questionnaire takes about fifteen minutes. You can stop at any time and come back later through the same link: your answers are saved as you go. Your answers are confidential and are reported only in summaries.

Your personal link:
{{.Link}}

Please answer by {{.ClosingDate}}. The link is yours alone, so please do not forward this message.

If you would rather not take part, tell us here and we will not write to you again:
{{.OptOutLink}}

Thank you for your time,
{{.Investigator}}, principal investigator
{{.Institution}}

Questions about the survey or your answers: {{.ContactName}}, {{.ContactEmail}}{{if .ContactPhone}}, {{.ContactPhone}}{{end}}
`,
	HTML: `<p>Dear {{.Name}},</p>
<p>We are writing to ask for your help with a national study of how local governments work. You were chosen{{if .Title}} as {{.Title}}{{end}}{{if .City}} in {{.City}}{{end}}, one of a small number of public managers selected to represent cities across the United States, and no one else can answer in your place.</p>
<p>The questionnaire takes about fifteen minutes. You can stop at any time and come back later through the same link: your answers are saved as you go. Your answers are confidential and are reported only in summaries.</p>
<p><a href="{{.Link}}">Take the survey</a></p>
<p>Please answer by {{.ClosingDate}}. The link is yours alone, so please do not forward this message.</p>
<p>If you would rather not take part, <a href="{{.OptOutLink}}">tell us here</a> and we will not write to you again.</p>
<p>Thank you for your time,<br>{{.Investigator}}, principal investigator<br>{{.Institution}}</p>
<p>Questions about the survey or your answers: {{.ContactName}}, <a href="mailto:{{.ContactEmail}}">{{.ContactEmail}}</a>{{if .ContactPhone}}, {{.ContactPhone}}{{end}}</p>
`,
}

var defaultReminder = Default{
	Subject: "A reminder: your view of local government",
	Text: `Dear {{.Name}},

A little while ago we invited you to take part in a national survey of public managers. If you have already started, thank you: the link below takes you back to where you stopped.

Your answer matters because you speak for{{if .City}} {{.City}} and{{end}} cities like it; no one else can answer in your place. The questionnaire takes about fifteen minutes.

Your personal link:
{{.Link}}

The survey closes on {{.ClosingDate}}.

If you would rather not take part, tell us here and we will not write to you again:
{{.OptOutLink}}

With thanks,
{{.Investigator}}, principal investigator
{{.Institution}}

Questions about the survey or your answers: {{.ContactName}}, {{.ContactEmail}}{{if .ContactPhone}}, {{.ContactPhone}}{{end}}
`,
	HTML: `<p>Dear {{.Name}},</p>
<p>A little while ago we invited you to take part in a national survey of public managers. If you have already started, thank you: the link below takes you back to where you stopped.</p>
<p>Your answer matters because you speak for{{if .City}} {{.City}} and{{end}} cities like it; no one else can answer in your place. The questionnaire takes about fifteen minutes.</p>
<p><a href="{{.Link}}">Continue the survey</a></p>
<p>The survey closes on {{.ClosingDate}}.</p>
<p>If you would rather not take part, <a href="{{.OptOutLink}}">tell us here</a> and we will not write to you again.</p>
<p>With thanks,<br>{{.Investigator}}, principal investigator<br>{{.Institution}}</p>
<p>Questions about the survey or your answers: {{.ContactName}}, <a href="mailto:{{.ContactEmail}}">{{.ContactEmail}}</a>{{if .ContactPhone}}, {{.ContactPhone}}{{end}}</p>
`,
}
