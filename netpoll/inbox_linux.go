//go:build linux

package netpoll

import "net/netip"

// The inbox is how other goroutines hand work to a loop: functions from
// Submit and accepted sockets from the accepting loop. Both queues are
// guarded by Loop.mu and announced with one coalesced poller.wake.

// Submit runs fn on the loop's goroutine, after the events being handled
// now; it is how other goroutines reach a Conn (see Conn.Loop). It may be
// called from any goroutine, including the loop's own. Wake-ups coalesce:
// many Submits between two iterations cost one eventfd write. It returns
// ErrClosed if the loop has stopped, in which case fn will not run. A
// Conn may close between Submit and fn: fn then finds its Write
// returning ErrClosed, so a goroutine that pushes to a connection stops
// on ErrClosed from either call.
func (l *Loop) Submit(fn func()) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.tasks = append(l.tasks, fn)
	// Wake it under the lock: shutdown closes the inbox before the poller,
	// so the eventfd cannot be closed, and its number reused, under a
	// wake in flight.
	err := l.poller.wake()
	l.mu.Unlock()
	return err
}

// handoff gives an accepted socket to l. It closes fd and returns false
// if l has stopped.
func (l *Loop) handoff(fd int, addr netip.AddrPort) bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		_ = closeFD(fd)
		return false
	}
	l.incoming = append(l.incoming, pendingConn{fd, addr})
	err := l.poller.wake()
	l.mu.Unlock()
	if err != nil {
		l.cfg.Logger.Error("netpoll: wake loop", "loop", l.idx, "err", err)
	}
	return true
}

// runInbox opens handed-in connections, then runs submitted functions.
func (l *Loop) runInbox() {
	l.mu.Lock()
	tasks, incoming := l.tasks, l.incoming
	l.tasks, l.incoming = l.spareTasks, l.spareIncome
	l.mu.Unlock()
	for _, p := range incoming {
		l.open(p.fd, p.addr)
	}
	for i, fn := range tasks {
		tasks[i] = nil
		l.runTask(fn)
		if len(l.later) > 0 {
			l.settle()
		}
		l.sendHeldIfFull()
	}
	l.spareTasks, l.spareIncome = tasks[:0], incoming[:0]
}

func (l *Loop) runTask(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			l.cfg.Logger.Error("netpoll: submitted function panicked", "loop", l.idx, "panic", r)
		}
	}()
	fn()
}
