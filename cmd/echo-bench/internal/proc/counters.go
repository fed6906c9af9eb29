package proc

import "errors"

// MaxCountedThreads bounds the threads OpenCounters counts: each costs
// two descriptors.
const MaxCountedThreads = 2048

// ErrTooManyThreads is returned by OpenCounters for a process with more
// than MaxCountedThreads threads, such as a thread-per-connection server
// after it served thousands of connections.
var ErrTooManyThreads = errors.New("proc: too many threads to count")

// CounterSample is one reading of Counters.
type CounterSample struct {
	// Syscalls and Switches are totals since the counters opened.
	Syscalls, Switches uint64
}
