// Package stat holds the live counters behind engine.Stats, which every
// engine updates as it serves and snapshots for Server.Stats. It is
// internal to package engine and its engines.
package stat

import (
	"sync/atomic"

	"github.com/rawnet/rawnet/engine"
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
}

// Snapshot returns the current values.
func (c *Counters) Snapshot() engine.Stats {
	return engine.Stats{
		Accepted: c.Accepted.Load(),
		Active:   c.Active.Load(),
		Frames:   c.Frames.Load(),
		BytesIn:  c.BytesIn.Load(),
		BytesOut: c.BytesOut.Load(),
		Errors: engine.ErrorStats{
			Frame:        c.FrameErrors.Load(),
			Truncated:    c.Truncated.Load(),
			RateLimited:  c.RateLimited.Load(),
			Rejected:     c.Rejected.Load(),
			Idle:         c.Idle.Load(),
			WriteTimeout: c.WriteTimeout.Load(),
			IO:           c.IO.Load(),
			Accept:       c.Accept.Load(),
			Backpressure: c.Backpressure.Load(),
		},
	}
}
