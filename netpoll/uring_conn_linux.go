//go:build linux

package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/sysfd"
	"github.com/rawnet/rawnet/netpoll/internal/uring"
)

// ringInterest is updateInterest for the io_uring backend: it brings c's
// requests in line with its state. A recv is armed while c is read (open
// and not paused, or lingering) and cancelled while it is paused; one
// send is in flight while output is pending. A closing connection keeps
// a recv already armed, whose input is discarded, so that the peer's FIN
// is seen.
func (l *Loop) ringInterest(c *Conn) {
	if l.ring.final || c.state >= stateDead || c.events&opCancelAll != 0 {
		return
	}
	read := false
	switch c.state {
	case stateOpen:
		read = c.flags&flagNoRead == 0
	case stateLinger:
		read = true
	}
	// After the peer's FIN a recv would only complete with it again.
	read = read && c.flags&flagEOF == 0
	switch {
	case read && c.events&opRecv == 0:
		// Each recv reads at most a read budget, and no more than the
		// write limit, before the loop re-arms it: the budget keeps a
		// flooding connection's turn as short as on epoll, and a
		// connection paused by its output holds at most one such
		// read beyond it (stash).
		limit := uint32(min(l.cfg.ReadBudget, l.cfg.WriteLimit))
		if l.ring.noLimit {
			limit = 0
		}
		uring.PrepRecvMultishot(l.sqe(), int(c.fd), ringGroup, limit, ud(udRecv, int(c.fd), c.gen))
		c.events |= opRecv
	case !read && c.state == stateOpen && c.events&(opRecv|opRecvCancel) == opRecv:
		// Completions posted before the cancellation still arrive;
		// received stashes their input until c is read again.
		uring.PrepCancel(l.sqe(), ud(udRecv, int(c.fd), c.gen), ud(udCancel, 0, 0))
		c.events |= opRecvCancel
	}
	if c.state == stateOpen && c.flags&flagNoRead == 0 && c.events&opStash != 0 {
		l.ring.redeliver = append(l.ring.redeliver, c)
	}
	if c.pending() && c.events&opSend == 0 {
		l.sendNext(c)
	}
}

// sendNext submits a send of c's first pending chunk. The chunk stays in
// c's output queue, untouched, until its completion: appends go past the
// bytes handed to the kernel, and consume runs only on completion.
func (l *Loop) sendNext(c *Conn) {
	q := &c.b.out
	b := q.pieces()[0][q.off:]
	uring.PrepSend(l.sqe(), int(c.fd), b, ud(udSend, int(c.fd), c.gen))
	c.events |= opSend
}

// sent handles a send's completion: what flush does for the epoll
// backend once a send returns.
func (l *Loop) sent(c *Conn, cqe *uring.CQE) {
	c.events &^= opSend
	if cqe.Res < 0 {
		if c.state < stateDead {
			l.fail(c, "send", errnoOf(cqe.Res))
		}
		return
	}
	if c.state >= stateDead {
		return
	}
	n := int(cqe.Res)
	q := &c.b.out
	q.consume(&l.pool, n)
	l.stats.queued.Add(-int64(n))
	q.since = l.now
	l.stats.bytesOut.Add(uint64(n))
	if c.state == stateOpen {
		c.lastActive = l.now
	}
	if q.n == 0 {
		q.reset(&l.pool)
		l.reclaim(c)
	}
	if c.flags&flagPaused != 0 && c.OutboundBuffered() <= l.cfg.WriteLimit/2 {
		c.flags &^= flagPaused
		l.stats.resumed.Add(1)
	}
	if c.state == stateDraining && !c.pending() {
		l.advance(c)
		return
	}
	l.ringInterest(c)
}

