package results

import (
	"encoding/json"
	"time"
)

// Record is a run as the store keeps it: the fields the store sorts and
// filters on, the summary the history lists, and the whole document, kept
// as the JSON that was computed so that the API serves it byte for byte.
type Record struct {
	ID        string    `bson:"_id"`
	Status    string    `bson:"status"`
	StartedAt time.Time `bson:"started_at"`
	Trigger   string    `bson:"trigger"`
	// Attempts counts the runs that worked on this record: a scheduled run
	// whose process died is taken over, a few times at most.
	Attempts int    `bson:"attempts"`
	Summary  []byte `bson:"summary"`            // the Result without its tables, as JSON
	Document []byte `bson:"document,omitempty"` // the whole Result, as JSON
}

// EncodeRecord encodes r as the store keeps it, with the number of
// attempts made at it; its tables go into the document only.
func EncodeRecord(r *Result, attempts int) (*Record, error) {
	doc, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	summary, err := json.Marshal(r.summary())
	if err != nil {
		return nil, err
	}
	return &Record{ID: r.ID, Status: r.Status, StartedAt: r.StartedAt, Trigger: r.Trigger, Attempts: attempts, Summary: summary, Document: doc}, nil
}

// summary is r without its tables.
func (r *Result) summary() *Result {
	s := *r
	s.EFA, s.Factors, s.Reliability, s.Models, s.Descriptives, s.Changes = nil, nil, nil, nil, nil, nil
	return &s
}

// RunStatus is r as staff may see it: how the run went — id, trigger,
// status, times, n and why it did not end ok — and nothing of what it
// found.
func (r Result) RunStatus() Result {
	return Result{ID: r.ID, Status: r.Status, Trigger: r.Trigger, ScheduledFor: r.ScheduledFor, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, Reason: r.Reason, Error: r.Error, Cases: r.Cases, N: r.N, Warnings: []string{}}
}

// decodeSummary reads a record's summary.
func (rec *Record) decodeSummary() (*Result, error) {
	var r Result
	if err := json.Unmarshal(rec.Summary, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// decodeDocument reads a record's whole result.
func (rec *Record) decodeDocument() (*Result, error) {
	var r Result
	if err := json.Unmarshal(rec.Document, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
