package threads

import (
	"errors"
	"os"
	"runtime/metrics"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/partial"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/internal/sysfd"
)

const (
	// readSize is the input buffer a connection starts with. It grows,
	// doubling, up to the codec's largest frame when a partial frame
	// fills it, so a peer can never make it larger than Config.Frame
	// allows.
	readSize = 16 << 10

	// lingerTimeout and lingerBytes bound the input discarded after
	// shutdown(SHUT_WR) before a connection with unread input is closed.
	// close(2) with unread input sends RST, and an RST purges output the
	// kernel has not sent yet (tcp_close in net/ipv4/tcp.c, RFC 2525
	// section 2.17), so frames echoed
	// just before a bad one could be lost without this wait.
	lingerTimeout = 2 * time.Second
	lingerBytes   = 1 << 20

	// drainQuiet is how long a connection must stay quiet after Shutdown
	// began before it counts as drained, polled every drainPoll.
	drainQuiet = 200 * time.Millisecond
	drainPoll  = 5 * time.Millisecond
)

// end says why a connection stopped being served.
type end int

const (
	endEOF    end = iota // the peer finished sending (or Shutdown drained it)
	endFrame             // bad framing
	endIdle              // nothing arrived within IdleTimeout
	endWrite             // output made no progress within WriteTimeout
	endIO                // read or write error
	endBudget            // the frame in progress timed out waiting for input budget
)

// reason returns the stat.Reason a connection that ended with why is
// counted under.
func (s *tcpServer) reason(why end) stat.Reason {
	switch why {
	case endFrame:
		return stat.Frame
	case endIdle:
		return stat.Idle
	case endWrite:
		return stat.WriteTimeout
	case endBudget:
		return stat.Budget
	case endIO:
		if s.isForced() {
			return stat.Shutdown
		}
		return stat.IO
	}
	if s.isDraining() {
		return stat.Shutdown
	}
	return stat.Peer
}

// errWriteTimeout reports a write that SO_SNDTIMEO cut short.
var errWriteTimeout = errors.New("threads: write timed out")

// conn is one connection served by one thread.
type conn struct {
	s   *tcpServer
	fd  int
	buf []byte

	// held is the part of the server's input budget reserved for buf to
	// grow past engine.UnbudgetedInput.
	held int
	// clock times the frame in progress (IdleTimeout bounds it).
	clock partial.Clock
	// armed is the SO_RCVTIMEO set on fd.
	armed time.Duration
	// streak counts the bytes read in a row, every read filling the
	// buffer, since this connection last let the others have a turn;
	// runnable, made at its first turn's end, asks the runtime whether
	// any goroutine waits to run (turn_linux.go).
	streak   int
	runnable []metrics.Sample
	// work is applied to the frames before they are echoed.
	work work.Runner
}

// serve echoes fd until it ends, then closes it and counts why, with how
// long it lived. It runs on a pool worker.
func (s *tcpServer) serve(fd int) {
	opened := time.Now()
	c := &conn{s: s, fd: fd, clock: partial.NewClock(s.cfg.IdleTimeout), work: s.work.Next()}
	if why := c.setup(); why != nil {
		s.cfg.Logger.Warn("socket options not applied", "err", why)
	}
	why := c.run()
	if why == endFrame || (why == endEOF && s.isDraining()) {
		c.linger()
	}
	s.release(fd)
	unix.Close(fd)
	s.budget.Release(c.held)
	s.stats.Close(s.reason(why), time.Since(opened))
}

// setup applies per-connection socket options and the timeouts.
func (c *conn) setup() error {
	cfg := c.s.cfg
	c.armed = cfg.IdleTimeout
	return errors.Join(
		cfg.Sockopts.ApplyConn(c.fd),
		setTimeout(c.fd, unix.SO_RCVTIMEO, cfg.IdleTimeout),
		setTimeout(c.fd, unix.SO_SNDTIMEO, cfg.WriteTimeout),
	)
}

// run reads, frames and echoes until the connection ends. Complete frames
// are written back from the input buffer in one blocking write; nothing is
// read while that write blocks.
func (c *conn) run() end {
	s, codec, log := c.s, c.s.codec, c.s.cfg.Logger
	limit := max(codec.Max(), readSize)
	c.buf = make([]byte, readSize)
	start, stop := 0, 0 // buf[start:stop] is buffered input
	for {
		if stop == len(c.buf) {
			if start > 0 {
				stop = copy(c.buf, c.buf[start:stop])
				start = 0
			} else if len(c.buf) < limit {
				if err := c.grow(limit, stop); err != nil {
					return c.starved(err, stop)
				}
			}
		}
		if err := c.armRead(stop > start); errors.Is(err, errFrameTimeout) {
			return c.frameTimeout(stop - start)
		} else if err != nil {
			return c.ioError(err)
		}
		free := len(c.buf) - stop
		n, err := read(c.fd, c.buf[stop:])
		switch {
		case errors.Is(err, unix.EAGAIN) && stop > start:
			return c.frameTimeout(stop - start)
		case errors.Is(err, unix.EAGAIN):
			s.stats.Idle.Add(1)
			log.Info("idle timeout", "fd", c.fd, "after", s.cfg.IdleTimeout)
			return endIdle
		case err != nil:
			return c.ioError(err)
		case n == 0 && s.isDraining() && c.drainWait():
			continue
		case n == 0:
			if stop > start {
				log.Debug("connection ended inside a frame", "fd", c.fd, "dropped", stop-start)
			}
			return endEOF
		}
		s.stats.BytesIn.Add(uint64(n))
		stop += n
		c.take(n, n == free)

		k, frames, ferr := frame.Scan(codec, c.buf[start:stop])
		p := start + k
		if p > start {
			c.work.Frames(frames)
			err := c.write(c.buf[start:p])
			if err == nil {
				s.stats.Frames.Add(uint64(frames))
			} else {
				s.stats.Unechoed.Add(uint64(frames))
			}
			if errors.Is(err, errWriteTimeout) {
				s.stats.WriteTimeout.Add(1)
				log.Info("write timeout", "fd", c.fd, "after", s.cfg.WriteTimeout)
				return endWrite
			}
			if err != nil {
				return c.ioError(err)
			}
		}
		if ferr != nil {
			s.stats.FrameErrors.Add(1)
			log.Warn("closing connection: bad frame", "fd", c.fd, "codec", codec.String(), "err", ferr)
			return endFrame
		}
		start = p
		if start == stop {
			start, stop = 0, 0
		}
		c.clock.Framed(frames, stop-start)
		if c.held > 0 && stop-start <= engine.UnbudgetedInput {
			start, stop = c.shrink(start, stop)
		}
	}
}

