package server

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/waves"
	"github.com/canvass-survey/canvass/survey/weights"
)

// The Progress page, for a glance: a headline, the rates a manager
// watches with the rest behind a disclosure, the codes explained where
// they are counted, the cumulative response curve, a bar per stratum and
// the least recently contacted nonrespondents.

func percent(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100**r)
}

// numbers writes counts with thousands separators: 2,500.
var numbers = message.NewPrinter(language.English)

func count(n int) string { return numbers.Sprintf("%d", n) }

type rateRow struct{ Name, Value, Formula, Meaning string }

type codeRow struct {
	Code          aapor.Code
	Name, Meaning string
	Count         string
}

// barRow is one stratum: its response rate (RR2) as a bar, and the count
// behind it.
type barRow struct {
	Name               string
	Rate               string
	Width              float64 // 0–100, the bar's length
	Responded, Sampled string
}

type strataBars struct {
	Title string
	Rows  []barRow
}

// dashboardLive is the part of the page that refreshes itself.
type dashboardLive struct {
	AsOf                           string
	Sampled                        int
	SampledText, Complete, Partial string
	RR2                            string
	Main, Rest                     []rateRow
	Codes                          []codeRow
	E                              string
	Chart                          chart
	Waves                          []waveRow
	CompletesWithoutWave           string
	Strata                         []strataBars
	Who                            *whoResponded // nil until enough have responded
	Nonrespondents                 string
	Oldest                         []nonrespondent
}

// waveRow is a wave that sent, with the completes it brought in.
type waveRow struct {
	Kind, SentAt, Sent, Failed, Completes string
}

type dashboardPage struct {
	adminBase
	Live           dashboardLive
	RefreshSeconds int // how often the page's script fetches the live part
}

// chart is the daily cumulative response curve as SVG coordinates: lines
// and a point a day, so even the first day shows.
type chart struct {
	Width, Height     int
	Complete, Partial string // polyline points: I, and I+P
	Points            []chartPoint
	Ticks             []tick
	Max               int
	First, Last       string
}

type chartPoint struct {
	X, YComplete, YPartial float64
	Label                  string // for the point's tooltip
}

type tick struct {
	X     float64
	Label string
}

const chartWidth, chartHeight = 400, 200

// dailyChart lays out the curve, with a mark on the day each wave first sent.
func dailyChart(days []aapor.Day, sampled int, sent []waves.Progress, loc *time.Location) chart {
	ch := chart{Width: chartWidth, Height: chartHeight, Max: max(sampled, 1)}
	if len(days) == 0 {
		return ch
	}
	ch.First, ch.Last = days[0].Date, days[len(days)-1].Date
	x := func(i int) float64 {
		if len(days) == 1 {
			return chartWidth / 2
		}
		return float64(i) * chartWidth / float64(len(days)-1)
	}
	y := func(n int) float64 { return chartHeight - float64(n)*chartHeight/float64(ch.Max) }
	var complete, partial []string
	for i, d := range days {
		complete = append(complete, fmt.Sprintf("%.1f,%.1f", x(i), y(d.I)))
		partial = append(partial, fmt.Sprintf("%.1f,%.1f", x(i), y(d.I+d.P)))
		ch.Points = append(ch.Points, chartPoint{X: x(i), YComplete: y(d.I), YPartial: y(d.I + d.P),
			Label: fmt.Sprintf("%s: %s complete, %s with partials", d.Date, count(d.I), count(d.I+d.P))})
	}
	ch.Complete, ch.Partial = strings.Join(complete, " "), strings.Join(partial, " ")
	for _, w := range sent {
		if w.SentAt == nil {
			continue
		}
		day := w.SentAt.In(loc).Format("2006-01-02")
		if i := slices.IndexFunc(days, func(d aapor.Day) bool { return d.Date == day }); i >= 0 {
			ch.Ticks = append(ch.Ticks, tick{X: x(i), Label: w.Kind})
		}
	}
	return ch
}

