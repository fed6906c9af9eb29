//go:build linux

package netpoll

import (
	"math"

	"golang.org/x/sys/unix"
)

// maxIOV is the most iovecs one sendmsg takes (UIO_MAXIOV, and IOV_MAX in
// limits.h).
const maxIOV = 1024

// queue appends b to c's output, arming EPOLLOUT and the write timeout
// when output starts pending, and pausing reads past the write limit.
func (l *Loop) queue(c *Conn, b []byte) {
	if l.appendOut(c, b) {
		l.armTimer(c)
	}
	l.updateInterest(c)
}

// appendOut appends b to c's output queue, counts it, and pauses reading
// c once the queue passes the write limit; the caller updates the
// interest. It reports whether the output starts pending with b.
func (l *Loop) appendOut(c *Conn, b []byte) (first bool) {
	q := &l.lend(c).out
	first = q.n == 0
	if first {
		q.since = l.now
	}
	q.append(&l.pool, b)
	l.stats.queued.Add(int64(len(b)))
	if q.n > l.cfg.WriteLimit && c.flags&flagPaused == 0 {
		c.flags |= flagPaused
		l.stats.backpressure.Add(1)
	}
	return first
}

// flush writes pending output until the socket is full or the queue is
// empty, with one sendmsg for all pending chunks. While turns are short
// (Loop.sharing) it writes at most Config.ReadShare bytes: a send of a
// large queue into a roomy loopback socket also runs the receiver's side
// of TCP, in one system call no other connection's turn can cut into.
func (l *Loop) flush(c *Conn) {
	q := &c.b.out
	limit := math.MaxInt
	if l.sharing() {
		limit = l.cfg.ReadShare
	}
	for q.n > 0 && limit > 0 {
		n, tried, err := l.send(c, q, limit)
		if err != nil {
			if err != unix.EAGAIN {
				l.fail(c, "sendmsg", err)
				return
			}
			break
		}
		q.consume(&l.pool, n)
		l.stats.queued.Add(-int64(n))
		q.since = l.now
		l.stats.bytesOut.Add(uint64(n))
		if c.state == stateOpen {
			c.lastActive = l.now
		}
		if n < tried {
			break // the socket is full; another try would fail with EAGAIN
		}
		limit -= n
	}
	if q.n == 0 {
		q.reset(&l.pool)
		l.reclaim(c)
		if c.flags&flagWrShut != 0 && c.state == stateOpen && l.shutWrite(c) != nil {
			return
		}
	}
	if c.flags&flagPaused != 0 && c.OutboundBuffered() <= l.cfg.WriteLimit/2 {
		c.flags &^= flagPaused
		l.stats.resumed.Add(1)
	}
	if c.state == stateDraining && !c.pending() {
		l.advance(c)
		return
	}
	l.updateInterest(c)
}

// send writes at most limit bytes of the pending chunks: with send(2)
// for one, with one sendmsg(2) for several. It returns the bytes written
// and tried.
func (l *Loop) send(c *Conn, q *outQueue, limit int) (n, tried int, err error) {
	pieces := q.pieces()
	if len(pieces) == 1 {
		b := pieces[0][q.off:]
		b = b[:min(len(b), limit)]
		n, err = sendFD(int(c.fd), b)
		return n, len(b), err
	}
	pieces = pieces[:min(len(pieces), maxIOV)]
	l.iov = l.iov[:0]
	for i, p := range pieces {
		if i == 0 {
			p = p[q.off:]
		}
		p = p[:min(len(p), limit-tried)]
		v := unix.Iovec{Base: &p[0]}
		v.SetLen(len(p))
		l.iov = append(l.iov, v)
		tried += len(p)
		if tried == limit {
			break
		}
	}
	l.msg.Iov = &l.iov[0]
	l.msg.SetIovlen(len(l.iov))
	n, err = sendmsgFD(int(c.fd), &l.msg)
	l.msg.Iov = nil
	clear(l.iov) // drop the references to the chunks
	return n, tried, err
}

