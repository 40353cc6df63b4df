package mailer

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/canvass-survey/canvass/survey/waves"
)

// book is what the mailer knows of the outbox while it holds the lease:
// each active wave's entries still to send, and what became of each wave's
// entries since its counts were last recorded on it. The mailer reads the
// outbox once when it takes it over (Recover) and keeps the book as it
// works, so that sending reads and writes documents by _id alone — the
// embedded store answers any other filter by reading the whole outbox,
// which grows by a sample's size with every wave. Nobody else writes the
// entries of a wave the mailer sends, and another instance sends only
// after claiming the lease, when it reads the outbox again.
type book struct {
	pending map[string][]*waves.Entry // by wave, in id order
	checked map[string]time.Time      // by wave, when it was last read

	mu      sync.Mutex               // changes are booked while the next message is prepared (Mailer.later)
	changes map[string]*waves.Counts // by wave, not yet on the wave
}

func newBook() *book {
	return &book{pending: map[string][]*waves.Entry{}, changes: map[string]*waves.Counts{}, checked: map[string]time.Time{}}
}

// queue adds a wave's entries to send, unless already there.
func (b *book) queue(waveID string, es []waves.Entry) {
	have := map[string]bool{}
	for _, e := range b.pending[waveID] {
		have[e.ID] = true
	}
	for i := range es {
		if !have[es[i].ID] {
			b.pending[waveID] = append(b.pending[waveID], &es[i])
		}
	}
	slices.SortFunc(b.pending[waveID], func(x, y *waves.Entry) int { return strings.Compare(x.ID, y.ID) })
}

// moved books an entry written at a new status, from status from.
func (b *book) moved(from string, e *waves.Entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.changes[e.Wave]
	if c == nil {
		c = &waves.Counts{}
		b.changes[e.Wave] = c
	}
	c.Move(from, e)
}

// keep forgets the wave's entries no longer pending.
func (b *book) keep(waveID string) {
	b.pending[waveID] = slices.DeleteFunc(b.pending[waveID], func(e *waves.Entry) bool { return e.Status != waves.EntryPending })
}

// changed reports whether changes of the wave's counts are booked.
func (b *book) changed(waveID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changes[waveID] != nil
}

// take returns the changes of the wave's counts booked since the last
// take, and forgets them.
func (b *book) take(waveID string) waves.Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	var d waves.Counts
	if c := b.changes[waveID]; c != nil {
		d = *c
	}
	delete(b.changes, waveID)
	return d
}
