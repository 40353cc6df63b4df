package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/canvass-survey/canvass/survey/aapor"
	"github.com/canvass-survey/canvass/survey/waves"
)

// The progress dashboard: the AAPOR rates with their formulas, the
// breakdowns, the daily cumulative response curve and the nonrespondents.

// rateFormulas are the Standard Definitions' formulas, shown beside the values.
var rateFormulas = []struct{ Name, Formula string }{
	{"RR1", "I / ((I+P) + (R+NC+O) + (UH+UO))"},
	{"RR2", "(I+P) / ((I+P) + (R+NC+O) + (UH+UO))"},
	{"RR3", "I / ((I+P) + (R+NC+O) + e(UH+UO))"},
	{"RR4", "(I+P) / ((I+P) + (R+NC+O) + e(UH+UO))"},
	{"RR5", "I / ((I+P) + (R+NC+O))"},
	{"RR6", "(I+P) / ((I+P) + (R+NC+O))"},
	{"COOP1", "I / ((I+P) + R + O)"},
	{"COOP2", "(I+P) / ((I+P) + R + O)"},
	{"COOP3", "I / ((I+P) + R)"},
	{"COOP4", "(I+P) / ((I+P) + R)"},
	{"REF1", "R / ((I+P) + (R+NC+O) + (UH+UO))"},
	{"REF2", "R / ((I+P) + (R+NC+O) + e(UH+UO))"},
	{"REF3", "R / ((I+P) + (R+NC+O))"},
	{"CON1", "((I+P) + R + O) / ((I+P) + (R+NC+O) + (UH+UO))"},
	{"CON2", "((I+P) + R + O) / ((I+P) + (R+NC+O) + e(UH+UO))"},
	{"CON3", "((I+P) + R + O) / ((I+P) + (R+NC+O))"},
}

// rateOf picks a rate by name.
func rateOf(r aapor.Rates, name string) *float64 {
	return map[string]*float64{
		"RR1": r.RR1, "RR2": r.RR2, "RR3": r.RR3, "RR4": r.RR4, "RR5": r.RR5, "RR6": r.RR6,
		"COOP1": r.COOP1, "COOP2": r.COOP2, "COOP3": r.COOP3, "COOP4": r.COOP4,
		"REF1": r.REF1, "REF2": r.REF2, "REF3": r.REF3, "CON1": r.CON1, "CON2": r.CON2, "CON3": r.CON3,
	}[name]
}

func percent(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100**r)
}

type rateRow struct{ Name, Value, Formula string }

type strataTable struct {
	Title string
	Rows  []strataRow
}

type strataRow struct {
	Name                        string
	Sampled                     int
	Counts                      aapor.Counts
	RR1, RR3, COOP1, REF1, CON1 string
}

type dashboardPage struct {
	adminBase
	Sampled        int
	E              string
	Counts         aapor.Counts
	Rates          []rateRow
	Strata         []strataTable
	Chart          chart
	Nonrespondents []nonrespondent
}

// chart is the daily cumulative response curve as SVG coordinates.
type chart struct {
	Width, Height     int
	Complete, Partial string // polyline points: I, and I+P
	Ticks             []tick
	Max               int
	First, Last       string
}

type tick struct {
	X     float64
	Label string
}

const chartWidth, chartHeight = 720, 240

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

func strata(title string, groups map[string]aapor.Stratum) strataTable {
	t := strataTable{Title: title}
	for name, st := range groups {
		t.Rows = append(t.Rows, strataRow{Name: name, Sampled: st.Sampled, Counts: st.Counts,
			RR1: percent(st.Rates.RR1), RR3: percent(st.Rates.RR3), COOP1: percent(st.Rates.COOP1),
			REF1: percent(st.Rates.REF1), CON1: percent(st.Rates.CON1)})
	}
	slices.SortFunc(t.Rows, func(a, b strataRow) int { return strings.Compare(a.Name, b.Name) })
	return t
}

// handleDashboard answers GET /admin/progress.
func (s *Server) handleDashboard(c echo.Context) error {
	p, cases, err := s.progress(c)
	if err != nil {
		return err
	}
	page := dashboardPage{adminBase: s.adminBase(c, "Progress"), Sampled: p.Sampled, E: fmt.Sprintf("%.3f", p.E), Counts: p.Counts,
		Chart:          dailyChart(p.Daily, p.Sampled, p.Waves, s.Instrument.FieldPeriod.Location()),
		Nonrespondents: s.nonrespondents(cases)}
	for _, f := range rateFormulas {
		page.Rates = append(page.Rates, rateRow{Name: f.Name, Value: percent(rateOf(p.Rates, f.Name)), Formula: f.Formula})
	}
	page.Strata = []strataTable{
		strata("Department", p.By.Department),
		strata("State", p.By.State),
		strata("City population", p.By.PopulationBand),
		strata("Form of government", p.By.FormOfGovernment),
	}
	return s.render(c, http.StatusOK, "admin_progress.html", page)
}
