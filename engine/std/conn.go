package std

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/budget"
	"github.com/rawnet/rawnet/engine/internal/partial"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
)

// minBuf is the input buffer a connection starts with; it doubles while
// reads fill it or a frame does not fit, up to conn.limit.
const minBuf = 4 << 10

// maxReadBuf caps the growth reads alone may cause; only a frame longer
// than this grows the buffer further, up to the codec's Max, with room
// reserved from the server's input budget.
const maxReadBuf = engine.UnbudgetedInput

// conn is one TCP connection, owned by its serve goroutine.
type conn struct {
	s     *server
	c     *net.TCPConn
	rc    syscall.RawConn
	buf   []byte // input; buf[:end] is buffered, frames first
	end   int
	limit int // the size buf may grow to
	held  int // bytes of s.budget reserved for buf to grow past maxReadBuf
	// work is applied to the frames before they are echoed; its sleeps
	// park this goroutine.
	work work.Runner

	// clock times the frame in progress (IdleTimeout bounds it).
	clock partial.Clock
	// streak counts the bytes read in a row, every read filling the
	// buffer and no write waiting, since this connection last let the
	// others have a turn (turnBudget); sharedAt is when such a turn last
	// found others ready, and crowded whether that is under shareFor
	// ago, which makes turns turnShare long.
	streak   int
	sharedAt time.Time
	crowded  bool

	// State of the write in progress, shared with writeFn, which runs
	// inside rc.Write on this goroutine.
	out     []byte
	wn      int
	werr    error
	blocked bool
	writeFn func(fd uintptr) bool
}

// serve runs one connection, applying w's work to its frames, until it
// ends, then closes it and counts why, with how long it lived.
func (s *server) serve(c *net.TCPConn, w work.Runner) {
	opened := time.Now()
	why := stat.IO // what a panic leaves
	defer s.wg.Done()
	defer func() { s.stats.Close(why, time.Since(opened)) }()
	defer s.untrack(c)
	defer c.Close()
	remote := c.RemoteAddr().String()
	defer s.recoverConn(remote)
	rc, err := c.SyscallConn()
	if err != nil {
		s.stats.IO.Add(1)
		s.cfg.Logger.Warn("connection unusable", "remote", remote, "err", err)
		return
	}
	if err := s.cfg.Sockopts.ApplyRawConn(rc); err != nil {
		s.cfg.Logger.Warn("socket options not applied", "remote", remote, "err", err)
	}
	cn := &conn{
		s:     s,
		c:     c,
		rc:    rc,
		limit: connLimit(s.cfg, s.codec),
		clock: partial.NewClock(s.cfg.IdleTimeout),
		work:  w,
	}
	cn.buf = make([]byte, min(minBuf, cn.limit))
	cn.writeFn = cn.writeOnce
	defer func() { s.budget.Release(cn.held) }()
	why = cn.run(remote)
}

// connLimit is the size a connection's input buffer may grow to: a whole
// frame of the codec's Max, and at least what reads alone may use.
func connLimit(cfg engine.Config, codec frame.Codec) int {
	return max(codec.Max(), min(cfg.WriteLimit, maxReadBuf))
}

// run reads, echoes complete frames and reads again until the connection
// ends, and counts, logs and returns why it ended.
func (cn *conn) run(remote string) stat.Reason {
	s := cn.s
	log := s.cfg.Logger
	for {
		cn.armRead()
		free := len(cn.buf) - cn.end
		if cn.crowded {
			free = min(free, turnShare)
		}
		n, err := cn.c.Read(cn.buf[cn.end : cn.end+free])
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The deadline may have fired while data was arriving;
			// only an empty socket means idle or drained.
			n, err = cn.tryRead()
			if n == 0 && err == nil {
				switch {
				case s.draining.Load():
					log.Debug("connection drained", "remote", remote)
					return stat.Shutdown
				case cn.end > 0:
					log.Debug("connection idle: frame not completed in time", "remote", remote,
						"timeout", s.cfg.IdleTimeout, "bytes", cn.end)
				default:
					log.Debug("connection idle", "remote", remote, "timeout", s.cfg.IdleTimeout)
				}
				s.stats.Idle.Add(1)
				return stat.Idle
			}
		}
		if n > 0 {
			s.stats.BytesIn.Add(uint64(n))
			cn.end += n
			if werr, ferr := cn.echo(); werr != nil || ferr != nil {
				return cn.fail(remote, werr, ferr)
			}
			if err == nil {
				if berr := cn.grow(n == free); berr != nil {
					return cn.starved(remote, berr)
				}
			}
			cn.take(n, n == free)
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			if cn.end > 0 {
				log.Debug("partial frame dropped at end of input", "remote", remote, "bytes", cn.end)
			}
			return stat.Peer
		case errors.Is(err, net.ErrClosed):
			return stat.Shutdown
		default:
			s.stats.IO.Add(1)
			log.Debug("read failed", "remote", remote, "err", err)
			return stat.IO
		}
	}
}

