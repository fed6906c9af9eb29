//go:build linux

package epoll

import (
	"log/slog"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/reactor"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/netpoll"
	"github.com/rawnet/rawnet/sockopt"
)

// tcpHandler echoes complete frames. The loop holds partial frames for
// it; it keeps per-connection state only for a frame large enough to need
// the input budget (budget_linux.go).
type tcpHandler struct {
	s        *server
	codec    frame.Codec
	log      *slog.Logger
	quickAck bool
	// reserve is what a connection takes from the input budget once its
	// frame in progress outgrows engine.UnbudgetedInput; 0 when the frame
	// limit is too small for that to happen.
	reserve int
	// work holds each loop's Runner, indexed by Loop.Index, or is nil
	// when there is no work. A loop that sleeps serves none of its
	// connections meanwhile.
	work []work.Runner
}

// OnOpen counts c on its loop, notes when it opened, and sets the one
// option accepted sockets do not inherit from the listener: TCP_QUICKACK
// is cleared by the kernel as it sees fit (tcp(7)).
func (h *tcpHandler) OnOpen(c *netpoll.Conn) {
	h.s.counter[c.Loop().Index()].conns.Add(1)
	c.SetContext(openedAt(time.Since(h.s.epoch)))
	if h.quickAck {
		if err := sockopt.SetQuickAck(c.Fd(), true); err != nil {
			h.log.Warn("socket options not applied", "remote", c.RemoteAddr(), "err", err)
		}
	}
}

// OnData echoes every complete frame at the start of data with one write
// straight from data, and leaves a trailing partial frame to the loop. A
// bad frame gets the frames before it echoed, then closes the connection.
// A partial frame past engine.UnbudgetedInput needs the input budget.
func (h *tcpHandler) OnData(c *netpoll.Conn, data []byte) int {
	end, frames, ferr := frame.Scan(h.codec, data)
	if end > 0 {
		if h.work != nil {
			h.work[c.Loop().Index()].Frames(frames)
		}
		if _, err := c.Write(data[:end]); err == nil {
			h.s.counters(c.Loop()).Frames.Add(uint64(frames))
		} else {
			h.s.counters(c.Loop()).Unechoed.Add(uint64(frames))
		}
	}
	if ferr != nil {
		h.s.counters(c.Loop()).FrameErrors.Add(1)
		h.log.Warn("closing connection: bad frame", "remote", c.RemoteAddr(), "codec", h.codec.String(), "err", ferr)
		markBadFrame(c)
		_ = c.CloseWithError(ferr)
		return len(data)
	}
	if rest := len(data) - end; h.reserve > 0 && (rest > engine.UnbudgetedInput || hasBigFrame(c)) {
		h.budget(c, rest)
	}
	return end
}

// OnClose logs why a connection ended and counts it under its reason,
// with its lifetime. The reactor counts timeouts and I/O errors; the
// engine counts the bad frames it found itself, a codec that left more
// than its own limit unconsumed as one more, and a connection whose
// frame timed out waiting for input budget.
func (h *tcpHandler) OnClose(c *netpoll.Conn, err error) {
	lc := &h.s.counter[c.Loop().Index()]
	lc.conns.Add(-1)
	note := noteOf(c)
	waited := h.closeBudget(c)
	why := reactor.CloseReason(err, note.badFrame, waited)
	switch {
	case err == nil:
	case isInputLimit(err):
		lc.FrameErrors.Add(1)
		h.log.Warn("closing connection: bad frame", "remote", c.RemoteAddr(), "codec", h.codec.String(), "err", err)
	default:
		h.log.Debug("connection closed", "remote", c.RemoteAddr(), "err", err)
	}
	if why == stat.Budget {
		lc.BudgetErrors.Add(1)
	}
	lc.Close(why, time.Since(h.s.epoch)-note.opened)
}
