//go:build linux

package epoll

import (
	"time"

	"github.com/rawnet/rawnet/netpoll"
)

// What the engine keeps per TCP connection, as its netpoll context: when
// it opened, for Stats.Lifetime, and, only while a large frame holds or
// waits for input budget, a *bigFrame (budget_linux.go). An idle
// connection costs the engine one 8-byte openedAt.

// openedAt is the context of a connection without a large frame: when it
// opened, as time since the server's epoch.
type openedAt time.Duration

// badFrameAt is an openedAt once the handler closed the connection for a
// bad frame, so that OnClose counts it as such whatever timeout ends the
// close.
type badFrameAt time.Duration

// note is what a connection's context says about it.
type note struct {
	opened   time.Duration
	badFrame bool
}

// noteOf reads c's context.
func noteOf(c *netpoll.Conn) note {
	switch v := c.Context().(type) {
	case openedAt:
		return note{opened: time.Duration(v)}
	case badFrameAt:
		return note{opened: time.Duration(v), badFrame: true}
	case *bigFrame:
		return note{opened: v.opened, badFrame: v.badFrame}
	}
	return note{}
}

// markBadFrame notes in c's context that the handler closed it for a bad
// frame.
func markBadFrame(c *netpoll.Conn) {
	switch v := c.Context().(type) {
	case openedAt:
		c.SetContext(badFrameAt(v))
	case *bigFrame:
		v.badFrame = true
	}
}

// hasBigFrame reports whether c holds or waits for input budget.
func hasBigFrame(c *netpoll.Conn) bool {
	_, ok := c.Context().(*bigFrame)
	return ok
}