// bars lays out one breakdown, its groups in order: population bands from
// the smallest, anything else by name; "unknown" last.
func bars(title string, groups map[string]aapor.Stratum, order []string) strataBars {
	t := strataBars{Title: title}
	rank := func(name string) int {
		if i := slices.Index(order, name); i >= 0 {
			return i
		}
		if name == aapor.Unknown {
			return len(order) + 1
		}
		return len(order)
	}
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, name := range names {
		st := groups[name]
		row := barRow{Name: name, Rate: percent(st.Rates.RR2), Responded: count(st.Counts.I + st.Counts.P), Sampled: count(st.Sampled)}
		if st.Rates.RR2 != nil {
			row.Width = 100 * *st.Rates.RR2
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func rateRows(infos []aapor.RateInfo, r aapor.Rates) []rateRow {
	rows := make([]rateRow, len(infos))
	for i, f := range infos {
		rows[i] = rateRow{Name: f.Name, Value: percent(r.Named(f.Name)), Formula: f.Formula, Meaning: f.Meaning}
	}
	return rows
}

// live lays out the refreshing part of the page from a report.
func (s *Server) live(p progressJSON, snap *progressSnapshot) dashboardLive {
	loc := s.Instrument.FieldPeriod.Location()
	l := dashboardLive{
		AsOf: p.AsOf.In(loc).Format("15:04:05 MST"), Sampled: p.Sampled, SampledText: count(p.Sampled),
		Complete: count(p.Counts.I), Partial: count(p.Counts.P), RR2: percent(p.Rates.RR2),
		Main: rateRows(aapor.MainRates, p.Rates), Rest: rateRows(aapor.OtherRates, p.Rates), E: fmt.Sprintf("%.3f", p.E),
		Chart:          dailyChart(p.Daily, p.Sampled, p.Waves, loc),
		Nonrespondents: count(snap.nonrespondents), Oldest: snap.oldest, CompletesWithoutWave: count(p.CompletesWithoutWave),
	}
	for _, w := range p.Waves {
		row := waveRow{Kind: w.Kind, SentAt: "not yet", Sent: count(w.Sent), Failed: count(w.Failed), Completes: count(w.Completes)}
		if w.SentAt != nil {
			row.SentAt = w.SentAt.In(loc).Format("2006-01-02")
		}
		l.Waves = append(l.Waves, row)
	}
	for _, m := range aapor.CodeMeanings {
		n := map[aapor.Code]int{aapor.I: p.Counts.I, aapor.P: p.Counts.P, aapor.R: p.Counts.R, aapor.NC: p.Counts.NC,
			aapor.O: p.Counts.O, aapor.UO: p.Counts.UO + p.Counts.UH, aapor.NE: p.Counts.NE}[m.Code]
		l.Codes = append(l.Codes, codeRow{Code: m.Code, Name: m.Name, Meaning: m.Meaning, Count: count(n)})
	}
	bands := make([]string, len(aapor.PopulationBands))
	for i, b := range aapor.PopulationBands {
		bands[i] = b.Label
	}
	l.Strata = []strataBars{
		bars("Department", p.By.Department, nil),
		bars("State", p.By.State, nil),
		bars("City population", p.By.PopulationBand, bands),
		bars("Form of government", p.By.FormOfGovernment, nil),
	}
	l.Who = s.whoResponded(p.Representativeness)
	return l
}

// whoResponded lays out the representativeness: the R-indicator, the
// groups to chase, each variable's partial R-indicators with its
// categories, and the R-indicator day by day.
type whoResponded struct {
	R, SE, CV, Mean string
	Model           string // the propensity model's formula
	Chase           []chaseRow
	Variables       []variableRows
	Daily           chart
}

// chaseRow is an under-represented group: its cases respond less than the
// rest, the more so the more negative its partial.
type chaseRow struct{ Variable, Level, Partial, Rate string }

type variableRows struct {
	Name, Unconditional, Conditional string
	Levels                           []levelRow
}

type levelRow struct {
	Level, Respondents, Cases, Rate, Partial string
	Under                                    bool
}

// chaseShown is how many under-represented groups the page names first.
const chaseShown = 3

func (s *Server) whoResponded(r *weights.Representativeness) *whoResponded {
	if r == nil {
		return nil
	}
	w := &whoResponded{R: fmt.Sprintf("%.3f", r.RIndicator), SE: "—", CV: fmt.Sprintf("%.3f", r.CV), Mean: fmt.Sprintf("%.3f", r.MeanPropensity)}
	if r.RIndicatorSE != nil {
		w.SE = fmt.Sprintf("%.3f", *r.RIndicatorSE)
	}
	var chase []chaseRow
	var partials []float64
	var terms []string
	for _, p := range r.Partials {
		terms = append(terms, p.Variable)
		v := variableRows{Name: variableTitle(p.Variable), Unconditional: fmt.Sprintf("%.4f", p.Unconditional), Conditional: fmt.Sprintf("%.4f", p.Conditional)}
		for _, c := range p.Categories {
			rate := float64(c.Respondents) / float64(c.Cases)
			row := levelRow{Level: c.Level, Respondents: count(c.Respondents), Cases: count(c.Cases), Rate: fmt.Sprintf("%.1f%%", 100*rate),
				Partial: fmt.Sprintf("%+.4f", c.Partial), Under: c.Partial < 0}
			v.Levels = append(v.Levels, row)
			if c.Partial < 0 {
				chase = append(chase, chaseRow{Variable: v.Name, Level: c.Level, Partial: row.Partial, Rate: row.Rate})
				partials = append(partials, c.Partial)
			}
		}
		w.Variables = append(w.Variables, v)
	}
	order := make([]int, len(chase))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(partials[a], partials[b]) })
	for _, i := range order[:min(chaseShown, len(order))] {
		w.Chase = append(w.Chase, chase[i])
	}
	w.Model = "glm(responded ~ " + strings.Join(terms, " + ") + ", family = binomial)"
	w.Daily = rIndicatorChart(r.Daily)
	return w
}

// variableTitle names a weighting variable as the page's headings do.
func variableTitle(name string) string {
	return map[string]string{"department": "Department", "population_band": "City population", "form_of_government": "Form of government", "region": "Region"}[name]
}

// rIndicatorChart draws the R-indicator day by day on a 0–1 scale, with a
// point for each day that had enough respondents.
func rIndicatorChart(days []weights.Day) chart {
	ch := chart{Width: chartWidth, Height: chartHeight / 2, Max: 1}
	if len(days) == 0 {
		return ch
	}
	ch.First, ch.Last = days[0].Date, days[len(days)-1].Date
	var line []string
	for i, d := range days {
		if d.RIndicator == nil {
			continue
		}
		x := chartWidth / 2.0
		if len(days) > 1 {
			x = float64(i) * chartWidth / float64(len(days)-1)
		}
		y := float64(ch.Height) * (1 - *d.RIndicator)
		line = append(line, fmt.Sprintf("%.1f,%.1f", x, y))
		ch.Points = append(ch.Points, chartPoint{X: x, YComplete: y, Label: fmt.Sprintf("%s: R-indicator %.3f, %s respondents", d.Date, *d.RIndicator, count(d.Respondents))})
	}
	ch.Complete = strings.Join(line, " ")
	return ch
}

// handleDashboard answers GET /admin/progress; with ?part=live, only the
// part of the page that the page's script refreshes in place.
func (s *Server) handleDashboard(c echo.Context) error {
	p, snap, err := s.progress(c)
	if err != nil {
		return err
	}
	if c.QueryParam("part") == "live" {
		return s.render(c, http.StatusOK, "progress_live", s.live(p, snap))
	}
	return s.render(c, http.StatusOK, "admin_progress.html", dashboardPage{adminBase: s.adminBase(c, "Progress"), Live: s.live(p, snap),
		RefreshSeconds: int(s.progressRefresh.Seconds())})
}