// take counts n bytes read against the connection's turn and, once it
// has read turnBudget bytes in a row (turnShare while crowded), waits for
// its next turn. A read that did not fill the buffer found the socket
// empty, so the next one parks in the poller; a write that had to wait
// parked there already: either way the others get their turn without
// this one waiting for it, and the streak ends.
func (cn *conn) take(n int, filled bool) {
	if !filled || cn.blocked {
		cn.streak = 0
		return
	}
	turn := turnBudget
	if cn.crowded {
		turn = turnShare
	}
	if cn.streak += n; cn.streak < turn {
		return
	}
	cn.streak = 0
	// Once others were found ready, turns stay short for shareFor:
	// they come and go faster than a turn.
	now := time.Now()
	if cn.s.turns.wait() {
		cn.sharedAt = now
	}
	cn.crowded = now.Sub(cn.sharedAt) < shareFor
}

// armRead sets the read deadline for the next read: the idle timeout, or
// drainQuiet once Shutdown has begun. Loading draining after setting the
// idle deadline means a concurrent Shutdown either is seen here or sets
// its own deadline after this one.
//
// The idle timeout also bounds a frame in progress: while a partial frame
// is buffered, the deadline is never later than IdleTimeout after the
// last frame completed (or the partial one began). A peer that trickles a
// byte now and then of a frame it never finishes (slowloris) is closed
// like one that sends nothing.
func (cn *conn) armRead() {
	if d := cn.s.cfg.IdleTimeout; d > 0 {
		dl := time.Now().Add(d)
		if f := cn.clock.Deadline(); !f.IsZero() && f.Before(dl) {
			dl = f
		}
		cn.c.SetReadDeadline(dl)
	}
	if cn.s.draining.Load() {
		cn.c.SetReadDeadline(time.Now().Add(drainQuiet))
	}
}

