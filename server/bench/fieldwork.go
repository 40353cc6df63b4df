package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/canvass-survey/canvass/server/mailer/smtpsink"
	"github.com/canvass-survey/canvass/server/virtual"
	"github.com/canvass-survey/canvass/survey/instrument"
)

// importFrame posts a synthetic frame of n rows to POST /api/v1/frame and
// returns the line timing it against the store's own insert rate, and the
// cases with their links.
func importFrame(ctx context.Context, svc *service, in *instrument.Instrument, n int, floor storeRates) (Line, []virtual.Case) {
	name := fmt.Sprintf("frame import: %s rows, POST /api/v1/frame", number(float64(n)))
	start := time.Now()
	cases, size, err := svc.ImportFrame(ctx, in, n)
	took := time.Since(start)
	if err != nil {
		return failed(name, err), nil
	}
	l := against(name, float64(n)/took.Seconds(), "rows/s", floor.InsertsPerSec, "limit")
	l.Note = fmt.Sprintf("%.1f s (%.1f MiB); ceiling: the store's own InsertCases of as many cases", took.Seconds(), float64(size)/(1<<20))
	return l, cases
}

// progressRequests is how many dashboard requests are timed after the first.
const progressRequests = 100

// progressLatency times GET /api/v1/progress on a service holding n cases:
// the first request after the start, which waits for a count of every
// case, then requests one after another as dashboards make them, which
// the shared snapshot answers while it is counted again beside them.
func progressLatency(ctx context.Context, svc *service, n int) []Line {
	name := fmt.Sprintf("progress: %s cases, GET /api/v1/progress", number(float64(n)))
	start := time.Now()
	if _, err := svc.API(ctx, "GET", "/api/v1/progress", "", nil); err != nil {
		return []Line{failed(name, err)}
	}
	first := time.Since(start)
	var took virtual.Latencies
	for range progressRequests {
		start := time.Now()
		if _, err := svc.API(ctx, "GET", "/api/v1/progress", "", nil); err != nil {
			return []Line{failed(name, err)}
		}
		took = append(took, time.Since(start))
	}
	count := measured(name+", first after a start", float64(first.Milliseconds()), "ms")
	count.Note = "waits for the first count of every case; no later request does"
	p50 := against(name+", p50", took.Percentile(.5), "ms", interactive, "max")
	p50.Note = fmt.Sprintf("%d requests in a row; ceiling: 0.1 s, what reads as instant", progressRequests)
	return []Line{count, p50,
		against(name+", p95", took.Percentile(.95), "ms", interactive, "max"),
		against(name+", max", took.Percentile(1), "ms", interactive, "max")}
}

// interactive is a response time that reads as instant, in ms.
const interactive = 100

// mailWave sends an invitation to every case of the service through
// POST /api/v1/waves into sink, and times the messages from the first to
// the last one's arrival: the mailer starts a wave when it next looks at
// the outbox, up to its poll interval later.
func mailWave(ctx context.Context, svc *service, sink *smtpsink.Sink, n int, floor storeRates) Line {
	name := fmt.Sprintf("mail: invitation wave to %s cases, unthrottled", number(float64(n)))
	if _, err := svc.API(ctx, "POST", "/api/v1/waves", "application/json", []byte(`{"kind": "invitation"}`)); err != nil {
		return failed(name, err)
	}
	deadline := time.Now().Add(time.Minute + time.Duration(n)*50*time.Millisecond)
	for sink.Count() < n && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	got := sink.Received()
	if len(got) != n {
		return failed(name, fmt.Errorf("%d of %d messages arrived", len(got), n))
	}
	secs := got[n-1].At.Sub(got[0].At).Seconds()
	l := against(name, float64(n-1)/secs, "msgs/s", floor.UpdatesPerSec/writesPerMessage, "limit")
	l.Note = fmt.Sprintf("%.1f s from the first message to the last; ceiling: the store's updateOne/s ÷ %d writes a message", secs, writesPerMessage)
	return l
}

// writesPerMessage is what the mailer writes for each message: the entry
// marked sending before the message goes (so a crash cannot send it
// twice), the case's contact history, the entry marked sent.
const writesPerMessage = 3
