package hostile

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

// tb is the part of testing.TB the cases use. *testing.T implements it,
// and so does recorder, which runs a case declared as a limitation. Only
// Errorf and Logf may be called from goroutines a case starts.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(f func())
	Failed() bool
}

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

// run runs f against r in a goroutine of its own, so that Fatalf can end
// it with runtime.Goexit, then runs the cleanups it registered.
func (r *recorder) run(f func(tb)) {
	r.call(func() { f(r) })
	for {
		r.mu.Lock()
		n := len(r.cleanups)
		if n == 0 {
			r.mu.Unlock()
			return
		}
		c := r.cleanups[n-1]
		r.cleanups = r.cleanups[:n-1]
		r.mu.Unlock()
		r.call(c)
	}
}

// call runs f in a new goroutine and waits for it to return, to call
// runtime.Goexit or to panic; a panic is recorded as a failure.
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
