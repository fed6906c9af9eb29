package bench

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// sendUDP sends up to n datagrams, one message each, as many per
// sendmmsg(2) call as the read batch holds.
func (w *worker) sendUDP(c *conn, n int) error {
	now := w.ctl.clock.now()
	for n > 0 {
		sizes := w.sizes[:min(n, readBatch)]
		for i := range sizes {
			sizes[i] = w.pick.next()
			w.lay.encode(w.udp.sbufs[i][:sizes[i]], c.id, c.ring.tail+uint64(i))
		}
		sent, errno := w.udp.send(c.fd, sizes)
		if isAgain(errno) || errno == unix.ENOBUFS {
			// The socket's send buffer is full (or, for ENOBUFS, the
			// device queue): wait for EPOLLOUT (udp(7)).
			c.blocked = true
			return w.setEvents(c, true)
		}
		if errno != 0 {
			// ECONNREFUSED here is an ICMP port unreachable from an
			// earlier datagram (udp(7)): the server is gone.
			return fmt.Errorf("bench: socket %d: %w", c.id, os.NewSyscallError("sendmmsg", errno))
		}
		// sendmmsg returns how many went out; a later datagram that
		// would block, or failed, is retried or reported by the next
		// call.
		for i := range sent {
			at := w.stamp(c, now)
			if at >= w.ctl.mStart && at < w.ctl.mEnd {
				w.st.udp.Sent++
			}
			c.ring.push(at, sizes[i])
		}
		c.inflight += sent
		w.inflight += sent
		c.sent += sent
		c.owed = max(c.owed-sent, 0)
		n -= sent
	}
	return nil
}

// readUDP reads up to readBatch datagrams from c in one recvmmsg(2) call
// and matches each with the message it echoes. More waiting datagrams are
// left to the next readiness event, so one busy socket cannot starve the
// others.
func (w *worker) readUDP(c *conn, now int64) error {
	n, errno := w.udp.recv(c.fd)
	if errno != 0 && !isAgain(errno) {
		return fmt.Errorf("bench: socket %d: %w", c.id, os.NewSyscallError("recvmmsg", errno))
	}
	for i := range max(n, 0) {
		d, truncated := w.udp.datagram(i)
		if truncated {
			return fmt.Errorf("%w: socket %d received a datagram longer than the largest message sent (%d bytes)",
				ErrMismatch, c.id, len(d)-1)
		}
		if err := w.echoUDP(c, d, now); err != nil {
			return err
		}
	}
	w.expire(c, now)
	return nil
}

// echoUDP accounts for one echoed datagram. A datagram that does not match
// a message sent on this socket, byte for byte, fails the run; loss,
// reordering and duplicates are counted.
func (w *worker) echoUDP(c *conn, d []byte, now int64) error {
	id, seq, ok := w.lay.identity(d)
	if !ok || id != c.id || seq >= c.ring.tail {
		return fmt.Errorf("%w: socket %d received a %d-byte datagram that matches no message it sent", ErrMismatch, c.id, len(d))
	}
	if c.ring.tail-seq > uint64(len(c.ring.slots)) || c.ring.get(seq).seq != seq || c.ring.get(seq).state == slotEmpty {
		// Too old to tell apart from a duplicate: its slot was reused.
		w.st.udp.Late++
		return nil
	}
	s := c.ring.get(seq)
	if len(d) != int(s.size) {
		return fmt.Errorf("%w: socket %d seq %d: sent %d bytes, echo has %d", ErrMismatch, c.id, seq, s.size, len(d))
	}
	if bad := w.lay.compare(d, 0, int(s.size), c.id, seq); bad >= 0 {
		return w.mismatch(c, s, bad, d[bad:])
	}
	counted := s.at >= w.ctl.mStart && s.at < w.ctl.mEnd
	switch s.state {
	case slotDone:
		if counted {
			w.st.udp.Duplicates++
		}
		return nil
	case slotLost:
		// It came after the loss timeout had given up on it.
		s.state = slotDone
		if counted {
			w.st.udp.Lost--
			w.st.udp.Late++
		}
		return nil
	}
	s.state = slotDone
	c.inflight--
	w.inflight--
	if seq+1 < c.maxSeen {
		if counted {
			w.st.udp.Reordered++
		}
	} else {
		c.maxSeen = seq + 1
	}
	if counted {
		w.st.udp.Received++
		// Jitter as RFC 3550 section 6.4.1 estimates it, over round
		// trips: J += (|D| - J) / 16.
		transit := now - s.at
		if c.transit != 0 {
			d := float64(transit - c.transit)
			if d < 0 {
				d = -d
			}
			c.jitter += (d - c.jitter) / 16
		}
		c.transit = transit
	}
	w.complete(s, now)
	return nil
}

// expire retires c's oldest slots: echoed ones, and outstanding ones older
// than the loss timeout, which count as lost and free their window place.
func (w *worker) expire(c *conn, now int64) {
	limit := now - int64(w.cfg.Timeout)
	for c.ring.head < c.ring.tail {
		s := c.ring.get(c.ring.head)
		if s.state == slotOutstanding {
			if s.at > limit {
				return
			}
			s.state = slotLost
			c.inflight--
			w.inflight--
			if s.at >= w.ctl.mStart && s.at < w.ctl.mEnd {
				w.st.udp.Lost++
			}
		}
		c.ring.head++
	}
}

// expireAll runs expire on every socket and refills the windows it freed.
func (w *worker) expireAll(now int64) error {
	for i := range w.conns {
		w.expire(&w.conns[i], now)
		if err := w.fill(&w.conns[i]); err != nil {
			return err
		}
	}
	return nil
}
