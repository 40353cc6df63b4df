package waves

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds staff-written templates to the checker: it never
// panics, and whatever it accepts renders without error and without
// running long, since only text, fields and conditions pass.
func FuzzParse(f *testing.F) {
	for _, d := range []Default{defaultInvitation, defaultReminder} {
		f.Add(d.Subject, d.Text, d.HTML)
	}
	f.Add("{{.Name", "{{range 9}}{{end}}", `<a href="{{.Link}}">`)
	f.Add("{{if .Title}}{{else if .City}}{{end}}", "{{$x := .Name}}", `<script>{{.Name}}</script>`)
	f.Fuzz(func(t *testing.T, subject, text, html string) {
		tpl, err := Parse(subject, text, html)
		if err != nil {
			if len(err.Fields) == 0 {
				t.Fatalf("an error naming no field: %v", err)
			}
			return
		}
		start := time.Now()
		m, rerr := tpl.Render(Fields{Name: "N", Title: "T", City: "C", Link: "https://x.example/s/t", OptOutLink: "https://x.example/s/t/optout", ClosingDate: "D"})
		if rerr != nil {
			t.Fatalf("an accepted template fails to render: %v", rerr)
		}
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Fatalf("subject %q has a line break", m.Subject)
		}
		if time.Since(start) > time.Second {
			t.Fatal("rendering took over a second")
		}
	})
}
