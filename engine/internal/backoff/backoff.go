// Package backoff paces the retries of an engine whose accept or read keeps
// failing, so that a lasting error such as EMFILE never spins a CPU. It is
// internal to package engine and its engines.
package backoff

import "time"

// Bounds of the pause: the first one, and the longest.
const (
	First = 5 * time.Millisecond
	Max   = time.Second
)

// Next returns the pause after one of prev: First after none (0), then
// twice the last, up to Max, as net/http's Server.Serve does.
func Next(prev time.Duration) time.Duration {
	return min(max(2*prev, First), Max)
}

// Sleep waits d and reports true, or reports false as soon as quit is
// closed (the server is shutting down), whichever comes first.
func Sleep(d time.Duration, quit <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-quit:
		return false
	}
}