// received handles a recv's completion: input for the handler, the
// peer's FIN, the end of the request or an error.
func (l *Loop) received(c *Conn, cqe *uring.CQE, more bool) {
	if !more {
		c.events &^= opRecv | opRecvCancel
	}
	switch {
	case cqe.Res > 0:
		rl := l.ring
		if c.window != rl.window {
			c.window = rl.window
			rl.seen++
		}
		rl.lastInput = l.now
		if rl.released {
			rl.released = false
			l.armIdle(ringIdleRelease)
		}
		data := rl.bufs.Buffer(cqe.BufferID(), int(cqe.Res))
		l.stats.bytesIn.Add(uint64(len(data)))
		switch c.state {
		case stateOpen:
			if c.flags&flagNoRead != 0 || c.events&opStash != 0 {
				l.stash(c, data)
			} else {
				l.deliver(c, data)
			}
		case stateLinger:
			// Input after our FIN is dropped, as discard does.
		}
		l.recycle(cqe.BufferID())
	case cqe.Res == 0:
		l.ringEOF(c)
		return
	default:
		switch err := errnoOf(cqe.Res); err {
		case unix.ENOBUFS:
			// Every buffer is taken: the input waits in the socket
			// until the round gives buffers back (afterReap), and
			// the ring lends more from then on, once a round.
			if !l.ring.grew {
				l.ring.bufs.Grow()
				l.ring.grew = true
			}
			if c.events&opRelease == 0 {
				l.ring.rearm = append(l.ring.rearm, c)
			}
			return
		case unix.ECANCELED:
		case unix.EINVAL:
			if l.ring.noLimit {
				l.fail(c, "recv", err)
				return
			}
			// A kernel without the cap on a multishot recv's bytes
			// (PrepRecvMultishot): recvs go on without it.
			l.ring.noLimit = true
			l.cfg.Logger.Info("netpoll: io_uring recv takes no byte limit; reads are not budgeted", "loop", l.idx)
		default:
			if c.state < stateDead {
				l.fail(c, "recv", err)
			}
			return
		}
	}
	if !more && c.events&opRelease == 0 {
		l.ringInterest(c)
	}
}

// ringEOF handles the peer's FIN. Input stashed while c was paused is
// still the handler's: the FIN waits behind it (redeliverStash).
func (l *Loop) ringEOF(c *Conn) {
	c.flags |= flagEOF
	switch c.state {
	case stateOpen:
		if c.events&opStash == 0 {
			l.peerClosed(c)
		}
	case stateLinger:
		l.release(c)
	}
}

// deliver hands input to the handler, after any it left unconsumed, and
// keeps what it does not consume: readConn's work on one completion. A
// completion may carry more than the handler may leave unconsumed
// (Config.InputLimit, which a framing server sets to its largest frame),
// so input that adds to held input is handed over in pieces that keep
// the held input within the limit, as readConn's reads into it are.
func (l *Loop) deliver(c *Conn, data []byte) {
	for len(data) > 0 && c.state == stateOpen {
		if c.flags&flagNoRead != 0 {
			// Paused by the handler or by its output in mid-buffer.
			l.stash(c, data)
			return
		}
		held := c.b != nil && c.b.in != nil
		chunk := data
		if held {
			n := min(len(data), max(l.cfg.InputLimit-len(c.b.in), 1))
			if !l.appendIn(c, data[:n], l.cfg.InputLimit) {
				return
			}
			chunk, data = c.b.in, data[n:]
		} else {
			data = nil
		}
		c.events &^= opStash
		used := l.callData(c, chunk)
		// Bytes that only add to a message in progress do not renew
		// the idle timeout under IdleBoundsPartial.
		if used > 0 || !held || !l.cfg.IdleBoundsPartial || l.draining {
			c.lastActive = l.now
		}
		l.keep(c, chunk, used)
	}
}