// wantEvents is the interest c's state calls for. EPOLLRDHUP is never
// registered: it is level-triggered like the rest, so on a connection
// that is not being read (paused, or flushing before close) a peer's
// half-close would be reported on every wait; EPOLLIN already reports the
// FIN as a zero-byte read.
func wantEvents(c *Conn) eventFlags {
	var ev eventFlags
	switch c.state {
	case stateOpen:
		if c.flags&flagNoRead == 0 {
			ev |= eventRead
		}
		if c.flags&flagWantWrite != 0 {
			ev |= eventWrite
		}
	case stateLinger:
		ev |= eventRead
	case stateConnecting:
		ev |= eventWrite
	}
	// Output held back to the end of the round (Config.DeferWrites) is
	// sent then, and only what the socket does not take waits for
	// EPOLLOUT.
	if c.pending() && !c.b.held {
		ev |= eventWrite
	}
	return ev
}

// updateInterest re-registers c if its interest changed. A raw
// connection that wants no event is taken out of the epoll set, and put
// back once it wants one again: epoll reports a hang-up and an error
// whatever the interest (epoll_ctl(2), EPOLLHUP and EPOLLERR), and a raw
// connection paused while its peer has shut down both halves, as a
// forwarder pauses one side until the other side drains, would otherwise
// make every wait return at once. The loop's own connections never sit
// with no interest after both halves are shut: they are closing then.
func (l *Loop) updateInterest(c *Conn) {
	if l.ring != nil {
		l.ringInterest(c)
		return
	}
	want := wantEvents(c)
	if want == c.events || c.state >= stateDead {
		return
	}
	var err error
	switch {
	case c.flags&flagRaw == 0:
		err = l.poller.mod(int(c.fd), c.gen, want)
	case want == 0:
		err = l.poller.del(int(c.fd))
	case c.events == 0:
		err = l.poller.add(int(c.fd), c.gen, want)
	default:
		err = l.poller.mod(int(c.fd), c.gen, want)
	}
	if err != nil {
		l.fail(c, "epoll_ctl", err)
		return
	}
	c.events = want
}

// Deferred writes (Config.DeferWrites).
//
// A handler that writes each reply as it is ready sends it at once, and
// a peer waiting on many connections, asleep since the previous reply,
// is woken for each: on another CPU that wake-up is an inter-processor
// interrupt, which the sender pays for, several microseconds on a
// virtual machine where it is a trip through the hypervisor (5.6-5.9 µs
// measured on the machines of docs/perf/defer). When the handler is
// slow, so that replies leave one every few tens of microseconds, the
// peer is woken once per reply. Held back and sent together, a run of
// replies finds the peer awake after the first.
//
// What holding costs is a copy (the write goes into the connection's
// output queue and is sent from there, where an immediate send(2)
// copies it only into the socket) and time: a held reply leaves later,
// and a peer that was busy anyway loses the overlap of its work with the
// loop's. So only small writes are held, and the held output of a round
// is sent at the round's end or as soon as it adds up to heldMax, which
// a round of bulky replies reaches quickly and one of small replies
// seldom does (docs/perf/defer has the comparison of the bounds).
const (
	// deferMax is the largest write held back.
	deferMax = 2 << 10
	// heldMax is how much held output is sent before the round ends.
	heldMax = 64 << 10
)

// hold appends b to c's output without sending it. sendHeld sends it
// later in the round: its flush updates the interest, and it arms the
// write timeout if the socket leaves some behind.
func (l *Loop) hold(c *Conn, b []byte) {
	l.appendOut(c, b)
	l.heldBytes += len(b)
	if !c.b.held {
		c.b.held = true
		l.held = append(l.held, c)
	}
}

// unhold sends c's held output at once, ahead of a write too large to
// hold, and reports whether c is still open.
func (l *Loop) unhold(c *Conn) bool {
	c.b.held = false
	l.flush(c)
	return c.state == stateOpen
}

// sendHeldIfFull sends the held output once it reaches heldMax. It runs
// between callbacks, as sendHeld must.
func (l *Loop) sendHeldIfFull() {
	if l.heldBytes >= heldMax {
		l.sendHeld()
	}
}

// sendHeld sends the output held back, one send per connection. It runs
// between callbacks: a failed send closes its connection, and settle
// reports that before any other callback.
func (l *Loop) sendHeld() {
	for i, c := range l.held {
		l.held[i] = nil
		b := c.b
		if b == nil || !b.held {
			continue // closed and released, or already sent
		}
		b.held = false
		if c.state >= stateDead || !c.pending() {
			continue
		}
		l.flush(c)
		if c.pending() {
			l.armTimer(c)
		}
	}
	l.held = l.held[:0]
	l.heldBytes = 0
	if len(l.later) > 0 {
		l.settle()
	}
}
