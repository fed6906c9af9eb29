//go:build linux

package pool

import (
	"log/slog"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/reactor"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/netpoll"
	"github.com/rawnet/rawnet/sockopt"
)

// tcpHandler cuts frames on the loops and hands them to the workers.
type tcpHandler struct {
	s        *server
	codec    frame.Codec
	log      *slog.Logger
	quickAck bool
	// reserve is what a connection takes from the input budget once its
	// frame in progress outgrows engine.UnbudgetedInput; 0 when the frame
	// limit is too small for that to happen.
	reserve int
}

// OnOpen counts c on its loop, gives it its state, and sets the one
// option accepted sockets do not inherit from the listener: TCP_QUICKACK
// is cleared by the kernel as it sees fit (tcp(7)).
func (h *tcpHandler) OnOpen(c *netpoll.Conn) {
	h.s.loops[c.Loop().Index()].conns.Add(1)
	c.SetContext(&conn{c: c, opened: time.Since(h.s.epoch)})
	if h.quickAck {
		if err := sockopt.SetQuickAck(c.Fd(), true); err != nil {
			h.log.Warn("socket options not applied", "remote", c.RemoteAddr(), "err", err)
		}
	}
}

// OnData copies the complete frames at the start of data into a task for
// the workers and stops reading c until their echo is written; a
// trailing partial frame is left to the loop. Every complete frame is
// consumed: the loop hands unconsumed input back only with new bytes, so
// frames left behind would wait for bytes the peer may never send. A bad
// frame gets the frames before it echoed, then closes the connection. A
// partial frame past engine.UnbudgetedInput needs the input budget.
func (h *tcpHandler) OnData(c *netpoll.Conn, data []byte) int {
	cn := c.Context().(*conn)
	end, frames, ferr := frame.Scan(h.codec, data)
	if end > 0 {
		cn.task = h.newTask(cn, data[:end], frames)
		cn.ferr = ferr
		cn.hold(holdTask)
		ls := &h.s.loops[c.Loop().Index()]
		h.s.enqueue(ls, c.Loop(), cn.task)
		if ferr != nil {
			return len(data)
		}
	} else if ferr != nil {
		h.badFrame(cn, ferr)
		return len(data)
	}
	if rest := len(data) - end; h.reserve > 0 && (rest > engine.UnbudgetedInput || cn.wait != nil || cn.held) {
		h.budget(cn, rest)
	}
	return end
}

// reply writes the echo of a task a worker has done, on the connection's
// loop, and reads the connection again; after a bad frame it closes it
// instead.
func (h *tcpHandler) reply(t *tcpTask) {
	cn := t.cn
	ls := &h.s.loops[cn.c.Loop().Index()]
	cn.task = nil
	if cn.closed {
		ls.Unechoed.Add(uint64(t.frames))
		t.release()
		return
	}
	if _, err := cn.c.Write(t.buf); err == nil {
		ls.Frames.Add(uint64(t.frames))
	} else {
		ls.Unechoed.Add(uint64(t.frames))
	}
	t.release()
	if cn.ferr != nil {
		h.badFrame(cn, cn.ferr)
		return
	}
	cn.unhold(holdTask)
}

// badFrame counts and logs a bad frame and closes the connection
// gracefully: the echo already written is flushed first.
func (h *tcpHandler) badFrame(cn *conn, ferr error) {
	h.s.loops[cn.c.Loop().Index()].FrameErrors.Add(1)
	h.log.Warn("closing connection: bad frame", "remote", cn.c.RemoteAddr(), "codec", h.codec.String(), "err", ferr)
	cn.badFrame = true
	_ = cn.c.CloseWithError(ferr)
}

// OnClose logs why a connection ended and counts it under its reason,
// with its lifetime. A batch still with a worker is dropped when it
// comes back (reply), one in the backlog when the backlog is flushed.
func (h *tcpHandler) OnClose(c *netpoll.Conn, err error) {
	ls := &h.s.loops[c.Loop().Index()]
	ls.conns.Add(-1)
	cn := c.Context().(*conn)
	cn.closed = true
	waited := h.closeBudget(cn)
	why := reactor.CloseReason(err, cn.badFrame, waited)
	switch {
	case err == nil:
	case isInputLimit(err):
		ls.FrameErrors.Add(1)
		h.log.Warn("closing connection: bad frame", "remote", c.RemoteAddr(), "codec", h.codec.String(), "err", err)
	default:
		h.log.Debug("connection closed", "remote", c.RemoteAddr(), "err", err)
	}
	if why == stat.Budget {
		ls.BudgetErrors.Add(1)
	}
	ls.Close(why, time.Since(h.s.epoch)-cn.opened)
}
