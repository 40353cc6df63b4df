package waves

import (
	"testing"
	"time"
)

// Counts kept by moving entries from status to status, in pieces added
// together, come to what counting the entries at the end gives.
func TestCountsMove(t *testing.T) {
	at := func(h int) *time.Time { t := time.Date(2026, 6, 1, h, 0, 0, 0, time.UTC); return &t }
	entries := []Entry{{ID: "a", Status: EntryPending}, {ID: "b", Status: EntryPending}, {ID: "c", Status: EntryPending}, {ID: "d", Status: EntryPending}}
	var kept, piece Counts
	for i := range entries {
		kept.Add(&entries[i])
	}
	move := func(i int, to string, sentAt *time.Time) {
		from := entries[i].Status
		entries[i].Status, entries[i].SentAt = to, sentAt
		piece.Move(from, &entries[i])
	}
	move(0, EntrySending, nil)
	move(0, EntrySent, at(10))
	kept.Plus(piece) // recorded once a second, say
	piece = Counts{}
	move(1, EntrySending, nil)
	move(1, EntryPending, nil) // to be tried again
	move(2, EntrySending, nil)
	move(2, EntrySent, at(9))
	move(3, EntrySkipped, nil)
	kept.Plus(piece)

	var counted Counts
	for i := range entries {
		counted.Add(&entries[i])
	}
	want := Counts{Queued: 4, Pending: 1, Sent: 2, Skipped: 1, FirstSentAt: at(9)}
	if !kept.Same(want) || !counted.Same(want) {
		t.Errorf("kept %+v, counted %+v, want %+v", kept, counted, want)
	}
	if kept.Same(Counts{Queued: 4, Pending: 1, Sent: 2, Skipped: 1, FirstSentAt: at(10)}) || kept.Same(Counts{Queued: 4, Pending: 1, Sent: 2, Skipped: 1}) {
		t.Error("Same ignores the first sending")
	}
}
