package results

// SetScoresPerChunk sets how many cases' scores a stored chunk holds, so
// a test can store many chunks from a few hundred cases; it returns the
// function that restores the default.
func SetScoresPerChunk(n int) (restore func()) {
	old := scoresPerChunk
	scoresPerChunk = n
	return func() { scoresPerChunk = old }
}
