package fieldperiod_test

import (
	"context"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/fieldperiod"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/store/storetest"
)

// The default questionnaire: open from 2026-01-01 to 2027-12-31T23:59:59 in Phoenix.
var (
	in     = instrument.Default()
	loc    = in.FieldPeriod.Location()
	inside = time.Date(2026, 6, 1, 9, 0, 0, 0, loc)
)

func TestPeriodClosed(t *testing.T) {
	until := time.Date(2026, 6, 8, 9, 0, 0, 0, loc)
	p := fieldperiod.Of(in.FieldPeriod, &fieldperiod.Setting{PausedUntil: &until})
	for _, tc := range []struct {
		at    time.Time
		title string
	}{
		{time.Date(2025, 12, 31, 23, 59, 0, 0, loc), "The survey is not open yet"},
		{inside, "Collection is paused"},
		{until, ""},
		{time.Date(2027, 12, 31, 23, 59, 58, 0, loc), ""},
		{time.Date(2027, 12, 31, 23, 59, 59, 0, loc), "The survey has closed"},
	} {
		title, why := p.Closed(tc.at)
		if title != tc.title || p.Open(tc.at) != (title == "") || (title == "") != (why == "") {
			t.Errorf("at %v: %q %q, open %v; want %q", tc.at, title, why, p.Open(tc.at), tc.title)
		}
		if err := p.Refusal(tc.at); (err == nil) != (tc.title == "") || (err != nil && survey.ErrorCode(err) != survey.ECLOSED) {
			t.Errorf("at %v: refusal %v", tc.at, err)
		}
	}
	if _, why := p.Closed(inside); why != "Collection is paused until Monday, June 8, 2026 at 9:00 AM MST. Your answers so far are kept; please come back then with the same link." {
		t.Errorf("paused: %q", why)
	}
}

// A change made on one instance is in force there at once, and on another
// once the period it read is MaxAge old; a change is checked against the
// period as stored, whoever made it.
func TestKeeper(t *testing.T) {
	ctx := context.Background()
	st := storetest.MustOpen(t)
	wall := inside
	here := &fieldperiod.Keeper{Store: st, Instrument: in}
	there := &fieldperiod.Keeper{Store: st, Instrument: in, Wall: func() time.Time { return wall }}
	if p, err := there.Current(ctx); err != nil || !p.Closes.Equal(in.FieldPeriod.Closes) || p.UpdatedAt != nil {
		t.Fatalf("before any change: %+v, %v", p, err)
	}
	p, err := here.Change(ctx, fieldperiod.Change{Closes: "2028-01-31T17:00"}, "pi@example.org", inside)
	want := time.Date(2028, 1, 31, 17, 0, 0, 0, loc)
	if err != nil || !p.Closes.Equal(want) || p.UpdatedBy != "pi@example.org" {
		t.Fatalf("change: %+v, %v", p, err)
	}
	if p, _ := here.Current(ctx); !p.Closes.Equal(want) {
		t.Errorf("here: closes %v, want %v at once", p.Closes, want)
	}
	if p, _ := there.Current(ctx); !p.Closes.Equal(in.FieldPeriod.Closes) {
		t.Errorf("there, at once: closes %v; want the period it read, for MaxAge", p.Closes)
	}
	wall = wall.Add(fieldperiod.MaxAge)
	if p, _ := there.Current(ctx); !p.Closes.Equal(want) {
		t.Errorf("there, MaxAge later: closes %v, want %v", p.Closes, want)
	}
	// A pause past the close the other instance set is refused there too.
	_, err = there.Change(ctx, fieldperiod.Change{PausedUntil: "2028-02-01T09:00"}, "pi2@example.org", inside)
	if e, ok := err.(*survey.Error); !ok || e.Fields["paused_until"] == "" {
		t.Errorf("a pause past the close: %v", err)
	}
	if in, err := here.InForce(ctx); err != nil || !in.FieldPeriod.Closes.Equal(want) || instrument.Default().FieldPeriod.Closes.Equal(want) {
		t.Errorf("the instrument in force closes %v, %v", in.FieldPeriod.Closes, err)
	}
}

// Whatever a PI types, a change is refused with a field named or leaves a
// period that opens before it closes and closes after now.
func FuzzChange(f *testing.F) {
	for _, s := range []string{"", "2028-02-29", "2026-06-08T09:00", "2026-06-08T09:00:00Z", "2025-01-01", "soon", "2026-13-01"} {
		f.Add(s, s, false)
	}
	st := storetest.MustOpen(f)
	f.Fuzz(func(t *testing.T, closes, until string, resume bool) {
		k := &fieldperiod.Keeper{Store: st, Instrument: in}
		p, err := k.Change(context.Background(), fieldperiod.Change{Closes: closes, PausedUntil: until, Resume: resume}, "pi@example.org", inside)
		if err != nil {
			if e, ok := err.(*survey.Error); !ok || e.Code != survey.EINVALID || len(e.Fields) == 0 {
				t.Fatalf("%q %q %v: %v", closes, until, resume, err)
			}
			return
		}
		if !p.Opens.Before(p.Closes) || !p.Closes.After(inside) || (p.PausedUntil != nil && !p.PausedUntil.Before(p.Closes)) {
			t.Fatalf("%q %q %v: %+v", closes, until, resume, p)
		}
	})
}
