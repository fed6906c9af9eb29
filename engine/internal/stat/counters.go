// Package stat holds the live counters behind engine.Stats, which every
// engine updates as it serves and snapshots for Server.Stats. It is
// internal to package engine and its engines.
//
// What an engine counts per message (frames, bytes) was counted before
// metrics existed and stays as it was; everything else here is counted
// per connection (opened, closed, with its lifetime) or on a slow path
// (a write that finds the socket full, a wait for input budget, a failed
// echo), so exporting these counters costs the per-message path nothing.
package stat

import (
	"sync/atomic"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// Reason says why a served TCP connection was closed; each feeds the
// engine.CloseStats field of the same name. Connections rejected at once
// for MaxConns were never served: Rejected feeds CloseStats.MaxConns.
type Reason uint8

// The reasons a connection is closed for.
const (
	Peer Reason = iota
	Shutdown
	Idle
	WriteTimeout
	IO
	Frame
	Budget
	numReasons
)

// Counters are the live counters behind engine.Stats, safe for
// concurrent use. Engines embed or share one Counters and call Snapshot
// for Server.Stats.
type Counters struct {
	// Each field feeds the engine.Stats field of the same name;
	// FrameErrors feeds Errors.Frame and the other error counters the
	// engine.ErrorStats fields.
	Accepted, Frames, BytesIn, BytesOut atomic.Uint64
	Active                              atomic.Int64
	FrameErrors, Truncated, Rejected    atomic.Uint64
	Idle, WriteTimeout, IO, Accept      atomic.Uint64
	Backpressure, RateLimited           atomic.Uint64
	EMFILE, BudgetErrors, Unechoed      atomic.Uint64
	Resumed, BudgetWaits, BudgetGrants  atomic.Uint64
	// OutputQueued is a gauge the engine keeps up to date on the slow
	// path where output has to wait.
	OutputQueued atomic.Int64

	// closed counts closes by Reason; Close updates it.
	closed [numReasons]atomic.Uint64
	// lifetime is a histogram of connection lifetimes, one counter per
	// engine.LifetimeBuckets entry and one over them all, and their sum
	// in nanoseconds.
	lifetime    [len(engine.LifetimeBuckets) + 1]atomic.Uint64
	lifetimeSum atomic.Int64
}

// Close counts a served connection closed for why after it was open for
// lived.
func (c *Counters) Close(why Reason, lived time.Duration) {
	c.closed[why].Add(1)
	c.lifetime[engine.LifetimeBucket(lived)].Add(1)
	c.lifetimeSum.Add(int64(lived))
}

// Snapshot returns the current values of a TCP server.
func (c *Counters) Snapshot() engine.Stats {
	s := engine.Stats{
		Accepted:     c.Accepted.Load(),
		Active:       c.Active.Load(),
		Frames:       c.Frames.Load(),
		BytesIn:      c.BytesIn.Load(),
		BytesOut:     c.BytesOut.Load(),
		Resumed:      c.Resumed.Load(),
		BudgetWaits:  c.BudgetWaits.Load(),
		BudgetGrants: c.BudgetGrants.Load(),
		OutputQueued: c.OutputQueued.Load(),
		Errors: engine.ErrorStats{
			Frame:        c.FrameErrors.Load(),
			Truncated:    c.Truncated.Load(),
			RateLimited:  c.RateLimited.Load(),
			Rejected:     c.Rejected.Load(),
			Idle:         c.Idle.Load(),
			WriteTimeout: c.WriteTimeout.Load(),
			IO:           c.IO.Load(),
			Accept:       c.Accept.Load(),
			EMFILE:       c.EMFILE.Load(),
			Budget:       c.BudgetErrors.Load(),
			Unechoed:     c.Unechoed.Load(),
			Backpressure: c.Backpressure.Load(),
		},
	}
	s.FramesIn = s.Frames + s.Errors.Unechoed
	s.Closed = c.CloseStats()
	s.Lifetime = c.Lifetime()
	return s
}

// SnapshotUDP returns the current values of a UDP server. Datagrams is
// the sum of the ends a datagram can come to: echoed, echo failed,
// truncated, rate limited or not one frame.
func (c *Counters) SnapshotUDP() engine.Stats {
	s := c.Snapshot()
	s.Datagrams = s.FramesIn + s.Errors.Truncated + s.Errors.RateLimited + s.Errors.Frame
	return s
}

// CloseStats returns the closes counted by reason.
func (c *Counters) CloseStats() engine.CloseStats {
	return engine.CloseStats{
		Peer:         c.closed[Peer].Load(),
		Shutdown:     c.closed[Shutdown].Load(),
		Idle:         c.closed[Idle].Load(),
		WriteTimeout: c.closed[WriteTimeout].Load(),
		IO:           c.closed[IO].Load(),
		Frame:        c.closed[Frame].Load(),
		Budget:       c.closed[Budget].Load(),
		MaxConns:     c.Rejected.Load(),
	}
}

// Lifetime returns the histogram of connection lifetimes.
func (c *Counters) Lifetime() engine.Lifetime {
	var l engine.Lifetime
	for i := range c.lifetime {
		l.Buckets[i] = c.lifetime[i].Load()
	}
	l.Sum = time.Duration(c.lifetimeSum.Load())
	return l
}
