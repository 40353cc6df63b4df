package drill

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"syscall"
	"time"

	"github.com/canvass-survey/canvass/server/virtual"
	"github.com/canvass-survey/canvass/survey/results"
	"github.com/canvass-survey/canvass/survey/store"
	"github.com/canvass-survey/canvass/survey/waves"
)

// verify checks, once the load is over, that every instance is ready
// again, and — reading the store directly — that the night has one result,
// no message of the wave went out twice, and every acknowledged answer is
// in its case. It returns how many acknowledged answers are missing or
// different there.
func (d *drill) verify(ctx context.Context, rs []*virtual.Respondent, waveID string, due time.Time) (int, error) {
	d.ready(ctx)
	st, err := d.open(ctx)
	if err != nil {
		// The store does not answer: alone, it may, and what it kept can
		// still be counted. The instances' verdict is in already.
		fmt.Fprintf(d.Out, "%s  the store does not answer (%v): the instances and the store killed\n", d.since(), err)
		for _, m := range d.instances {
			m.stop(syscall.SIGKILL)
		}
		d.store.stop(syscall.SIGKILL)
		if st, err = d.open(ctx); err != nil {
			return 0, err
		}
	}
	defer st.Close(context.WithoutCancel(ctx))
	if err := d.night(ctx, st, due); err != nil {
		return 0, err
	}
	if err := d.wave(ctx, st, waveID); err != nil {
		return 0, err
	}
	m, err := virtual.CheckAnswers(ctx, st, d.in, rs)
	if err != nil {
		return 0, err
	}
	d.add(m.Wrong == 0, "answers: %d acknowledged answers (and the submission of every respondent who finished) compared with the store, %d missing or different%s",
		m.Checked, m.Wrong, why(m.First))
	return m.Wrong, nil
}

// open opens the store for the checks, starting it first if it is down:
// a store that did not come back under load may come back alone.
func (d *drill) open(ctx context.Context) (*store.Store, error) {
	if d.store.proc == nil {
		if err := d.store.run(d.Exe); err != nil {
			return nil, err
		}
		fmt.Fprintf(d.Out, "%s  the store started again for the checks (pid %d)\n", d.since(), d.store.proc.Pid())
	}
	return store.Open(ctx, store.Config{URI: d.storeURI, Database: database, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// ready checks that every instance answers /readyz with 200, giving them
// a while to find the store again.
func (d *drill) ready(ctx context.Context) {
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	var down []string
	for _, m := range d.instances {
		for {
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+m.addr+"/readyz", nil)
			res, err := client.Do(req)
			if err == nil {
				res.Body.Close()
			}
			if err == nil && res.StatusCode == http.StatusOK {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				down = append(down, m.name)
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	d.add(len(down) == 0, "instances: %d of %d ready again (/readyz 200)%s", len(d.instances)-len(down), len(d.instances), why(strings.Join(down, ", ")))
}

// night waits for the night's run to end, then checks that the night has
// one result, which ended ok or with too few cases, as a night in the
// middle of a field period may; more than one attempt would say that a
// process running it died and another took it over.
func (d *drill) night(ctx context.Context, st *store.Store, due time.Time) error {
	id := results.NightID(due)
	deadline := due.Add(3 * time.Minute) // the catch-up runs every minute
	for time.Now().Before(deadline) {
		if rec, err := st.ResultRecord(ctx, id); err == nil && rec.Status != results.StatusRunning {
			break
		}
		time.Sleep(time.Second)
	}
	recs, err := st.ResultRecords(ctx, 0)
	if err != nil {
		return err
	}
	var night, others []string
	ok := false
	for _, r := range recs {
		line := fmt.Sprintf("%s %s, attempt %d", r.ID, r.Status, r.Attempts)
		switch {
		case r.ID == id:
			night = append(night, line)
			ok = r.Status == results.StatusOK || r.Status == results.StatusInsufficient
		case r.Trigger == results.TriggerSchedule:
			others = append(others, line)
		}
	}
	also := ""
	if len(others) > 0 {
		// On a new store the catch-up finds the night before without a
		// result, and runs it: another night, not this one twice.
		also = "; other nights: " + strings.Join(others, "; ")
	}
	d.add(ok && len(night) == 1, "nightly: the night due %s UTC has %d result(s)%s%s", due.Format("15:04"), len(night), why(strings.Join(night, "; ")), also)
	return nil
}

// wave waits for the wave to finish, within WaveWait, then checks that no
// message went out twice — by recipient and by Message-ID at the sink, and
// in the cases' contact histories — and that the sink got every message
// the outbox counts sent, and no more than it may have handed over.
func (d *drill) wave(ctx context.Context, st *store.Store, id string) error {
	deadline := time.Now().Add(d.WaveWait)
	for {
		w, err := st.Wave(ctx, id)
		if err != nil {
			return err
		}
		if w.Status == waves.StatusDone || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	sums, err := st.WaveSummaries(ctx, d.in.ID)
	if err != nil {
		return err
	}
	var w waves.Summary
	for _, s := range sums {
		if s.ID == id {
			w = s
		}
	}
	msgs := d.sink.Received()
	byID, byTo := map[string]int{}, map[string]int{}
	for _, m := range msgs {
		if h, err := mail.ReadMessage(strings.NewReader(m.Data)); err == nil {
			byID[h.Header.Get("Message-Id")]++
		}
		byTo[strings.ToLower(m.To)]++
	}
	twice := 0
	for _, counts := range []map[string]int{byID, byTo} {
		for _, n := range counts {
			twice += max(0, n-1)
		}
	}
	cases, err := st.Cases(ctx, d.in.ID)
	if err != nil {
		return err
	}
	contacted, ids := 0, map[string]bool{}
	for _, c := range cases {
		ids[c.ID] = true
		n := 0
		for _, ct := range c.Contacts {
			if ct.Wave == id {
				n++
			}
		}
		contacted += max(0, n-1)
	}
	counted := len(msgs) >= w.Sent && len(msgs) <= w.Sent+w.Uncertain+w.Sending
	d.add(twice == 0 && contacted == 0 && counted,
		"wave (%s): %d messages delivered, %d of them twice (by recipient or Message-ID), %d contacts recorded twice; outbox of %d (%d selected at creation): %d sent, %d skipped, %d uncertain, %d pending, %d failed, %d bounced",
		w.Status, len(msgs), twice, contacted, w.Queued, w.Selected, w.Sent, w.Skipped, w.Uncertain, w.Pending, w.Failed, w.Bounced)
	d.add(len(cases) == d.Respondents && len(ids) == len(cases), "cases: %d documents with %d ids in the store, for %d imported", len(cases), len(ids), d.Respondents)
	return nil
}
