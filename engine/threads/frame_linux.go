package threads

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/budget"
)

// A frame in progress and the two limits on it: the server's input budget
// for frames longer than engine.UnbudgetedInput, and the frame timeout,
// IdleTimeout counted from when the frame began.

// Stats returns a snapshot of the counters and of the input budget.
func (s *tcpServer) Stats() engine.Stats {
	st := s.base.Stats()
	st.InputBudget = int64(s.budget.Size())
	st.InputBudgetUsed = int64(s.budget.Size() - s.budget.Free())
	return st
}

// grow doubles the input buffer, up to limit, for a partial frame that
// fills it. The first growth past engine.UnbudgetedInput reserves room for
// a whole frame of the limit from the server's input budget, waiting
// without reading until it is free, the frame times out or Shutdown gives
// up; the error says which ended the wait.
func (c *conn) grow(limit, stop int) error {
	size := min(2*len(c.buf), limit)
	if size > engine.UnbudgetedInput && c.held == 0 {
		if err := c.reserve(budget.Reservation(limit)); err != nil {
			return err
		}
	}
	grown := make([]byte, size)
	copy(grown, c.buf[:stop])
	c.buf = grown
	return nil
}

// reserve takes n bytes of the server's input budget for this connection,
// waiting at most until the frame in progress times out, and counts a
// wait when they are not free at once.
func (c *conn) reserve(n int) error {
	if !c.s.budget.TryReserve(n) {
		c.s.stats.BudgetWaits.Add(1)
		if err := c.s.budget.ReserveUntil(c.s.forcedCtx, n, c.clock.Deadline()); err != nil {
			return err
		}
		c.s.stats.BudgetGrants.Add(1)
	}
	c.held = n
	return nil
}

// shrink gives a buffer grown for a large frame back to the budget once
// what remains of the input, buf[start:stop], fits in
// engine.UnbudgetedInput, so that one large frame does not hold budget for
// the rest of the connection's life. It returns the new bounds.
func (c *conn) shrink(start, stop int) (int, int) {
	small := make([]byte, engine.UnbudgetedInput)
	n := copy(small, c.buf[start:stop])
	c.buf = small
	c.s.budget.Release(c.held)
	c.held = 0
	return 0, n
}

// starved ends a connection whose wait for input budget ended without
// it: its frame timed out, counted as idle too, its frame can never fit
// the budget, or Shutdown forced it closed.
func (c *conn) starved(err error, buffered int) end {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		c.s.stats.Idle.Add(1)
		c.s.stats.BudgetErrors.Add(1)
		c.s.cfg.Logger.Info("frame not completed in time while waiting for input budget",
			"fd", c.fd, "after", c.s.cfg.IdleTimeout, "bytes", buffered)
		return endBudget
	case errors.Is(err, budget.ErrTooLarge):
		c.s.stats.BudgetErrors.Add(1)
		c.s.cfg.Logger.Warn("connection closed: its frame can never fit the input budget", "fd", c.fd, "err", err)
		return endBudget
	}
	c.s.cfg.Logger.Debug("connection closed while waiting for input budget", "fd", c.fd, "err", err)
	return endIO
}

// errFrameTimeout reports a frame in progress that outlived IdleTimeout.
var errFrameTimeout = errors.New("threads: frame not completed within the idle timeout")

// armRead sets SO_RCVTIMEO for the next read: IdleTimeout, or with a
// partial frame buffered the time left until the frame times out, so a
// peer trickling a byte now and then of a frame it never finishes is
// closed like one that sends nothing. It returns errFrameTimeout if that
// time has run out.
//
// SO_RCVTIMEO counts from the start of each read, so with a partial
// frame the timeout must shrink from read to read. To spare a setsockopt
// per read, an armed timeout is kept while it ends no more than an eighth
// of IdleTimeout after the frame's deadline: a frame is closed between
// IdleTimeout and 9/8 IdleTimeout after it began.
func (c *conn) armRead(partial bool) error {
	idle := c.s.cfg.IdleTimeout
	if idle <= 0 {
		return nil
	}
	want := idle
	if partial {
		want = time.Until(c.clock.Deadline())
		if want <= 0 {
			return errFrameTimeout
		}
		if c.armed >= want && c.armed-want <= idle/8 {
			return nil
		}
	} else if c.armed == idle {
		return nil
	}
	if err := setTimeout(c.fd, unix.SO_RCVTIMEO, want); err != nil {
		return err
	}
	c.armed = want
	return nil
}

// frameTimeout ends a connection whose frame in progress did not complete
// within IdleTimeout, counted as idle.
func (c *conn) frameTimeout(buffered int) end {
	c.s.stats.Idle.Add(1)
	c.s.cfg.Logger.Info("frame not completed in time", "fd", c.fd, "after", c.s.cfg.IdleTimeout, "bytes", buffered)
	return endIdle
}
