// Package partial times a connection's frame in progress for the engines
// that block on a connection (std, threads). engine.Config.IdleTimeout
// bounds a frame in progress as well as silence: a partial frame must
// complete within IdleTimeout of the later of its first byte and the end
// of the frame before it, so a peer that trickles a byte now and then of a
// frame it never finishes (slowloris) is closed like one that sends
// nothing. It is internal to package engine and its engines.
package partial

import "time"

// Clock keeps when a connection's frame in progress began. A Clock with no
// idle timeout, the zero value included, keeps nothing and sets no
// deadline. It is owned by the connection's goroutine.
type Clock struct {
	idle time.Duration
	// since is when the frame in progress began, or when the last
	// complete frame ended while a partial one is buffered; zero with no
	// partial frame.
	since time.Time
}

// NewClock returns a Clock for frames bounded by idle; 0 means none.
func NewClock(idle time.Duration) Clock {
	return Clock{idle: idle}
}

// Framed notes, after the frames of a read were handled, where the frame
// in progress stands: frames is how many the read completed and partial
// the bytes of the next one now buffered. The frame's clock starts now if
// the read completed a frame or began the partial one, and runs on
// unchanged if the read only added to it, so a trickle does not renew it.
func (c *Clock) Framed(frames, partial int) {
	if c.idle <= 0 {
		return
	}
	switch {
	case partial == 0:
		c.since = time.Time{}
	case frames > 0 || c.since.IsZero():
		c.since = time.Now()
	}
}

// Deadline returns when the frame in progress times out, or the zero
// Time when there is none or no idle timeout.
func (c *Clock) Deadline() time.Time {
	if c.idle <= 0 || c.since.IsZero() {
		return time.Time{}
	}
	return c.since.Add(c.idle)
}