// stash keeps input that arrived while c was paused, for OnData once c is
// read again. Pausing cancels c's recv, but the completions the kernel
// posted before it saw the cancellation still arrive: everything the
// recv read in the round in which c was paused, up to what the socket
// held, its receive buffer (tcp_rmem's maximum, 6 MiB by default, for
// autotuned TCP sockets: tcp(7)). Input the epoll backend would have left
// in the socket comes here instead, so it is held not to
// Config.InputLimit, which bounds what the handler leaves unconsumed, but
// to that plus stashLimit.
func (l *Loop) stash(c *Conn, data []byte) {
	b := l.lend(c)
	if b.in == nil {
		b.in = l.pool.get(len(data))
	}
	if l.appendIn(c, data, l.cfg.InputLimit+stashLimit) {
		c.events |= opStash
	}
}

// stashLimit bounds the input a paused connection holds beyond
// Config.InputLimit: more than a socket's default largest receive buffer.
const stashLimit = 16 << 20

// redeliverStash calls OnData with stashed input once c is read again,
// and then acts on a FIN that arrived behind it.
func (l *Loop) redeliverStash(c *Conn) {
	if c.state != stateOpen || c.flags&flagNoRead != 0 || c.events&opStash == 0 {
		return
	}
	c.events &^= opStash
	data := c.b.in
	used := l.callData(c, data)
	if used > 0 || !l.cfg.IdleBoundsPartial || l.draining {
		c.lastActive = l.now
	}
	l.keep(c, data, used)
	if c.flags&flagEOF != 0 && c.state == stateOpen {
		l.peerClosed(c)
	}
}

// appendIn adds data to c's held input, growing the buffer from the
// pool, at least doubling it, up to limit. Input past the limit closes c
// with ErrInputLimit, as keep does, and returns false.
func (l *Loop) appendIn(c *Conn, data []byte, limit int) bool {
	in := c.b.in
	if need := len(in) + len(data); need > cap(in) {
		if need > limit {
			l.dropIn(c)
			l.setErr(c, ErrInputLimit)
			c.flags |= flagAbort
			l.kill(c)
			return false
		}
		grown := append(l.pool.get(min(max(need, 2*cap(in), minChunk), limit)), in...)
		l.pool.put(in)
		in = grown
	}
	c.b.in = append(in, data...)
	return true
}

// ringPeek is readConn for the io_uring backend, which only the drain's
// last look calls: input the kernel holds for c, which its recv has not
// completed with yet, counts as activity. MSG_PEEK leaves it for the
// recv.
func (l *Loop) ringPeek(c *Conn) {
	var b [1]byte
	p := unsafe.Pointer(&b[0])
	n, err := sysfd.RetryRaw(func() (uintptr, unix.Errno) {
		r, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(c.fd), uintptr(p), 1, unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
		return r, e
	})
	if err == nil && n > 0 {
		c.lastActive = l.now
	}
}

// ringRelease is called by release on the io_uring backend. It returns
// false when c may be released now; true when requests of c's are still
// in flight: then it cancels them all and c is released once the last
// completes, so that its descriptor is never closed, and reused, while
// the kernel may still complete a request on it.
func (l *Loop) ringRelease(c *Conn) bool {
	if l.ring.final || c.events&(opRecv|opSend) == 0 {
		return false
	}
	c.events |= opRelease
	if c.state < stateDead {
		c.state = stateDead
	}
	if c.events&opCancelAll == 0 {
		uring.PrepCancelFD(l.sqe(), int(c.fd), ud(udCancel, 0, 0))
		c.events |= opCancelAll
	}
	return true
}

// register makes an accepted connection's socket known to the loop's
// backend: epoll watches it for input; io_uring gets a recv armed, whose
// submission waits for the end of the round, after OnOpen.
func (l *Loop) register(c *Conn) error {
	if l.ring == nil {
		if err := l.poller.add(int(c.fd), c.gen, eventRead); err != nil {
			return err
		}
		c.events = eventRead
		return nil
	}
	if c.fd >= maxRingFD {
		return wrapSyscall("io_uring", unix.EMFILE)
	}
	c.events = 0
	l.ringInterest(c)
	return nil
}
