//go:build linux

package netpoll

import (
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// open registers an accepted socket and announces it to the handler.
func (l *Loop) open(fd int, addr netip.AddrPort) {
	l.gen++
	if l.gen == 0 { // tag 0 is never a connection's
		l.gen = 1
	}
	c := &Conn{loop: l, fd: int32(fd), gen: l.gen, hidx: -1, lastActive: l.now,
		addr: addr.Addr().As16(), port: addr.Port()}
	if err := l.register(c); err != nil {
		l.cfg.Logger.Error("netpoll: register connection", "loop", l.idx, "err", err)
		_ = closeFD(fd)
		l.load.Add(-1)
		l.srv.active.Add(-1)
		return
	}
	for fd >= len(l.conns) {
		l.conns = append(l.conns[:cap(l.conns)], nil)
	}
	l.conns[fd] = c
	l.nconns++
	l.stats.active.Add(1)
	l.armTimer(c)
	l.callOpen(c)
	if l.draining && c.state == stateOpen {
		l.setErr(c, ErrServerClosed)
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
func (l *Loop) connEvent(c *Conn, ev eventFlags) {
	if c.flags&flagRaw != 0 || c.state == stateConnecting {
		l.rawEvent(c, ev)
		return
	}
	if ev&(eventWrite|eventErr|eventHup) != 0 && c.pending() {
		l.flush(c)
	}
	if ev&(eventRead|eventErr|eventHup) == 0 {
		return
	}
	switch c.state {
	case stateOpen:
		if c.flags&flagNoRead == 0 {
			l.readConn(c)
		} else {
			l.updateInterest(c) // held since it last registered (PauseReading)
		}
	case stateLinger:
		l.discard(c)
	}
}

// shareFor is how long after a round with several descriptors ready a
// loop keeps turns to Config.ReadShare.
const shareFor = int64(time.Millisecond)

// sharing reports whether turns are short now: Config.ReadShare is set
// and this round, or one less than shareFor ago, found several
// descriptors ready.
func (l *Loop) sharing() bool {
	if l.cfg.ReadShare == 0 {
		return false
	}
	if l.poller.used > 1 {
		l.sharedAt = l.now
	}
	return l.now-l.sharedAt < shareFor
}

// readConn reads c until the socket is drained, the read budget is spent,
// or c stops being readable. A read that does not fill the buffer means
// the socket is empty: reading again would only return EAGAIN, so the loop
// waits for epoll to say there is more. Config.ReadShare, if set, cuts
// c's turn to one read of that size in a round that found other
// descriptors ready too, and for shareFor after one: they come and go
// faster than a turn.
func (l *Loop) readConn(c *Conn) {
	if l.ring != nil {
		l.ringPeek(c)
		return
	}
	budget, size := l.cfg.ReadBudget, len(l.readBuf)
	if l.sharing() {
		budget, size = l.cfg.ReadShare, l.cfg.ReadShare
	}
	for budget > 0 && c.state == stateOpen && c.flags&flagNoRead == 0 {
		buf := l.readBuf[:size]
		held := c.b != nil && c.b.in != nil
		if held {
			l.growIn(c)
			buf = c.b.in[len(c.b.in):min(cap(c.b.in), len(c.b.in)+size)]
		}
		n, err := recvFD(int(c.fd), buf)
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
		data := buf[:n]
		if held {
			c.b.in = c.b.in[:len(c.b.in)+n]
			data = c.b.in
		}
		used := l.callData(c, data)
		// Bytes that only add to a message in progress do not renew
		// the idle timeout under IdleBoundsPartial.
		if used > 0 || !held || !l.cfg.IdleBoundsPartial || l.draining {
			c.lastActive = l.now
		}
		l.keep(c, data, used)
		if n < len(buf) {
			return
		}
		budget -= n
	}
}

// keep holds on to the input the handler left unconsumed: a tail of the
// shared read buffer is copied into a pooled buffer just big enough for
// it; a tail already in c's own buffer is moved to its front.
func (l *Loop) keep(c *Conn, data []byte, used int) {
	rest := len(data) - used
	if rest == 0 || c.state != stateOpen {
		l.dropIn(c)
		return
	}
	b := l.lend(c)
	if b.in == nil {
		b.in = append(l.pool.get(2*rest), data[used:]...)
	} else if used > 0 {
		b.in = b.in[:copy(b.in, b.in[used:])]
		if cap(b.in) > maxChunk && rest < cap(b.in)/8 {
			small := append(l.pool.get(2*rest), b.in...)
			l.pool.put(b.in)
			b.in = small
		}
	}
	if rest >= l.cfg.InputLimit {
		l.setErr(c, ErrInputLimit)
		c.flags |= flagAbort
		l.kill(c)
	}
}

// growIn makes room for the next read into c's input buffer: at least as
// much room as it holds and never under minChunk, so a frame arriving in
// many pieces is copied O(log n) times, not once per piece. The buffer at
// least doubles each time, also past the pool's largest class where sizes
// are exact, and never grows past Config.InputLimit: holding that much
// closes the connection, so a buffer of the limit always has room for
// the next read.
func (l *Loop) growIn(c *Conn) {
	in := c.b.in
	held := len(in)
	if cap(in)-held >= max(held, minChunk) || cap(in) >= l.cfg.InputLimit {
		return
	}
	size := min(max(2*held+minChunk, 2*cap(in)), l.cfg.InputLimit)
	c.b.in = append(l.pool.get(size), in...)
	l.pool.put(in)
}

// dropIn discards c's unconsumed input.
func (l *Loop) dropIn(c *Conn) {
	if c.b != nil && c.b.in != nil {
		l.pool.put(c.b.in)
		c.b.in = nil
		l.reclaim(c)
	}
}

// peerClosed handles the peer's FIN: OnData has seen every byte, so what
// is left is to flush the output and close.
func (l *Loop) peerClosed(c *Conn) {
	c.flags |= flagEOF
	l.dropIn(c)
	l.startClose(c)
}

// callOpen, callData and callClose run the handler, closing the
// connection if it panics.
func (l *Loop) callOpen(c *Conn) {
	defer func() {
		if r := recover(); r != nil {
			l.setErr(c, l.logPanic("OnOpen", r))
			l.kill(c)
		}
	}()
	l.handler.OnOpen(c)
}

func (l *Loop) callData(c *Conn, data []byte) (used int) {
	defer func() {
		if r := recover(); r != nil {
			l.setErr(c, l.logPanic("OnData", r))
			l.kill(c)
			used = len(data)
		}
	}()
	used = l.handler.OnData(c, data)
	return min(max(used, 0), len(data))
}

func (l *Loop) callClose(c *Conn, err error) {
	defer func() {
		if r := recover(); r != nil {
			_ = l.logPanic("OnClose", r)
		}
	}()
	l.handler.OnClose(c, err)
}
