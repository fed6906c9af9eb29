//go:build linux

package netpoll

import "errors"

// checkDrained reports the loop drained once nothing is left to finish.
func (l *Loop) checkDrained() {
	if l.nconns > 0 || (l.udp != nil && l.udp.pending() > 0) {
		return
	}
	l.drainSignalled = true
	l.srv.loopDrained()
}

// beginDrain starts a graceful shutdown of the loop's connections: each
// open one is served until it has been quiet for Config.DrainQuiet (see
// timedOut), then closed gracefully; connections lingering after a close
// are closed at once. The quiet deadlines of connections already quiet
// fall due in this same round.
func (l *Loop) beginDrain() {
	l.draining = true
	for _, c := range l.conns {
		if c == nil {
			continue
		}
		switch c.state {
		case stateOpen:
			l.armTimer(c)
		case stateLinger:
			l.release(c)
		}
	}
	if l.udp != nil {
		l.udpStopReading()
	}
	l.checkDrained()
}

// shutdown releases everything the loop holds once it has stopped: the
// inbox is closed, queued work runs or is closed, connections are closed
// with ErrServerClosed, and every descriptor is released.
func (l *Loop) shutdown() error {
	// The ring goes first: closing it cancels every request, so the
	// connections below are released at once, their buffers with them.
	var ringErr error
	if l.ring != nil {
		ringErr = l.ring.close()
	}
	l.mu.Lock()
	l.closed = true
	tasks, incoming := l.tasks, l.incoming
	l.tasks, l.incoming = nil, nil
	l.mu.Unlock()
	for _, fn := range tasks {
		l.runTask(fn)
	}
	for _, p := range incoming {
		_ = closeFD(p.fd)
		l.load.Add(-1)
		l.srv.active.Add(-1)
	}
	for _, c := range l.conns {
		if c == nil || c.state == stateClosed {
			continue
		}
		if c.closeErr() == nil || c.state == stateOpen {
			l.setErr(c, ErrServerClosed)
		}
		if c.pending() {
			c.flags |= flagAbort
		}
		l.release(c)
	}
	l.later = l.later[:0]
	var errs []error
	if l.ln != nil {
		errs = append(errs, l.ln.close())
	}
	if l.udp != nil {
		errs = append(errs, l.udp.close())
	}
	errs = append(errs, l.poller.close(), ringErr)
	return errors.Join(errs...)
}
