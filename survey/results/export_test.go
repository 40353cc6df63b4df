package results

// MustRecord encodes r as the store keeps it, for tests that plant a run.
func MustRecord(r *Result, attempts int) (*Record, error) { return newRecord(r, attempts) }
