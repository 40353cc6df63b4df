package respond

import (
	"context"
	"time"

	"github.com/canvass-survey/canvass/survey"
)

// Gate admits a bounded number of respondents' writes to the store at
// once. Past what the store can take, requests used to queue inside the
// driver and the store until a timeout cut them off — often after their
// write had been made, so a respondent was told "try again" about answers
// that were kept. Behind the gate a request either gets a slot within Wait
// and then runs to the end, or is refused before it touches the store, and
// then nothing was written.
type Gate struct {
	slots chan struct{}
	wait  time.Duration
}

// NewGate admits n requests at once; a request waits at most wait for one
// to leave.
func NewGate(n int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, n), wait: wait}
}

// RetryAfter is how long a refused request should wait before trying again.
const RetryAfter = 2 * time.Second

// errBusy is the refusal: nothing was written.
func errBusy() error {
	return survey.Errorf(survey.EBUSY, "The survey is very busy right now: nothing was saved. Please try again in a few seconds.")
}

// Enter takes a slot, or refuses with EBUSY once the wait is over or ctx is
// done. The caller must call the returned leave once its store work is over.
func (g *Gate) Enter(ctx context.Context) (leave func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	case <-t.C:
		return nil, errBusy()
	case <-ctx.Done():
		return nil, errBusy()
	}
}
