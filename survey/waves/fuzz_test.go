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

// FuzzCheckIdempotencyKey: a header the check accepts is 1 to 255 visible
// ASCII characters, which may go into an id; everything else is refused
// with the header named.
func FuzzCheckIdempotencyKey(f *testing.F) {
	for _, seed := range []string{"", "3f2b8c1e-9d4a-4e57-b1c2-7a8d9e0f1a2b", "a b", "ключ", strings.Repeat("k", 256), "$where", "a.b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := CheckIdempotencyKey(key)
		visible := len(key) >= 1 && len(key) <= 255 && strings.IndexFunc(key, func(r rune) bool { return r <= ' ' || r >= 0x7f }) < 0
		if (err == nil) != visible {
			t.Fatalf("key %q: error %v", key, err)
		}
		if err != nil && !strings.Contains(err.Error(), "Idempotency-Key") {
			t.Fatalf("the error does not name the header: %v", err)
		}
	})
}
