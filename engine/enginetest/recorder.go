package enginetest

import (
	"fmt"
	"runtime"
	"sync"
)

// recorder implements tb by recording what a case reports instead of
// failing the test, for cases declared as a limitation.
type recorder struct {
	mu       sync.Mutex
	failed   bool
	msgs     []string
	cleanups []func()
}

// Helper does nothing: recorded messages carry no file and line.
func (r *recorder) Helper() {}

// Errorf records a failure.
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// Fatalf records a failure and ends the case's goroutine. Like
// testing.T.FailNow it must be called from that goroutine.
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// Logf records a message.
func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// Cleanup registers f to run after the case, last registered first.
func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// Failed reports whether a failure was recorded.
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// messages returns the recorded messages in order.
func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// runCleanups runs the registered cleanups, last first, each in a
// goroutine of its own so a Fatalf in one does not skip the others.
// Cleanups registered while cleaning up run too.
func (r *recorder) runCleanups() {
	for {
		r.mu.Lock()
		n := len(r.cleanups)
		if n == 0 {
			r.mu.Unlock()
			return
		}
		f := r.cleanups[n-1]
		r.cleanups = r.cleanups[:n-1]
		r.mu.Unlock()
		r.call(f)
	}
}
