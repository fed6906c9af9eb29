package engine

import "sync/atomic"

// Stats is a snapshot of a server's counters.
type Stats struct {
	// Accepted counts TCP connections accepted, including rejected ones.
	Accepted uint64 `json:"accepted"`
	// Active is the number of TCP connections open now.
	Active int64 `json:"active"`
	// Frames counts frames (or datagrams) echoed.
	Frames uint64 `json:"frames"`
	// BytesIn and BytesOut count payload bytes read and written.
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
	// Errors counts failures by kind.
	Errors ErrorStats `json:"errors"`
}

// ErrorStats counts failures by kind.
type ErrorStats struct {
	// Frame counts connections closed, or datagrams dropped, for bad
	// framing: a frame over the limit or a bad header.
	Frame uint64 `json:"frame"`
	// Truncated counts UDP datagrams dropped because they did not fit the
	// receive buffer.
	Truncated uint64 `json:"truncated"`
	// RateLimited counts UDP datagrams dropped, never echoed, because
	// their source was over Config.UDPRateLimit.
	RateLimited uint64 `json:"rate_limited"`
	// Rejected counts connections closed at once because MaxConns was
	// reached.
	Rejected uint64 `json:"rejected"`
	// Idle counts connections closed by the idle timeout.
	Idle uint64 `json:"idle"`
	// WriteTimeout counts connections closed because output made no
	// progress within the write timeout.
	WriteTimeout uint64 `json:"write_timeout"`
	// IO counts connections ended by a read or write error such as
	// ECONNRESET or EPIPE.
	IO uint64 `json:"io"`
	// Accept counts failed accept calls, such as EMFILE.
	Accept uint64 `json:"accept"`
	// Backpressure counts the times reading a connection was paused
	// because its output passed the write limit.
	Backpressure uint64 `json:"backpressure"`
}

// Counters are the live counters behind Stats, safe for concurrent use.
// Engines embed or share one Counters and call Snapshot for Stats.
type Counters struct {
	// Each field feeds the Stats field of the same name; FrameErrors feeds
	// Errors.Frame and the other error counters the ErrorStats fields.
	Accepted, Frames, BytesIn, BytesOut atomic.Uint64
	Active                              atomic.Int64
	FrameErrors, Truncated, Rejected    atomic.Uint64
	Idle, WriteTimeout, IO, Accept      atomic.Uint64
	Backpressure, RateLimited           atomic.Uint64
}

// Snapshot returns the current values.
func (c *Counters) Snapshot() Stats {
	return Stats{
		Accepted: c.Accepted.Load(),
		Active:   c.Active.Load(),
		Frames:   c.Frames.Load(),
		BytesIn:  c.BytesIn.Load(),
		BytesOut: c.BytesOut.Load(),
		Errors: ErrorStats{
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
