package server

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/canvass-survey/canvass/survey/results"
)

// The nightly schedule is read in the survey's zone: 02:00 in Phoenix is
// 09:00 UTC, and the night's id is the local wall-clock time, so the hour
// that daylight saving time repeats in the autumn is one night, not two.
func TestNightlyScheduleInZone(t *testing.T) {
	phoenix, _ := time.LoadLocation("America/Phoenix")
	sched, err := cron.ParseStandard("0 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	due := results.Due(inZone{sched, phoenix}, time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC); !due.Equal(want) || results.NightID(due) != "nightly-20261201T0200" {
		t.Errorf("due %v (%s), want %v", due, results.NightID(due), want)
	}

	chicago, _ := time.LoadLocation("America/Chicago")
	early, err := cron.ParseStandard("30 1 * * *")
	if err != nil {
		t.Fatal(err)
	}
	z := inZone{early, chicago}
	// 2026-11-01: clocks go back from 02:00 CDT to 01:00 CST, so 01:30
	// happens at 06:30 and again at 07:30 UTC.
	first := results.Due(z, time.Date(2026, 11, 1, 6, 45, 0, 0, time.UTC))
	second := results.Due(z, time.Date(2026, 11, 1, 7, 45, 0, 0, time.UTC))
	if results.NightID(first) != "nightly-20261101T0130" || results.NightID(second) != results.NightID(first) {
		t.Errorf("the repeated hour: %v (%s) and %v (%s), want one night", first, results.NightID(first), second, results.NightID(second))
	}
}
