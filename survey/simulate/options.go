package simulate

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/canvass-survey/canvass/survey/instrument"
)

// Options say what field period to simulate.
type Options struct {
	Instrument *instrument.Instrument
	// Cities is how many cities the frame has; each has one person per
	// department of the instrument.
	Cities int
	Seed   uint64
	// ResponseRate is the mean response propensity: the share of the
	// deliverable, eligible persons who start the questionnaire.
	ResponseRate float64
	// Start is when the frame is imported; the invitation follows an hour
	// later, and the field period runs FieldDays from Start.
	Start time.Time
	// Progress, when not nil, shows a progress bar.
	Progress io.Writer
}

// DefaultCities and DefaultResponseRate are the mission's survey: 2,500
// public managers in 500 cities, about 30% responding.
const (
	DefaultCities       = 500
	DefaultResponseRate = .3
)

// FieldDays is the length of the simulated field period: an invitation and
// reminders after one and two weeks, and two more weeks to answer.
const FieldDays = 28

// End is when the simulated field period ends.
func (o Options) End() time.Time { return o.Start.AddDate(0, 0, FieldDays) }

// Check says what is wrong with the options, before anything is written.
func (o Options) Check() error {
	var errs []error
	if o.Cities < 1 {
		errs = append(errs, fmt.Errorf("--cities %d: give at least 1", o.Cities))
	}
	if !(o.ResponseRate > 0 && o.ResponseRate < 1) { // also refuses NaN
		errs = append(errs, fmt.Errorf("--response-rate %g: give a share between 0 and 1, such as 0.3", o.ResponseRate))
	}
	if o.Instrument == nil {
		return errors.Join(append(errs, errors.New("no questionnaire"))...)
	}
	errs = append(errs, checkInstrument(o.Instrument)...)
	fp := o.Instrument.FieldPeriod
	if !o.Start.IsZero() && !(fp.Contains(o.Start) && fp.Contains(o.End())) {
		errs = append(errs, fmt.Errorf("the simulated field period %s to %s is not within the questionnaire's (%s to %s): give another --start",
			day(o.Start), day(o.End()), day(fp.Opens), day(fp.Closes)))
	}
	return errors.Join(errs...)
}

func day(t time.Time) string { return t.Format("2006-01-02 15:04 MST") }

// checkInstrument says which of the items, departments and forms of
// government the planted model draws are missing from in, or not of the
// scale the model draws them on.
func checkInstrument(in *instrument.Instrument) []error {
	var errs []error
	need := func(ids []string, codes []int) {
		for _, id := range ids {
			it, ok := in.Item(id)
			var have []int
			for _, o := range it.Options {
				have = append(have, o.Value)
			}
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("the questionnaire %q has no item %s, which the planted model needs", in.ID, id))
			case it.Type != instrument.Matrix && it.Type != instrument.Single || !slices.Equal(have, codes):
				errs = append(errs, fmt.Errorf("the questionnaire's item %s is not a choice of %v, as the planted model draws it", id, codes))
			}
		}
	}
	for _, f := range Loadings {
		need(f.Items, []int{1, 2, 3, 4, 5})
	}
	need(techItems, []int{1, 2, 3, 4, 5})
	need(outcomes(), []int{0, 1, 2, 3, 4})
	for _, d := range departments() {
		if !slices.Contains(in.Frame.Departments, d) {
			errs = append(errs, fmt.Errorf("the questionnaire's frame has no department %q, which the planted model needs", d))
		}
	}
	for _, f := range forms {
		if !slices.Contains(in.Frame.FormsOfGovernment, f) {
			errs = append(errs, fmt.Errorf("the questionnaire's frame has no form of government %q, which the planted model needs", f))
		}
	}
	return errs
}

// ParseStart reads --start: a day, YYYY-MM-DD, in the questionnaire's time
// zone; the frame is imported at 8:00 that day. Empty is the zero time:
// the default of WriteDir or IntoStore.
func ParseStart(in *instrument.Instrument, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, in.FieldPeriod.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("--start %q: give a day as YYYY-MM-DD", s)
	}
	return d.Add(8 * time.Hour), nil
}

// Live fills in a zero Start for a store that serves the survey now: the
// four weeks up to now.
func (o Options) Live(now time.Time) Options { return o.withStart(true, now) }

// withStart fills in a zero Start: the four weeks up to now for a store
// that serves the survey now (live), else 8:00 on the questionnaire's
// first day, so that files made from the same options are the same
// whenever they are made.
func (o Options) withStart(live bool, now time.Time) Options {
	switch {
	case !o.Start.IsZero() || o.Instrument == nil:
	case live:
		o.Start = now.AddDate(0, 0, -FieldDays).Truncate(time.Second)
	default:
		fp := o.Instrument.FieldPeriod
		y, m, d := fp.Opens.In(fp.Location()).Date()
		o.Start = time.Date(y, m, d, 8, 0, 0, 0, fp.Location())
		if o.Start.Before(fp.Opens) {
			o.Start = fp.Opens
		}
	}
	return o
}
