package bench

import (
	"errors"
	"math"
	"sync"
	"sync/atomic"
)

// errAborted ends a worker that was told to stop because the run failed
// elsewhere: another worker, or the caller's context. It is never the
// error a run ends with; control.outcome reports the cause instead.
var errAborted = errors.New("bench: run aborted")

// control is what Run shares with its workers. The times are set before
// the go channel is closed and never change afterwards.
type control struct {
	clock clock
	// start is when traffic starts; measurement covers [mStart, mEnd).
	start, mStart, mEnd int64
	// interval is the length of the measurement's intervals, 0 for one
	// interval (Config.Interval).
	interval int64
	// goCh is closed when every worker is connected and the times are set.
	goCh chan struct{}
	// closeCh is closed when workers may close their connections.
	closeCh chan struct{}
	// abort tells every worker to stop at once; abortCh is closed with it.
	// Both are set by fail only, after cause.
	abort   atomic.Bool
	abortCh chan struct{}
	// mu guards cause, the first reason the run failed.
	mu    sync.Mutex
	cause error
}

// newControl returns the control of a run whose clock starts now.
func newControl(c clock) *control {
	return &control{
		clock:   c,
		goCh:    make(chan struct{}),
		closeCh: make(chan struct{}),
		abortCh: make(chan struct{}),
		mEnd:    math.MaxInt64,
	}
}

// fail records err as the reason the run ends, unless a reason was
// recorded before, and tells every worker to stop. The first cause wins:
// once one worker fails, the others stop with errAborted, and which of them
// reports to Run first is up to the scheduler, so the order of their
// reports must not decide the run's error.
func (c *control) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != nil || err == nil {
		return
	}
	c.cause = err
	c.abort.Store(true)
	close(c.abortCh)
}

// outcome returns the error that ends a run whose workers ended with
// errs, in any order: nil when none failed, else the first cause fail
// recorded. Every worker error goes through fail before it is reported,
// and errAborted only follows a recorded cause, so the cause is there
// whenever a worker failed; the first error of errs stands in otherwise.
func (c *control) outcome(errs []error) error {
	var first error
	for _, err := range errs {
		if err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != nil {
		return c.cause
	}
	return first
}