// ioError counts and logs err, unless Shutdown caused it by forcing the
// connection closed.
func (c *conn) ioError(err error) end {
	if !c.s.isForced() {
		c.s.stats.IO.Add(1)
		c.s.cfg.Logger.Debug("connection error", "fd", c.fd, "err", err)
	}
	return endIO
}

// write sends all of p, blocking while the send buffer is full. The first
// attempt does not block, so a full buffer is seen and counted as
// backpressure; while the write blocks, what is left of p counts as
// output queued, and when it completes reading resumes. MSG_NOSIGNAL
// turns SIGPIPE into EPIPE (send(2)).
func (c *conn) write(p []byte) error {
	flags := unix.MSG_NOSIGNAL | unix.MSG_DONTWAIT
	for len(p) > 0 {
		var n int
		err := sysfd.Retry(func() error {
			var err error
			n, err = unix.SendmsgN(c.fd, p, nil, nil, flags)
			return err
		})
		if n > 0 {
			p = p[n:]
			c.s.stats.BytesOut.Add(uint64(n))
		}
		blocked := flags&unix.MSG_DONTWAIT == 0
		switch {
		case err == nil:
			if blocked {
				c.s.stats.OutputQueued.Add(-int64(n))
			}
		case errors.Is(err, unix.EAGAIN) && !blocked:
			c.s.stats.Backpressure.Add(1)
			c.s.stats.OutputQueued.Add(int64(len(p)))
			flags = unix.MSG_NOSIGNAL
		default:
			if blocked {
				c.s.stats.OutputQueued.Add(-int64(n + len(p)))
			}
			if errors.Is(err, unix.EAGAIN) {
				return errWriteTimeout
			}
			return os.NewSyscallError("sendmsg", err)
		}
	}
	if flags&unix.MSG_DONTWAIT == 0 {
		c.s.stats.Resumed.Add(1)
	}
	return nil
}

// linger sends FIN after the echoed bytes, then reads and discards input
// until the peer closes or a bound is reached, so that close(2) does not
// reset the connection over output still queued (see lingerTimeout).
func (c *conn) linger() {
	shutdownFD(c.fd, unix.SHUT_WR)
	if setTimeout(c.fd, unix.SO_RCVTIMEO, lingerTimeout) != nil {
		return
	}
	deadline := time.Now().Add(lingerTimeout)
	for discarded := 0; discarded < lingerBytes && time.Now().Before(deadline); {
		n, err := read(c.fd, c.buf)
		if err != nil || n == 0 {
			return
		}
		discarded += n
	}
}

// drainWait is called when read returned 0 while Shutdown drains. After
// shutdown(SHUT_RD) read returns 0 whenever the receive queue is empty,
// even though input arriving later is still queued and readable, so a peer
// still sending would be cut off. drainWait polls the socket's queues
// (SIOCINQ and SIOCOUTQ, tcp(7)) and reports true as soon as input is
// waiting. It reports false, drained, once the peer has closed its side
// (the socket left ESTABLISHED), or once the echo has left the send queue
// and no input came for drainQuiet; and when Shutdown forces connections
// shut. An echo stuck in the send queue because the peer does not read
// keeps the connection open until Shutdown's context ends.
func (c *conn) drainWait() bool {
	quietSince := time.Now()
	for {
		if n, err := unix.IoctlGetInt(c.fd, unix.SIOCINQ); err != nil || n > 0 {
			return err == nil
		}
		info, err := unix.GetsockoptTCPInfo(c.fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil || info.State != unix.BPF_TCP_ESTABLISHED || c.s.isForced() {
			return false
		}
		if n, err := unix.IoctlGetInt(c.fd, unix.SIOCOUTQ); err != nil {
			return false
		} else if n > 0 {
			quietSince = time.Now()
		} else if time.Since(quietSince) >= drainQuiet {
			return false
		}
		time.Sleep(drainPoll)
	}
}

// read is read(2) with EINTR retried, which every call on these sockets
// may see: with SO_RCVTIMEO set the kernel never restarts it (see
// sysfd.Retry). A retried read waits its whole timeout again, so a signal
// can only lengthen a timeout, never cut it short. EAGAIN means
// SO_RCVTIMEO expired.
func read(fd int, p []byte) (int, error) {
	var n int
	err := sysfd.Retry(func() error {
		var err error
		n, err = unix.Read(fd, p)
		return err
	})
	if err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return 0, err
		}
		return 0, os.NewSyscallError("read", err)
	}
	return n, nil
}
