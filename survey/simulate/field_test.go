package simulate_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/canvass-survey/canvass/survey"
	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/export"
	"github.com/canvass-survey/canvass/survey/frame"
	"github.com/canvass-survey/canvass/survey/instrument"
	"github.com/canvass-survey/canvass/survey/respond"
	"github.com/canvass-survey/canvass/survey/simulate"
	"github.com/canvass-survey/canvass/survey/store/storetest"
	"github.com/canvass-survey/canvass/survey/token"
	"github.com/canvass-survey/canvass/survey/waves"
)

func options(cities int, seed uint64) simulate.Options {
	return simulate.Options{Instrument: instrument.Default(), Cities: cities, Seed: seed, ResponseRate: simulate.DefaultResponseRate}
}

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The same options give the same files, byte for byte; another seed others.
func TestWriteDirDeterministic(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	for i, dir := range dirs {
		if _, err := simulate.WriteDir(options(60, 1+uint64(i/2)), dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{simulate.FrameFile, simulate.ResponsesFile, simulate.TruthFile} {
		if !bytes.Equal(read(t, dirs[0], name), read(t, dirs[1], name)) {
			t.Errorf("%s differs for the same seed", name)
		}
		if bytes.Equal(read(t, dirs[0], name), read(t, dirs[2], name)) {
			t.Errorf("%s is the same for another seed", name)
		}
	}
}

// frame.csv is a sample frame the import accepts, and reads back to the
// frame of every case in responses.csv.
func TestFrameRoundTrips(t *testing.T) {
	dir := t.TempDir()
	if _, err := simulate.WriteDir(options(100, 3), dir); err != nil {
		t.Fatal(err)
	}
	data := read(t, dir, simulate.FrameFile)
	file, err := frame.Parse(bytes.NewReader(data), instrument.Default())
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Rows) != 500 {
		t.Fatalf("%d rows", len(file.Rows))
	}
	var again bytes.Buffer
	if err := frame.WriteCSV(&again, file.Rows); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), data) {
		t.Error("the frame read back writes another file")
	}
	i := 0
	err = simulate.Field(options(100, 3), func(c *survey.Case) error {
		if !reflect.DeepEqual(c.Frame, file.Rows[i]) {
			t.Errorf("row %d: %+v, case %+v", i, file.Rows[i], c.Frame)
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// field counts the dispositions of a field period, overall and by a key.
func field(t *testing.T, o simulate.Options, key func(*survey.Case) string) (aapor.Counts, map[string]*aapor.Counts) {
	t.Helper()
	var all aapor.Counts
	by := map[string]*aapor.Counts{}
	err := simulate.Field(o, func(c *survey.Case) error {
		code := aapor.DefaultThresholds.Code(aapor.FactsOf(c, o.Instrument))
		all.Add(code, 1)
		if by[key(c)] == nil {
			by[key(c)] = &aapor.Counts{}
		}
		by[key(c)].Add(code, 1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all, by
}

func share(n, of int) float64 { return float64(n) / float64(of) }

// The mission's field period: about 30% respond, with partials,
// break-offs, opt-outs, bounces and ineligibles in plausible shares.
func TestDispositionShares(t *testing.T) {
	c, _ := field(t, options(500, 1), func(*survey.Case) string { return "" })
	n := c.Total()
	for _, tt := range []struct {
		code   string
		got    float64
		lo, hi float64
	}{
		{"I", share(c.I, n), .20, .32},
		{"P", share(c.P, n), .003, .04},
		{"R", share(c.R, n), .03, .10},
		{"NC", share(c.NC, n), .002, .03},
		{"UO", share(c.UO, n), .55, .72},
		{"NE", share(c.NE, n), .01, .04},
	} {
		if tt.got < tt.lo || tt.got > tt.hi {
			t.Errorf("%s: %.3f of the cases, want %.3f–%.3f", tt.code, tt.got, tt.lo, tt.hi)
		}
	}
	if rr2 := *c.Rates(aapor.DefaultE(c)).RR2; rr2 < .23 || rr2 > .33 {
		t.Errorf("RR2 %.3f, want near 30%%", rr2)
	}
	t.Logf("%+v", c)
}

// Who responds is not a random subset: the response rate differs by
// department and by city size, as planted, far beyond chance at 2,500.
func TestRespondentsNotRandom(t *testing.T) {
	rr2 := func(c *aapor.Counts) float64 { return *c.Rates(aapor.DefaultE(*c)).RR2 }
	_, byDept := field(t, options(500, 1), func(c *survey.Case) string { return c.Frame.Department })
	if police, finance := rr2(byDept["Police"]), rr2(byDept["Finance"]); finance-police < .06 {
		t.Errorf("RR2 Police %.3f, Finance %.3f: want Police well below", police, finance)
	}
	_, bySize := field(t, options(500, 1), func(c *survey.Case) string {
		return map[bool]string{true: "small", false: "large"}[c.Frame.Population < 79_057]
	})
	if small, large := rr2(bySize["small"]), rr2(bySize["large"]); small-large < .03 {
		t.Errorf("RR2 small cities %.3f, large %.3f: want small well above", small, large)
	}
}

// Bad options are refused with a message, before anything is written.
func TestBadOptions(t *testing.T) {
	y := string(instrument.DefaultYAML())
	y = y[:strings.Index(y, "\nanalysis:")] // the analysis names the item too
	bare, err := instrument.Parse("bare.yaml", []byte(strings.Replace(y,
		"- {id: participation_4, text: My department has long-standing working relationships with stakeholders.}", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		o    func(*simulate.Options)
		want string
	}{
		{"negative cities", func(o *simulate.Options) { o.Cities = -5 }, "--cities -5"},
		{"rate above 1", func(o *simulate.Options) { o.ResponseRate = 1.5 }, "--response-rate 1.5"},
		{"rate NaN", func(o *simulate.Options) { o.ResponseRate = math.NaN() }, "--response-rate NaN"},
		{"items missing", func(o *simulate.Options) { o.Instrument = bare }, "no item participation_4"},
		{"outside the field period", func(o *simulate.Options) { o.Start = time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC) }, "not within the questionnaire's"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := options(10, 1)
			tt.o(&o)
			dir := filepath.Join(t.TempDir(), "out")
			if _, err := simulate.WriteDir(o, dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s was written", dir)
			}
		})
	}
}

// Into the store, the services leave the cases the files describe: the
// same dispositions, three waves done with their outbox, and cases the
// services accept — a case still to answer opens and saves.
func TestIntoStore(t *testing.T) {
	st := storetest.MustOpen(t)
	secret := []byte("a-test-secret-of-at-least-32-characters")
	o := options(12, 5)
	o.Start = time.Now().AddDate(0, 0, -simulate.FieldDays)
	tokens := func(i int) string {
		return strings.Repeat("x", 26) + string(rune('A'+i/26%26)) + string(rune('a'+i%26)) + "0000"
	}
	got, err := simulate.IntoStore(context.Background(), o, simulate.Target{Store: st, Secret: secret, Token: tokens,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	want := map[aapor.Code]int{}
	var calls staffCalls
	err = simulate.Field(o, func(c *survey.Case) error {
		want[aapor.DefaultThresholds.Code(aapor.FactsOf(c, o.Instrument))]++
		calls.add(c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Cases != 60 || got.Counts.I != want[aapor.I] || got.Counts.R != want[aapor.R] || got.Counts.UO != want[aapor.UO] || got.Counts.NE != want[aapor.NE] {
		t.Errorf("store %+v, files %v", got.Counts, want)
	}
	if stored := (staffCalls{got.Calls, got.Reached, got.Refused, got.DoNotContact}); stored != calls || calls.calls == 0 {
		t.Errorf("staff's calls in the store %+v, in the files %+v", stored, calls)
	}
	ws, err := st.WaveSummaries(context.Background(), o.Instrument.ID)
	if err != nil || len(ws) != 3 {
		t.Fatalf("%d waves, %v", len(ws), err)
	}
	for _, w := range ws {
		if w.Status != waves.StatusDone || w.Sent == 0 || w.Pending != 0 {
			t.Errorf("wave %s: %s, %+v", w.Kind, w.Status, w.Counts)
		}
	}
	cases, err := st.Cases(context.Background(), o.Instrument.ID)
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	log, err := st.Audit(context.Background(), 100_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Action == "case.contact" && e.Actor == simulate.Staff {
			audited++
		}
	}
	if audited != calls.calls {
		t.Errorf("%d calls in the audit log, %d on the cases", audited, calls.calls)
	}
	if _, err := export.WriteCSV(io.Discard, o.Instrument, cases, export.Options{Thresholds: aapor.DefaultThresholds}); err != nil {
		t.Fatal(err)
	}
	resp := &respond.Service{Store: st, Instrument: o.Instrument, Hasher: token.NewHasher(secret), Now: time.Now}
	for i := range 60 {
		v, err := resp.Open(context.Background(), tokens(i))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if v.Case.Status == survey.StatusNew && !v.Case.Bounced() && v.Case.Mark == nil {
			if _, err := resp.Save(context.Background(), tokens(i), respond.Save{Set: instrument.Answers{"years_in_position": 3.0}}); err != nil {
				t.Errorf("a case still to answer refuses a save: %v", err)
			}
			return
		}
	}
	t.Error("no case is still to answer")
}

// staffCalls counts the staff's phone follow-up: the calls logged, and
// the cases reached, marked refused and on the do-not-contact list.
type staffCalls struct{ calls, reached, refused, doNotContact int }

func (s *staffCalls) add(c *survey.Case) {
	for _, ct := range c.Contacts {
		if ct.Mode == survey.ModePhone {
			s.calls++
		}
	}
	if c.Reached() {
		s.reached++
	}
	if c.Mark != nil && c.Mark.Code == string(aapor.Refused) {
		s.refused++
	}
	if c.DoNotContact != nil {
		s.doNotContact++
	}
}

// After the last reminder staff phone some of those who have not started:
// in office hours on weekdays, each call to a person not started by then,
// with every outcome; some reached refuse and are marked so, one or two
// ask to be put on the do-not-contact list. Reached persons count as
// contacted (R). The same seed gives the same calls.
func TestPhoneFollowUp(t *testing.T) {
	o := options(300, 1) // the demo's
	o.Start = time.Date(2026, 11, 3, 15, 56, 2, 0, time.UTC)
	last := o.Start.Add(time.Hour).AddDate(0, 0, 14)
	loc := o.Instrument.FieldPeriod.Location()
	outcomes := map[string]int{}
	var calls staffCalls
	var dnc []string
	err := simulate.Field(o, func(c *survey.Case) error {
		calls.add(c)
		for _, ct := range c.Contacts {
			if ct.Mode != survey.ModePhone {
				continue
			}
			outcomes[ct.Status]++
			local := ct.At.In(loc)
			if !ct.At.After(last) || !ct.At.Before(o.End()) || local.Weekday() == time.Saturday || local.Weekday() == time.Sunday ||
				local.Hour() < 9 || local.Hour()*60+local.Minute() > 16*60+30 || ct.By != simulate.Staff {
				t.Errorf("%s: a call at %s by %q", c.ID, local.Format(time.RFC1123), ct.By)
			}
			if c.StartedAt != nil && c.StartedAt.Before(ct.At) || c.OptedOutAt != nil && c.OptedOutAt.Before(ct.At) {
				t.Errorf("%s: called at %s, after the person started or opted out", c.ID, ct.At)
			}
		}
		if c.Mark != nil && c.Mark.Code == string(aapor.Refused) && (!c.Reached() || c.Status != survey.StatusNew) {
			t.Errorf("%s: refused, but %s and reached %v", c.ID, c.Status, c.Reached())
		}
		if c.Reached() && c.Status == survey.StatusNew {
			if code := aapor.DefaultThresholds.Code(aapor.FactsOf(c, o.Instrument)); code != aapor.R {
				t.Errorf("%s: reached, never started, is %s", c.ID, code)
			}
		}
		if c.DoNotContact != nil {
			dnc = append(dnc, c.ID)
			if c.Mark == nil || c.Mark.Code != string(aapor.Refused) {
				t.Errorf("%s: on the do-not-contact list, marked %+v", c.ID, c.Mark)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{survey.OutcomeReached, survey.OutcomeLeftMessage, survey.OutcomeNoAnswer, survey.OutcomeUndeliverable} {
		if outcomes[out] < 5 {
			t.Errorf("%d calls %s: %v", outcomes[out], out, outcomes)
		}
	}
	if calls.calls < 100 || calls.calls > 250 || calls.refused < 5 || calls.refused > 30 || len(dnc) < 1 || len(dnc) > 3 {
		t.Errorf("%+v, on the do-not-contact list %v", calls, dnc)
	}
	var again staffCalls
	if err := simulate.Field(o, func(c *survey.Case) error { again.add(c); return nil }); err != nil || again != calls {
		t.Errorf("again %+v, first %+v, %v", again, calls, err)
	}
	t.Logf("%+v, outcomes %v, on the do-not-contact list %v", calls, outcomes, dnc)
}

func FuzzParseStart(f *testing.F) {
	in := instrument.Default()
	for _, s := range []string{"", "2026-11-03", "2026-13-01", "yesterday", "2026-02-30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, err := simulate.ParseStart(in, s)
		if err == nil && s != "" && (start.Hour() != 8 || start.Location() != in.FieldPeriod.Location()) {
			t.Errorf("%q: %v", s, start)
		}
	})
}
