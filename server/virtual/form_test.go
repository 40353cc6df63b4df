package virtual

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/canvass-survey/canvass/survey/instrument"
)

// A page as page.html renders it: a radio question whose answer reveals a
// follow-up, a number with "prefer not to say", a menu and a matrix of
// radio rows with "don't know".
const page = `<html><body>
<form method="get" action="/search"><input name="q"></form>
<form method="post" action="/s/tok/page/policies" novalidate>
<input type="hidden" name="shown" value="1796144929454">
<fieldset><input type="radio" name="open_data_policy" value="1" data-aria-controls="conditional-open_data_policy_year">
<input type="radio" name="open_data_policy" value="0">
<input type="radio" name="open_data_policy" value="dont_know" data-exclusive></fieldset>
<div class="conditional" id="conditional-open_data_policy_year" data-controller="open_data_policy" data-values="1">
<input class="short" type="text" inputmode="decimal" name="open_data_policy_year" value="">
<input type="checkbox" name="open_data_policy_year" value="dont_know"></div>
<div class="conditional" id="conditional-x"><p class="condition">If it applies given your answers above:</p>
<input type="text" name="unexplained" value=""></div>
<select name="staff_supervised"><option value="">Choose…</option><option value="0">None</option><option value="4">More</option></select>
<input type="checkbox" name="social_media_use" value="1"><input type="checkbox" name="social_media_use" value="2">
<input type="checkbox" name="social_media_use" value="0" data-exclusive>
<textarea name="comments"></textarea>
<button type="submit" name="action" value="next">Next</button>
</form></body></html>`

func TestParseForm(t *testing.T) {
	f, err := parseForm(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if f.action != "/s/tok/page/policies" || len(f.hidden) != 1 || f.hidden[0] != [2]string{"shown", "1796144929454"} {
		t.Fatalf("action %q, hidden %v", f.action, f.hidden)
	}
	var names []string
	for _, fd := range f.fields {
		names = append(names, fd.name)
	}
	want := []string{"open_data_policy", "open_data_policy_year", "unexplained", "staff_supervised", "social_media_use", "comments"}
	if !slices.Equal(names, want) {
		t.Fatalf("fields %v, want %v", names, want)
	}
	year := f.fields[1]
	if year.text != "number" || len(year.choices) != 1 || !year.followUp || year.controller != "open_data_policy" || !slices.Equal(year.values, []string{"1"}) {
		t.Errorf("the follow-up: %+v", year)
	}
	if u := f.fields[2]; !u.followUp || u.controller != "" {
		t.Errorf("a follow-up without a controller: %+v", u)
	}
	if menu := f.fields[3]; len(menu.choices) != 2 || menu.multiple {
		t.Errorf("the menu: %+v", menu)
	}
}

// The respondent answers what the page shows: a follow-up only when its
// answer reveals it, one exclusive choice alone, numbers in range, and
// never a follow-up whose condition the page does not spell out.
func TestFill(t *testing.T) {
	f, err := parseForm(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	in := instrument.Default()
	for seed := range uint64(200) {
		r := &Respondent{Rng: rand.New(rand.NewPCG(seed, 1)), In: in}
		v := r.fill(f)
		if v.Get("shown") != "1796144929454" || v.Has("unexplained") || len(v["open_data_policy"]) != 1 || len(v["staff_supervised"]) != 1 {
			t.Fatalf("seed %d: %v", seed, v)
		}
		if revealed := v.Get("open_data_policy") == "1"; revealed != v.Has("open_data_policy_year") {
			t.Fatalf("seed %d: policy %q, year %q", seed, v.Get("open_data_policy"), v["open_data_policy_year"])
		}
		if year := v.Get("open_data_policy_year"); year != "" && year != "dont_know" && (year < "1990" || year > "2027") {
			t.Fatalf("seed %d: year %q out of range", seed, year)
		}
		if media := v["social_media_use"]; len(media) == 0 || (slices.Contains(media, "0") && len(media) > 1) {
			t.Fatalf("seed %d: social media %v", seed, media)
		}
	}
}
