package bench

import (
	"fmt"
	"math"
	"os"
)

// fill sends what c may send now: in closed loop enough messages to bring
// it back to Depth in flight, in open loop the messages it owes. It sends
// nothing while an earlier write is still pending.
func (w *worker) fill(c *conn) error {
	if w.stopping || !c.open || len(c.out) > 0 || c.blocked {
		return nil
	}
	n := w.cfg.Depth - c.inflight
	if w.cfg.Rate > 0 {
		n = c.owed
	}
	if w.cfg.Count > 0 {
		n = min(n, w.cfg.Count-c.sent)
	}
	if n <= 0 {
		return nil
	}
	if w.cfg.Network == "udp" {
		return w.sendUDP(c, n)
	}
	return w.sendTCP(c, n)
}

// stamp returns the time a message counts from: now in closed loop, the
// moment it was due in open loop.
func (w *worker) stamp(c *conn, now int64) int64 {
	if w.cfg.Rate == 0 {
		return now
	}
	return w.due(int64(c.ring.tail)*int64(len(w.conns)) + int64(c.index))
}

// sendTCP writes up to n messages to c in one write.
func (w *worker) sendTCP(c *conn, n int) error {
	now := w.ctl.clock.now()
	total := 0
	sent := 0
	for ; sent < n; sent++ {
		size := w.pick.next()
		if total+size > len(w.wbuf) {
			if sent == 0 {
				return fmt.Errorf("bench: %d-byte message exceeds the write buffer", size)
			}
			break
		}
		w.lay.encode(w.wbuf[total:total+size], c.id, c.ring.tail)
		c.ring.push(w.stamp(c, now), size)
		total += size
	}
	c.inflight += sent
	w.inflight += sent
	c.sent += sent
	c.owed = max(c.owed-sent, 0)
	written, errno := rawWrite(c.fd, w.wbuf[:total])
	if errno != 0 && !isAgain(errno) {
		return fmt.Errorf("bench: connection %d: %w", c.id, os.NewSyscallError("write", errno))
	}
	written = max(written, 0)
	if written < total {
		c.out = append(c.out[:0], w.wbuf[written:total]...)
		return w.setEvents(c, true)
	}
	return nil
}

// flush writes what a short write left behind and stops watching for
// EPOLLOUT once everything is out.
func (w *worker) flush(c *conn) error {
	if w.cfg.Network == "udp" {
		// A UDP socket only waits for EPOLLOUT after EAGAIN; it is
		// writable again, so stop watching and let fill send.
		c.blocked = false
		return w.setEvents(c, false)
	}
	if len(c.out) == 0 {
		return nil
	}
	written, errno := rawWrite(c.fd, c.out)
	if isAgain(errno) {
		return nil
	}
	if errno != 0 {
		return fmt.Errorf("bench: connection %d: %w", c.id, os.NewSyscallError("write", errno))
	}
	c.out = c.out[:copy(c.out, c.out[written:])]
	if len(c.out) == 0 {
		return w.setEvents(c, false)
	}
	return nil
}

// readTCP reads what c has and verifies it against the messages in flight,
// in order, byte for byte.
func (w *worker) readTCP(c *conn, now int64) error {
	n, errno := rawRead(c.fd, w.rbuf)
	if isAgain(errno) {
		return nil
	}
	if errno != 0 {
		return fmt.Errorf("%w: connection %d with %d messages in flight: %w", ErrLost, c.id, c.inflight, os.NewSyscallError("read", errno))
	}
	if n == 0 {
		return fmt.Errorf("%w: connection %d closed by the server with %d messages in flight (next expected seq %d)",
			ErrLost, c.id, c.inflight, c.ring.head)
	}
	p := w.rbuf[:n]
	for len(p) > 0 {
		if c.ring.pending() == 0 {
			return fmt.Errorf("%w: connection %d received %d bytes after every message sent (%d) was echoed",
				ErrMismatch, c.id, len(p), c.ring.tail)
		}
		s := c.ring.get(c.ring.head)
		k := min(int(s.size)-c.rpos, len(p))
		if bad := w.lay.compare(p[:k], c.rpos, int(s.size), c.id, s.seq); bad >= 0 {
			return w.mismatch(c, s, c.rpos+bad, p[bad:k])
		}
		c.rpos += k
		p = p[k:]
		if c.rpos == int(s.size) {
			w.complete(s, now)
			c.rpos = 0
			c.ring.head++
			c.inflight--
			w.inflight--
		}
	}
	return nil
}

// complete counts an echoed message that finished at now.
func (w *worker) complete(s *slot, now int64) {
	if now < w.ctl.mStart || now >= w.ctl.mEnd {
		return
	}
	if now >= w.cutAt {
		w.cut(now)
	}
	w.st.messages++
	w.st.bytes += uint64(s.size)
	lat := now - s.at
	if lat < histMin {
		lat = histMin
	}
	// RecordValue fails only past histMax (a minute); such a latency is
	// clamped rather than lost.
	if w.hist.RecordValue(lat) != nil {
		_ = w.hist.RecordValue(histMax)
	}
}

// cut hands the histograms of the intervals that ended by now to w.iv
// and starts the next interval.
func (w *worker) cut(now int64) {
	for now >= w.cutAt {
		w.iv.put(w.k, w.hist)
		w.hist = newHist()
		w.cutAt += w.ctl.interval
	}
}

// finishIntervals hands over the intervals left once the worker's loop
// has ended: those that ended before the measurement did and the current
// one, which is the worker's last.
func (w *worker) finishIntervals() {
	if w.cutAt != math.MaxInt64 && w.ctl.mEnd != math.MaxInt64 {
		w.cut(w.ctl.mEnd - 1)
	}
	w.iv.put(w.k, w.hist)
	w.hist = nil
}

// mismatch builds the error for an echo that differs from what was sent.
func (w *worker) mismatch(c *conn, s *slot, off int, got []byte) error {
	want := make([]byte, s.size)
	w.lay.encode(want, c.id, s.seq)
	detail := ""
	if conn, seq, ok := w.lay.identity(got); ok && off == 0 {
		detail = fmt.Sprintf(" (the bytes carry connection %d seq %d)", conn, seq)
	}
	return fmt.Errorf("%w: connection %d seq %d (%d bytes): byte %d is %#02x, sent %#02x%s",
		ErrMismatch, c.id, s.seq, s.size, off, got[0], want[off], detail)
}
