//go:build linux

package pool

import (
	"github.com/rawnet/rawnet/engine"
)

// Stats merges the reactor's counters (connections, bytes, timeouts,
// accept errors, backpressure, truncation, datagrams) with the engine's
// own (frames, frame errors, rate-limited datagrams, replies the workers
// sent or dropped, closes by reason, lifetimes, input budget waits); the
// output queued is the reactor's count, as in the epoll engine.
func (s *server) Stats() engine.Stats {
	np := s.np.Stats()
	var c engine.Stats
	for i := range s.loops {
		l := s.loops[i].Snapshot()
		c.Frames += l.Frames
		c.BytesOut += l.BytesOut
		c.Errors.Frame += l.Errors.Frame
		c.Errors.RateLimited += l.Errors.RateLimited
		c.Errors.Unechoed += l.Errors.Unechoed
		c.Errors.Budget += l.Errors.Budget
		c.Errors.IO += l.Errors.IO
		c.BudgetWaits += l.BudgetWaits
		c.BudgetGrants += l.BudgetGrants
		c.Closed.Add(l.Closed)
		for j, n := range l.Lifetime.Buckets {
			c.Lifetime.Buckets[j] += n
		}
		c.Lifetime.Sum += l.Lifetime.Sum
	}
	c.Accepted = np.Accepted
	c.Active = np.Active
	c.Closed.MaxConns = np.Rejected
	c.BytesIn = np.BytesIn
	c.BytesOut += np.BytesOut
	c.Errors.Truncated = np.Truncated
	c.Errors.Rejected = np.Rejected
	c.Errors.Idle = np.IdleTimeouts
	// Output that did not drain within the close timeout after a close
	// made no progress either.
	c.Errors.WriteTimeout = np.WriteTimeouts + np.CloseTimeouts
	c.Errors.IO += np.IOErrors + np.DroppedReplies
	c.Errors.Accept = np.AcceptErrors
	c.Errors.EMFILE = np.AcceptErrors
	c.Errors.Backpressure = np.Backpressure
	c.Resumed = np.Resumed
	c.FramesIn = c.Frames + c.Errors.Unechoed
	if s.udp {
		c.Datagrams = np.Datagrams + np.Truncated
		return c
	}
	c.InputBudget = int64(s.budget.Size())
	c.InputBudgetUsed = int64(s.budget.Size() - s.budget.Free())
	c.OutputQueued = np.Queued
	return c
}
