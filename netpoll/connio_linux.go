//go:build linux

package netpoll

import (
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// maxIOV is the most iovecs one sendmsg takes (UIO_MAXIOV, and IOV_MAX in
// limits.h).
const maxIOV = 1024

// open registers an accepted socket and announces it to the handler.
func (l *Loop) open(fd int, addr netip.AddrPort) {
	l.gen++
	if l.gen == 0 { // tag 0 is never a connection's
		l.gen = 1
	}
	c := &Conn{loop: l, fd: int32(fd), gen: l.gen, hidx: -1, remote: addr, lastActive: l.now}
	if err := l.poller.Add(fd, c.gen, EventRead); err != nil {
		l.cfg.Logger.Error("netpoll: register connection", "loop", l.idx, "err", err)
		_ = closeFD(fd)
		l.load.Add(-1)
		l.srv.active.Add(-1)
		return
	}
	c.events = EventRead
	for fd >= len(l.conns) {
		l.conns = append(l.conns[:cap(l.conns)], nil)
	}
	l.conns[fd] = c
	l.nconns++
	l.stats.active.Add(1)
	l.armTimer(c)
	l.callOpen(c)
	if l.draining && c.state == stateOpen {
		c.err = ErrServerClosed
		l.startClose(c)
	}
	if len(l.later) > 0 {
		l.settle()
	}
}

// connEvent handles readiness of one connection. Output goes first, for
// three reasons: a connection that failed reports it on the write as well
// as the read; freeing send-buffer space first lets the echo that the read
// is about to produce go straight out instead of being queued; and a
// connection paused by backpressure may be resumed by the flush and read
// in the same round.
func (l *Loop) connEvent(c *Conn, ev Events) {
	if ev&(EventWrite|EventErr|EventHup) != 0 && c.out != nil {
		l.flush(c)
	}
	if ev&(EventRead|EventErr|EventHup) == 0 {
		return
	}
	switch c.state {
	case stateOpen:
		if c.flags&flagPaused == 0 {
			l.readConn(c)
		}
	case stateLinger:
		l.discard(c)
	}
}

// readConn reads c until the socket is drained, the read budget is spent,
// or c stops being readable. A read that does not fill the buffer means
// the socket is empty: reading again would only return EAGAIN, so the loop
// waits for epoll to say there is more.
func (l *Loop) readConn(c *Conn) {
	for budget := l.cfg.ReadBudget; budget > 0 && c.state == stateOpen && c.flags&flagPaused == 0; {
		buf := l.readBuf
		if c.in != nil {
			l.growIn(c)
			buf = c.in[len(c.in):cap(c.in)]
		}
		n, err := readFD(int(c.fd), buf)
		if err != nil {
			if err != unix.EAGAIN {
				l.fail(c, "read", err)
			}
			return
		}
		if n == 0 {
			l.peerClosed(c)
			return
		}
		l.stats.bytesIn.Add(uint64(n))
		c.lastActive = l.now
		data := buf[:n]
		if c.in != nil {
			c.in = c.in[:len(c.in)+n]
			data = c.in
		}
		l.keep(c, data, l.callData(c, data))
		if n < len(buf) {
			return
		}
		budget -= n
	}
}

// keep holds on to the input the handler left unconsumed: a tail of the
// shared read buffer is copied into a buffer of its own, just big enough;
// a tail already in c's buffer is moved to its front.
func (l *Loop) keep(c *Conn, data []byte, used int) {
	rest := len(data) - used
	if rest == 0 || c.state != stateOpen {
		l.dropIn(c)
		return
	}
	if c.in == nil {
		c.in = append(l.pool.get(2*rest), data[used:]...)
	} else if used > 0 {
		c.in = c.in[:copy(c.in, c.in[used:])]
		if cap(c.in) > maxChunk && rest < cap(c.in)/8 {
			small := append(l.pool.get(2*rest), c.in...)
			l.pool.put(c.in)
			c.in = small
		}
	}
	if rest >= l.cfg.InputLimit {
		c.err = ErrInputLimit
		c.flags |= flagAbort
		l.kill(c)
	}
}

// growIn makes room for the next read into c.in: at least as much room as
// it holds and never under minChunk, so a frame arriving in many pieces is
// copied O(log n) times, not once per piece.
func (l *Loop) growIn(c *Conn) {
	held := len(c.in)
	if cap(c.in)-held >= max(held, minChunk) {
		return
	}
	bigger := append(l.pool.get(2*held+minChunk), c.in...)
	l.pool.put(c.in)
	c.in = bigger
}

func (l *Loop) dropIn(c *Conn) {
	if c.in != nil {
		l.pool.put(c.in)
		c.in = nil
	}
}

// peerClosed handles the peer's FIN: OnData has seen every byte, so what
// is left is to flush the output and close.
func (l *Loop) peerClosed(c *Conn) {
	c.flags |= flagEOF
	l.dropIn(c)
	l.startClose(c)
}

// queue appends b to c's output, arming EPOLLOUT and the write timeout
// when output starts pending, and pausing reads past the write limit.
func (l *Loop) queue(c *Conn, b []byte) {
	if c.out == nil {
		if k := len(l.outFree); k > 0 {
			c.out = l.outFree[k-1]
			l.outFree = l.outFree[:k-1]
		} else {
			c.out = new(outQueue)
		}
		c.out.since = l.now
		l.armTimer(c)
	}
	c.out.append(&l.pool, b)
	if c.out.n > l.cfg.WriteLimit && c.flags&flagPaused == 0 {
		c.flags |= flagPaused
		l.stats.backpressure.Add(1)
	}
	l.updateInterest(c)
}

// flush writes pending output until the socket is full or the queue is
// empty, with one sendmsg for all pending chunks.
func (l *Loop) flush(c *Conn) {
	q := c.out
	for q.n > 0 {
		n, tried, err := l.send(c, q)
		if err != nil {
			if err != unix.EAGAIN {
				l.fail(c, "sendmsg", err)
				return
			}
			break
		}
		q.consume(&l.pool, n)
		q.since = l.now
		l.stats.bytesOut.Add(uint64(n))
		if c.state == stateOpen {
			c.lastActive = l.now
		}
		if n < tried {
			break // the socket is full; another try would fail with EAGAIN
		}
	}
	if q.n == 0 {
		l.putOut(c)
	}
	if c.flags&flagPaused != 0 && (c.out == nil || c.out.n <= l.cfg.WriteLimit/2) {
		c.flags &^= flagPaused
	}
	if c.state == stateDraining && c.out == nil {
		l.advance(c)
		return
	}
	l.updateInterest(c)
}

// send writes the pending chunks: with send(2) for one, with one
// sendmsg(2) for several. It returns the bytes written and tried.
func (l *Loop) send(c *Conn, q *outQueue) (n, tried int, err error) {
	pieces := q.pieces()
	if len(pieces) == 1 {
		b := pieces[0][q.off:]
		n, err = sendFD(int(c.fd), b)
		return n, len(b), err
	}
	pieces = pieces[:min(len(pieces), maxIOV)]
	l.iov = l.iov[:0]
	for i, p := range pieces {
		if i == 0 {
			p = p[q.off:]
		}
		v := unix.Iovec{Base: &p[0]}
		v.SetLen(len(p))
		l.iov = append(l.iov, v)
		tried += len(p)
	}
	l.msg.Iov = &l.iov[0]
	l.msg.SetIovlen(len(l.iov))
	n, err = sendmsgFD(int(c.fd), &l.msg)
	l.msg.Iov = nil
	clear(l.iov) // drop the references to the chunks
	return n, tried, err
}

func (l *Loop) putOut(c *Conn) {
	if c.out == nil {
		return
	}
	c.out.reset(&l.pool)
	l.outFree = append(l.outFree, c.out)
	c.out = nil
}

// wantEvents is the interest c's state calls for. EPOLLRDHUP is never
// registered: it is level-triggered like the rest, so on a connection
// that is not being read (paused, or flushing before close) a peer's
// half-close would be reported on every wait; EPOLLIN already reports the
// FIN as a zero-byte read.
func wantEvents(c *Conn) Events {
	var ev Events
	switch c.state {
	case stateOpen:
		if c.flags&flagPaused == 0 {
			ev |= EventRead
		}
	case stateLinger:
		ev |= EventRead
	}
	if c.out != nil {
		ev |= EventWrite
	}
	return ev
}

// updateInterest re-registers c if its interest changed.
func (l *Loop) updateInterest(c *Conn) {
	want := wantEvents(c)
	if want == c.events || c.state >= stateDead {
		return
	}
	if err := l.poller.Mod(int(c.fd), c.gen, want); err != nil {
		l.fail(c, "epoll_ctl", err)
		return
	}
	c.events = want
}

// fail marks c dead after a failed system call; the loop releases it at
// the next safe point.
func (l *Loop) fail(c *Conn, op string, err error) {
	if c.state >= stateDead {
		return
	}
	c.err = os.NewSyscallError(op, err)
	l.kill(c)
}

// kill marks c dead with the error already in c.err.
func (l *Loop) kill(c *Conn) {
	c.state = stateDead
	l.later1(c)
}

// startClose begins a graceful close.
func (l *Loop) startClose(c *Conn) {
	c.state = stateDraining
	c.lastActive = l.now
	l.later1(c)
}

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
		if c.out != nil {
			l.armTimer(c)
			l.updateInterest(c)
			return
		}
		if c.flags&flagEOF != 0 || l.draining {
			l.release(c)
			return
		}
		// Send the FIN now and wait for the peer's: closing with input
		// still unread would send an RST instead (see stateLinger).
		if err := unix.Shutdown(int(c.fd), unix.SHUT_WR); err != nil {
			l.release(c)
			return
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
		n, err := readFD(int(c.fd), l.readBuf)
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

// release closes c's socket, returns its buffers and calls OnClose.
func (l *Loop) release(c *Conn) {
	if c.state == stateClosed {
		return
	}
	fd := int(c.fd)
	l.timers.remove(c)
	_ = l.poller.Del(fd)
	if c.flags&flagAbort != 0 {
		// SO_LINGER with a zero timeout makes close send an RST and free
		// the socket's buffers at once (socket(7)), instead of leaving the
		// kernel to push unsent output to a peer that is not reading.
		_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	}
	_ = closeFD(fd)
	l.conns[fd] = nil
	l.nconns--
	l.dropIn(c)
	l.putOut(c)
	c.state = stateClosed
	l.stats.active.Add(-1)
	l.load.Add(-1)
	l.srv.active.Add(-1)
	l.count(c.err)
	l.callClose(c)
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
		if l.draining {
			earliest(c.lastActive+int64(l.cfg.DrainQuiet), ErrServerClosed)
		}
	case stateDraining, stateLinger:
		earliest(c.lastActive+int64(l.cfg.CloseTimeout), ErrCloseTimeout)
	default:
		return 0, nil
	}
	if d := l.cfg.WriteTimeout; d > 0 && c.out != nil {
		earliest(c.out.since+int64(d), ErrWriteTimeout)
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
	if c.hidx < 0 || at < c.deadline {
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
		if c.flags&flagPaused == 0 {
			l.readConn(c)
		}
		if c.state != stateOpen {
			return
		}
		if c.lastActive == l.now {
			l.armTimer(c)
			return
		}
		c.err = ErrServerClosed
		l.startClose(c)
		return
	}
	if c.state != stateLinger {
		c.err = reason
		if c.out != nil || reason != ErrIdleTimeout {
			c.flags |= flagAbort
		}
	}
	l.release(c)
}

// callOpen, callData and callClose run the handler, closing the
// connection if it panics.
func (l *Loop) callOpen(c *Conn) {
	defer func() {
		if r := recover(); r != nil {
			c.err = l.logPanic("OnOpen", r)
			l.kill(c)
		}
	}()
	l.handler.OnOpen(c)
}

func (l *Loop) callData(c *Conn, data []byte) (used int) {
	defer func() {
		if r := recover(); r != nil {
			c.err = l.logPanic("OnData", r)
			l.kill(c)
			used = len(data)
		}
	}()
	used = l.handler.OnData(c, data)
	return min(max(used, 0), len(data))
}

func (l *Loop) callClose(c *Conn) {
	defer func() {
		if r := recover(); r != nil {
			_ = l.logPanic("OnClose", r)
		}
	}()
	l.handler.OnClose(c, c.err)
}
