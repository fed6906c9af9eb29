//go:build linux

package epoll

import (
	"sync/atomic"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/netpoll"
)

// loopCounters are the counters one loop's callbacks update, padded so
// that two loops never write the same cache line.
type loopCounters struct {
	stat.Counters
	// conns counts the TCP connections open on this loop, which shows
	// how the balance policy spread them (TestBalanceModes); the reactor
	// keeps its own count for LeastConn but does not export it.
	conns atomic.Int64
	_     [64]byte
}

// counters returns the counters of loop l.
func (s *server) counters(l *netpoll.Loop) *stat.Counters {
	return &s.counter[l.Index()].Counters
}

// Stats merges the reactor's counters (connections, bytes, timeouts,
// accept errors, backpressure, truncation, datagrams) with the engine's
// own (frames, frame errors, rate-limited datagrams, closes by reason,
// lifetimes, input budget waits); the output queued is the reactor's
// count. The reactor counts every failed accept alike,
// so EMFILE is every accept failure (ENGINES.md, "Metrics").
func (s *server) Stats() engine.Stats {
	np := s.np.Stats()
	var c engine.Stats
	var lt engine.Lifetime
	for i := range s.counter {
		l := s.counter[i].Snapshot()
		c.Frames += l.Frames
		c.Errors.Frame += l.Errors.Frame
		c.Errors.RateLimited += l.Errors.RateLimited
		c.Errors.Unechoed += l.Errors.Unechoed
		c.Errors.Budget += l.Errors.Budget
		c.BudgetWaits += l.BudgetWaits
		c.BudgetGrants += l.BudgetGrants
		c.Closed.Add(l.Closed)
		for j, n := range l.Lifetime.Buckets {
			lt.Buckets[j] += n
		}
		lt.Sum += l.Lifetime.Sum
	}
	c.Lifetime = lt
	c.Accepted = np.Accepted
	c.Active = np.Active
	c.Closed.MaxConns = np.Rejected
	c.BytesIn = np.BytesIn
	c.BytesOut = np.BytesOut
	c.Errors.Truncated = np.Truncated
	c.Errors.Rejected = np.Rejected
	c.Errors.Idle = np.IdleTimeouts
	// Output that did not drain within the close timeout after a close
	// made no progress either.
	c.Errors.WriteTimeout = np.WriteTimeouts + np.CloseTimeouts
	c.Errors.IO = np.IOErrors + np.DroppedReplies
	c.Errors.Accept = np.AcceptErrors
	c.Errors.EMFILE = np.AcceptErrors
	c.Errors.Backpressure = np.Backpressure
	c.Resumed = np.Resumed
	if s.udp {
		// A reply is counted in Frames when it is queued for sendmmsg;
		// one the kernel then refuses counts as unechoed as well.
		c.FramesIn = c.Frames
		c.Errors.Unechoed += np.DroppedReplies
		c.Datagrams = np.Datagrams + np.Truncated
		return c
	}
	c.FramesIn = c.Frames + c.Errors.Unechoed
	c.InputBudget = int64(s.budget.Size())
	c.InputBudgetUsed = int64(s.budget.Size() - s.budget.Free())
	c.OutputQueued = np.Queued
	return c
}
