// Package knownfail runs a test case that is declared to fail: against a
// recorder instead of the test, so that its failures are kept for the log
// rather than reported, and the caller can fail the test once the case
// stops failing. The conformance and hostile suites use it for engines'
// named limitations, so that a limitation is never a silent skip.
package knownfail

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

// TB is the part of testing.TB a case may use. *testing.T implements it,
// and so does the recorder Run passes. Only Errorf and Logf may be called
// from goroutines a case starts.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(f func())
	Failed() bool
}

// Run runs f against a recorder in a goroutine of its own, so that Fatalf
// can end it with runtime.Goexit, then runs the cleanups f registered, last
// first. It reports whether f recorded a failure (a panic counts as one)
// and returns everything f reported, in order.
func Run(f func(TB)) (failed bool, messages []string) {
	r := &recorder{}
	r.call(func() { f(r) })
	for {
		r.mu.Lock()
		n := len(r.cleanups)
		if n == 0 {
			failed, messages = r.failed, r.msgs
			r.mu.Unlock()
			return failed, messages
		}
		c := r.cleanups[n-1]
		r.cleanups = r.cleanups[:n-1]
		r.mu.Unlock()
		r.call(c)
	}
}

// recorder implements TB by recording what a case reports.
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

// Cleanup registers f to run after the case, last registered first;
// cleanups registered while cleaning up run too.
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

// call runs f in a new goroutine and waits for it to return, to call
// runtime.Goexit or to panic; a panic is recorded as a failure, and each
// cleanup runs in a goroutine of its own so a Fatalf in one does not skip
// the others.
func (r *recorder) call(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				r.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		f()
	}()
	<-done
}
