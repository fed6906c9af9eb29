//go:build linux

package netpoll

import "golang.org/x/sys/unix"

// SetRaw hands c's bytes to the handler for the rest of c's life: the
// loop stops reading c into its buffer and passes c's readiness to the
// handler's OnReadable and OnWritable (see RawHandler), and the handler
// reads and writes Fd itself, for example with splice(2). It is meant for
// OnOpen, before c has input or output of its own. The timeouts keep
// running: each readiness event counts as activity. Bytes the handler
// moves are not in Server.Stats. SetRaw reports whether c is raw: it is
// not when the server's Handler is no RawHandler, c is not open, or the
// server runs on the io_uring backend, which has a recv armed on c and
// no readiness to pass on.
func (c *Conn) SetRaw() bool {
	if c.state != stateOpen || c.loop.raw == nil || c.loop.ring != nil {
		return false
	}
	c.flags |= flagRaw
	return true
}

// WantWritable asks, with on, for OnWritable calls while raw connection
// c is writable, typically after a write of its Fd returned EAGAIN; off
// stops them. It does nothing on a connection that is not raw or not
// open.
func (c *Conn) WantWritable(on bool) {
	if c.state != stateOpen || c.flags&flagRaw == 0 || (c.flags&flagWantWrite != 0) == on {
		return
	}
	c.flags ^= flagWantWrite
	c.loop.updateInterest(c)
}

// SetInFlight tells the loop, with on, that the handler holds bytes in
// flight through c outside the loop's own buffers: read from c and not
// yet delivered elsewhere, or still to be written to c, as a forwarder
// holds them in a pipe while the destination does not read. Off says
// they are gone. During Shutdown a connection with bytes in flight is
// not quiet: the drain does not close it after Config.DrainQuiet, since
// that would lose them, and waits until the handler turns this off, the
// connection closes otherwise, or Shutdown's context ends. Once turned
// off during the drain, c's quiet period starts afresh. The idle and
// write timeouts keep running. It does nothing on a connection that is
// not open.
func (c *Conn) SetInFlight(on bool) {
	if c.state != stateOpen || c.inFlight == on {
		return
	}
	c.inFlight = on
	if !on && c.loop.draining {
		// The drain's deadline was dropped while the bytes were held
		// (dueAt); the quiet period counts from their delivery.
		c.lastActive = c.loop.now
		c.loop.armTimer(c)
	}
}

// CloseWrite shuts down c's write side (shutdown(2), SHUT_WR) once its
// pending output is flushed, so the peer reads end-of-file after the last
// byte while c itself goes on being read: a half-close, as a TCP
// forwarder passes one side's FIN on to the other. Write returns
// ErrClosed afterwards, and a later Close does not shut the write side
// again. It returns ErrClosed if c is not open or its write side is
// already shut, or the error of a failed shutdown, which closes c.
func (c *Conn) CloseWrite() error {
	if c.state != stateOpen || c.flags&flagWrShut != 0 {
		return ErrClosed
	}
	c.flags |= flagWrShut
	if c.pending() {
		return nil // flush shuts it down once the queue is empty
	}
	return c.loop.shutWrite(c)
}

// shutWrite sends c's FIN, failing c if the kernel refuses.
func (l *Loop) shutWrite(c *Conn) error {
	if err := unix.Shutdown(int(c.fd), unix.SHUT_WR); err != nil {
		l.fail(c, "shutdown", err)
		return c.closeErr()
	}
	return nil
}

// Abort closes c at once with a reset (SO_LINGER 0) instead of a FIN,
// discarding input and output the kernel still holds, as when the peer
// on the other side of a forwarded connection reset its own. OnClose
// receives err. It works on a connection that is closing gracefully too,
// cutting that close short, and returns ErrClosed only once c is dead or
// closed.
func (c *Conn) Abort(err error) error {
	if c.state >= stateDead {
		return ErrClosed
	}
	c.loop.setErr(c, err)
	c.flags |= flagAbort
	c.loop.kill(c)
	return nil
}

// rawEvent handles readiness of a raw or connecting connection: output
// the loop still holds goes first, then the handler's OnWritable if it
// asked for it, then OnReadable, as connEvent does for the loop's own
// reads and writes.
func (l *Loop) rawEvent(c *Conn, ev eventFlags) {
	if c.state == stateConnecting {
		l.connected(c)
		return
	}
	if ev&(eventWrite|eventErr|eventHup) != 0 {
		if c.pending() {
			l.flush(c)
		}
		if c.state == stateOpen && c.flags&flagWantWrite != 0 {
			c.lastActive = l.now
			l.callRaw(c, false)
		}
	}
	if ev&(eventRead|eventErr|eventHup) == 0 {
		return
	}
	switch c.state {
	case stateOpen:
		if c.flags&flagNoRead == 0 {
			c.lastActive = l.now
			l.callRaw(c, true)
		}
	case stateLinger:
		l.discard(c)
	}
}

// callRaw runs OnReadable (readable) or OnWritable, closing c if it
// panics.
func (l *Loop) callRaw(c *Conn, readable bool) {
	defer func() {
		if r := recover(); r != nil {
			where := "OnWritable"
			if readable {
				where = "OnReadable"
			}
			l.setErr(c, l.logPanic(where, r))
			l.kill(c)
		}
	}()
	if readable {
		l.raw.OnReadable(c)
	} else {
		l.raw.OnWritable(c)
	}
}

// Touch records activity on c, renewing its idle timeout, for a handler
// that moved bytes to or from a raw connection without a readiness event
// of c's own: a forwarder that writes a socket which keeps up is never
// told it is writable. It does nothing on a connection that is not open.
func (c *Conn) Touch() {
	if c.state == stateOpen {
		c.lastActive = c.loop.now
	}
}
