//go:build linux

package epoll

import (
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/budget"
	"github.com/rawnet/rawnet/netpoll"
)

// bigFrame is the context of a connection whose frame in progress
// outgrew engine.UnbudgetedInput, for as long as it holds or waits for a
// reservation from the server's input budget; other connections have an
// openedAt (conn_linux.go). It is touched only on the connection's loop.
type bigFrame struct {
	wait     *budget.Wait  // queued request; nil once granted
	held     bool          // the reservation is this connection's
	closed   bool          // OnClose has run
	badFrame bool          // closed for a bad frame
	opened   time.Duration // as openedAt
}

// budget keeps the input the loop holds for c's frame in progress within
// the server's input budget. rest is what OnData left unconsumed. Past
// engine.UnbudgetedInput, c reserves room for a whole frame of the limit;
// while that much is not free, reading c pauses and c waits in the
// budget's queue, and the idle timeout, which under IdleBoundsPartial
// counts from the frame's start, closes it if its frame runs out of time
// first. Once what is left fits under engine.UnbudgetedInput again, the
// reservation goes back.
func (h *tcpHandler) budget(c *netpoll.Conn, rest int) {
	bf, _ := c.Context().(*bigFrame)
	switch {
	case rest <= engine.UnbudgetedInput:
		if bf != nil && bf.held {
			h.s.budget.Release(h.reserve)
			c.SetContext(openedAt(bf.opened))
		}
	case bf == nil:
		bf = &bigFrame{opened: noteOf(c).opened}
		w, ok := h.s.budget.ReserveOrWait(h.reserve, func() { h.granted(c, bf) })
		switch {
		case ok:
			bf.held = true
		case w == nil:
			// Normalize keeps the budget at least one frame of the
			// limit, so this is a request the budget can never grant.
			_ = c.CloseWithError(budget.ErrTooLarge)
			return
		default:
			bf.wait = w
			h.s.counters(c.Loop()).BudgetWaits.Add(1)
			c.PauseReading()
		}
		c.SetContext(bf)
	}
}

// granted is called, on whichever goroutine gave the bytes back, once
// c's queued request holds its reservation: it hands c back to its loop
// to resume reading, or gives the bytes back if c is gone.
func (h *tcpHandler) granted(c *netpoll.Conn, bf *bigFrame) {
	err := c.Loop().Submit(func() {
		if bf.closed {
			h.s.budget.Release(h.reserve)
			return
		}
		bf.wait, bf.held = nil, true
		h.s.counters(c.Loop()).BudgetGrants.Add(1)
		c.ResumeReading()
	})
	if err != nil {
		// The loop has stopped and closed c.
		h.s.budget.Release(h.reserve)
	}
}

// closeBudget gives back what a closed connection holds, or withdraws
// its request, and reports whether it was waiting for input budget. A
// request granted too late to withdraw is given back by the function
// granted queued on the loop, which runs after this.
func (h *tcpHandler) closeBudget(c *netpoll.Conn) (waiting bool) {
	bf, ok := c.Context().(*bigFrame)
	if !ok {
		return false
	}
	bf.closed = true
	switch {
	case bf.held:
		h.s.budget.Release(h.reserve)
	case bf.wait != nil:
		bf.wait.Cancel()
		return true
	}
	return false
}
