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
	q := &l.lend(c).out
	if q.n == 0 {
		q.since = l.now
		q.append(&l.pool, b)
		l.armTimer(c)
	} else {
		q.append(&l.pool, b)
	}
	l.stats.queued.Add(int64(len(b)))
	if q.n > l.cfg.WriteLimit && c.flags&flagPaused == 0 {
		c.flags |= flagPaused
		l.stats.backpressure.Add(1)
	}
	l.updateInterest(c)
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
	if c.pending() {
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
