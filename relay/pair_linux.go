//go:build linux

package relay

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/netpoll"
)

// Directions of a pair.
const (
	up   = 0 // client to upstream
	down = 1 // upstream to client
)

// turn bounds the bytes one direction moves per callback, so that a
// bulk transfer cannot hold its loop while other pairs wait; the
// readiness being level-triggered, the rest waits for the next round.
// The read that passes it may bring up to a pipe's capacity, 1 MiB
// through a grown pipe.
const turn = 256 << 10

// pair is an accepted client and its upstream. Only their loop touches
// it.
type pair struct {
	r                *Relay
	ls               *loopState
	client, upstream *netpoll.Conn
	up               *upstream
	dir              [2]direction
	open             bool // the upstream connection is established
	ended            bool
	inFlight         bool // both sides are marked as holding bytes in flight
}

// syncInFlight tells netpoll whether the pair holds bytes one side sent
// and the other has not taken, so that Shutdown's drain does not close
// either side as quiet while they wait in a pipe or buffer: the side they
// are for, which may simply not be reading yet, and the side they came
// from, whose close would end the pair and drop them.
func (p *pair) syncInFlight() {
	held := !p.ended && (p.dir[up].held > 0 || p.dir[down].held > 0)
	if held == p.inFlight {
		return
	}
	p.inFlight = held
	p.client.SetInFlight(held)
	if p.upstream != nil {
		p.upstream.SetInFlight(held)
	}
}

// direction is one way through a pair: the bytes read from src and not
// yet written to dst sit in a pipe (splice) or in buf[off:off+held]
// (copy), never both.
type direction struct {
	src, dst *netpoll.Conn
	pipe     pipe
	hasPipe  bool
	buf      []byte
	off      int
	held     int
	eof      bool // src sent its FIN
	done     bool // and dst has been shut down after the last byte
	bulk     bool // PathAuto: reads are large, splice them
	tiny     uint8
	full     bool // the last splice filled the pipe, and the source has not run dry since
	big      bool // a splice followed a full one: ask for a grown pipe
}

// PathAuto's thresholds (see there).
const (
	autoBulk  = 32 << 10
	autoTiny  = 8 << 10
	autoSmall = 2
)

// from returns the direction c is the source of.
func (p *pair) from(c *netpoll.Conn) *direction {
	if c == p.client {
		return &p.dir[up]
	}
	return &p.dir[down]
}

// to returns the direction c is the destination of.
func (p *pair) to(c *netpoll.Conn) *direction {
	if c == p.upstream {
		return &p.dir[up]
	}
	return &p.dir[down]
}

// connected starts forwarding once the upstream is established.
func (p *pair) connected(c *netpoll.Conn) {
	if p.ended {
		_ = c.Close()
		return
	}
	p.open = true
	if err := p.r.cfg.Sockopts.ApplyConn(c.Fd()); err != nil {
		p.r.log.Debug("relay: upstream socket options", "err", err)
	}
	c.SetRaw()
	p.client.ResumeReading()
}

// pump moves d's bytes until the source is drained, the destination is
// full, the turn is spent, or the direction ends. A read that returns
// less than it asked for means the socket is empty, as in netpoll's
// readConn: reading again would only return EAGAIN, so pump waits for the
// next readiness event instead, saving a system call per message.
func (p *pair) pump(d *direction) {
	moved, drained := 0, false
	for !p.ended {
		if d.held > 0 {
			full, err := p.push(d)
			if err != nil {
				p.fail(d.dst, err)
				return
			}
			if full {
				// Backpressure: stop reading the source until the
				// destination takes what is held.
				d.dst.WantWritable(true)
				d.src.PauseReading()
				return
			}
			continue
		}
		d.dst.WantWritable(false)
		if d.eof {
			if !d.done {
				p.passFIN(d)
			}
			return
		}
		if moved >= turn || drained {
			d.src.ResumeReading()
			return
		}
		n, asked, err := p.pull(d)
		switch {
		case err == unix.EAGAIN:
			d.src.ResumeReading()
			return
		case err != nil:
			p.fail(d.src, err)
			return
		case n == 0:
			d.eof = true
			d.src.PauseReading()
		}
		moved += n
		drained = n < asked
	}
}

// passFIN shuts down d's destination for writing after its last byte,
// and ends the pair once both directions have.
func (p *pair) passFIN(d *direction) {
	d.done = true
	if err := d.dst.CloseWrite(); err != nil && err != netpoll.ErrClosed {
		p.fail(d.dst, err)
		return
	}
	if p.dir[up].done && p.dir[down].done {
		p.end(reasonDone, false)
	}
}

// pull reads from d's source into an empty direction: into a pipe when
// splicing (copying if no pipe can be had), else through the loop's
// buffer straight on to the destination, keeping what it did not take.
// It returns the bytes read, 0 at the source's FIN, or EAGAIN, and the
// bytes it asked for.
func (p *pair) pull(d *direction) (n, asked int, err error) {
	ls := p.ls
	if p.r.splice && (d.bulk || !p.r.auto) {
		if !d.hasPipe {
			pp, err := ls.getPipe(d.big)
			if err == nil {
				d.pipe, d.hasPipe = pp, true
			} else {
				ls.stats.noPipe.Add(1)
			}
		}
		if d.hasPipe {
			asked = d.pipe.cap
			n, err := spliceFD(d.src.Fd(), d.pipe.w, asked)
			if n > 0 {
				d.held = n
				ls.stats.held.Add(int64(n))
				p.sized(d, n)
				return n, asked, nil
			}
			d.full = false
			ls.putPipe(d.pipe)
			d.hasPipe = false
			return 0, asked, err
		}
	}
	asked = len(ls.buf)
	n, err = recvFD(d.src.Fd(), ls.buf)
	if n <= 0 {
		return 0, asked, err
	}
	d.bulk = n >= autoBulk
	m, err := sendFD(d.dst.Fd(), ls.buf[:n])
	if err == unix.EAGAIN {
		m, err = 0, nil
	}
	if err != nil {
		p.fail(d.dst, err)
		return n, asked, nil
	}
	p.forwarded(d, m, false)
	if m < n {
		d.buf = ls.getBuf()
		d.off = 0
		d.held = copy(d.buf, ls.buf[m:n])
		ls.stats.held.Add(int64(d.held))
	}
	return n, asked, nil
}

