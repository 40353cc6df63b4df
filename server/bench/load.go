package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/canvass-survey/canvass/server/virtual"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// loadLines are the figures of a respondent load: rates against the
// store's own, latencies against the save gate's wait, and the errors.
func loadLines(rs []*virtual.Respondent, took time.Duration, floor storeRates, think time.Duration) []Line {
	name := fmt.Sprintf("respondents: %s at once", number(float64(len(rs))))
	var all virtual.Latencies
	saves, refused, completed, completedSaves, failures := 0, 0, 0, 0, 0
	firstError := ""
	for _, r := range rs {
		all = append(all, r.Took...)
		saves += r.Saves
		refused += r.Refused
		if r.Err == nil {
			completed++
			completedSaves += r.Saves
		} else if failures++; firstError == "" {
			firstError = r.Err.Error()
		}
	}
	perCompletion := float64(completedSaves) / float64(max(1, completed))
	secs := took.Seconds()
	gate := float64(maxWait / time.Millisecond)
	lines := []Line{
		against(name+", completions", float64(completed)/secs, "/s", floor.UpdatesPerSec/perCompletion, "limit"),
		against(name+", page saves", float64(saves)/secs, "/s", floor.UpdatesPerSec, "limit"),
		against(name+", page latency p50", all.Percentile(.50), "ms", gate, "max"),
		against(name+", page latency p95", all.Percentile(.95), "ms", gate, "max"),
		against(name+", page latency p99", all.Percentile(.99), "ms", gate, "max"),
		against(name+", saves refused as busy, sent again", float64(refused), "", 0, "max"),
		against(name+", respondents failed", float64(failures), "", 0, "max"),
	}
	lines[0].Note = fmt.Sprintf("%.0f s a page each on average (%d page saves/s offered together); %.1f saves and %.1f requests a completion; ceiling: the store's updateOne/s per save",
		think.Seconds(), offeredSaves, perCompletion, float64(len(all))/float64(len(rs)))
	lines[1].Note = "ceiling: the driver's own updateOne({_id}) on a fresh store just before"
	lines[2].Note = fmt.Sprintf("%s requests in %.0f s; ceiling: how long a save waits for the store before it is refused", number(float64(len(all))), secs)
	lines[5].Note = fmt.Sprintf("503, nothing saved, the page asks to try again: sent again after Retry-After, up to %d times", virtual.MaxRefusals)
	lines[6].Errors, lines[6].Note = failures, firstError
	return lines
}

// maxWait is how long a save waits for the store's write slot before the
// service refuses it (respond.RetryAfter): beyond it a person sees "not
// saved, try again".
const maxWait = 2 * time.Second

// checkAnswers opens the stopped service's store and compares every
// acknowledged page with the case: each answer posted is there, as the
// questionnaire decodes it, and a respondent who finished is submitted.
func checkAnswers(ctx context.Context, dir string, in *instrument.Instrument, rs []*virtual.Respondent) Line {
	const name = "respondents: acknowledged answers found in the store"
	st, err := openStore(ctx, dir)
	if err != nil {
		return failed(name, err)
	}
	defer st.Close(context.WithoutCancel(ctx))
	m, err := virtual.CheckAnswers(ctx, st, in, rs)
	if err != nil {
		return failed(name, err)
	}
	l := measured(name, float64(m.Checked), "answers")
	l.Errors, l.Note = m.Wrong, m.First
	return l
}
