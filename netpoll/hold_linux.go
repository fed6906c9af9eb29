//go:build linux

package netpoll

// PauseReading stops reading c until ResumeReading: new input stays in the
// socket, where TCP flow control holds the peer back, and OnData is not
// called for it. A handler pauses a connection when it cannot take more
// input yet, for example while it waits for memory it shares with other
// connections. The idle and write timeouts keep running, and during
// Shutdown a paused connection counts as quiet. The pause is independent
// of the one past Config.WriteLimit: c is read again only once neither
// holds it. PauseReading does nothing on a closing connection.
func (c *Conn) PauseReading() {
	if c.state != stateOpen || c.flags&flagHeld != 0 {
		return
	}
	c.flags |= flagHeld
	// On epoll the read interest stays registered until input arrives
	// for the held connection, when connEvent drops it: a handler that
	// holds a connection while it serves a request, and resumes it
	// before the peer sends again, as a request-response peer does,
	// costs no epoll_ctl at all. Interest is level-triggered, so input
	// that arrives while the connection is held is reported again once
	// it is registered again.
	if c.loop.ring != nil || c.flags&flagRaw != 0 {
		c.loop.updateInterest(c)
	}
}

// ResumeReading undoes PauseReading. Input that arrived meanwhile is read
// on the loop's next round. From another goroutine, call it through
// Loop.Submit, as every Conn method but Loop.
func (c *Conn) ResumeReading() {
	if c.state != stateOpen || c.flags&flagHeld == 0 {
		return
	}
	c.flags &^= flagHeld
	c.loop.updateInterest(c)
}