// sized follows the sizes of d's splices. A splice that brings bytes
// right after one that filled the pipe, with no EAGAIN between them
// (pull clears d.full on one), moved bytes a larger pipe would have
// taken in the earlier call: that makes the direction big, lent a grown
// pipe from its next read on, while the budget allows
// (loopState.getPipe). A message of exactly the pipe's capacity, sent
// one at a time, fills the pipe and then runs dry, and does not grow
// it; one 4 bytes longer does. A big direction stays big until its
// reads turn small, autoSmall splices in a row under autoTiny bytes,
// which also switch PathAuto back to copying. A message that ends short
// of the pipe's capacity does not end it, or every bulk message would
// start over through the default pipe.
func (p *pair) sized(d *direction, n int) {
	d.big = d.big || d.full
	d.full = n >= d.pipe.cap
	if n >= autoTiny {
		d.tiny = 0
	} else if d.tiny++; d.tiny >= autoSmall {
		d.bulk, d.big, d.tiny = false, false, 0
	}
}

// push writes held bytes to d's destination and reports whether it is
// full: a write that took less than offered means the socket's buffer
// is, and another would fail with EAGAIN.
func (p *pair) push(d *direction) (full bool, err error) {
	ls := p.ls
	var n int
	spliced := d.hasPipe
	if spliced {
		n, err = spliceFD(d.pipe.r, d.dst.Fd(), d.held)
	} else {
		n, err = sendFD(d.dst.Fd(), d.buf[d.off:d.off+d.held])
	}
	if err == unix.EAGAIN {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	offered := d.held
	d.held -= n
	d.off += n
	ls.stats.held.Add(-int64(n))
	p.forwarded(d, n, spliced)
	if d.held == 0 {
		if spliced {
			ls.putPipe(d.pipe)
			d.hasPipe = false
		} else {
			ls.putBuf(d.buf)
			d.buf, d.off = nil, 0
		}
	}
	return n < offered, nil
}

// forwarded counts n bytes written to d's destination.
func (p *pair) forwarded(d *direction, n int, spliced bool) {
	if n == 0 {
		return
	}
	s := &p.ls.stats
	if d == &p.dir[up] {
		s.bytesUp.Add(uint64(n))
	} else {
		s.bytesDown.Add(uint64(n))
	}
	if spliced {
		s.spliced.Add(uint64(n))
	} else {
		s.copied.Add(uint64(n))
	}
	d.dst.Touch()
}

// fail ends the pair after a read or write on side c failed, resetting
// both sides: the stream is broken, and a reset tells the other peer so
// where a FIN would pass for a clean end.
func (p *pair) fail(c *netpoll.Conn, err error) {
	if p.ended {
		return
	}
	reason := reasonClientReset
	if c == p.upstream {
		reason = reasonUpstreamReset
		p.r.log.Warn("relay: upstream connection failed", "upstream", p.up.name,
			"client", p.client.RemoteAddr().String(), "reason", reason.String(), "err", err)
	} else {
		p.r.log.Debug("relay: client connection failed", "client", p.client.RemoteAddr().String(),
			"upstream", p.up.name, "reason", reason.String(), "err", err)
	}
	p.end(reason, true)
}

// connectFailed ends a pair whose upstream could not be reached.
func (p *pair) connectFailed(err error) {
	if p.ended {
		return
	}
	reason := reasonConnectError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		reason = reasonConnectRefused
	case errors.Is(err, netpoll.ErrConnectTimeout), errors.Is(err, syscall.ETIMEDOUT):
		reason = reasonConnectTimeout
	}
	p.r.log.Warn("relay: cannot connect to upstream", "upstream", p.up.name,
		"client", p.client.RemoteAddr().String(), "reason", reason.String(), "err", err)
	p.end(reason, true)
}

// end closes both sides, gracefully or with a reset (abort), returns
// what the pair borrowed and counts it as ended for reason.
func (p *pair) end(reason reason, abort bool) {
	if p.ended {
		return
	}
	p.ended = true
	ls := p.ls
	for i := range p.dir {
		d := &p.dir[i]
		ls.stats.held.Add(-int64(d.held))
		if d.hasPipe {
			if d.held == 0 {
				ls.putPipe(d.pipe)
			} else {
				ls.closePipe(d.pipe) // its bytes have nowhere to go
			}
			d.hasPipe = false
		}
		if d.buf != nil {
			ls.putBuf(d.buf)
			d.buf = nil
		}
		d.held = 0
	}
	for _, c := range []*netpoll.Conn{p.client, p.upstream} {
		if c == nil {
			continue
		}
		if abort {
			_ = c.Abort(nil)
		} else {
			_ = c.Close()
		}
	}
	p.up.active.Add(-1)
	p.r.active.Add(-1)
	ls.stats.active.Add(-1)
	ls.stats.closed[reason].Add(1)
}
