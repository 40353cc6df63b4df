package results

import (
	"context"
	"io"
)

// writeScores writes the per-case scale and factor scores of an ok result
// as CSV (case_id, then one column per scale and named factor; empty where
// a case has no score), chunk by chunk as stored.
func (s *Service) writeScores(ctx context.Context, r *Result, w io.Writer) error {
	chunks := max(1, (r.N+scoresPerChunk-1)/scoresPerChunk)
	for n := range chunks {
		csv, err := s.Store.Scores(ctx, r.ID, n)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, csv); err != nil {
			return err
		}
	}
	return nil
}
