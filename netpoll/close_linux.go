//go:build linux

package netpoll

import (
	"os"

	"golang.org/x/sys/unix"
)

// fail marks c dead after a failed system call; the loop releases it at
// the next safe point.
func (l *Loop) fail(c *Conn, op string, err error) {
	if c.state >= stateDead {
		return
	}
	l.setErr(c, os.NewSyscallError(op, err))
	l.kill(c)
}

// kill marks c dead with the reason already recorded.
func (l *Loop) kill(c *Conn) {
	if c.state >= stateDead {
		return
	}
	c.state = stateDead
	l.later1(c)
}

// startClose begins a graceful close.
func (l *Loop) startClose(c *Conn) {
	c.state = stateDraining
	c.lastActive = l.now
	l.later1(c)
}

// later1 queues c for settle.
func (l *Loop) later1(c *Conn) {
	if c.flags&flagQueued == 0 {
		c.flags |= flagQueued
		l.later = append(l.later, c)
	}
}

// advance moves a closing connection on: flush, then shut down the write
// side and linger, then release.
func (l *Loop) advance(c *Conn) {
	switch c.state {
	case stateDraining:
		l.dropIn(c)
		if c.pending() {
			l.armTimer(c)
			l.updateInterest(c)
			return
		}
		if c.flags&flagEOF != 0 || l.draining {
			l.release(c)
			return
		}
		// Send the FIN now, unless CloseWrite did, and wait for the
		// peer's: closing with input still unread would send an RST
		// instead (see stateLinger).
		if c.flags&flagWrShut == 0 {
			if err := unix.Shutdown(int(c.fd), unix.SHUT_WR); err != nil {
				l.release(c)
				return
			}
		}
		c.state = stateLinger
		l.armTimer(c)
		l.updateInterest(c)
	case stateDead:
		l.release(c)
	}
}

// discard reads and drops input on a lingering connection until the peer
// closes, then releases it.
func (l *Loop) discard(c *Conn) {
	for range 4 {
		n, err := recvFD(int(c.fd), l.readBuf)
		if err == unix.EAGAIN {
			return
		}
		if err != nil || n == 0 {
			l.release(c)
			return
		}
		l.stats.bytesIn.Add(uint64(n))
	}
}

// release closes c's socket, returns what it borrowed and calls OnClose.
func (l *Loop) release(c *Conn) {
	if c.state == stateClosed {
		return
	}
	if l.ring != nil && l.ringRelease(c) {
		return
	}
	fd := int(c.fd)
	l.timers.remove(c)
	if l.ring == nil {
		_ = l.poller.del(fd)
	}
	if c.flags&flagAbort != 0 {
		// SO_LINGER with a zero timeout makes close send an RST and free
		// the socket's buffers at once (socket(7)), instead of leaving the
		// kernel to push unsent output to a peer that is not reading.
		_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	}
	_ = closeFD(fd)
	c.fd = -1 // see Conn.Fd
	l.conns[fd] = nil
	l.nconns--
	err := c.closeErr()
	l.releaseBusy(c)
	c.state = stateClosed
	// Counted before it leaves the active count, so that a Stats that no
	// longer shows the connection shows why it closed.
	l.count(err)
	l.stats.active.Add(-1)
	l.load.Add(-1)
	l.srv.active.Add(-1)
	l.callClose(c, err)
}

// count adds a closed connection to the counter its error belongs to.
func (l *Loop) count(err error) {
	switch err {
	case nil, ErrServerClosed, ErrInputLimit:
	case ErrIdleTimeout:
		l.stats.idleTimeouts.Add(1)
	case ErrWriteTimeout:
		l.stats.writeTimeouts.Add(1)
	case ErrCloseTimeout:
		l.stats.closeTimeout.Add(1)
	default:
		if _, ok := err.(*os.SyscallError); ok {
			l.stats.ioErrors.Add(1)
		}
	}
}

// dueAt returns c's true deadline and the error it closes c with, or 0
// when c has none.
func (l *Loop) dueAt(c *Conn) (int64, error) {
	var at int64
	var reason error
	earliest := func(t int64, err error) {
		if at == 0 || t < at {
			at, reason = t, err
		}
	}
	switch c.state {
	case stateOpen:
		if d := l.cfg.IdleTimeout; d > 0 {
			earliest(c.lastActive+int64(d), ErrIdleTimeout)
		}
		if l.draining && !c.inFlight {
			earliest(c.lastActive+int64(l.cfg.DrainQuiet), ErrServerClosed)
		}
	case stateDraining, stateLinger:
		earliest(c.lastActive+int64(l.cfg.CloseTimeout), ErrCloseTimeout)
	case stateConnecting:
		if d := l.cfg.ConnectTimeout; d > 0 {
			earliest(c.lastActive+int64(d), ErrConnectTimeout)
		}
	default:
		return 0, nil
	}
	if d := l.cfg.WriteTimeout; d > 0 && c.pending() {
		earliest(c.b.out.since+int64(d), ErrWriteTimeout)
	}
	return at, reason
}

// armTimer brings c's heap key forward to its true deadline if that is
// earlier; later deadlines are found lazily when the key comes due.
func (l *Loop) armTimer(c *Conn) {
	at, _ := l.dueAt(c)
	if at == 0 {
		return
	}
	if c.hidx < 0 || at < l.timers.deadline(c) {
		l.timers.set(c, at)
	}
}

// timedOut closes c for a deadline that passed. A connection that timed
// out with output pending is reset, so the kernel does not keep the
// output around for a peer that is not reading.
//
// A lingering connection has delivered everything; its peer just has not
// closed yet. It keeps the error it was closed with and is not counted as
// a timeout.
//
// A connection quiet for DrainQuiet during Shutdown gets a last read, in
// case input arrived since the loop last looked, and is closed gracefully
// only if that read found nothing.
func (l *Loop) timedOut(c *Conn, reason error) {
	if reason == ErrServerClosed && c.state == stateOpen {
		// A raw connection's handler does its own reading.
		if c.flags&(flagNoRead|flagRaw) == 0 {
			l.readConn(c)
		}
		if c.state != stateOpen {
			return
		}
		if c.lastActive == l.now {
			l.armTimer(c)
			return
		}
		l.setErr(c, ErrServerClosed)
		l.startClose(c)
		return
	}
	if c.state != stateLinger {
		l.setErr(c, reason)
		if c.pending() || reason != ErrIdleTimeout {
			c.flags |= flagAbort
		}
	}
	l.release(c)
}