// tryRead reads what the socket holds without waiting: (0, nil) means
// nothing, (0, io.EOF) end of input.
func (cn *conn) tryRead() (int, error) {
	// RawConn.Read refuses to run once the deadline has passed.
	if err := cn.c.SetReadDeadline(time.Time{}); err != nil {
		return 0, err
	}
	var n int
	var err error
	cerr := cn.rc.Read(func(fd uintptr) bool {
		n, err = readFD(fd, cn.buf[cn.end:])
		return true
	})
	switch {
	case cerr != nil:
		return 0, cerr
	case errors.Is(err, syscall.EAGAIN):
		return 0, nil
	case err != nil:
		return 0, os.NewSyscallError("read", err)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// echo writes back every complete frame in buf[:end] and moves what is
// left to the front. It returns the write error that ended the
// connection, or the codec's error once the frames before the bad one
// have been written.
func (cn *conn) echo() (werr, ferr error) {
	off, frames, ferr := frame.Scan(cn.s.codec, cn.buf[:cn.end])
	if off > 0 {
		cn.work.Frames(frames)
		if err := cn.write(cn.buf[:off]); err != nil {
			cn.s.stats.Unechoed.Add(uint64(frames))
			return err, nil
		}
		cn.s.stats.Frames.Add(uint64(frames))
		cn.end = copy(cn.buf, cn.buf[off:cn.end])
		cn.shrink()
	}
	cn.clock.Framed(frames, cn.end)
	return nil, ferr
}

// grow doubles the buffer when it is full, or when the last read filled
// it and it is still under the read cap, never past the limit. A full
// buffer can always grow: frame.Scan refuses a partial frame of the
// codec's Max, and the limit is at least that. The first growth past
// maxReadBuf reserves room up to the limit from the server's budget and
// may wait for it, without reading, until the idle timeout counted from
// the frame's start or until Shutdown gives up; the error says which
// ended the wait.
func (cn *conn) grow(filled bool) error {
	full := cn.end == len(cn.buf)
	if (!full && !(filled && len(cn.buf) < maxReadBuf)) || len(cn.buf) >= cn.limit {
		return nil
	}
	size := min(2*len(cn.buf), cn.limit)
	if size > maxReadBuf && cn.held == 0 {
		// Reserve room for a whole frame of the limit at once: a
		// connection that held part of it while waiting for more could
		// deadlock with others doing the same.
		if err := cn.reserve(budget.Reservation(cn.limit)); err != nil {
			return err
		}
	}
	nb := make([]byte, size)
	copy(nb, cn.buf[:cn.end])
	cn.buf = nb
	return nil
}

// reserve takes n bytes of the server's budget for this connection,
// counting a wait when they are not free at once.
func (cn *conn) reserve(n int) error {
	if !cn.s.budget.TryReserve(n) {
		cn.s.stats.BudgetWaits.Add(1)
		if err := cn.s.budget.ReserveUntil(cn.s.forced, n, cn.clock.Deadline()); err != nil {
			return err
		}
		cn.s.stats.BudgetGrants.Add(1)
	}
	cn.held += n
	return nil
}

// shrink gives a buffer grown past maxReadBuf for a large frame back to
// the budget once what remains fits in maxReadBuf, so that one large
// frame does not hold budget for the rest of the connection's life.
func (cn *conn) shrink() {
	if cn.held == 0 || cn.end > maxReadBuf {
		return
	}
	nb := make([]byte, maxReadBuf)
	copy(nb, cn.buf[:cn.end])
	cn.buf = nb
	cn.s.budget.Release(cn.held)
	cn.held = 0
}

// starved counts and logs a connection closed while it waited for input
// budget, and returns why: its frame did not complete within the idle
// timeout, counted as idle too, or Shutdown stopped waiting for it.
func (cn *conn) starved(remote string, err error) stat.Reason {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		cn.s.stats.Idle.Add(1)
		cn.s.stats.BudgetErrors.Add(1)
		cn.s.cfg.Logger.Debug("connection idle: frame not completed in time while waiting for input budget",
			"remote", remote, "timeout", cn.s.cfg.IdleTimeout, "bytes", cn.end)
		return stat.Budget
	case errors.Is(err, budget.ErrTooLarge):
		cn.s.stats.BudgetErrors.Add(1)
		cn.s.cfg.Logger.Warn("connection closed: its frame can never fit the input budget", "remote", remote, "err", err)
		return stat.Budget
	}
	cn.s.cfg.Logger.Debug("connection closed while waiting for input budget", "remote", remote, "err", err)
	return stat.Shutdown
}

// recoverConn turns a panic while serving one connection into the end of
// that connection, logged with its stack, instead of the end of the
// process.
func (s *server) recoverConn(remote string) {
	if p := recover(); p != nil {
		s.stats.IO.Add(1)
		s.cfg.Logger.Error("panic serving connection", "remote", remote, "panic", p, "stack", string(debug.Stack()))
	}
}

// fail counts and logs why the connection is being closed, and returns
// it.
func (cn *conn) fail(remote string, werr, ferr error) stat.Reason {
	s := cn.s
	switch {
	case ferr != nil:
		s.stats.FrameErrors.Add(1)
		s.cfg.Logger.Warn("closing connection: bad frame", "remote", remote, "codec", s.codec.String(), "err", ferr)
		return stat.Frame
	case errors.Is(werr, os.ErrDeadlineExceeded):
		s.stats.WriteTimeout.Add(1)
		s.cfg.Logger.Debug("closing connection: write timeout", "remote", remote, "timeout", s.cfg.WriteTimeout)
		return stat.WriteTimeout
	case errors.Is(werr, net.ErrClosed):
		return stat.Shutdown
	default:
		s.stats.IO.Add(1)
		s.cfg.Logger.Debug("write failed", "remote", remote, "err", werr)
		return stat.IO
	}
}
